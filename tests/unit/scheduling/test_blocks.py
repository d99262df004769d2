"""Capacity blocks under every policy (``scheduling.blocks.Blocked``), in the simulator."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sched_views import running, view

from nacc.domain.ids import JobId, PoolId
from nacc.domain.reservations import Block
from nacc.engine.records import JobRecord
from nacc.scheduling.blocks import Blocked, block_use
from nacc.scheduling.policies.registry import builtin_policies
from nacc.sim.experiment import SimConfig, simulate
from support.doubles import TableRates, job, pool

RATES = TableRates({"slow": 1.0})
BLOCK = Block("llm-1", PoolId("a"), 4, 100.0, 1000.0, frozenset({"llm"}))


def _run(policy: str, specs: list, default_limit_s: float = 86400.0) -> dict[str, JobRecord]:
    inner = builtin_policies().create(policy)
    blocked = Blocked(inner, [BLOCK], default_limit_s)
    run = simulate(specs, [pool("a", "slow", 4)], blocked, RATES, SimConfig(restart_cost_s=0))
    return {str(j.spec.id): j for j in run.jobs}


@pytest.mark.parametrize("policy", builtin_policies().names())
def test_no_job_delays_the_block_and_its_job_starts_on_time(policy: str) -> None:
    specs = [
        job(0, 0, 40, 4, project="other", limit=50),  # ends before the block: lent
        job(1, 10, 150, 4, project="other", limit=200),  # would run into it: waits
        job(2, 50, 300, 4, project="llm", limit=2000),  # the block's job, queued early
    ]
    by = _run(policy, specs)
    assert by["j0"].first_start_s == pytest.approx(0)
    assert by["j2"].first_start_s == pytest.approx(100)  # the block's start, not later
    assert by["j2"].reason is not None
    j1 = by["j1"]
    assert j1.first_start_s is not None and j1.first_start_s >= 1000 - 1e-9
    assert j1.finished_s is not None  # runs after the block


def test_a_job_without_limit_still_on_the_block_is_preempted_at_its_start() -> None:
    specs = [
        replace(job(0, 0, 500, 4, project="other"), time_limit_s=None),  # assumed to end by 10 s
        job(1, 100, 50, 4, project="llm", limit=60),
    ]
    by = _run("fifo", specs, default_limit_s=10.0)
    assert by["j0"].preemptions == 1
    assert by["j1"].first_start_s == pytest.approx(100)
    assert by["j1"].finished_s == pytest.approx(150)


def test_without_the_block_the_same_jobs_run_first_come() -> None:
    specs = [job(1, 10, 150, 4, project="other", limit=200)]
    run = simulate(specs, [pool("a", "slow", 4)], builtin_policies().create("fifo"), RATES)
    assert run.jobs[0].first_start_s == pytest.approx(10)
    by = _run("fifo", specs)
    assert by["j1"].first_start_s == pytest.approx(1000)
    assert str(by["j1"].reason).startswith("completed")


def test_waiting_reason_and_idle_report() -> None:
    blocked = Blocked(builtin_policies().create("fifo"), [BLOCK])
    other = job(1, 0, 150, 2, project="other", limit=200)
    v = view(0.0, [pool("a", "slow", 4)], pending=[other], rates=RATES)
    plan = blocked.plan(v)
    assert plan.actions == ()
    assert str(plan.pending_reasons[JobId("j1")]) == "waiting_for_block{block=llm-1, pool=a}"
    mine = job(2, 0, 150, 3, project="llm", limit=200)
    during = view(200.0, [pool("a", "slow", 4)], run=[running(mine, "a")], rates=RATES)
    assert block_use(during, [BLOCK]) == {"llm-1": 3}
    assert blocked.idle(during) == {"llm-1": 1}
    assert blocked.next_wake(0.0) == 100.0 and blocked.next_wake(100.0) == 1000.0
    assert blocked.next_wake(1000.0) is None


class _Waking:
    """An inner policy that wants to decide at t=50 (as the nacc policy's attained mode
    does at a queue threshold)."""

    name, round_s, on_events, rounds_when_idle = "waking", None, True, False

    def plan(self, view):  # type: ignore[no-untyped-def]
        raise AssertionError("not called")

    def next_wake(self, now: float) -> float | None:
        return 50.0 if now < 50.0 else None


def test_the_inner_policys_wake_is_kept() -> None:
    blocked = Blocked(_Waking(), [BLOCK])  # type: ignore[arg-type]
    assert blocked.next_wake(0.0) == 50.0  # sooner than the block's start at 100
    assert blocked.next_wake(60.0) == 100.0 and blocked.next_wake(100.0) == 1000.0
