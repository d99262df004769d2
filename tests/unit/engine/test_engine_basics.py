"""Engine behaviour on hand-computed cases."""

from __future__ import annotations

import pytest

from nacc.domain.errors import UnknownName
from nacc.domain.ids import JobId, PoolId
from nacc.domain.lifecycle import JobState
from nacc.engine.engine import Engine, PlanError
from nacc.scheduling.plan import Plan, Start
from nacc.scheduling.policies.registry import builtin_policies
from nacc.sim.experiment import SimConfig, simulate
from support.doubles import TableRates, job, pool

RATES = TableRates({"fast": 2.0, "slow": 1.0})


def test_fifo_hand_computed_completion_times() -> None:
    pools = [pool("a", "slow", 2)]
    specs = [job(0, 0, 100, 2), job(1, 10, 50, 1), job(2, 20, 30, 1)]
    run = simulate(specs, pools, builtin_policies().create("fifo"), RATES)
    end = {j.spec.id: j.finished_s for j in run.jobs}
    # j0 holds both accelerators 0..100; j1 and j2 then run side by side.
    assert end[JobId("j0")] == pytest.approx(100)
    assert end[JobId("j1")] == pytest.approx(150)
    assert end[JobId("j2")] == pytest.approx(130)


def test_heterogeneous_speed_shortens_run() -> None:
    run = simulate(
        [job(0, 0, 100)], [pool("a", "fast", 1)], builtin_policies().create("nacc"), RATES
    )
    assert run.jobs[0].finished_s == pytest.approx(50)


def test_load_scale_divides_arrivals() -> None:
    specs = [job(0, 0, 10), job(1, 1000, 10)]
    run = simulate(specs, [pool("a", "slow", 1)], builtin_policies().create("fifo"), RATES,
                   SimConfig(load_scale=10))  # fmt: skip
    assert sorted(j.spec.submit_s for j in run.jobs) == [0, 100]


def test_preemption_pays_restart_cost_and_keeps_progress() -> None:
    # LAS: j0 (4 acc) has attained more than the threshold when j1 arrives, so j1 preempts it.
    las = builtin_policies().create("las", {"thresholds_s": (100.0,), "round_s": 10.0})
    specs = [job(0, 0, 1000, 4), job(1, 200, 20, 4)]
    run = simulate(specs, [pool("a", "slow", 4)], las, RATES, SimConfig(restart_cost_s=30))
    by = {j.spec.id: j for j in run.jobs}
    assert by[JobId("j0")].preemptions == 1
    # j1 runs 200..220 (attains 80 < 100, stays on top); j0 resumes at 220 with 800 left
    # of its work plus the 30 s restart cost.
    assert by[JobId("j1")].finished_s == pytest.approx(220)
    assert by[JobId("j0")].finished_s == pytest.approx(1050)


class _Greedy:
    name = "bad"
    round_s = None
    on_events = True

    def plan(self, view):  # type: ignore[no-untyped-def]
        return Plan(tuple(Start(j, PoolId("a"), 8, "too big") for j in view.pending))


def test_engine_refuses_over_allocation() -> None:
    with pytest.raises(PlanError, match="free"):
        simulate([job(0, 0, 10, 8)], [pool("a", "slow", 4)], _Greedy(), RATES)


def test_unknown_policy_lists_known() -> None:
    with pytest.raises(UnknownName, match="fifo"):
        builtin_policies().create("nope")


def test_cancel_pending_and_running() -> None:
    from nacc.sim.dispatcher import SimDispatcher
    from nacc.sim.kernel import Kernel

    kernel = Kernel()
    eng = Engine([pool("a", "slow", 1)], builtin_policies().create("fifo"),
                 SimDispatcher(kernel, RATES), RATES)  # fmt: skip
    eng.submit(job(0, 0, 100), 0)
    eng.submit(job(1, 0, 100), 0)
    eng.tick(0)
    assert eng.jobs[JobId("j0")].state is JobState.RUNNING
    eng.cancel(JobId("j1"), 5)
    eng.cancel(JobId("j0"), 10)
    assert eng.jobs[JobId("j0")].state is JobState.CANCELLED
    assert eng.jobs[JobId("j0")].credits == pytest.approx(10 / 3600)
    assert eng.free[PoolId("a")] == 1


def test_fail_stops_a_running_job_meters_it_and_frees_its_accelerators() -> None:
    from nacc.sim.dispatcher import SimDispatcher
    from nacc.sim.kernel import Kernel

    kernel = Kernel()
    eng = Engine([pool("a", "slow", 1)], builtin_policies().create("fifo"),
                 SimDispatcher(kernel, RATES), RATES)  # fmt: skip
    eng.submit(job(0, 0, 100), 0)
    eng.submit(job(1, 0, 100), 0)
    eng.tick(0)
    eng.fail(JobId("j1"), 5, "timeout")  # pending: left alone
    assert eng.jobs[JobId("j1")].state is JobState.PENDING
    eng.fail(JobId("j0"), 20, "timeout: time limit of 20 s reached")
    rec = eng.jobs[JobId("j0")]
    assert rec.state is JobState.FAILED and rec.finished_s == 20
    assert rec.credits == pytest.approx(20 / 3600)
    assert eng.free[PoolId("a")] == 1 and JobId("j0") not in eng.running
    eng.tick(20)  # the freed accelerator goes to the next job
    assert eng.jobs[JobId("j1")].state is JobState.RUNNING
    eng.fail(JobId("j1"), 35, "timeout: limit 10 s", charge_until=30)  # killed 5 s late
    assert eng.jobs[JobId("j1")].credits == pytest.approx(10 / 3600)  # charged to the limit
    assert eng.jobs[JobId("j1")].finished_s == 35
