"""A real Slurm for tests: ``scripts/slurm-lab.sh`` started once per test session.

``slurm_lab`` installs the Debian packages when they are missing (as root, like CI),
starts slurmctld, two slurmd's with 8 fake ``h100`` GPUs each and slurmrestd (JWT) in a
temporary folder, and stops them at the end of the session. It skips, saying why, only
when the packages are missing and cannot be installed (not root, no apt-get, apt-get
failed); a lab that is installed but does not come up fails the tests.

A plugin of tests/conftest.py (one fixture for the whole session: imported into several
modules it would be several fixtures, each starting a lab). Each xdist worker runs its own
lab on its own ports (27817 + 20 x worker; 200 higher while those are taken, as by
another checkout's tests), away from Slurm's defaults and from ``make slurm-lab``
(26817), so a developer's lab keeps running.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "slurm-lab.sh"
GPUS_PER_NODE = 8
NODES = 2


@dataclass(frozen=True)
class Lab:
    dir: Path
    port: int  # slurmrestd
    conf: Path

    @property
    def url(self) -> str:
        return f"slurm://127.0.0.1:{self.port}"

    def run(self, *argv: str) -> str:
        """A Slurm command (scontrol, squeue, ...) against this lab; its stdout."""
        env = {**os.environ, "SLURM_CONF": str(self.conf)}
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
        if done.returncode:
            raise AssertionError(f"{' '.join(argv)} failed: {done.stderr.strip()}")
        return done.stdout


def _script(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip


BASES_TRIED = 10
"""Where a lab's ports are taken (another checkout's tests on the same machine use the
same numbers), the next try moves 200 ports up."""


@pytest.fixture(scope="session")
def slurm_lab() -> Iterator[Lab]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    first = 27817 + 20 * (int(worker) if worker.isdigit() else 0)
    for attempt in range(BASES_TRIED):
        base = first + 200 * attempt
        env = {**os.environ, "SLURM_LAB_PORT": str(base), "SLURM_LAB_NODES": str(NODES),
               "SLURM_LAB_GPUS": str(GPUS_PER_NODE)}  # fmt: skip
        if attempt == 0:
            installed = _script("install", env=env)
            if installed.returncode:
                pytest.skip(f"no Slurm here and it cannot be installed: "
                            f"{installed.stderr.strip()}")  # fmt: skip
        # not under pytest's 0700 folders: slurmrestd runs as an unprivileged user and
        # reads the lab's slurm.conf
        folder = Path(tempfile.mkdtemp(prefix=f"nacc-slurm-lab-{base}-"))
        folder.chmod(0o755)
        up = _script("up", str(folder), env=env)
        if not up.returncode:
            break
        logs = "\n".join(f"{p.name}: {p.read_text()[-800:]}" for p in (folder / "log").glob("*"))
        _script("down", str(folder), env=env)
        shutil.rmtree(folder, ignore_errors=True)
        if "is taken by another program" not in up.stderr or attempt == BASES_TRIED - 1:
            raise AssertionError(f"slurm-lab up failed: {up.stderr}\n{logs}")
    conf = folder / "etc" / "slurm.conf"
    before = os.environ.get("SLURM_CONF")
    os.environ["SLURM_CONF"] = str(conf)  # scontrol token (the dispatcher's JWT) reads it
    try:
        yield Lab(folder, base + 3, conf)
    finally:
        if before is None:
            os.environ.pop("SLURM_CONF", None)
        else:
            os.environ["SLURM_CONF"] = before
        _script("down", str(folder), env=env)
        shutil.rmtree(folder, ignore_errors=True)
