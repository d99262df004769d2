"""Reports: the ledger proof (``nacc ledger verify``), Prometheus metrics, health."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from nacc.domain.pools import Pool
from nacc.ledger.accounts import Account
from nacc.ledger.journal import Journal
from nacc.ledger.verify import Reservations, VerifyReport, verify
from nacc.ports.store import UnitOfWork
from nacc.ports.store_jobs import LIVE_SCHEDULER, Beat
from nacc.ports.store_jobs_data import BackendState
from nacc.service import posting
from nacc.service.context import Services


def verify_ledger(svc: Services, page: int = 1000) -> VerifyReport:
    """Rebuild the journal from the store (entries with their stored kind and job) and
    prove it: every entry balances, no cause twice, no account below its overdraft at
    any time, each job charged exactly its metered usage (the sum of its metered
    intervals), each project's committed credits equal its live jobs' reservations, and
    the daily usage summary the reports read equals the intervals, job by job."""
    with svc.snapshot() as uow:  # a live service keeps charging while this reads
        entries = list(posting.entries(uow, page))
        overdrafts = {Account.parse(a.key): a.overdraft for a in uow.ledger.accounts()}
        metered = uow.ledger.metered_by_job()
        books = [Reservations(str(b.project_id), b.committed, b.live, b.ended)
                 for b in uow.projects.reservation_books()]  # fmt: skip
        summarised = uow.reports.summarised_by_job()
    return verify(Journal.restore(entries, overdrafts), metered, books, summarised)


@dataclass(frozen=True, slots=True)
class Metrics:
    """What ``/metrics`` shows, read from the database (so any API process can serve it)."""

    queue_length: int
    running_jobs: int
    utilization: dict[str, float]  # busy share of accelerators, per type
    credits_spent: Decimal  # charged for usage so far
    scheduler_up: bool
    heartbeat_age_s: float | None  # None: no scheduler has run on this database
    step_s: float | None  # the scheduler's last step
    backends: tuple[BackendState, ...] = ()  # each dispatch backend, at the last beat


def metrics_snapshot(svc: Services, pools: Sequence[Pool]) -> Metrics:
    """Queue length, running jobs, utilisation per accelerator type, credits spent and
    the scheduler's health, from the database."""
    cap: dict[str, int] = {}
    for pool in pools:
        cap[pool.accel_type] = cap.get(pool.accel_type, 0) + pool.count
    kind: dict[str, str] = {str(p.id): p.accel_type for p in pools}
    with svc.unit() as uow:
        counts = uow.jobs.count_by_state()
        busy: dict[str, int] = {}
        for pool_id, n in uow.jobs.running_by_pool().items():
            t = kind.get(pool_id)
            if t is not None:
                busy[t] = busy.get(t, 0) + n
        spent = uow.ledger.balance("usage")
        health = _health(uow, svc.clock())
    return Metrics(
        queue_length=counts.get("pending", 0),
        running_jobs=counts.get("running", 0),
        utilization={t: busy.get(t, 0) / c for t, c in cap.items()},
        credits_spent=spent,
        scheduler_up=health.state == "ok",
        heartbeat_age_s=health.age_s if health.beat is not None else None,
        step_s=health.beat.step_s if health.beat is not None else None,
        backends=health.beat.backends if health.beat is not None else (),
    )


STALE_AFTER_S = 10.0
"""A heartbeat older than this (or than ten scheduler intervals, if longer) is stale."""


@dataclass(frozen=True, slots=True)
class SchedulerHealth:
    state: str  # "ok" | "stale" | "absent" (no scheduler has run on this database)
    age_s: float | None
    beat: Beat | None


def scheduler_health(svc: Services, now: datetime | None = None) -> SchedulerHealth:
    """Whether the live scheduler is alive, from its heartbeat in the database (so any
    API process can tell)."""
    with svc.unit() as uow:
        return _health(uow, now or svc.clock())


def _health(uow: UnitOfWork, now: datetime) -> SchedulerHealth:
    beat = uow.jobs.last_beat(LIVE_SCHEDULER)
    if beat is None:
        return SchedulerHealth("absent", None, None)
    age = (now - beat.beat_at).total_seconds()
    fresh = age <= max(STALE_AFTER_S, 10 * beat.interval_s)
    return SchedulerHealth("ok" if fresh else "stale", age, beat)
