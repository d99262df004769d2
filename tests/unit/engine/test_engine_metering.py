"""Interval metering (live service) and re-adoption of running jobs."""

from __future__ import annotations

import pytest

from nacc.domain.ids import JobId, PoolId
from nacc.domain.jobs import JobSpec
from nacc.domain.lifecycle import JobState
from nacc.domain.pools import Pool
from nacc.engine.engine import Engine
from nacc.scheduling.policies.registry import builtin_policies
from nacc.sim.dispatcher import SimDispatcher
from nacc.sim.kernel import Kernel
from support.doubles import TableRates, job, pool

RATES = TableRates({"fast": 2.0})


class Meter:
    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float, float]] = []

    def meter(
        self, spec: JobSpec, pool: Pool, count: int, start_s: float, end_s: float, credits: float
    ) -> None:
        self.rows.append((spec.id, start_s, end_s, credits))


def _engine(sink: Meter) -> Engine:
    return Engine([pool("a", "fast", 4)], builtin_policies().create("fifo"),
                  SimDispatcher(Kernel(), RATES), RATES, usage_sink=sink)  # fmt: skip


def test_interval_metering_adds_up_to_the_whole_run() -> None:
    sink = Meter()
    eng = _engine(sink)
    eng.submit(job(0, 0, 10_000, 2), 0)
    eng.tick(0)
    for t in (60, 120, 120, 150):  # a repeated time meters nothing twice
        eng.meter_running(t)
    eng.cancel(JobId("j0"), 200)
    spans = [(s, e) for _, s, e, _ in sink.rows]
    assert spans == [(0, 60), (60, 120), (120, 150), (150, 200)]
    total = sum(c for *_, c in sink.rows)
    assert total == pytest.approx(2 * 200 * 2.0 / 3600)  # 2 accelerators, rate 2 credits/h
    assert eng.jobs[JobId("j0")].credits == pytest.approx(total)


def test_adopted_job_resumes_metering_from_its_watermark() -> None:
    sink = Meter()
    eng = _engine(sink)
    rec = eng.adopt(job(1, 0, 10_000, 3), PoolId("a"), 3, started_s=0, metered_s=500)
    assert rec.state is JobState.RUNNING and eng.free[PoolId("a")] == 1
    eng.meter_running(560)
    assert sink.rows == [("j1", 500, 560, pytest.approx(3 * 60 * 2.0 / 3600))]
