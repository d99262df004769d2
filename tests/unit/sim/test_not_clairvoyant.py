"""The simulator as the live service sees jobs: requests for the engine, the truth for the
backend (``SimConfig.clairvoyant=False``, ``as_requested``, ``SimDispatcher(truth=...)``)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from nacc import ports
from nacc.catalog.throughput import default_model
from nacc.domain.ids import JobId
from nacc.domain.jobs import JobSpec
from nacc.engine.driver import DEFAULT_LIMIT_S, REQUEST_REFERENCE, as_requested
from nacc.scheduling.policies.registry import builtin_policies
from nacc.sim.dispatcher import SimDispatcher
from nacc.sim.experiment import SimConfig, simulate
from nacc.sim.kernel import Kernel
from support.doubles import TableRates, job, pool

RATES = TableRates({"slow": 1.0})


def _p100(spec: JobSpec) -> JobSpec:
    return replace(spec, reference_type="P100")


def test_a_request_carries_the_time_limit_as_its_work() -> None:
    spec = replace(_p100(job(0, 5, 100, limit=3600)), workload="resnet50")
    asked = as_requested(spec)
    assert (asked.work, asked.time_limit_s) == (3600, 3600)
    assert asked.reference_type == REQUEST_REFERENCE and asked.workload is None
    assert (asked.id, asked.submit_s, asked.accelerators) == (spec.id, 5, 1)
    unlimited = as_requested(replace(spec, time_limit_s=None))
    assert unlimited.work == unlimited.time_limit_s == DEFAULT_LIMIT_S


def _launch(d: SimDispatcher, spec: JobSpec, at: float, setup: float = 0.0) -> None:
    d.launch(ports.Launch(spec, pool("a", "H100-SXM", 1), 1, at, spec.work, setup))


def test_the_backend_runs_the_true_job_and_resumes_it_where_it_stopped() -> None:
    rates = default_model()
    true = _p100(job(0, 0, 1000, limit=3600))
    kernel = Kernel()
    d = SimDispatcher(kernel, rates, truth=lambda spec: true)
    _launch(d, as_requested(true), 0.0)
    speed = rates.rate(true, "H100-SXM")
    assert speed is not None and speed != rates.rate(as_requested(true), "H100-SXM")
    assert kernel.peek() == pytest.approx(1000 / speed)  # the true work (P100 s)
    assert 1000 / speed > 20
    assert d.stop(JobId("j0"), 20.0) is None  # no progress in the engine's units
    _launch(d, as_requested(true), 200.0, setup=30.0)
    ends = sorted(t for t, _, kind, _ in kernel._heap if kind == "finish")
    assert ends[-1] == pytest.approx(200 + 30 + (1000 - 20 * speed) / speed)


def test_a_stopped_runs_finish_is_ignored() -> None:
    kernel = Kernel()
    d = SimDispatcher(kernel, RATES)
    spec = job(0, 0, 100)
    d.launch(ports.Launch(spec, pool("a", "slow", 1), 1, 0.0, 100.0, 0.0))
    d.stop(spec.id, 10.0)
    assert d.on_finish(spec.id, 1, 100.0) is False
    assert d.poll(100.0) == []


def test_not_clairvoyant_the_records_hold_the_true_jobs() -> None:
    specs = [_p100(job(0, 0, 500, limit=3600)), _p100(job(1, 10, 50, limit=7200))]
    cfg = SimConfig(clairvoyant=False)
    run = simulate(specs, [pool("a", "H100-SXM", 1)], builtin_policies().create("fifo"),
                   default_model(), cfg)  # fmt: skip
    assert [rec.spec for rec in run.jobs] == specs
    speed = default_model().rate(specs[0], "H100-SXM")
    assert speed is not None
    assert run.jobs[1].finished_s == pytest.approx(500 / speed + 50 / speed)


def test_the_finish_of_a_timed_out_run_triggers_no_decision() -> None:
    """j0 times out at its limit (50 s); its run's own end (100 s) is stale: decisions at
    j0's arrival, j1's arrival, the timeout and j1's end only (as the live loop, which
    sees no end then)."""
    specs = [job(0, 0, 100, limit=50), job(1, 10, 200, limit=400)]
    cfg = SimConfig(enforce_time_limits=True)
    run = simulate(specs, [pool("a", "slow", 1)], builtin_policies().create("fifo"), RATES, cfg)
    end = {rec.spec.id: (rec.state.value, rec.finished_s) for rec in run.jobs}
    assert end == {JobId("j0"): ("failed", 50.0), JobId("j1"): ("completed", 250.0)}
    assert run.rounds == 4
