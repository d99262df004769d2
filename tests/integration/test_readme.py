"""The README's CLI blocks, run as written against `nacc serve --demo` (what `make run`
starts): each command exits 0, the submitted job really runs, and its log and the
ledger's proof are what the README says."""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow  # `nacc serve --demo` and a dozen `nacc` processes

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PI_BLOCK = "nacc login --url http://127.0.0.1:8000 --token <a PI's token>"
OFFICER_BLOCK = "nacc login --url http://127.0.0.1:8000 --token <the officer's token>"


def blocks() -> list[list[str]]:
    """The README's ```sh blocks that start with `nacc login`, as command lines."""
    text = (ROOT / "README.md").read_text()
    found = []
    for body in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        lines = [ln for ln in body.splitlines() if ln.strip()]
        if lines and lines[0].startswith("nacc login"):
            found.append(lines)
    return found


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Demo:
    def __init__(self, home: Path) -> None:
        self.port = _port()
        self.env = {**os.environ, "NACC_HOME": str(home / "home"),
                    "NACC_CONFIG": str(home / "credentials.json"), "NACC_TICK_S": "0.2",
                    "PATH": f"{BIN}:{os.environ['PATH']}"}  # fmt: skip
        for name in ("NACC_DATABASE_URL", "NACC_LOCAL_DEVICES", "NACC_SCENARIO", "LANG"):
            self.env.pop(name, None)
        self.log = home / "serve.log"
        cmd = [str(BIN / "nacc"), "serve", "--demo", "--host", "127.0.0.1", "--port",
               str(self.port)]  # fmt: skip
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(cmd, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        self._wait_healthy()
        self.tokens = dict(re.findall(r"demo token  (.+?)\s{2,}\S+\s+(nacc_\S+)",
                                      self.log.read_text()))  # fmt: skip

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + 300  # seeding the demo; minutes on a loaded machine
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"nacc serve --demo did not start: {self.log.read_text()}")

    def run(self, line: str, **subs: str) -> str:
        """One README line, with its placeholders filled, run by the shell as written."""
        line = line.replace("http://127.0.0.1:8000", f"http://127.0.0.1:{self.port}")
        for placeholder, value in subs.items():
            line = line.replace(placeholder, shlex.quote(value))
        done = subprocess.run(["sh", "-c", line], env=self.env, capture_output=True,
                              text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
        return done.stdout


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    d = Demo(tmp_path)
    try:
        yield d
    finally:
        d.proc.terminate()
        d.proc.wait(timeout=30)


def test_make_run_takes_a_port() -> None:
    done = subprocess.run(["make", "-n", "run", "PORT=8100"], cwd=ROOT, capture_output=True,
                          text=True, check=True)  # fmt: skip
    assert "nacc serve --demo --host 127.0.0.1 --port 8100" in done.stdout


def test_the_readme_blocks_are_found() -> None:
    firsts = [b[0] for b in blocks()]
    assert len(firsts) == 2
    assert firsts[0].startswith(PI_BLOCK) and firsts[1].startswith(OFFICER_BLOCK)


def test_the_pi_block_runs_as_written(demo: Demo) -> None:
    pi, officer = blocks()
    # what it prints uses its port (`make run PORT=...` passes it on)
    assert f"nacc login --url http://127.0.0.1:{demo.port} --token" in demo.log.read_text()
    token = demo.tokens["PI KAIST"]
    job = ""
    for line in pi:
        out = demo.run(line, **{"<a PI's token>": token, "<job id>": job})
        if line.startswith("nacc submit"):
            job = out.split()[0]
            _wait_log(demo, job, "training on devices ")
        if line.startswith("nacc logs"):
            assert re.match(r"training on devices \d+,\d+\n", out), out
        if line.startswith("nacc ledger verify"):
            assert "OK" in out or "ok" in out.lower(), out
    assert job
    for line in officer:
        demo.run(line, **{"<the officer's token>": demo.tokens["Officer Kim"]})


def _wait_log(demo: Demo, job: str, text: str) -> None:
    """Until the job runs and wrote ``text`` (the scheduler, not the test, decides when)."""
    deadline = time.monotonic() + 120
    log = Path(demo.env["NACC_HOME"]) / "nacc-jobs" / job / "output.log"
    while not (log.exists() and text in log.read_text()):
        assert time.monotonic() < deadline, f"job {job} did not start: {demo.log.read_text()}"
        time.sleep(0.1)
