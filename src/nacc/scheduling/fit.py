"""Placement helpers shared by policies: which pools can run a job, and a free-count ledger.

A policy plans against a private copy of the free counts (``Capacity``) so a single plan
never over-allocates a pool.
"""

from __future__ import annotations

from collections.abc import Iterable

from nacc.domain.ids import PoolId
from nacc.domain.jobs import JobSpec
from nacc.scheduling.view import ClusterView


class Capacity:
    """Free accelerators per pool while a plan is being built."""

    __slots__ = ("free", "view")

    def __init__(self, view: ClusterView) -> None:
        self.view = view
        self.free: dict[PoolId, int] = {pid: pv.free for pid, pv in view.pools.items()}

    def any_free(self) -> bool:
        return any(n > 0 for n in self.free.values())

    def take(self, pool_id: PoolId, count: int) -> None:
        if self.free[pool_id] < count:
            raise ValueError(f"plan over-allocates {pool_id}")
        self.free[pool_id] -= count

    def give(self, pool_id: PoolId, count: int) -> None:
        self.free[pool_id] += count


def candidates(view: ClusterView, spec: JobSpec) -> list[tuple[PoolId, float]]:
    """Pools that could ever run ``spec`` (type allowed, class supported, big enough),
    in scenario order, each with the job's rate there."""
    out: list[tuple[PoolId, float]] = []
    for pid, pv in view.pools.items():
        pool = pv.pool
        if pool.count < spec.accelerators or not spec.allows(pool.accel_type):
            continue
        rate = view.rates.rate(spec, pool.accel_type)
        if rate is not None and rate > 0:
            out.append((pid, rate))
    return out


class CandidateCache:
    """Memo of ``candidates`` per job shape for one fleet (cleared when the pools change).

    ``candidates`` is a pure function of the pools and the job's shape (class, workload,
    reference type, size, allowed types), so caching it changes no decision.
    """

    __slots__ = ("_key", "_memo")

    def __init__(self) -> None:
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
            found = self._memo[shape] = candidates(view, spec)
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
