"""In-memory repositories of the store port: nacc.ports.store_jobs (jobs and projects'
funds; the ledger is in ``memory.ledger``).

Rows are the port's views themselves, replaced (never changed) on each write. A
project's committed credits live on its ``ProjectTermsView`` (``people.projects``), as
the SQL store keeps them on the project row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from nacc.adapters.store.memory.people import need, page
from nacc.domain.credits import EXACT
from nacc.domain.errors import InputError
from nacc.domain.lifecycle import TERMINAL, JobState, check
from nacc.domain.reasons import Reason
from nacc.ports.pages import Page
from nacc.ports.store_jobs import (
    LIVE_SCHEDULER,
    LIVE_STATES,
    AccountView,
    Beat,
    EntryView,
    FundsView,
    JobChange,
    JobEventView,
    JobView,
    NewJob,
    NotFunded,
    ReservationBook,
    UsageView,
)

if TYPE_CHECKING:
    from nacc.adapters.store.memory import Tables

ZERO = Decimal(0)


@dataclass
class JobsTables:
    """Jobs, their events, heartbeats and the ledger's rows."""

    jobs: dict[str, JobView] = field(default_factory=dict)
    events: dict[str, list[JobEventView]] = field(default_factory=dict)
    beats: dict[str, Beat] = field(default_factory=dict)
    accounts: dict[str, AccountView] = field(default_factory=dict)
    entries: list[EntryView] = field(default_factory=list)
    causes: dict[str, int] = field(default_factory=dict)  # cause -> index in entries
    balances: dict[str, Decimal] = field(default_factory=dict)
    usage: dict[tuple[str, datetime], UsageView] = field(default_factory=dict)


def _job(new: NewJob, now: datetime, reserve: Decimal) -> JobView:
    types = None if new.accelerator_types is None else tuple(new.accelerator_types)
    return JobView(
        id=new.id, project_id=new.project_id, submitted_by=new.submitted_by,
        command=new.command, image=new.image, accelerators=new.accelerators,
        accelerator_types=types, job_class=new.job_class, time_limit_s=new.time_limit_s,
        gang=new.gang, idempotency_key=new.idempotency_key, state=JobState.PENDING.value,
        reason_text="", reason=None, pool_id=None, device_ids=None, submitted_at=now,
        started_at=None, finished_at=None, exit_code=None, log_path=new.log_path,
        cancel_requested_at=None, expected_start_at=None, reserved_credits=reserve,
    )  # fmt: skip


class MemJobs:
    def __init__(self, tables: Tables) -> None:
        self.root = tables
        self.t = tables.jobs

    def _commit(self, project_id: int, amount: Decimal) -> None:
        if amount:
            proj = self.root.people.projects[project_id]
            committed = EXACT.add(proj.committed_credits, amount)
            self.root.people.projects[project_id] = replace(proj, committed_credits=committed)

    def insert_if_funded(
        self, new: NewJob, now: datetime, estimate: Decimal, account_key: str
    ) -> JobView | None:
        proj = self.root.people.projects.get(new.project_id)
        if proj is None or not proj.valid_from <= now <= proj.valid_until:
            return None
        balance = self.t.balances.get(account_key, ZERO)
        if balance + proj.overdraft_credits - proj.committed_credits < estimate:
            raise NotFunded(f"project {new.project_id} cannot reserve {estimate} credits")
        job, _ = self._insert(new, now, estimate)
        return job

    def create(self, new: NewJob, now: datetime) -> tuple[JobView, bool]:
        if new.idempotency_key is not None:
            earlier = self.by_idempotency_key(new.project_id, new.idempotency_key)
            if earlier is not None:
                return earlier, False
        return self._insert(new, now, new.reserve)

    def _insert(self, new: NewJob, now: datetime, reserve: Decimal) -> tuple[JobView, bool]:
        if new.accelerators < 1:
            raise InputError("job.accelerators", f"must be at least 1, got {new.accelerators}")
        need(new.project_id in self.root.people.projects, f"job {new.id}")
        need(new.submitted_by in self.root.people.users, f"job {new.id}")
        if new.id in self.t.jobs:
            raise InputError("job.id", f"job {new.id!r} already exists")
        job = _job(new, now, reserve)
        self.t.jobs[job.id] = job
        self._commit(job.project_id, reserve)
        return job, True

    def get(self, job_id: str) -> JobView | None:
        return self.t.jobs.get(job_id)

    def by_idempotency_key(self, project_id: int, key: str) -> JobView | None:
        mine = (j for j in self.t.jobs.values()
                if j.project_id == project_id and j.idempotency_key == key)  # fmt: skip
        return next(mine, None)

    def ended_page(self, states: Iterable[str], limit: int, offset: int) -> Page[JobView]:
        wanted = set(states)
        chosen = [j for j in self.t.jobs.values() if j.state in wanted]
        chosen.sort(key=lambda j: (j.finished_at or j.submitted_at, j.id), reverse=True)
        return page(chosen, limit, offset)

    def list_jobs(
        self, project_id: int, limit: int = 50, offset: int = 0, states: Iterable[str] | None = None
    ) -> Page[JobView]:
        wanted = None if states is None else set(states)
        mine = [j for j in self.t.jobs.values() if j.project_id == project_id
                and (wanted is None or j.state in wanted)]  # fmt: skip
        mine.sort(key=lambda j: (j.submitted_at, j.id), reverse=True)
        return page(mine, limit, offset)

    def in_states(self, states: Iterable[str]) -> list[JobView]:
        wanted = set(states)
        return sorted((j for j in self.t.jobs.values() if j.state in wanted),
                      key=lambda j: (j.submitted_at, j.id))  # fmt: skip

    def request_cancel(self, job_id: str, now: datetime, reason: Reason, text: str) -> bool:
        job = self.t.jobs.get(job_id)
        if job is None or job.cancel_requested_at is not None or job.state not in LIVE_STATES:
            return False
        self.t.jobs[job_id] = replace(job, cancel_requested_at=now, reason=reason,
                                      reason_text=text)  # fmt: skip
        return True

    def _live_job(self, job_id: str) -> JobView:
        job = self.t.jobs.get(job_id)
        if job is None:
            raise InputError("job", f"no job {job_id!r}")
        return job

    def transition(self, job_id: str, change: JobChange) -> JobEventView:
        job = self._live_job(job_id)
        src = JobState(job.state)
        check(src, change.dst)
        text = change.text or change.reason.code
        job = replace(
            job, state=change.dst.value, reason=change.reason, reason_text=text,
            pool_id=change.pool_id if change.pool_id is not None else job.pool_id,
            device_ids=job.device_ids if change.device_ids is None else tuple(change.device_ids),
            exit_code=change.exit_code if change.exit_code is not None else job.exit_code,
        )  # fmt: skip
        if change.dst is JobState.RUNNING and job.started_at is None:
            job = replace(job, started_at=change.at)
        if change.dst in TERMINAL:
            self._commit(job.project_id, -job.reserved_credits)
            job = replace(job, finished_at=change.at, reserved_credits=ZERO)
        self.t.jobs[job_id] = job
        event = JobEventView(change.at, src.value, change.dst.value, text, change.reason)
        self.t.events.setdefault(job_id, []).append(event)
        return event

    def events(self, job_id: str) -> list[JobEventView]:
        return sorted(self.t.events.get(job_id, []), key=lambda e: e.at)

    def draw_reservation(self, job_id: str, charged: Decimal) -> Decimal:
        job = self._live_job(job_id)
        drawn = min(job.reserved_credits, max(ZERO, charged))
        if drawn:
            left = EXACT.subtract(job.reserved_credits, drawn)
            self.t.jobs[job_id] = replace(job, reserved_credits=left)
            self._commit(job.project_id, -drawn)
        return drawn

    def count_by_state(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for job in self.t.jobs.values():
            counts[job.state] = counts.get(job.state, 0) + 1
        return counts

    def running_by_pool(self) -> dict[str, int]:
        held: dict[str, int] = {}
        for job in self.t.jobs.values():
            if job.state == JobState.RUNNING.value:
                pool = job.pool_id or ""
                held[pool] = held.get(pool, 0) + job.accelerators
        return held

    def record_beat(self, beat: Beat) -> None:
        self.t.beats[beat.name] = beat

    def last_beat(self, name: str = LIVE_SCHEDULER) -> Beat | None:
        return self.t.beats.get(name)


class MemProjects:
    def __init__(self, tables: Tables) -> None:
        self.root = tables

    def funds(self, project_id: int, *, lock: bool = False) -> FundsView | None:
        proj = self.root.people.projects.get(project_id)
        if proj is None:
            return None
        balance = self.root.jobs.balances.get(f"project:{project_id}", ZERO)
        return FundsView(proj.id, proj.valid_from, proj.valid_until, balance,
                         proj.overdraft_credits, proj.committed_credits)  # fmt: skip

    def reservation_books(self) -> list[ReservationBook]:
        held: dict[int, list[Decimal]] = {}
        for job in self.root.jobs.jobs.values():
            books = held.setdefault(job.project_id, [ZERO, ZERO])
            at = 0 if job.state in LIVE_STATES else 1
            books[at] = EXACT.add(books[at], job.reserved_credits)
        return [
            ReservationBook(p.id, p.committed_credits, *held.get(p.id, [ZERO, ZERO]))
            for p in self.root.people.projects.values()
        ]
