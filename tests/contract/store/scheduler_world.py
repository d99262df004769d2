"""Jobs for the scheduler's contract tests, and a look at what its writes left.

Projects and pending jobs are put in through the store port (``uow.people``,
``uow.awards``, ``uow.jobs``), as the API submits them, so the scheduler repository is
tested on the same rows the jobs and ledger repositories read. The columns a tick writes
that the port does not show (a reason's code and parameters, the events' rows) are read
back straight through the adapter: SQL rows through the unit's session, memory rows
through its tables. The tests themselves act only through ``uow.scheduler``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from nacc.adapters.store.memory import MemoryStore
from nacc.adapters.store.tables import Job, JobEventRow
from nacc.ports.store import Store
from nacc.ports.store_jobs import NewJob
from nacc.ports.store_people import AwardProjectSpec

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
    """A project (no proposal) with its PI, through the port."""
    with store.unit() as uow:
        org = uow.people.create_organisation(f"{name} org", "university", "Daejeon",
                                             capital_area=False)  # fmt: skip
        pi = uow.people.create_user(f"{name} pi", f"{name}@uni.example", T0, org.id)
        spec = AwardProjectSpec(name, T0 - timedelta(days=1), T0 + timedelta(days=30),
                                members={pi.id: "pi"})  # fmt: skip
        return uow.awards.create_project(spec).id


def add_jobs(store: Store, project_id: int, seeds: list[Seed]) -> None:
    """Pending jobs submitted through ``uow.jobs`` (each reserving ``seed.reserve``)."""
    with store.unit() as uow:
        pi = uow.awards.project_members(project_id)[0].user_id
        for seed in seeds:
            new = NewJob(seed.id, project_id, pi, "true", seed.accelerators, "inference",
                         time_limit_s=seed.time_limit_s, reserve=seed.reserve)  # fmt: skip
            uow.jobs.create(new, seed.submitted_at)


def request_cancel(store: Store, job_id: str, at: datetime) -> None:
    """Mark the cancellation asked for (only the column: ``uow.jobs.request_cancel`` would
    also set a reason, which the tests read back as the scheduler's)."""
    with store.unit() as uow:
        if isinstance(store, MemoryStore):
            rows = uow.tables.jobs.jobs
            rows[job_id] = replace(rows[job_id], cancel_requested_at=at)
            return
        _session(uow).execute(sa.update(Job).where(Job.id == job_id).values(cancel_requested_at=at))


_COLS = ("state", "reason", "reason_code", "reason_params", "pool_id", "device_ids",
         "exit_code", "started_at", "finished_at", "log_path", "reserved_credits")  # fmt: skip


def job(store: Store, job_id: str) -> dict[str, Any]:
    """The job's columns that ticks write, plus ``expected_start_at``."""
    with store.unit() as uow:
        if isinstance(store, MemoryStore):
            row = uow.tables.jobs.jobs[job_id]
            out = {c: getattr(row, c) for c in _COLS if hasattr(row, c) and c != "reason"}
            why = row.reason
            devices = None if row.device_ids is None else list(row.device_ids)
            return out | {
                "reason": row.reason_text, "reason_code": "" if why is None else why.code,
                "reason_params": None if why is None else why.args or None,
                "device_ids": devices, "expected_start_at": row.expected_start_at,
            }  # fmt: skip
        got = _session(uow).get(Job, job_id)
        return {c: getattr(got, c) for c in (*_COLS, "expected_start_at")}


def events(store: Store, job_id: str) -> list[tuple[str, str, str, str, Any]]:
    """(src, dst, cause text, code, params) of the job's events in order."""
    with store.unit() as uow:
        if isinstance(store, MemoryStore):
            rows = uow.tables.jobs.events.get(job_id, [])
            return [(e.src, e.dst, e.cause, "" if e.reason is None else e.reason.code,
                     None if e.reason is None else e.reason.args or None)
                    for e in rows]  # fmt: skip
        stmt = sa.select(JobEventRow).where(JobEventRow.job_id == job_id)
        found = _session(uow).scalars(stmt.order_by(JobEventRow.id))
        return [(e.src, e.dst, e.cause, e.code, e.params) for e in found]


def committed(store: Store, project_id: int) -> Decimal:
    with store.unit() as uow:
        funds = uow.projects.funds(project_id)
        assert funds is not None
        return funds.committed


def entries(store: Store, job_id: str) -> list[tuple[str, str, str | None, dict[str, Decimal]]]:
    """(cause, kind, job, {account: amount}) of the journal entries naming the job."""
    with store.unit() as uow:
        found = uow.ledger.journal(None, limit=1000).items
        return [(e.cause, e.kind, e.job, dict(e.legs)) for e in found if e.job == job_id]


def usage(store: Store, job_id: str) -> list[tuple[datetime, datetime, str, int, Decimal]]:
    with store.unit() as uow:
        rows = uow.ledger.usage_for_job(job_id)
        return sorted((u.start_at, u.end_at, u.accelerator_type, u.count, u.credits) for u in rows)
