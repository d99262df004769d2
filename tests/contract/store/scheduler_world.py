"""Jobs for the scheduler's contract tests, and a look at what its writes left.

The scheduler repository neither submits jobs nor reads them back one by one (the jobs
and ledger repositories do, ``nacc.ports.store_jobs``, being filled in beside this); so
this helper puts projects and pending jobs in each kind of store, and reads rows back,
straight through the adapter's own tables: SQL rows through the unit's session, memory
rows through its tables. The tests themselves act only through ``uow.scheduler``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from nacc.adapters.store import repos_jobs, repos_people, repos_projects
from nacc.adapters.store.memory import MemoryStore
from nacc.adapters.store.memory.scheduler import MemJob
from nacc.adapters.store.scheduler_batch import Stored
from nacc.adapters.store.tables import (
    Job,
    JobEventRow,
    JournalEntry,
    JournalLeg,
    Project,
    UsageInterval,
    User,
)
from nacc.domain.lifecycle import JobState
from nacc.ports.store import Store
from nacc.ports.store_scheduler import QueuedJob

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Seed:
    id: str
    submitted_at: datetime
    reserve: Decimal = Decimal(0)
    accelerators: int = 1
    time_limit_s: int | None = 60


def _session(uow: Any) -> Any:
    return uow.session


def add_project(store: Store, name: str = "demo") -> int:
    if isinstance(store, MemoryStore):
        with store.unit() as uow:
            t = uow.tables.scheduler
            pid = len(t.committed) + 1
            t.committed[pid] = Decimal(0)
            return pid
    with store.unit() as uow:
        s = _session(uow)
        org = repos_people.create_organisation(s, f"{name} org", "university", "Daejeon",
                                               capital_area=False)  # fmt: skip
        s.flush()
        repos_people.create_user(s, f"{name} pi", f"{name}@uni.example", T0, org.id)
        spec = repos_projects.ProjectSpec(name, T0 - timedelta(days=1), T0 + timedelta(days=30))
        project = repos_projects.create_project(s, spec)
        s.flush()
        return int(project.id)


def add_jobs(store: Store, project_id: int, seeds: list[Seed]) -> None:
    if isinstance(store, MemoryStore):
        with store.unit() as uow:
            t = uow.tables.scheduler
            for seed in seeds:
                t.jobs[seed.id] = _mem_job(project_id, seed)
                t.committed[project_id] += seed.reserve
        return
    with store.unit() as uow:
        s = _session(uow)
        user = int(s.scalar(sa.select(User.id).order_by(User.id).limit(1)))
        for seed in seeds:
            new = repos_jobs.NewJob(seed.id, project_id, user, "true", seed.accelerators,
                                    "inference", time_limit_s=seed.time_limit_s,
                                    reserve=seed.reserve)  # fmt: skip
            repos_jobs.create_job(s, new, seed.submitted_at)


def _mem_job(project_id: int, seed: Seed) -> MemJob:
    queued = QueuedJob(seed.id, project_id, seed.submitted_at, "true", None, seed.accelerators,
                       None, "inference", seed.time_limit_s, True, JobState.PENDING)  # fmt: skip
    return MemJob(queued, Stored(seed.id, project_id, JobState.PENDING, seed.reserve))


def request_cancel(store: Store, job_id: str, at: datetime) -> None:
    with store.unit() as uow:
        if isinstance(store, MemoryStore):
            uow.tables.scheduler.jobs[job_id].cancel_requested_at = at
            return
        _session(uow).execute(sa.update(Job).where(Job.id == job_id).values(cancel_requested_at=at))


_COLS = ("state", "reason", "reason_code", "reason_params", "pool_id", "device_ids",
         "exit_code", "started_at", "finished_at", "log_path", "reserved_credits")  # fmt: skip


def job(store: Store, job_id: str) -> dict[str, Any]:
    """The job's columns that ticks write, plus ``expected_start_at``."""
    with store.unit() as uow:
        if isinstance(store, MemoryStore):
            row = uow.tables.scheduler.jobs[job_id]
            out = {c: getattr(row.stored, c) for c in _COLS}
            out["state"] = row.stored.state.value
            out["device_ids"] = None if out["device_ids"] is None else list(out["device_ids"])
            return out | {"expected_start_at": row.expected_start_at}
        got = _session(uow).get(Job, job_id)
        return {c: getattr(got, c) for c in (*_COLS, "expected_start_at")}


def events(store: Store, job_id: str) -> list[tuple[str, str, str, str, Any]]:
    """(src, dst, cause text, code, params) of the job's events in order."""
    with store.unit() as uow:
        if isinstance(store, MemoryStore):
            rows = [e for e in uow.tables.scheduler.events if e["job_id"] == job_id]
            return [(e["src"], e["dst"], e["cause"], e["code"], e["params"]) for e in rows]
        stmt = sa.select(JobEventRow).where(JobEventRow.job_id == job_id)
        found = _session(uow).scalars(stmt.order_by(JobEventRow.id))
        return [(e.src, e.dst, e.cause, e.code, e.params) for e in found]


def committed(store: Store, project_id: int) -> Decimal:
    with store.unit() as uow:
        if isinstance(store, MemoryStore):
            return uow.tables.scheduler.committed[project_id]
        return Decimal(_session(uow).get(Project, project_id).committed_credits)


def entries(store: Store, job_id: str) -> list[tuple[str, str, str | None, dict[str, Decimal]]]:
    """(cause, kind, job, {account: amount}) of the journal entries naming the job."""
    with store.unit() as uow:
        if isinstance(store, MemoryStore):
            found = [e for e in uow.tables.scheduler.entries.values() if e.job_id == job_id]
            return [(e.cause, e.kind, e.job_id, dict(e.legs)) for e in found]
        s = _session(uow)
        out = []
        stmt = sa.select(JournalEntry).where(JournalEntry.job_id == job_id)
        for e in s.scalars(stmt.order_by(JournalEntry.id)):
            legs = s.scalars(sa.select(JournalLeg).where(JournalLeg.entry_id == e.id))
            out.append((e.cause, e.kind, e.job_id, {leg.account_key: leg.amount for leg in legs}))
        return out


def usage(store: Store, job_id: str) -> list[tuple[datetime, datetime, str, int, Decimal]]:
    with store.unit() as uow:
        if isinstance(store, MemoryStore):
            rows = [u for u in uow.tables.scheduler.usage.values() if u.job_id == job_id]
        else:
            stmt = sa.select(UsageInterval).where(UsageInterval.job_id == job_id)
            rows = list(_session(uow).scalars(stmt))
        found = [(u.start_at, u.end_at, u.accelerator_type, u.count, u.credits) for u in rows]
        return sorted(found)
