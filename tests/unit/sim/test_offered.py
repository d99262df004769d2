"""Offered load as utilisation (``nacc.sim.offered``), hand-computed, and --offered-load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nacc.catalog.throughput import default_model
from nacc.cli.main import app
from nacc.domain.ids import JobId, PoolId
from nacc.domain.jobs import JobClass, JobSpec
from nacc.domain.pools import Pool
from nacc.sim import offered

ROOT = Path(__file__).resolve().parents[3]
RATES = default_model()
POOL = Pool(PoolId("h"), "prov", "site", "H100-SXM", 4, 4, "local")


def _job(i: int, submit_s: float, gpus: int, run_s: float) -> JobSpec:
    spec = JobSpec(JobId(f"j{i}"), submit_s, gpus, JobClass.FINETUNE, 1.0, "p")
    rate = RATES.rate(spec, "H100-SXM")
    assert rate
    return JobSpec(JobId(f"j{i}"), submit_s, gpus, JobClass.FINETUNE, run_s * rate, "p")


JOBS = [_job(0, 0.0, 2, 100.0), _job(1, 500.0, 1, 1000.0), _job(2, 1000.0, 4, 50.0)]


def test_offered_counts_each_run_inside_the_arrival_window() -> None:
    # window 1000 s: job 0 busy 2 x 100, job 1 1 x min(1000, 500), job 2 arrives at the end
    assert offered.offered_utilization(JOBS, [POOL], RATES) == pytest.approx(700 / 4000)
    # scale 10: window 100 s; job 0 2 x min(100, 100), job 1 1 x min(1000, 50)
    assert offered.offered_utilization(JOBS, [POOL], RATES, 10.0) == pytest.approx(250 / 400)


def test_the_scale_found_offers_the_target() -> None:
    scale = offered.load_scale_for(0.5, JOBS, [POOL], RATES)
    assert offered.offered_utilization(JOBS, [POOL], RATES, scale) == pytest.approx(0.5, rel=1e-6)
    with pytest.raises(ValueError, match="at most"):
        offered.load_scale_for(5.0, JOBS, [POOL], RATES)  # 3 jobs cannot keep 4 GPUs 5x busy
    with pytest.raises(ValueError, match="> 0"):
        offered.load_scale_for(0.0, JOBS, [POOL], RATES)
    assert offered.offered_utilization(JOBS[:1], [POOL], RATES) == 0.0


def _args(out: Path, *extra: str) -> list[str]:
    return ["simulate", "--scenario", str(ROOT / "scenarios" / "gavel-108.yaml"),
            "--trace", str(ROOT / "tests" / "fixtures" / "traces" / "philly_500.csv"),
            "--format", "philly", "--policy", "fifo", "--out", str(out), *extra]  # fmt: skip


def test_simulate_at_an_offered_load(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, _args(tmp_path / "o", "--offered-load", "0.1"))
    assert result.exit_code == 0, result.output
    assert "offered utilisation 10.0%" in " ".join(result.output.split())  # wrapped lines
    unreachable = CliRunner().invoke(app, _args(tmp_path / "u", "--offered-load", "9"))
    assert unreachable.exit_code == 2 and "--offered-load: at most" in unreachable.output
    both = CliRunner().invoke(app, _args(tmp_path / "b", "--offered-load", "0.1",
                                         "--load-scale", "3"))  # fmt: skip
    assert both.exit_code == 2 and "--offered-load: give it or --load-scale" in both.output
    res = json.loads((tmp_path / "o" / "results.json").read_text())
    assert res["offered_utilization"] == pytest.approx(0.1, rel=1e-6)
    bad = CliRunner().invoke(app, _args(tmp_path / "z", "--offered-load", "0"))
    assert bad.exit_code == 2 and "--offered-load: expected a utilisation" in bad.output
    assert not (tmp_path / "b" / "results.json").exists()
