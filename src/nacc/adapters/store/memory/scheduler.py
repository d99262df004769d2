"""In-memory repository of the store port: nacc.ports.store_scheduler.

It works on the same rows as the jobs and ledger repositories (``memory.jobs``,
``memory.ledger``), as the SQL store's scheduler repository works on the same database:
a job submitted through ``uow.jobs`` is what ``queued`` reads, a tick's usage charges
are journal entries, balances and metered intervals that ``uow.ledger`` reads, the
committed credits a tick draws are the projects' (``people.projects``), and heartbeats
are one table. A tick's writes are worked out by the same ``scheduler_batch.plan_tick``
as the SQL store's, then applied to the rows here.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from nacc.adapters.store.memory.ledger import MemLedger
from nacc.adapters.store.scheduler_batch import Stored, TickPlan, legs_problem, plan_tick, touched
from nacc.domain.credits import EXACT
from nacc.domain.errors import InputError
from nacc.domain.lifecycle import JobState
from nacc.ports.store_jobs import LIVE_STATES, JobEventView, JobView, NewEntry, UsageView
from nacc.ports.store_jobs_data import reason_of
from nacc.ports.store_scheduler import Beat, Charge, QueuedJob, TickResult, TickWrites

if TYPE_CHECKING:
    from nacc.adapters.store.memory import Tables


def _queued(job: JobView, metered: datetime | None = None) -> QueuedJob:
    return QueuedJob(
        job.id, job.project_id, job.submitted_at, job.command, job.image, job.accelerators,
        job.accelerator_types, job.job_class, job.time_limit_s, job.gang, JobState(job.state),
        pool_id=job.pool_id, started_at=job.started_at, metered_until=metered,
    )  # fmt: skip


def _stored(job: JobView) -> Stored:
    reason = job.reason
    return Stored(
        job.id, job.project_id, JobState(job.state), job.reserved_credits, pool_id=job.pool_id,
        device_ids=job.device_ids, exit_code=job.exit_code, started_at=job.started_at,
        finished_at=job.finished_at, log_path=job.log_path, reason=job.reason_text,
        reason_code="" if reason is None else reason.code,
        reason_params=None if reason is None else reason.args or None,
    )  # fmt: skip


def _row(job: JobView, s: Stored) -> JobView:
    return replace(
        job, state=s.state.value, reserved_credits=s.reserved_credits, pool_id=s.pool_id,
        device_ids=s.device_ids, exit_code=s.exit_code, started_at=s.started_at,
        finished_at=s.finished_at, log_path=s.log_path, reason_text=s.reason,
        reason=reason_of(s.reason_code, s.reason_params),
    )  # fmt: skip


def _event(row: dict[str, Any]) -> JobEventView:
    reason = reason_of(row["code"], row["params"])
    return JobEventView(row["at"], row["src"], row["dst"], row["cause"], reason)


class MemScheduler:
    def __init__(self, tables: Tables) -> None:
        self.root = tables
        self.t = tables.jobs

    # -- reads ------------------------------------------------------------------------------
    def queued(self, since: datetime | None, known: Collection[str]) -> list[QueuedJob]:
        found = [
            _queued(j)
            for j in self.t.jobs.values()
            if j.state == JobState.PENDING.value
            and (since is None or j.submitted_at >= since)
            and j.id not in known
        ]
        return sorted(found, key=lambda q: (q.submitted_at, q.id))

    def cancel_requests(self) -> list[str]:
        return sorted(
            i
            for i, j in self.t.jobs.items()
            if j.state in LIVE_STATES and j.cancel_requested_at is not None
        )

    def live_jobs(self) -> list[QueuedJob]:
        ends: dict[str, datetime] = {}
        for u in self.t.usage.values():
            ends[u.job_id] = max(ends.get(u.job_id, u.end_at), u.end_at)
        found = [_queued(j, ends.get(i)) for i, j in self.t.jobs.items()
                 if j.state in LIVE_STATES]  # fmt: skip
        return sorted(found, key=lambda q: (q.submitted_at, q.id))

    # -- the tick's writes ----------------------------------------------------------------
    def write(self, tick: TickWrites) -> TickResult:
        for charge in tick.charges:
            if (why := legs_problem(charge)) is not None:
                raise InputError("charge.legs", why)
        jobs = self.t.jobs
        stored = {i: _stored(jobs[i]) for i in touched(tick.moves, tick.charges) if i in jobs}
        posted = [c for c in tick.charges if self._post(c)]
        plan = plan_tick(stored, tick.moves, posted)
        self._apply(plan)
        for w in tick.waits:
            job = jobs.get(w.job_id)
            state = JobState.RUNNING if w.running else JobState.PENDING  # as the SQL store
            if job is not None and job.state == state.value:
                jobs[w.job_id] = replace(job, reason_text=w.text, reason=w.reason,
                                         expected_start_at=w.expected_start_at)  # fmt: skip
        return plan.result(c.cause for c in posted)

    def _post(self, charge: Charge) -> bool:
        """Post the charge's usage entry and its metered interval, once per cause."""
        if charge.cause in self.t.causes:
            return False
        ledger = MemLedger(self.root)
        for leg in charge.legs:
            ledger.open_account(leg.account, leg.kind, leg.overdraft)
        legs = tuple((leg.account, leg.amount) for leg in charge.legs)
        ledger.append(NewEntry(charge.cause, charge.at, "usage", legs, charge.memo,
                               charge.job_id))  # fmt: skip
        ledger.record_usage(UsageView(charge.job_id, charge.start_at, charge.end_at,
                                      charge.accelerator_type, charge.count,
                                      charge.credits))  # fmt: skip
        return True

    def _apply(self, plan: TickPlan) -> None:
        t = self.t
        for job_id, row in plan.moved.items():
            t.jobs[job_id] = _row(t.jobs[job_id], row)
        for job_id, reserved in plan.drawn_only.items():
            t.jobs[job_id] = replace(t.jobs[job_id], reserved_credits=reserved)
        for event in plan.events:
            t.events.setdefault(event["job_id"], []).append(_event(event))
        projects = self.root.people.projects
        for project_id, change in plan.committed.items():
            proj = projects[project_id]
            committed = EXACT.add(proj.committed_credits, change)
            projects[project_id] = replace(proj, committed_credits=committed)

    # -- heartbeat (the jobs area's table) --------------------------------------------------
    def record_beat(self, beat: Beat) -> None:
        self.t.beats[beat.name] = beat

    def last_beat(self, name: str) -> Beat | None:
        return self.t.beats.get(name)
