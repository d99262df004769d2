"""Reports: the ledger proof (``nacc ledger verify``), Prometheus metrics, health."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from nacc.domain.pools import Pool
from nacc.ledger.accounts import Account
from nacc.ledger.journal import Journal
from nacc.ledger.verify import Reservations, VerifyReport, verify
from nacc.ports.store import UnitOfWork
from nacc.ports.store_jobs import LIVE_SCHEDULER, Beat
from nacc.service import posting
from nacc.service.context import Services


def verify_ledger(svc: Services, page: int = 1000) -> VerifyReport:
    """Rebuild the journal from the store (entries with their stored kind and job) and
    prove it: every entry balances, no cause twice, no account below its overdraft at
    any time, each job charged exactly its metered usage (the sum of its metered
    intervals), each project's committed credits equal its live jobs' reservations."""
    with svc.snapshot() as uow:  # a live service keeps charging while this reads
        entries = list(posting.entries(uow, page))
        overdrafts = {Account.parse(a.key): a.overdraft for a in uow.ledger.accounts()}
        metered = uow.ledger.metered_by_job()
        books = [Reservations(str(b.project_id), b.committed, b.live, b.ended)
                 for b in uow.projects.reservation_books()]  # fmt: skip
    return verify(Journal.restore(entries, overdrafts), metered, books)


def metrics_text(svc: Services, pools: Sequence[Pool]) -> str:
    """Prometheus text from the database (so any API process can serve it): queue
    length, running jobs, utilisation per accelerator type, credits spent."""
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
    lines = [
        "# HELP nacc_queue_length Jobs waiting to start.",
        "# TYPE nacc_queue_length gauge",
        f"nacc_queue_length {counts.get('pending', 0)}",
        "# HELP nacc_running_jobs Jobs running now.",
        "# TYPE nacc_running_jobs gauge",
        f"nacc_running_jobs {counts.get('running', 0)}",
        "# HELP nacc_utilization Busy share of accelerators, per type.",
        "# TYPE nacc_utilization gauge",
        *(
            f'nacc_utilization{{accelerator="{t}"}} {busy.get(t, 0) / c:.6f}'
            for t, c in cap.items()
        ),
        "# HELP nacc_credits_spent_total Credits charged for usage so far.",
        "# TYPE nacc_credits_spent_total counter",
        f"nacc_credits_spent_total {spent:f}",
        "# HELP nacc_scheduler_up Whether the live scheduler's heartbeat is fresh.",
        "# TYPE nacc_scheduler_up gauge",
        f"nacc_scheduler_up {int(health.state == 'ok')}",
    ]
    if health.beat is not None:
        lines += [
            "# HELP nacc_scheduler_heartbeat_age_seconds Time since the scheduler's last beat.",
            "# TYPE nacc_scheduler_heartbeat_age_seconds gauge",
            f"nacc_scheduler_heartbeat_age_seconds {health.age_s:.3f}",
            "# HELP nacc_scheduler_step_seconds Duration of the scheduler's last step.",
            "# TYPE nacc_scheduler_step_seconds gauge",
            f"nacc_scheduler_step_seconds {health.beat.step_s:.6f}",
        ]
    return "\n".join(lines) + "\n"


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
