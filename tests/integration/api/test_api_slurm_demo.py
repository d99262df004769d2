"""``nacc serve --demo`` as the docs say, with a Slurm lab running: the demo scenario's
Slurm pools (KISTI's) are on the lab (``nacc_backend_up{backend="slurm://..."} 1`` in
``/metrics``), the rest local; with ``NACC_DEMO_SLURM=off`` every pool is local."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
import pytest
from test_crash_safety import NACC, START_S, _port

from support.slurm_lab import Lab
from support.waiting import wait_until

pytestmark = pytest.mark.slurm_slow  # a real `nacc serve` start (10-60 s): make slurm-test


def _serve(tmp_path: Path, env: dict[str, str]) -> tuple[str, str]:
    """Start ``nacc serve --demo``; its /metrics once a beat names the backends, and what
    it printed."""
    port, log = _port(), tmp_path / "serve.log"
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "NACC_HOME": str(home), "NACC_CONTAIN_JOBS": "false", **env}
    env.pop("NACC_DATABASE_URL", None)
    with log.open("wb") as out:
        proc = subprocess.Popen([NACC, "serve", "--demo", "--port", str(port)], env=env,
                                stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    try:

        def beat() -> str | None:
            try:
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30).text
            except httpx.HTTPError:
                return None
            return text if "nacc_backend_up{" in text else None

        try:
            metrics = wait_until(beat, START_S, "the scheduler's first beat", every=0.3)
        except AssertionError:
            raise AssertionError(log.read_text()[-3000:]) from None
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    return metrics, log.read_text()


def test_serve_demo_puts_the_slurm_pools_on_a_running_lab(tmp_path: Path, slurm_lab: Lab) -> None:
    metrics, said = _serve(tmp_path, {"NACC_DEMO_SLURM": slurm_lab.url,
                                      "SLURM_CONF": str(slurm_lab.conf)})  # fmt: skip
    assert f"on the Slurm lab at {slurm_lab.url}: kisti-gh200, kisti-h200" in said, said
    assert f'nacc_backend_up{{backend="{slurm_lab.url}"}} 1.0' in metrics, metrics


def test_serve_demo_without_a_lab_keeps_every_pool_local(tmp_path: Path) -> None:
    metrics, said = _serve(tmp_path, {"NACC_DEMO_SLURM": f"slurm://127.0.0.1:{_port()}"})
    assert "every pool local" in said, said
    assert "slurm://" not in metrics
