"""Every shell command the README and docs/*.md show is run as written by a test: the
ones of docs/cli.md and docs/programs.md against `nacc serve --demo`
(tests/integration/test_docs_commands.py), every other one by the test that
``support.doc_commands.ELSEWHERE`` names, which must exist. A command added to a document
without a test fails here."""

from __future__ import annotations

import re
import subprocess

import pytest

from support.doc_commands import ELSEWHERE, ROOT, commands_of, documented, on_demo, placed


def test_every_documented_command_has_its_test() -> None:
    lines = {d.line for d in documented()}
    unplaced = sorted(f"{d.doc}: {d.line}" for d in documented() if not placed(d))
    assert not unplaced, f"documented commands no test runs (add them to ELSEWHERE): {unplaced}"
    stale = sorted(set(ELSEWHERE) - lines)
    assert not stale, f"ELSEWHERE names commands no document shows any more: {stale}"
    for line, where in ELSEWHERE.items():
        if where.startswith("no test:"):
            continue
        path, _, name = where.split(" ", 1)[0].partition("::")
        assert (ROOT / path).is_file(), f"{line!r}: {path} does not exist"
        if name:
            assert re.search(rf"^def {name}\(", (ROOT / path).read_text(), flags=re.M), (
                f"{line!r}: {path} has no test {name}"
            )
    assert len(on_demo()) >= 40  # the cli.md and programs.md blocks, run on the demo


def test_blocks_are_read_as_a_shell_reads_them() -> None:
    text = (
        "```sh\nnacc login --url U --token <a PI's token>   # PI KAIST's\n"
        "nacc submit --command 'echo \"#1\"' \\\n    --project 1   # note\n"
        "nacc --lang en cancel j-1\n# error: cannot reach U\n```\n"
        "```yaml\nnacc: not a command\n```\n```\nplain text, not a command\n```\n"
    )
    got = commands_of(text, "x.md")
    assert [d.line for d in got] == [
        "nacc login --url U --token <a PI's token>",
        "nacc submit --command 'echo \"#1\"' --project 1",
        "nacc --lang en cancel j-1",
    ]
    assert got[2].said == ["error: cannot reach U"]


def test_the_documented_sweep_file_is_shipped() -> None:
    from nacc.sim.sweep import load_sweep

    doc = (ROOT / "docs" / "simulator.md").read_text(encoding="utf-8")
    block = doc.split("## Sweeps (")[1].split("```yaml\n")[1].split("```")[0]
    shipped = ROOT / "sweeps" / "philly-korea.yaml"
    assert shipped.read_text(encoding="utf-8") == block
    assert len(load_sweep(shipped).cells) == 75  # 1 scenario x 5 policies x 5 loads x 3 seeds


def _as_written(line: str) -> str:
    done = subprocess.run(["sh", "-c", line], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)  # fmt: skip
    assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_nacc_policies_as_written() -> None:
    [line] = [d.line for d in documented() if d.line.endswith("nacc policies")]
    assert _as_written(line).split() == ["fifo", "gavel", "las", "nacc", "slurm"]


def test_the_readme_gavel_simulation_runs_as_written() -> None:
    [line] = [d.line for d in documented() if "max_min_fairness.trace" in d.line]
    trace = ROOT / line.split("--trace ")[1].split()[0]
    if not trace.exists():
        pytest.skip(f"{trace} is not here (the shared traces beside the checkout)")
    out = _as_written(line)
    assert "96 jobs" in out and "out/g/results.json" in out
    assert (ROOT / "out" / "g" / "results.json").stat().st_size > 0


def test_the_suite_is_what_make_test_runs() -> None:
    """`make test` and the documented pytest lines run this suite's own folders."""
    make = (ROOT / "Makefile").read_text()
    assert re.search(r"^test:.*(\n\t.*)*\bunit\b", make, flags=re.M)
    for d in documented():
        if ".venv/bin/pytest" in d.line:
            for word in d.line.split():
                if word.startswith("tests/"):
                    assert (ROOT / word).is_dir(), d.line
