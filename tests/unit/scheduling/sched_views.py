"""Hand-built cluster views for placement and policy tests (frozen doubles of the view
protocols; rates from ``support.doubles.TableRates``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from nacc.domain.ids import JobId, PoolId
from nacc.domain.jobs import JobSpec
from nacc.domain.pools import Pool
from nacc.scheduling.view import ClusterView, PendingJob, PoolView, RateModel, RunningJob


@dataclass(frozen=True)
class Waiting:
    spec: JobSpec
    queued_since_s: float = 0.0
    remaining_work: float = 1e6
    attained_s: float = 0.0
    attained_by_type: Mapping[str, float] = field(default_factory=dict)
    preemptions: int = 0


NO_POOL = PoolId("")


@dataclass(frozen=True)
class Running(Waiting):
    pool_id: PoolId = NO_POOL
    started_s: float = 0.0
    count: int = 1


def running(spec: JobSpec, pool_id: str, started_s: float = 0.0) -> Running:
    return Running(spec, pool_id=PoolId(pool_id), started_s=started_s, count=spec.accelerators)


def view(
    now: float,
    pools: Sequence[Pool],
    pending: Sequence[JobSpec] = (),
    run: Sequence[Running] = (),
    rates: RateModel | None = None,
) -> ClusterView:
    used: dict[PoolId, int] = {}
    for r in run:
        used[r.pool_id] = used.get(r.pool_id, 0) + r.count
    pv = {p.id: PoolView(p, p.count - used.get(p.id, 0)) for p in pools}
    pend: dict[JobId, PendingJob] = {s.id: Waiting(s, queued_since_s=s.submit_s) for s in pending}
    runs: dict[JobId, RunningJob] = {r.spec.id: r for r in run}
    projects = {s.project for s in pending} | {r.spec.project for r in run}
    shares = {p: 1.0 / len(projects) for p in projects}
    total = sum(p.count for p in pools)
    return ClusterView(now, pv, pend, runs, {}, shares, rates or _NoRates(), total)


class _NoRates:
    def rate(self, spec: JobSpec, accel_type: str) -> float | None:
        return 1.0

    def credit_rate(self, spec: JobSpec, accel_type: str) -> float | None:
        return 1.0
