"""Reports: the ledger proof (``nacc ledger verify``), Prometheus metrics, health."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nacc.adapters.store import repos_jobs, repos_ledger, tables, to_credits
from nacc.adapters.store.engine import read_one_snapshot
from nacc.domain.lifecycle import JobState
from nacc.domain.pools import Pool
from nacc.ledger.accounts import Account, AccountKind, Entry, EntryKind, Posting
from nacc.ledger.journal import Journal
from nacc.ledger.verify import Reservations, VerifyReport, verify
from nacc.service.context import Services

_JOB = re.compile(r"^job:(?P<job>[^:]+):usage:")
_KINDS = {
    frozenset({AccountKind.FUNDING, AccountKind.PROGRAM}): EntryKind.FUNDING,
    frozenset({AccountKind.PROGRAM, AccountKind.PROJECT}): EntryKind.AWARD,
    frozenset({AccountKind.PROJECT, AccountKind.USAGE}): EntryKind.USAGE,
}


def _entry(s: Session, row: tables.JournalEntry) -> Entry:
    postings = tuple(
        Posting(Account.parse(leg.account_key), leg.amount)
        for leg in repos_ledger.legs_of(s, row.id)
    )
    kinds = frozenset(p.account.kind for p in postings)
    kind = _KINDS.get(kinds, EntryKind.TRANSFER)
    match = _JOB.match(row.cause)
    job = match.group("job") if match else None
    if kind is EntryKind.USAGE and job is None:
        kind = EntryKind.TRANSFER
    return Entry(row.cause, row.at.timestamp(), postings, kind, row.memo, job)


def verify_ledger(svc: Services, page: int = 1000) -> VerifyReport:
    """Rebuild the journal from the store and prove it: every entry balances, no cause
    twice, no account below its overdraft at any time, each job charged exactly its
    metered usage (the sum of its metered intervals)."""
    entries: list[Entry] = []
    with svc.tx() as s:
        read_one_snapshot(s)  # a live service keeps charging while this reads
        offset = 0
        while True:
            rows = repos_ledger.journal(s, None, page, offset)
            entries += [_entry(s, r) for r in rows.items]
            offset += page
            if offset >= rows.total:
                break
        accounts = s.scalars(sa.select(tables.Account)).all()
        overdrafts = {Account.parse(a.key): a.overdraft for a in accounts}
        metered = repos_ledger.metered_by_job(s)
        books = _reservation_books(s)
    return verify(Journal.restore(entries, overdrafts), metered, books)


def _reservation_books(s: Session) -> list[Reservations]:
    """Per project: committed credits, and what its live and ended jobs hold."""
    job, proj = tables.Job, tables.Project
    live = job.state.in_([JobState.PENDING.value, JobState.RUNNING.value])
    credits = job.reserved_credits.type  # sums read back as credits (nano-credits on SQLite)
    held = sa.select(
        job.project_id,
        sa.type_coerce(sa.func.sum(sa.case((live, job.reserved_credits), else_=0)), credits),
        sa.type_coerce(sa.func.sum(sa.case((live, 0), else_=job.reserved_credits)), credits),
    ).group_by(job.project_id)
    sums = {row[0]: (row[1], row[2]) for row in s.execute(held).all()}
    books = []
    for pid, committed in s.execute(sa.select(proj.id, proj.committed_credits)).all():
        on_live, on_ended = sums.get(pid, (0, 0))
        books.append(Reservations(str(pid), to_credits(committed), to_credits(on_live or 0),
                                  to_credits(on_ended or 0)))  # fmt: skip
    return books


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


def metrics_snapshot(svc: Services, pools: Sequence[Pool]) -> Metrics:
    """Queue length, running jobs, utilisation per accelerator type, credits spent and
    the scheduler's health, from the database."""
    cap: dict[str, int] = {}
    for pool in pools:
        cap[pool.accel_type] = cap.get(pool.accel_type, 0) + pool.count
    kind: dict[str, str] = {str(p.id): p.accel_type for p in pools}
    with svc.tx() as s:
        by_state = sa.select(tables.Job.state, sa.func.count()).group_by(tables.Job.state)
        counts = {row[0]: int(row[1]) for row in s.execute(by_state).all()}
        held = [
            (row[0], row[1])
            for row in s.execute(
                sa.select(tables.Job.pool_id, sa.func.sum(tables.Job.accelerators))
                .where(tables.Job.state == "running")
                .group_by(tables.Job.pool_id)
            ).all()
        ]
        busy: dict[str, int] = {}
        for pool_id, n in held:
            t = kind.get(pool_id or "")
            if t is not None:
                busy[t] = busy.get(t, 0) + int(n or 0)
        spent = repos_ledger.balance(s, "usage")
        health = _health(s, svc.clock())
    return Metrics(
        queue_length=counts.get("pending", 0),
        running_jobs=counts.get("running", 0),
        utilization={t: busy.get(t, 0) / c for t, c in cap.items()},
        credits_spent=spent,
        scheduler_up=health.state == "ok",
        heartbeat_age_s=health.age_s if health.beat is not None else None,
        step_s=health.beat.step_s if health.beat is not None else None,
    )


STALE_AFTER_S = 10.0
"""A heartbeat older than this (or than ten scheduler intervals, if longer) is stale."""


@dataclass(frozen=True, slots=True)
class SchedulerHealth:
    state: str  # "ok" | "stale" | "absent" (no scheduler has run on this database)
    age_s: float | None
    beat: repos_jobs.Beat | None


def scheduler_health(svc: Services, now: datetime | None = None) -> SchedulerHealth:
    """Whether the live scheduler is alive, from its heartbeat in the database (so any
    API process can tell)."""
    with svc.tx() as s:
        return _health(s, now or svc.clock())


def _health(s: Session, now: datetime) -> SchedulerHealth:
    beat = repos_jobs.last_beat(s, repos_jobs.LIVE_SCHEDULER)
    if beat is None:
        return SchedulerHealth("absent", None, None)
    age = (now - beat.beat_at).total_seconds()
    fresh = age <= max(STALE_AFTER_S, 10 * beat.interval_s)
    return SchedulerHealth("ok" if fresh else "stale", age, beat)
