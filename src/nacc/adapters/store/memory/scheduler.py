"""In-memory repositories of the store port: nacc.ports.store_scheduler.

The rows the live scheduler reads and writes: jobs (what it takes in and the columns a
tick changes), their events, usage entries with their legs, accounts, metered intervals,
projects' committed credits and heartbeats. A tick's writes are worked out by the same
``scheduler_batch.plan_tick`` as the SQL store's, then applied here.

(The jobs, the journal and projects' funds are shared with the jobs area,
``nacc.ports.store_jobs``; until its in-memory rows exist they are kept here.)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from nacc.adapters.store.scheduler_batch import Stored, TickPlan, legs_problem, plan_tick, touched
from nacc.domain.errors import InputError
from nacc.domain.lifecycle import JobState
from nacc.ports.store_scheduler import Beat, Charge, QueuedJob, TickResult, TickWrites

if TYPE_CHECKING:
    from nacc.adapters.store.memory import Tables

_LIVE = (JobState.PENDING, JobState.RUNNING)


@dataclass
class MemJob:
    """A job row: what was submitted (``queued``), what ticks change (``stored``), and
    what the API sets (a cancellation request) or the scheduler says (expected start)."""

    queued: QueuedJob
    stored: Stored
    cancel_requested_at: datetime | None = None
    expected_start_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class MemEntry:
    id: int
    cause: str
    at: datetime
    memo: str
    kind: str
    job_id: str | None
    legs: tuple[tuple[str, Decimal], ...]


@dataclass(frozen=True, slots=True)
class MemUsage:
    job_id: str
    start_at: datetime
    end_at: datetime
    accelerator_type: str
    count: int
    credits: Decimal


@dataclass
class SchedulerTables:
    """The rows of this area."""

    jobs: dict[str, MemJob] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    entries: dict[str, MemEntry] = field(default_factory=dict)  # by cause
    accounts: dict[str, tuple[str, Decimal | None]] = field(default_factory=dict)
    usage: dict[tuple[str, datetime], MemUsage] = field(default_factory=dict)
    committed: dict[int, Decimal] = field(default_factory=dict)  # project id -> credits
    beats: dict[str, Beat] = field(default_factory=dict)


class MemScheduler:
    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    @property
    def _t(self) -> SchedulerTables:
        return self.tables.scheduler

    # -- reads ------------------------------------------------------------------------------
    def _view(self, job: MemJob, metered: datetime | None = None) -> QueuedJob:
        s = job.stored
        return dataclasses.replace(job.queued, state=s.state, pool_id=s.pool_id,
                                   started_at=s.started_at, metered_until=metered)  # fmt: skip

    def queued(self, since: datetime | None, known: Collection[str]) -> list[QueuedJob]:
        found = [
            self._view(j)
            for j in self._t.jobs.values()
            if j.stored.state is JobState.PENDING
            and (since is None or j.queued.submitted_at >= since)
            and j.queued.id not in known
        ]
        return sorted(found, key=lambda q: (q.submitted_at, q.id))

    def cancel_requests(self) -> list[str]:
        return sorted(
            i
            for i, j in self._t.jobs.items()
            if j.stored.state in _LIVE and j.cancel_requested_at is not None
        )

    def live_jobs(self) -> list[QueuedJob]:
        ends: dict[str, datetime] = {}
        for u in self._t.usage.values():
            ends[u.job_id] = max(ends.get(u.job_id, u.end_at), u.end_at)
        found = [self._view(j, ends.get(i)) for i, j in self._t.jobs.items()
                 if j.stored.state in _LIVE]  # fmt: skip
        return sorted(found, key=lambda q: (q.submitted_at, q.id))

    # -- the tick's writes ----------------------------------------------------------------
    def write(self, tick: TickWrites) -> TickResult:
        for charge in tick.charges:
            if (why := legs_problem(charge)) is not None:
                raise InputError("charge.legs", why)
        jobs = self._t.jobs
        stored = {i: jobs[i].stored for i in touched(tick.moves, tick.charges) if i in jobs}
        posted = [c for c in tick.charges if self._post(c)]
        plan = plan_tick(stored, tick.moves, posted)
        self._apply(plan)
        for w in tick.waits:
            job = jobs.get(w.job_id)
            if job is not None and job.stored.state is JobState.PENDING:
                job.stored = dataclasses.replace(job.stored, reason=w.text,
                                                 reason_code=w.reason.code,
                                                 reason_params=w.reason.args or None)  # fmt: skip
                job.expected_start_at = w.expected_start_at
        return plan.result(c.cause for c in posted)

    def _post(self, charge: Charge) -> bool:
        t = self._t
        if charge.cause in t.entries:
            return False
        for leg in charge.legs:
            t.accounts.setdefault(leg.account, (leg.kind, leg.overdraft))
        legs = tuple((leg.account, leg.amount) for leg in charge.legs)
        t.entries[charge.cause] = MemEntry(len(t.entries) + 1, charge.cause, charge.at,
                                           charge.memo, "usage", charge.job_id, legs)  # fmt: skip
        key = (charge.job_id, charge.start_at)
        t.usage.setdefault(key, MemUsage(charge.job_id, charge.start_at, charge.end_at,
                                         charge.accelerator_type, charge.count,
                                         charge.credits))  # fmt: skip
        return True

    def _apply(self, plan: TickPlan) -> None:
        t = self._t
        for job_id, row in plan.moved.items():
            t.jobs[job_id].stored = row
        for job_id, reserved in plan.drawn_only.items():
            job = t.jobs[job_id]
            job.stored = dataclasses.replace(job.stored, reserved_credits=reserved)
        t.events.extend(plan.events)
        for project_id, change in plan.committed.items():
            t.committed[project_id] = t.committed.get(project_id, Decimal(0)) + change

    # -- heartbeat ------------------------------------------------------------------------
    def record_beat(self, beat: Beat) -> None:
        self._t.beats[beat.name] = beat

    def last_beat(self, name: str) -> Beat | None:
        return self._t.beats.get(name)
