"""The capacity calendar: free now, free later by time limits, holds, earliest starts."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sched_views import Running, running, view

from nacc.domain.ids import PoolId
from nacc.domain.jobs import JobSpec
from nacc.scheduling.calendar import CapacityCalendar, Slot, expected_starts
from nacc.scheduling.reservation import reserve
from nacc.scheduling.view import ClusterView
from support.doubles import TableRates, job, pool

RATES = TableRates({"fast": 2.0, "mid": 1.0})
P = PoolId


def busy_view(now: float = 100.0, pending: list[JobSpec] | None = None) -> ClusterView:
    """Pool a (8): 2 free, jobs ending by their limits at 150 (2), 200 (3), 200 (1).
    Pool b (4): 1 free, one job ending at 400 (3)."""
    run = [
        running(job(1, 0, 0, gpus=2, limit=150), "a"),
        running(job(2, 0, 0, gpus=3, limit=200), "a"),
        running(job(3, 0, 0, gpus=1, limit=200), "a"),
        running(job(4, 0, 0, gpus=3, limit=300), "b", started_s=100),
    ]
    pools = [pool("a", "mid", 8), pool("b", "fast", 4)]
    return view(now, pools, pending or [], run=run, rates=RATES)


def test_free_now_and_later_by_time_limits() -> None:
    cal = CapacityCalendar(busy_view())
    assert cal.free == {"a": 2, "b": 1} and cal.total_free == 3
    assert [cal.free_at(P("a"), t) for t in (100, 149, 150, 199, 200, 10**6)] == [2, 2, 4, 4, 8, 8]
    assert cal.free_at(P("b"), 399) == 1 and cal.free_at(P("b"), 400) == 4
    assert cal.releases(P("a")) == [(150.0, 2), (200.0, 1), (200.0, 3)]
    with pytest.raises(ValueError, match="before now"):
        cal.free_at(P("a"), 99)


def test_a_job_without_a_limit_ends_at_the_default_limit() -> None:
    spec = dataclasses.replace(job(1, 0, 0, gpus=4), time_limit_s=None)
    v = view(10, [pool("a", "mid", 4)], run=[running(spec, "a")], rates=RATES)
    assert CapacityCalendar(v, default_limit_s=50).releases(P("a")) == [(50.0, 4)]
    with pytest.raises(ValueError, match="default_limit_s"):
        CapacityCalendar(v, default_limit_s=0)


def test_take_lowers_free_now_and_refuses_to_over_allocate() -> None:
    cal = CapacityCalendar(busy_view())
    cal.take(P("a"), 2)
    assert cal.free[P("a")] == 0 and cal.any_free() and cal.total_free == 1
    with pytest.raises(ValueError, match="over-allocates a"):
        cal.take(P("a"), 1)
    assert cal.free_at(P("a"), 150) == 2  # a job the plan starts is not assumed to end


def test_earliest_start_releases_jobs_in_end_order_until_the_gang_fits() -> None:
    cal = CapacityCalendar(busy_view())
    assert cal.earliest_start(2, [P("a"), P("b")]) == Slot(P("a"), 100.0, 0)
    assert cal.earliest_start(3, [P("a"), P("b")]) == Slot(P("a"), 150.0, 1)
    # at 200 the 1-accelerator job is released first and is enough: the 3 released at the
    # same instant are not counted as spare (EASY's conservative extra nodes)
    assert cal.earliest_start(5, [P("a")]) == Slot(P("a"), 200.0, 0)
    assert cal.earliest_start(4, [P("b"), P("a")]) == Slot(P("a"), 150.0, 0)
    assert cal.earliest_start(4, [P("b")]) == Slot(P("b"), 400.0, 0)
    assert cal.earliest_start(9, [P("a"), P("b")]) is None
    assert cal.earliest_start(1, []) is None


def test_ties_go_to_the_earlier_pool() -> None:
    v = view(0, [pool("a", "mid", 2), pool("b", "fast", 2)], rates=RATES)
    assert CapacityCalendar(v).earliest_start(2, [P("b"), P("a")]) == Slot(P("b"), 0.0, 0)


def test_an_overdue_job_is_assumed_to_end_now() -> None:
    cal = CapacityCalendar(busy_view(now=500.0))
    assert cal.free_at(P("a"), 500) == 8
    assert cal.earliest_start(3, [P("a")]) == Slot(P("a"), 500.0, 1)  # 2 free + 2 released


def test_holds_keep_accelerators_from_every_job() -> None:
    cal = CapacityCalendar(busy_view())
    h = cal.hold(P("a"), 4, 180, 300)
    assert cal.holds(P("a")) == [h]
    assert [cal.free_at(P("a"), t) for t in (150, 180, 200, 299, 300)] == [4, 0, 4, 4, 8]
    assert cal.min_free(P("a"), 100) == 0 and cal.min_free(P("a"), 200, 400) == 4
    assert cal.min_free(P("a"), 100, 180) == 2
    # a 3-gang fits at 150 only if it ends by 180; else it waits for the hold's end at 200
    assert cal.earliest_start(3, [P("a")], duration_s=30) == Slot(P("a"), 150.0, 1)
    assert cal.earliest_start(3, [P("a")], duration_s=31) == Slot(P("a"), 200.0, 1)
    assert cal.earliest_start(3, [P("a")]) == Slot(P("a"), 200.0, 1)
    assert cal.earliest_start(5, [P("a")]) == Slot(P("a"), 300.0, 3)


def test_a_hold_active_now_and_one_already_over() -> None:
    cal = CapacityCalendar(busy_view())
    cal.hold(P("a"), 2, 0, 120)
    cal.hold(P("a"), 8, 0, 50)  # over before now: no effect
    assert cal.free_at(P("a"), 100) == 0 and cal.free_at(P("a"), 120) == 2
    assert cal.earliest_start(2, [P("a")]) == Slot(P("a"), 120.0, 0)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("x", 1, 0, 1), "unknown pool 'x'"),
        (("a", 0, 0, 1), "count must be 1..8"),
        (("a", 9, 0, 1), "count must be 1..8"),
        (("a", 1, 5, 5), "start_s .* before end_s"),
    ],
)
def test_bad_holds_are_refused_naming_the_field(
    args: tuple[str, int, float, float], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        CapacityCalendar(busy_view()).hold(P(args[0]), *args[1:])


def test_bad_windows_are_refused() -> None:
    cal = CapacityCalendar(busy_view())
    with pytest.raises(ValueError, match="duration_s"):
        cal.earliest_start(1, [P("a")], duration_s=0)
    with pytest.raises(ValueError, match="start_s"):
        cal.min_free(P("a"), 200, 200)


def test_reservation_from_the_calendar() -> None:
    resv = reserve(CapacityCalendar(busy_view()), 3, [P("b"), P("a")])
    assert resv is not None and (resv.pool_id, resv.shadow_s, resv.extra) == ("a", 150.0, 1)
    assert reserve(CapacityCalendar(busy_view()), 9, [P("a")]) is None


def test_expected_starts_of_pending_jobs() -> None:
    pending = [job(10, 0, 1, gpus=3), job(11, 0, 1, gpus=4), job(12, 0, 1, gpus=9)]
    v = busy_view(pending=pending)
    got = expected_starts(v, v.pending.values(), default_limit_s=3600, min_speed=0.15)
    assert got == {"j10": 150.0, "j11": 150.0}  # j12 fits no pool: left out


# -- properties --------------------------------------------------------------------------


def easy_reserve(free: int, ends: list[tuple[float, int]], need: int, now: float) -> Slot | None:
    """The EASY walk as the policies wrote it before the calendar (the reference)."""
    avail, at = free, now
    for end, count in sorted(ends):
        if avail >= need:
            break
        avail += count
        at = max(now, end)
    return Slot(P("a"), at, avail - need) if avail >= need else None


SIZE = 12
jobs_st = st.lists(
    st.tuples(st.integers(0, 30).map(float), st.integers(1, 4), st.integers(1, 60).map(float)),
    max_size=6,
)
holds_st = st.lists(
    st.tuples(st.integers(1, 6), st.integers(0, 80).map(float), st.integers(1, 40).map(float)),
    max_size=3,
)


def calendar(now: float, jobs: list[tuple[float, int, float]]) -> CapacityCalendar | None:
    """Pool a of SIZE; each job (start, count, limit) runs; None if they do not fit."""
    run: list[Running] = []
    used = 0
    for n, (start, count, limit) in enumerate(jobs):
        used += count
        run.append(running(job(n, 0, 0, gpus=count, limit=limit), "a", started_s=start))
    if used > SIZE:
        return None
    return CapacityCalendar(view(now, [pool("a", "mid", SIZE)], run=run, rates=RATES))


@settings(max_examples=100, deadline=None)
@given(jobs_st, st.integers(1, SIZE + 1), st.integers(30, 60).map(float))
def test_without_holds_the_calendar_is_the_easy_walk(
    jobs: list[tuple[float, int, float]], need: int, now: float
) -> None:
    cal = calendar(now, jobs)
    if cal is None:
        return
    ends = [(s + limit, c) for s, c, limit in jobs]
    want = easy_reserve(SIZE - sum(c for _, c, _ in jobs), ends, need, now)
    assert cal.earliest_start(need, [P("a")]) == want
    # a hold after every release, outside the job's window, changes nothing
    cal.hold(P("a"), SIZE, 10**6, 10**6 + 1)
    assert cal.earliest_start(need, [P("a")], duration_s=10**5) == want


@settings(max_examples=100, deadline=None)
@given(jobs_st, holds_st, st.integers(1, SIZE), st.integers(1, 100).map(float))
def test_earliest_start_never_overlaps_capacity_or_holds(
    jobs: list[tuple[float, int, float]],
    holds: list[tuple[int, float, float]],
    need: int,
    duration: float,
) -> None:
    now = 20.0
    cal = calendar(now, jobs)
    if cal is None:
        return
    for count, start, length in holds:
        cal.hold(P("a"), count, start, start + length)
    slot = cal.earliest_start(need, [P("a")], duration_s=duration)
    probes = sorted({now, *(float(t) for t in range(300)), *(h[1] for h in holds)})
    assert slot is not None  # the pool is big enough: once everything ends, it fits
    assert slot.start_s >= now and slot.spare >= 0
    # through its window the gang always has room, holds respected ...
    inside = [t for t in probes if slot.start_s <= t < slot.start_s + duration]
    assert all(cal.free_at(P("a"), t) >= need for t in [slot.start_s, *inside])
    assert cal.min_free(P("a"), slot.start_s, slot.start_s + duration) >= need + slot.spare
    # ... and no earlier whole-second start would have had room throughout
    for t in (float(s) for s in range(int(now), int(slot.start_s))):
        assert cal.min_free(P("a"), t, t + duration) < need


@settings(max_examples=60, deadline=None)
@given(jobs_st, holds_st, st.integers(1, SIZE))
def test_a_gang_that_fits_the_pool_always_gets_a_slot_once_holds_end(
    jobs: list[tuple[float, int, float]], holds: list[tuple[int, float, float]], need: int
) -> None:
    cal = calendar(20.0, jobs)
    if cal is None:
        return
    for count, start, length in holds:
        cal.hold(P("a"), count, start, start + length)
    slot = cal.earliest_start(need, [P("a")])
    assert slot is not None
    assert cal.min_free(P("a"), slot.start_s) >= need
