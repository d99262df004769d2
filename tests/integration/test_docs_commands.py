"""docs/cli.md's and docs/programs.md's commands, run as written, in document order,
against `nacc serve --demo` (what `make run` starts; tests/integration/test_readme.py runs
the README's blocks the same way). Placeholders are filled (``<job>``, ``<token>``,
``URL``, ``SECRET``; ``[--all]`` runs with and without), port 8000 becomes the demo's
(or, for the "cannot reach" example, a closed one), and each runs with the token of the
role the document names (operators queue, sweep, book and decide on data; officers
report and accept reports; the rest a PI). Every command exits 0, except the error
examples, which exit 2 and print what the document says they print."""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_readme import BIN, Demo

from support.doc_commands import ROOT, Documented, on_demo

pytestmark = pytest.mark.slow  # `nacc serve --demo` and some sixty `nacc` processes

OPS = ("nacc queue", "nacc notify sweep", "nacc reservation", "nacc dataset add",
       "nacc dataset approve", "nacc dataset refuse", "nacc dataset revoke",
       "nacc dataset requests")  # fmt: skip
OFFICER = ("nacc notify overdue", "nacc notify accept-report", "nacc report")
SECRET = "a-webhook-secret-of-some-length"


def _closed_port() -> int:
    with socket.socket() as s:  # bound, never listening: connecting is refused
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Walk:
    def __init__(self, demo: Demo, tmp: Path) -> None:
        self.demo, self.tmp, self.job = demo, tmp, ""
        self.closed = f"http://127.0.0.1:{_closed_port()}"
        (tmp / "user" / "llm").mkdir(parents=True)
        (tmp / "user" / "work" / "llm").mkdir(parents=True)
        self.env = {**demo.env, "HOME": str(tmp / "user")}
        url = f"http://127.0.0.1:{demo.port}"
        for role, name in (("pi", "PI KAIST"), ("ops", "Operator"), ("officer", "Officer Kim")):
            self.sh(f"nacc login --url {url} --token {demo.tokens[name]}", role)
        (tmp / "closed.json").write_text(f'{{"url": "{self.closed}", "token": "nacc_x_y"}}')

    def sh(self, line: str, role: str, **env: str) -> subprocess.CompletedProcess[str]:
        env = {"NACC_CONFIG": str(self.tmp / f"{role}.json"), **env}
        return subprocess.run(["sh", "-c", line], cwd=self.tmp, env={**self.env, **env},
                              capture_output=True, text=True, timeout=180)  # fmt: skip

    def filled(self, line: str) -> list[str]:
        line = line.replace("http://127.0.0.1:8000", f"http://127.0.0.1:{self.demo.port}")
        line = line.replace("<token>", shlex.quote(self.demo.tokens["PI KAIST"]))
        line = re.sub(r"<job( id)?>", self.job, line)
        line = line.replace("--webhook URL", f"--webhook {self.closed}/hook")
        line = line.replace("--secret SECRET", f"--secret {SECRET}")
        line = line.replace("<16+ characters>", SECRET)
        if " [--all]" in line:
            return [line.replace(" [--all]", ""), line.replace(" [--all]", " --all")]
        return [line]


def _role(line: str) -> str:
    if line.startswith(OPS):
        return "ops"
    return "officer" if line.startswith(OFFICER) else "pi"


def _prepare(walk: Walk, d: Documented) -> dict[str, str]:
    """What a line needs around it; the environment it runs with."""
    if d.line == "nacc --lang ko submit job.yaml":  # cli.md's example of a wrong job file
        (walk.tmp / "job.yaml").write_text("project: 1\ncommand: echo hi\naccelerators: two\n")
    if d.line == "nacc submit job.yaml":  # the job file cli.md shows
        text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
        (walk.tmp / "job.yaml").write_text(text.split("```yaml\n", 1)[1].split("```")[0])
    if d.line.startswith("nacc --lang en cancel"):
        return {"NACC_CONFIG": str(walk.tmp / "closed.json")}
    if d.line.startswith("nacc admin init"):  # "a fresh, non-demo install"
        return {"NACC_HOME": str(walk.tmp / "fresh")}
    return {}


def _words(text: str) -> str:
    """The text without the frame typer draws around an error (its width is the
    terminal's), spaces collapsed."""
    return " ".join(re.sub(r"[╭╮╰╯│─]", " ", text).split())


def _check(walk: Walk, d: Documented, line: str, done: subprocess.CompletedProcess[str]) -> None:
    where = f"{d.doc}: {line}\n{done.stdout}\n{done.stderr}"
    if d.said:  # an error example: exit 2 and the lines the document shows
        assert done.returncode == 2, where
        for said in d.said:
            said = said.replace("http://127.0.0.1:8000", walk.closed)
            assert _words(said.removesuffix("...")) in _words(done.stderr), where
        return
    assert done.returncode == 0, where
    if line.startswith("nacc submit"):
        walk.job = done.stdout.split()[0]
    if line.startswith("nacc ledger verify"):
        assert ": OK" in done.stdout, where
    if line.startswith("nacc admin init"):
        assert "nacc_" in done.stdout, where
    if line.startswith("nacc whoami"):
        assert "PI KAIST" in done.stdout, where


@pytest.fixture
def walk(tmp_path: Path) -> Iterator[Walk]:
    demo = Demo(tmp_path)
    try:
        yield Walk(demo, tmp_path)
    finally:
        demo.proc.terminate()
        demo.proc.wait(timeout=30)


def test_the_documents_commands_run_as_written_on_the_demo(walk: Walk) -> None:
    ran = []
    for d in on_demo():
        env = _prepare(walk, d)
        for line in walk.filled(d.line):
            _check(walk, d, line, walk.sh(line, _role(d.line), **env))
            ran.append(line)
    assert len(ran) >= 50 and walk.job
    assert (walk.tmp / "usage.csv").read_text().startswith("period,org,credits")
    assert os.access(BIN / "nacc", os.X_OK)
