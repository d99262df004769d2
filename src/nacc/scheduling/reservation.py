"""EASY-backfill reservations: when could a blocked gang start, given running jobs' limits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from nacc.domain.ids import JobId, PoolId
from nacc.scheduling.fit import candidates
from nacc.scheduling.view import ClusterView, PendingJob, RunningJob


@dataclass(slots=True)
class Reservation:
    """The blocked job will start on ``pool_id`` at ``shadow_s``; ``extra`` accelerators of
    that pool stay free at that time even after it starts (EASY's "extra nodes")."""

    pool_id: PoolId
    shadow_s: float
    extra: int

    def admits(self, pool_id: PoolId, count: int, end_s: float) -> bool:
        """Can a backfill job (``count`` accelerators until ``end_s``) go on ``pool_id``
        without delaying the reserved job?"""
        return pool_id != self.pool_id or end_s <= self.shadow_s or count <= self.extra

    def consume(self, pool_id: PoolId, count: int, end_s: float) -> None:
        """Record a backfilled start: it uses extra accelerators if it outlives the shadow."""
        if pool_id == self.pool_id and end_s > self.shadow_s:
            self.extra -= count


def expected_end(job: RunningJob, default_limit_s: float) -> float:
    limit = job.spec.time_limit_s or default_limit_s
    return job.started_s + limit


def ends_by_pool(
    view: ClusterView, default_limit_s: float
) -> dict[PoolId, list[tuple[float, int]]]:
    """Running jobs' (expected end, accelerators) per pool, sorted by end."""
    out: dict[PoolId, list[tuple[float, int]]] = {pid: [] for pid in view.pools}
    d = default_limit_s
    for job in view.running.values():
        out[job.pool_id].append((job.started_s + (job.spec.time_limit_s or d), job.count))
    for ends in out.values():
        ends.sort()
    return out


def reserve(
    need: int,
    pools: Iterable[PoolId],
    free: dict[PoolId, int],
    ends: dict[PoolId, list[tuple[float, int]]],
    now: float,
) -> Reservation | None:
    """Earliest (pool, time) at which ``need`` accelerators are free, assuming running jobs
    end at their time limits (the EASY assumption)."""
    best: Reservation | None = None
    for pid in pools:
        avail = free[pid]
        at = now
        for end, count in ends[pid]:
            if avail >= need:
                break
            avail += count
            at = max(now, end)
        if avail < need:
            continue
        if best is None or at < best.shadow_s:
            best = Reservation(pid, at, avail - need)
    return best


def earliest_starts(
    view: ClusterView, jobs: Iterable[PendingJob], default_limit_s: float, min_speed: float
) -> dict[JobId, float]:
    """For each job, the earliest time a pool it accepts has room for its whole gang if
    running jobs end at their time limits (a lower bound: jobs ahead in the queue may take
    the room first). Jobs no pool can ever hold are left out."""
    ends = ends_by_pool(view, default_limit_s)
    free = {pid: pv.free for pid, pv in view.pools.items()}
    memo: dict[tuple[object, ...], float | None] = {}
    out: dict[JobId, float] = {}
    for job in jobs:
        spec = job.spec
        key = (spec.job_class, spec.workload, spec.reference_type, spec.accelerators,
               spec.allowed_types)  # fmt: skip
        if key not in memo:
            pools = [p for p, _ in candidates(view, spec, min_speed)]
            resv = reserve(spec.accelerators, pools, free, ends, view.now) if pools else None
            memo[key] = resv.shadow_s if resv is not None else None
        at = memo[key]
        if at is not None:
            out[spec.id] = at
    return out
