"""`nacc trace generate`: Gavel-style traces with Gavel's generator's semantics."""

from __future__ import annotations

import itertools
import json
import math
import shutil
import statistics
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nacc.catalog.gavel_table import bundled_gavel, gavel_workloads
from nacc.cli.main import app
from nacc.sim.traces import ReadOptions, read_trace
from nacc.sim.traces import generate as gen

ROOT = Path(__file__).resolve().parents[3]


def test_draws_follow_gavels_distributions() -> None:
    jobs = list(gen.generate(20_000, 4.0, seed=7))
    # Poisson arrivals at 4/h: mean gap 900 s, exponential (CV 1).
    gaps = [b.arrival_s - a.arrival_s for a, b in itertools.pairwise(jobs)]
    assert jobs[0].arrival_s == 0.0 and all(g >= 0 for g in gaps)
    assert statistics.fmean(gaps) == pytest.approx(900.0, rel=0.03)
    assert statistics.stdev(gaps) / statistics.fmean(gaps) == pytest.approx(1.0, abs=0.04)
    # 80% of durations in 60*10^[1.5, 3] s, 20% in 60*10^[3, 4] s (as run on a V100).
    short = [j for j in jobs if j.duration_s < 60 * 10**3]
    assert len(short) / len(jobs) == pytest.approx(0.8, abs=0.01)
    assert min(j.duration_s for j in jobs) >= 60 * 10**1.5 * 0.999
    assert max(j.duration_s for j in jobs) <= 60 * 10**4 * 1.001
    logs = [math.log10(j.duration_s / 60) for j in short]
    assert statistics.fmean(logs) == pytest.approx(2.25, abs=0.02)  # uniform exponent
    mean = statistics.fmean(j.duration_s for j in jobs)
    assert mean == pytest.approx(gen.mean_duration_s(), rel=0.04)
    # Job types uniform over Gavel's 26; steps = duration x the V100 throughput.
    counts = Counter(j.job_type for j in jobs)
    assert set(counts) == set(gavel_workloads()) and len(counts) == 26
    assert max(counts.values()) / min(counts.values()) < 1.35
    table = bundled_gavel()
    for j in jobs[:200]:
        steps_per_s = table.isolated(j.job_type, 1, "V100")
        assert steps_per_s is not None
        assert j.total_steps == max(1, round(j.duration_s * steps_per_s))


def test_seeded_and_rate_only_spaces_arrivals() -> None:
    a = list(gen.generate(300, 2.0, seed=1))
    assert a == list(gen.generate(300, 2.0, seed=1))
    assert a != list(gen.generate(300, 2.0, seed=2))
    b = list(gen.generate(300, 4.0, seed=1))
    assert [(j.job_type, j.total_steps) for j in a] == [(j.job_type, j.total_steps) for j in b]
    assert [j.arrival_s / 2 for j in a] == pytest.approx([j.arrival_s for j in b])


@pytest.mark.parametrize(("jobs", "rate"), [(0, 1.0), (10, 0.0), (10, -1.0), (10, math.nan)])
def test_bad_arguments_say_what_was_expected(jobs: int, rate: float) -> None:
    with pytest.raises(ValueError, match="expected"):
        list(gen.generate(jobs, rate, 0))


def test_documented_commands_write_a_trace_the_simulator_replays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "scenarios").mkdir()
    shutil.copy(ROOT / "scenarios" / "gavel-108.yaml", tmp_path / "scenarios")
    monkeypatch.chdir(tmp_path)
    doc = (ROOT / "docs" / "simulator.md").read_text(encoding="utf-8")
    commands = [line for line in doc.splitlines() if "traces/gavel-500.trace" in line
                and line.startswith("nacc ")]  # fmt: skip
    assert len(commands) == 2
    r = CliRunner().invoke(app, commands[0].split()[1:])
    assert r.exit_code == 0, r.output
    assert "wrote 500 jobs" in r.output and "50.3 V100-hours per hour" in r.output
    out = tmp_path / "traces" / "gavel-500.trace"
    read = read_trace(out, "gavel", ReadOptions())
    assert len(read.jobs) == 500 and read.skipped_invalid == 0
    assert {j.accelerators for j in read.jobs} == {1}
    assert all(j.time_limit_s is None for j in read.jobs)
    r = CliRunner().invoke(app, commands[1].split()[1:])
    assert r.exit_code == 0, r.output
    result = json.loads((tmp_path / "out" / "gavel-500" / "results.json").read_text())
    assert result["completed"] == 500 and result["policy"] == "nacc"
    assert result["avg_jct_s"] <= 1.05 * result["lower_bound_avg_jct_s"]
    bad = CliRunner().invoke(app, ["trace", "generate", "--jobs", "0", "--out", str(out)])
    assert bad.exit_code == 2 and "jobs: expected 1..1,000,000, got 0" in bad.output
    assert len(read_trace(out, "gavel", ReadOptions()).jobs) == 500  # left whole
