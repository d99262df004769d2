"""--class-mix / --program-mix: stated shares, deterministic picks, clear errors; and the
waits by job size and program the report shows."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nacc.cli.main import app
from nacc.domain.errors import InputError
from nacc.domain.ids import JobId
from nacc.domain.jobs import JobClass, JobSpec
from nacc.domain.lifecycle import JobState
from nacc.domain.sizes import size_class
from nacc.engine.records import JobRecord
from nacc.sim import mix, waits
from nacc.sim.experiment import SimRun, Timeline

ROOT = Path(__file__).resolve().parents[3]


def _spec(i: int, project: str = "p", gpus: int = 1) -> JobSpec:
    return JobSpec(JobId(f"j{i}"), float(i), gpus, JobClass.VISION, 10.0, project)


@pytest.mark.parametrize(("text", "problem"), [
    ("inference", "NAME=WEIGHT"),
    ("nonsense=3", "unknown name 'nonsense'"),
    ("inference=x", "whole weight"),
    ("inference=-1", "whole weight"),
    ("inference=0", "positive weight"),
    ("inference=1,inference=2", "given twice"),
    ("", "positive weight"),
])  # fmt: skip
def test_bad_class_mixes_name_the_flag_and_the_entry(text: str, problem: str) -> None:
    with pytest.raises(InputError) as err:
        mix.parse_class_mix(text)
    assert str(err.value).startswith("--class-mix: ") and problem in str(err.value)


def test_classes_follow_the_stated_shares_and_never_change_between_runs() -> None:
    shares = mix.parse_class_mix("inference=30, fine-tuning=70")
    jobs = [_spec(i) for i in range(10_000)]
    once, twice = mix.with_classes(jobs, shares), mix.with_classes(jobs, shares)
    assert [j.job_class for j in once] == [j.job_class for j in twice]
    counts = Counter(j.job_class for j in once)
    assert set(counts) == {JobClass.INFERENCE, JobClass.FINETUNE}
    assert 0.27 < counts[JobClass.INFERENCE] / len(jobs) < 0.33
    assert [j.id for j in once] == [j.id for j in jobs]  # nothing else changes


def test_a_project_stays_in_one_program() -> None:
    shares = mix.parse_mix("llm=1,academia=1", "--program-mix")
    jobs = [_spec(i, project=f"proj{i % 50}") for i in range(500)]
    programs: dict[str, set[str]] = {}
    for j in mix.with_programs(jobs, shares):
        programs.setdefault(j.project, set()).add(j.program)
    assert all(len(p) == 1 for p in programs.values())
    assert {p for ps in programs.values() for p in ps} == {"llm", "academia"}


def _record(spec: JobSpec, wait_s: float | None) -> JobRecord:
    rec = JobRecord(spec, JobState.COMPLETED if wait_s is not None else JobState.PENDING,
                    spec.submit_s, spec.work)  # fmt: skip
    if wait_s is not None:
        rec.first_start_s = spec.submit_s + wait_s
    return rec


def test_waits_by_size_and_program_count_jobs_that_never_started_apart() -> None:
    recs = [_record(_spec(0, "a", 1), 10.0), _record(_spec(1, "a", 1), 30.0),
            _record(_spec(2, "b", 8), 100.0), _record(_spec(3, "b", 64), None)]  # fmt: skip
    run = SimRun("x", [], recs, Timeline(), events=0, rounds=0, wall_s=0.0, end_s=0.0)
    by_size = waits.by_size(run)
    assert list(by_size) == ["1", "2-8", "9-64"]
    assert by_size["1"] == {"jobs": 2, "never_started": 0, "avg_wait_s": 20.0,
                            "p50_wait_s": 10.0, "p95_wait_s": 30.0, "p99_wait_s": 30.0}  # fmt: skip
    assert by_size["9-64"]["jobs"] == by_size["9-64"]["never_started"] == 1
    assert waits.by_program(run)["default"]["jobs"] == 4
    assert [size_class(n) for n in (1, 2, 8, 9, 64, 65, 512, 513)] == [
        "1", "2-8", "2-8", "9-64", "9-64", "65-512", "65-512", "513+"]  # fmt: skip


def test_simulate_with_mixes_reports_waits_by_program(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["simulate", "--scenario", str(ROOT / "scenarios" / "korea-2026.yaml"),
            "--trace", str(ROOT / "data" / "traces" / "philly.csv.gz"), "--format", "philly",
            "--limit", "300", "--load-scale", "40000", "--policy", "fifo", "--out", str(out),
            "--class-mix", "inference=100", "--program-mix", "llm=1,academia=1"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    res = json.loads((out / "results.json").read_text())
    assert set(res["wait_by_program"]) == {"llm", "academia"}
    assert sum(g["jobs"] for g in res["wait_by_size"].values()) == res["jobs"] == 300
    assert res["p95_queue_s"] >= 0.0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Wait by program" in html and "--class-mix inference=100" in html
    bad = CliRunner().invoke(app, [*args[:-4], "--class-mix", "gpu=1"])
    assert bad.exit_code == 2 and "--class-mix: unknown name 'gpu'" in bad.output
