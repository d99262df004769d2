"""Placement helpers shared by policies: which pools can run a job, and a free-count ledger.

A policy plans against a private copy of the free counts (``Capacity``) so a single plan
never over-allocates a pool.
"""

from __future__ import annotations

from collections.abc import Iterable

from nacc.domain.ids import PoolId
from nacc.domain.jobs import JobSpec
from nacc.scheduling.view import ClusterView

ACCEPTABLE_SPEED = 0.15
"""Default ``min_relative_speed`` of every built-in policy (see ``candidates``)."""


class Capacity:
    """Free accelerators per pool while a plan is being built."""

    __slots__ = ("free", "total_free", "view")

    def __init__(self, view: ClusterView) -> None:
        self.view = view
        self.free: dict[PoolId, int] = {pid: pv.free for pid, pv in view.pools.items()}
        self.total_free = sum(self.free.values())

    def any_free(self) -> bool:
        return self.total_free > 0

    def take(self, pool_id: PoolId, count: int) -> None:
        if self.free[pool_id] < count:
            raise ValueError(f"plan over-allocates {pool_id}")
        self.free[pool_id] -= count
        self.total_free -= count

    def give(self, pool_id: PoolId, count: int) -> None:
        self.free[pool_id] += count
        self.total_free += count


def candidates(
    view: ClusterView, spec: JobSpec, min_relative_speed: float = 0.0
) -> list[tuple[PoolId, float]]:
    """Pools that could ever run ``spec`` (type allowed, class supported, big enough),
    in scenario order, each with the job's rate there. Pools where the job would run
    slower than ``min_relative_speed`` x its best rate are left out: no user accepts a
    type that runs their job many times slower (e.g. training-class work on a small
    inference NPU), so every policy plans with the same acceptable set."""
    out: list[tuple[PoolId, float]] = []
    for pid, pv in view.pools.items():
        pool = pv.pool
        if pool.count < spec.accelerators or not spec.allows(pool.accel_type):
            continue
        rate = view.rates.rate(spec, pool.accel_type)
        if rate is not None and rate > 0:
            out.append((pid, rate))
    if out and min_relative_speed > 0:
        floor = min_relative_speed * max(r for _, r in out)
        out = [(p, r) for p, r in out if r >= floor]
    return out


class CandidateCache:
    """Memo of ``candidates`` per job shape for one fleet (cleared when the pools change).

    ``candidates`` is a pure function of the pools and the job's shape (class, workload,
    reference type, size, allowed types), so caching it changes no decision.
    """

    __slots__ = ("_key", "_memo", "_min_speed")

    def __init__(self, min_relative_speed: float = 0.0) -> None:
        self._min_speed = min_relative_speed
        self._key: tuple[object, ...] = ()
        self._memo: dict[tuple[object, ...], list[tuple[PoolId, float]]] = {}

    def get(self, view: ClusterView, spec: JobSpec) -> list[tuple[PoolId, float]]:
        key = (id(view.rates), *(pv.pool for pv in view.pools.values()))
        if key != self._key:
            self._key, self._memo = key, {}
        shape = (
            spec.job_class,
            spec.workload,
            spec.reference_type,
            spec.accelerators,
            spec.allowed_types,
        )
        found = self._memo.get(shape)
        if found is None:
            found = self._memo[shape] = candidates(view, spec, self._min_speed)
        return found


def first_fit(cap: Capacity, spec: JobSpec, pools: Iterable[tuple[PoolId, float]]) -> PoolId | None:
    """The first candidate pool (scenario order) with room for the whole gang now."""
    need = spec.accelerators
    for pid, _ in pools:
        if cap.free[pid] >= need:
            return pid
    return None


def fastest_fit(
    cap: Capacity, spec: JobSpec, pools: Iterable[tuple[PoolId, float]]
) -> PoolId | None:
    """The candidate pool with room now where the job runs fastest (ties: scenario order)."""
    need = spec.accelerators
    best: PoolId | None = None
    best_rate = 0.0
    for pid, rate in pools:
        if cap.free[pid] >= need and rate > best_rate:
            best, best_rate = pid, rate
    return best
