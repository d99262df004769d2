"""The placement layer: job shapes, acceptable pools and the one pool-choice rule."""

from __future__ import annotations

import dataclasses

import pytest
from sched_views import view

from nacc.domain.ids import PoolId
from nacc.domain.jobs import JobClass
from nacc.scheduling.placement import (
    FASTEST,
    FIRST,
    ROOMIEST,
    CandidateCache,
    Prefer,
    acceptable,
    best_rate,
    candidates,
    choose_pool,
    shape_of,
)
from support.doubles import TableRates, job, pool

RATES = TableRates({"fast": 2.0, "mid": 1.0, "slow": 0.1, "npu": 0.5}, frozenset({"npu"}))
POOLS = [pool("s", "slow", 8), pool("m", "mid", 2), pool("f", "fast", 4), pool("n", "npu", 8)]
P = PoolId


def test_shape_is_what_placement_depends_on() -> None:
    a = job(1, 0, 100, gpus=2)
    same = dataclasses.replace(a, id="other", submit_s=5.0, work=7.0, project="q", time_limit_s=9)
    assert shape_of(a) == shape_of(same) and hash(shape_of(a)) == hash(shape_of(same))
    for change in (
        {"accelerators": 3},
        {"job_class": JobClass.INFERENCE},
        {"allowed_types": frozenset({"fast"})},
        {"workload": "resnet"},
        {"reference_type": "mid"},
    ):
        assert shape_of(dataclasses.replace(a, **change)) != shape_of(a), change


def test_acceptable_pools_are_big_enough_allowed_and_supported_in_order() -> None:
    assert acceptable(POOLS, job(1, 0, 1, gpus=2), RATES) == [(P("s"), 0.1), (P("m"), 1.0),
                                                               (P("f"), 2.0)]  # fmt: skip
    assert [p for p, _ in acceptable(POOLS, job(1, 0, 1, gpus=3), RATES)] == ["s", "f"]
    only_mid = dataclasses.replace(job(1, 0, 1), allowed_types=frozenset({"mid"}))
    assert acceptable(POOLS, only_mid, RATES) == [(P("m"), 1.0)]
    infer = job(1, 0, 1, cls=JobClass.INFERENCE)
    assert [p for p, _ in acceptable(POOLS, infer, RATES)] == ["s", "m", "f", "n"]
    assert acceptable(POOLS, job(1, 0, 1, gpus=9), RATES) == []


def test_too_slow_pools_are_left_out() -> None:
    # slow runs at 0.1 / 2.0 = 5% of the best: below 15%, left out; mid at 50% stays.
    got = candidates(view(0, POOLS, rates=RATES), job(1, 0, 1), min_relative_speed=0.15)
    assert got == [(P("m"), 1.0), (P("f"), 2.0)]
    assert best_rate(got) == 2.0 and best_rate([]) == 0.0


OPTIONS = [(P("a"), 1.0), (P("b"), 3.0), (P("c"), 2.0), (P("d"), 3.0)]


@pytest.mark.parametrize(
    ("prefer", "free", "want"),
    [
        (FIRST, {"a": 1, "b": 4, "c": 4, "d": 4}, "b"),  # a has no room for 2
        (FASTEST, {"a": 4, "b": 4, "c": 4, "d": 4}, "b"),  # b and d tie: earlier wins
        (FASTEST, {"a": 4, "b": 1, "c": 4, "d": 4}, "d"),
        (ROOMIEST, {"a": 5, "b": 7, "c": 7, "d": 2}, "b"),  # tie on 7: earlier wins
        (Prefer.slowest_above(1.5), {"a": 4, "b": 4, "c": 4, "d": 4}, "c"),
        (Prefer.slowest_above(2.5), {"a": 4, "b": 4, "c": 4, "d": 4}, "b"),
        (Prefer.slowest_above(9.0), {"a": 4, "b": 1, "c": 4, "d": 4}, "d"),  # none: fastest
        (FIRST, {"a": 1, "b": 1, "c": 1, "d": 1}, None),
        (FASTEST, {"a": 1, "b": 1, "c": 1, "d": 1}, None),
    ],
)
def test_choose_pool(prefer: Prefer, free: dict[str, int], want: str | None) -> None:
    assert choose_pool(OPTIONS, 2, {P(k): v for k, v in free.items()}, prefer) == want


@pytest.mark.parametrize("prefer", [FIRST, FASTEST, ROOMIEST, Prefer.slowest_above(0.0)])
def test_choose_pool_only_where_admitted(prefer: Prefer) -> None:
    free = {P("a"): 4, P("b"): 4, P("c"): 4, P("d"): 4}
    assert choose_pool(OPTIONS, 1, free, prefer, lambda p: p == "c") == "c"
    assert choose_pool(OPTIONS, 1, free, prefer, lambda p: False) is None


def test_candidate_cache_is_per_shape_and_cleared_when_the_fleet_changes() -> None:
    cache = CandidateCache(0.15)
    v = view(0, POOLS, rates=RATES)
    first = cache.get(v, job(1, 0, 1))
    assert cache.get(v, job(2, 9, 50)) is first  # same shape: the memo
    assert cache.get(v, job(3, 0, 1, gpus=3)) == [(P("f"), 2.0)]
    bigger = [*POOLS[:2], pool("f", "fast", 1), pool("m2", "mid", 8)]
    got = cache.get(view(0, bigger, rates=RATES), job(1, 0, 1, gpus=3))
    assert got == [(P("m2"), 1.0)]
