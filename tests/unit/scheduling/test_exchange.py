"""Exchanges that raise the sum of normalised rates (``scheduling.policies.exchange``)
and the swap of a new job with a running one in ``nacc``'s duration-agnostic mode,
hand-computed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from nacc.domain.ids import PoolId
from nacc.domain.jobs import JobClass
from nacc.scheduling.policies.exchange import Item, improve
from nacc.scheduling.policies.registry import builtin_policies
from nacc.sim.experiment import SimConfig, simulate
from support.doubles import TableRates, pool
from support.doubles import job as limited

V, P, K = PoolId("v"), PoolId("p"), PoolId("k")


def total(items: list[Item]) -> float:
    return sum(it.worth(it.pool) for it in items)


def test_a_swap_gives_the_fast_pool_to_the_job_that_loses_most_without_it() -> None:
    # A runs at 0.9 of its best on P, B at 0.5: A on V and B on P keeps 1.5, the swap 1.9.
    a = Item(1, {V: 1.0, P: 0.9, K: 0.1}, V)
    b = Item(1, {V: 1.0, P: 0.5, K: 0.4}, P)
    room = {V: 0, P: 0, K: 0}
    assert improve([a, b], room) == 1
    assert (a.pool, b.pool) == (P, V) and total([a, b]) == pytest.approx(1.9)
    assert room == {V: 0, P: 0, K: 0}


def test_a_move_into_room_and_a_chain() -> None:
    # c is not placed; room on K only. Best: b from P to K (loses 0.1), c onto P (gains 0.8).
    b = Item(1, {P: 0.5, K: 0.4}, P)
    c = Item(1, {P: 0.8, K: 0.1}, None)
    room = {P: 0, K: 1}
    assert improve([b, c], room) == 1
    assert (b.pool, c.pool) == (K, P) and room == {P: 0, K: 0}


def test_a_three_pool_cycle() -> None:
    # Each job sits on its worst pool; only rotating all three helps (no swap does).
    x = Item(1, {V: 0.2, P: 1.0, K: 0.6}, V)
    y = Item(1, {V: 0.6, P: 0.2, K: 1.0}, P)
    z = Item(1, {V: 1.0, P: 0.6, K: 0.2}, K)
    assert improve([x, y, z], {V: 0, P: 0, K: 0}) >= 1
    assert (x.pool, y.pool, z.pool) == (P, K, V)


def test_staying_is_worth_the_bonus_and_a_fixed_job_never_moves() -> None:
    a = Item(1, {V: 1.0, P: 0.9}, V, home=V, bonus=0.5)
    b = Item(1, {V: 1.0, P: 0.5}, P, home=P, bonus=0.5)
    assert improve([a, b], {V: 0, P: 0}) == 0  # gains 0.4 < the bonuses' 1.0
    a2 = Item(1, {V: 1.0, P: 0.9}, V, fixed=True)
    b2 = Item(1, {V: 1.0, P: 0.5}, P)
    assert improve([a2, b2], {V: 0, P: 0}) == 0 and a2.pool == V


def test_gangs_swap_only_with_gangs_of_their_size() -> None:
    a = Item(2, {V: 1.0, P: 0.9}, V)
    b = Item(1, {V: 1.0, P: 0.5}, P)
    assert improve([a, b], {V: 0, P: 1}) == 0


class _Split(TableRates):
    """Vision runs at 0.5 of its best (V) on P; fine-tuning at 0.9 of its best (V)."""

    def rate(self, spec, accel_type):  # type: ignore[no-untyped-def]
        if spec.job_class is JobClass.VISION:
            return {"V": 2.0, "P": 1.0}[accel_type]
        return {"V": 2.0, "P": 1.8}[accel_type]


def _job(n: int, submit: float, work: float, cls: JobClass):  # type: ignore[no-untyped-def]
    return replace(limited(n, submit, work, cls=cls), time_limit_s=None)


def test_a_new_job_takes_the_fast_pool_from_the_running_job_that_loses_least() -> None:
    pools = [pool("v", "V", 1), pool("p", "P", 1)]
    # j0 (fine-tuning) takes V at 0; j1 (vision) arrives at 100 s with only P free: j0
    # moves to P (0.9 of its best) and j1 takes V (it would run at 0.5 on P).
    specs = [_job(0, 0, 2000, JobClass.FINETUNE), _job(1, 100, 1000, JobClass.VISION)]
    policy = builtin_policies().create("nacc")
    run = simulate(specs, pools, policy, _Split({}), SimConfig(restart_cost_s=0.0))
    by = {str(j.spec.id): j for j in run.jobs}
    assert by["j1"].first_start_s == pytest.approx(100) and by["j1"].pool_id == "v"
    assert by["j1"].finished_s == pytest.approx(100 + 1000 / 2.0)
    j0 = by["j0"]
    assert j0.preemptions == 1 and j0.first_start_s == pytest.approx(0) and j0.pool_id == "p"
    # 100 s on V (200 work), then the other 1,800 on P at 1.8/s: V is only 1.11x faster
    # for it, below move_gain (1.2), so it does not move back up when j1 ends.
    assert j0.finished_s == pytest.approx(100 + 1800 / 1.8)
