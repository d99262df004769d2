"""Placement: a job's shape, the pools it accepts, and the one rule for choosing a pool.

Every policy, the expected-start estimate and the simulator's metrics place jobs through
this module (free capacity now and later is ``calendar.CapacityCalendar``):

- ``shape_of(spec)``: what placement depends on — class, workload, reference type, gang
  size and allowed types. Jobs of one shape accept the same pools at the same rates, so
  ``candidates`` is memoised per shape (``CandidateCache``, ``table.JobTable``).
- ``acceptable`` / ``candidates``: the pools that could ever run a shape (type allowed,
  class supported, big enough, at a domestic site if it uses domestic-only data), in
  scenario order but the pools at sites holding its data first, with the job's rate on
  each, less those where it would run slower than ``min_relative_speed`` x its best rate.
  So first fit takes a data site when one has room, and every other rule breaks its
  ties towards one (``docs/programs.md``, "Datasets").
- ``choose_pool``: among candidates with room for the whole gang (and, optionally, that
  a reservation admits), the one a ``Prefer`` rule picks. Ties always go to scenario order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple

from nacc.domain.ids import PoolId
from nacc.domain.jobs import JobClass, JobSpec
from nacc.domain.pools import Pool
from nacc.domain.reasons import Code, Reason
from nacc.scheduling.view import ClusterView, RateModel

ACCEPTABLE_SPEED = 0.15
"""Default ``min_relative_speed`` of every built-in policy (see ``candidates``)."""

Options = Sequence[tuple[PoolId, float]]
"""Candidate pools of a shape: (pool id, the job's rate there), in scenario order."""


class JobShape(NamedTuple):
    """What placement depends on; equal shapes get equal candidate pools and rates."""

    job_class: JobClass
    workload: str | None
    reference_type: str | None
    accelerators: int
    allowed_types: frozenset[str] | None
    domestic_only: bool = False
    data_sites: frozenset[str] = frozenset()


def shape_of(spec: JobSpec) -> JobShape:
    return JobShape(
        spec.job_class, spec.workload, spec.reference_type, spec.accelerators,
        spec.allowed_types, spec.domestic_only, spec.data_sites,
    )  # fmt: skip


def site_allows(spec: JobSpec, pool: Pool) -> bool:
    """Whether the job's data may be processed at the pool's site (residency)."""
    return pool.domestic_site or not spec.domestic_only


def near_data(spec: JobSpec, pool: Pool) -> bool:
    """Whether the pool's site holds the job's data (True for a job with none)."""
    return not spec.data_sites or pool.site in spec.data_sites


def no_pool_reason(spec: JobSpec) -> Reason:
    """Why a job no pool can ever run is refused: for want of a domestic pool when its
    data is domestic-only (``rejected_no_domestic_pool``), else ``rejected_no_pool``."""
    if spec.domestic_only:
        return Reason(Code.REJECTED_NO_DOMESTIC_POOL)
    return Reason(Code.REJECTED_NO_POOL)


def acceptable(
    pools: Iterable[Pool], spec: JobSpec, rates: RateModel, min_relative_speed: float = 0.0
) -> list[tuple[PoolId, float]]:
    """Pools that could ever run ``spec``, in the given order, each with the job's rate.

    Pools where the job would run slower than ``min_relative_speed`` x its best rate are
    left out: no user accepts a type that runs their job many times slower (e.g.
    training-class work on a small inference NPU), so every policy plans with the same
    acceptable set. A job using domestic-only data accepts only pools at domestic sites;
    the pools at sites holding its data come first (a stable sort: scenario order within
    each group)."""
    out: list[tuple[PoolId, float]] = []
    away: list[tuple[PoolId, float]] = []
    for pool in pools:
        if pool.count < spec.accelerators or not spec.allows(pool.accel_type):
            continue
        if not site_allows(spec, pool):
            continue
        rate = rates.rate(spec, pool.accel_type)
        if rate is not None and rate > 0:
            (out if near_data(spec, pool) else away).append((pool.id, rate))
    out += away
    if out and min_relative_speed > 0:
        floor = min_relative_speed * max(r for _, r in out)
        out = [(p, r) for p, r in out if r >= floor]
    return out


def candidates(
    view: ClusterView, spec: JobSpec, min_relative_speed: float = 0.0
) -> list[tuple[PoolId, float]]:
    """``acceptable`` over the view's pools (scenario order)."""
    return acceptable((pv.pool for pv in view.pools.values()), spec, view.rates, min_relative_speed)


def best_rate(options: Options) -> float:
    """The job's rate on its fastest candidate (0.0: no pool can ever run it)."""
    return max((r for _, r in options), default=0.0)


class CandidateCache:
    """Memo of ``candidates`` per job shape for one fleet (cleared when the pools change).

    ``candidates`` is a pure function of the pools and the job's shape, so caching it
    changes no decision."""

    __slots__ = ("_key", "_memo", "_min_speed")

    def __init__(self, min_relative_speed: float = 0.0) -> None:
        self._min_speed = min_relative_speed
        self._key: tuple[object, ...] = ()
        self._memo: dict[JobShape, list[tuple[PoolId, float]]] = {}

    def get(self, view: ClusterView, spec: JobSpec) -> list[tuple[PoolId, float]]:
        key = fleet_key(view)
        if key != self._key:
            self._key, self._memo = key, {}
        shape = shape_of(spec)
        found = self._memo.get(shape)
        if found is None:
            found = self._memo[shape] = candidates(view, spec, self._min_speed)
        return found


def fleet_key(view: ClusterView) -> tuple[object, ...]:
    """Equal keys: equal pools and rate model, so per-shape memos stay valid."""
    return (id(view.rates), *(pv.pool for pv in view.pools.values()))


class Rule(Enum):
    FIRST = "first"  # scenario order (first fit)
    FASTEST = "fastest"  # the job's highest rate
    ROOMIEST = "roomiest"  # the most free accelerators
    SLOWEST_ABOVE = "slowest_above"  # the lowest rate >= floor, else the fastest


@dataclass(frozen=True, slots=True)
class Prefer:
    """Which of the pools with room ``choose_pool`` picks; ``floor`` is a rate
    (``SLOWEST_ABOVE`` only)."""

    rule: Rule
    floor: float = 0.0

    @staticmethod
    def slowest_above(floor: float) -> Prefer:
        """The slowest pool still at least ``floor`` fast, leaving faster ones to jobs that
        gain more from them; the fastest if none is that fast."""
        return Prefer(Rule.SLOWEST_ABOVE, floor)


FIRST = Prefer(Rule.FIRST)
FASTEST = Prefer(Rule.FASTEST)
ROOMIEST = Prefer(Rule.ROOMIEST)


def by_speed(options: Iterable[tuple[PoolId, float]]) -> tuple[tuple[PoolId, float], ...]:
    """``options`` fastest first, ties in their order: the order in which ``FASTEST``
    prefers them, so ``first_fit(by_speed(o), ...)`` is ``choose_pool(o, ..., FASTEST)``
    (without ``admits``)."""
    return tuple(sorted(options, key=lambda o: -o[1]))


def preference(
    options: Iterable[tuple[PoolId, float]], prefer: Prefer
) -> tuple[tuple[PoolId, float], ...]:
    """``options`` in the order ``prefer`` ranks them whatever the free counts, so that
    the first of them with room (and admitted) is the one ``choose_pool`` picks:
    ``FIRST`` keeps the order, ``FASTEST`` is ``by_speed``, ``SLOWEST_ABOVE`` puts the
    pools at least ``floor`` fast first, slowest first, then the rest fastest first
    (ties in order throughout). ``ROOMIEST`` depends on the free counts: no such order."""
    if prefer.rule is Rule.ROOMIEST:
        raise ValueError("preference: ROOMIEST has no order independent of free counts")
    if prefer.rule is Rule.FIRST:
        return tuple(options)
    if prefer.rule is Rule.FASTEST:
        return by_speed(options)
    good = [o for o in options if o[1] >= prefer.floor]
    rest = [o for o in options if o[1] < prefer.floor]
    return (*sorted(good, key=lambda o: o[1]), *by_speed(rest))


def first_fit(
    order: Iterable[tuple[PoolId, float]], need: int, free: Mapping[PoolId, int]
) -> tuple[PoolId | None, float]:
    """The first of ``order`` (pool, rate) with room for ``need``, and its rate; (None,
    0.0) if none has room. With an order from ``by_speed`` or ``preference`` this is
    ``choose_pool`` for that rule, at the cost of a first-fit scan."""
    for pid, rate in order:
        if free[pid] >= need:
            return pid, rate
    return None, 0.0


def choose_pool(
    options: Iterable[tuple[PoolId, float]],
    need: int,
    free: Mapping[PoolId, int],
    prefer: Prefer = FIRST,
    admits: Callable[[PoolId], bool] | None = None,
) -> PoolId | None:
    """The pool for a gang of ``need``: among ``options`` (pool, rate) with at least
    ``need`` free accelerators in ``free`` and, if given, ``admits(pool)`` (e.g. a
    backfill reservation), the one ``prefer`` picks; ties go to the earlier option.
    None: no option has room."""
    if prefer.rule is Rule.FIRST:
        for pid, _ in options:
            if free[pid] >= need and (admits is None or admits(pid)):
                return pid
        return None
    fits = [(p, r) for p, r in options if free[p] >= need and (admits is None or admits(p))]
    if not fits:
        return None
    if prefer.rule is Rule.ROOMIEST:
        return max(fits, key=lambda f: free[f[0]])[0]
    if prefer.rule is Rule.SLOWEST_ABOVE:
        good = [f for f in fits if f[1] >= prefer.floor]
        if good:
            return min(good, key=lambda f: f[1])[0]
    return max(fits, key=lambda f: f[1])[0]
