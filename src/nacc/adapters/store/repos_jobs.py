"""Jobs and their append-only event history."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nacc.adapters.store.repos import InvalidReference, Page, fetch_page, insert_ignore, violation
from nacc.adapters.store.tables import Account, Job, JobEventRow, Project, SchedulerBeat
from nacc.adapters.store.types import Credits
from nacc.domain.errors import InputError
from nacc.domain.lifecycle import TERMINAL, JobState, check
from nacc.ports.store_jobs_data import LIVE_SCHEDULER, Beat, NewJob, NotFunded

__all__ = ["LIVE_SCHEDULER", "Beat", "NewJob", "NotFunded"]  # the port's, re-exported


_JOB_COLUMNS = frozenset({
    "id", "project_id", "submitted_by", "command", "image", "accelerators",
    "accelerator_types", "job_class", "time_limit_s", "gang", "idempotency_key", "state",
    "reason", "submitted_at", "log_path", "reserved_credits",
})  # fmt: skip  # what ``_job_values`` gives


def _job_values(new: NewJob, now: datetime) -> dict[str, Any]:
    types = None if new.accelerator_types is None else list(new.accelerator_types)
    return {
        "id": new.id,
        "project_id": new.project_id,
        "submitted_by": new.submitted_by,
        "command": new.command,
        "image": new.image,
        "accelerators": new.accelerators,
        "accelerator_types": types,
        "job_class": new.job_class,
        "time_limit_s": new.time_limit_s,
        "gang": new.gang,
        "idempotency_key": new.idempotency_key,
        "state": JobState.PENDING.value,
        "reason": "",
        "submitted_at": now,
        "log_path": new.log_path,
        "reserved_credits": new.reserve,
    }


def create_job(session: Session, new: NewJob, now: datetime) -> tuple[Job, bool]:
    """Store a pending job and add its reservation (``new.reserve``) to the project's
    committed credits; the caller has checked the funds with the project row locked.
    With an idempotency key already used in the project, return the earlier job and
    False (even when two submissions race), and reserve nothing."""
    if new.accelerators < 1:
        raise InputError("job.accelerators", f"must be at least 1, got {new.accelerators}")
    if new.idempotency_key is None:
        # No savepoint on the busiest path (two round trips saved): a violated
        # constraint (an unknown project) aborts the caller's transaction instead.
        fresh = Job(**_job_values(new, now))
        session.add(fresh)
        try:
            session.flush()
        except IntegrityError as error:
            raise InvalidReference(
                f"job {new.id}", f"refers to nothing: {violation(error)}"
            ) from error
        _commit_credits(session, new.project_id, new.reserve)
        return fresh, True
    earlier = job_by_idempotency_key(session, new.project_id, new.idempotency_key)
    if earlier is not None:
        return earlier, False
    created = insert_ignore(session, Job, _job_values(new, now), ["project_id", "idempotency_key"])
    job = job_by_idempotency_key(session, new.project_id, new.idempotency_key)
    if job is None:  # pragma: no cover - the row exists by now
        raise InputError("job.idempotency_key", "job vanished while being submitted")
    if created:
        _commit_credits(session, new.project_id, new.reserve)
    return job, created


def _add_committed(project_id: int, amount: Decimal) -> sa.Update:
    """The statement adding ``amount`` (negative: a release) to a project's committed
    credits."""
    step = sa.literal(amount, type_=Credits())
    return (
        sa.update(Project)
        .where(Project.id == project_id)
        .values(committed_credits=Project.committed_credits + step)
        .execution_options(synchronize_session=False)
    )


def _commit_credits(session: Session, project_id: int, amount: Decimal) -> None:
    if amount:
        session.execute(_add_committed(project_id, amount))


def draw_reservation(session: Session, job_id: str, charged: Decimal) -> Decimal:
    """A charge of ``charged`` for the job's usage draws its reservation down (never below
    zero) and the project's committed credits with it; returns the amount drawn."""
    job = session.get(Job, job_id, with_for_update=True)
    if job is None:
        raise InputError("job", f"no job {job_id!r}")
    drawn = min(job.reserved_credits, max(Decimal(0), charged))
    if drawn:
        job.reserved_credits -= drawn
        _commit_credits(session, job.project_id, -drawn)
    return drawn


def get_job(session: Session, job_id: str) -> Job | None:
    return session.get(Job, job_id)


def job_by_idempotency_key(session: Session, project_id: int, key: str) -> Job | None:
    stmt = sa.select(Job).where(Job.project_id == project_id, Job.idempotency_key == key)
    return session.scalar(stmt)


def list_jobs(
    session: Session,
    project_id: int,
    limit: int = 50,
    offset: int = 0,
    states: Iterable[str] | None = None,
) -> Page[Job]:
    """A project's jobs, newest first (ties broken by id, so pages never overlap)."""
    query = sa.select(Job).where(Job.project_id == project_id)
    if states is not None:
        query = query.where(Job.state.in_(list(states)))
    order = [Job.submitted_at.desc(), Job.id.desc()]
    return fetch_page(session, query, order, limit, offset)


def jobs_in_states(session: Session, states: Iterable[str]) -> list[Job]:
    """Every job in one of ``states``, oldest first (the engine reloads these)."""
    stmt = sa.select(Job).where(Job.state.in_(list(states)))
    return list(session.scalars(stmt.order_by(Job.submitted_at, Job.id)))


@dataclass(frozen=True, slots=True)
class Transition:
    """A state change and what came with it; unset fields are left as they are."""

    dst: JobState
    at: datetime
    cause: str
    reason: str | None = None
    pool_id: str | None = None
    device_ids: Sequence[str] | None = None
    exit_code: int | None = None


def record_transition(session: Session, job_id: str, change: Transition) -> JobEventRow:
    """Move a job along the lifecycle table and append the event; an edge the table does
    not have raises ``InvalidTransition`` and changes nothing."""
    job = session.get(Job, job_id, with_for_update=True)
    if job is None:
        raise InputError("job", f"no job {job_id!r}")
    src = JobState(job.state)
    check(src, change.dst)
    _apply(job, change)
    if change.dst in TERMINAL and job.reserved_credits:  # release what it did not spend
        _commit_credits(session, job.project_id, -job.reserved_credits)
        job.reserved_credits = Decimal(0)
    event = JobEventRow(
        job_id=job_id, at=change.at, src=src.value, dst=change.dst.value, cause=change.cause
    )
    session.add(event)
    session.flush()
    return event


def _apply(job: Job, change: Transition) -> None:
    job.state = change.dst.value
    if change.reason is not None:
        job.reason = change.reason
    if change.pool_id is not None:
        job.pool_id = change.pool_id
    if change.device_ids is not None:
        job.device_ids = list(change.device_ids)
    if change.exit_code is not None:
        job.exit_code = change.exit_code
    if change.dst is JobState.RUNNING and job.started_at is None:
        job.started_at = change.at
    if change.dst in TERMINAL:
        job.finished_at = change.at


def set_job_reason(session: Session, job_id: str, reason: str) -> None:
    """Record why a job waits (the policy's reason), without a state change."""
    session.execute(sa.update(Job).where(Job.id == job_id).values(reason=reason))


def set_log_path(session: Session, job_id: str, log_path: str) -> None:
    session.execute(sa.update(Job).where(Job.id == job_id).values(log_path=log_path))


def job_events(session: Session, job_id: str) -> list[JobEventRow]:
    """A job's history in the order it happened."""
    stmt = sa.select(JobEventRow).where(JobEventRow.job_id == job_id)
    return list(session.scalars(stmt.order_by(JobEventRow.at, JobEventRow.id)))


def insert_if_funded(
    session: Session, new: NewJob, now: datetime, estimate: Decimal, account_key: str
) -> Job | None:
    """The busy path of a submission, two statements. Insert the job if its project
    exists and is valid at ``now`` (else None, nothing changed); then reserve
    ``estimate`` on the project only if its balance plus overdraft minus what its live
    jobs already hold covers it, else raise ``NotFunded``. The reservation comes last
    because it locks the project row until the transaction ends: concurrent submissions
    cannot both take the last credits, and each holds the lock only for its commit.
    Jobs with an idempotency key go through ``create_job``. Both statements are built
    once (``_funded_statements``) and sent with their parameters: building and hashing
    the expressions anew cost more CPU than the round trips (docs/benchmarks.md)."""
    insert, reserve = _funded_statements()
    values = _job_values(new, now) | {"reserved_credits": estimate}
    values |= {"p_id": new.project_id, "p_now": now}
    row = session.execute(insert, values).first()
    if row is None:
        return None
    funded = {"p_id": new.project_id, "p_key": account_key, "p_amount": estimate}
    if session.execute(reserve, funded).first() is None:
        raise NotFunded(f"project {new.project_id} cannot reserve {estimate} credits")
    return Job(**row._mapping)


def _table(model: Any) -> sa.Table:
    table: sa.Table = model.__table__
    return table


@functools.cache
def _funded_statements() -> tuple[sa.Insert, sa.Update]:
    """``INSERT INTO jobs (...) SELECT :id, ... FROM projects WHERE id = :p_id AND valid``
    returning the row, and the reservation ``UPDATE projects ... RETURNING id``, as
    Core statements on the tables (not the ORM's bulk paths) with bound parameters."""
    cols = Job.__table__.c
    names = [c.name for c in cols if c.name in _JOB_COLUMNS]
    projects = Project.__table__.c
    now = sa.bindparam("p_now", type_=projects.valid_from.type)
    source = sa.select(*(sa.bindparam(n, type_=cols[n].type) for n in names)).where(
        projects.id == sa.bindparam("p_id"), projects.valid_from <= now,
        projects.valid_until >= now,
    )  # fmt: skip
    insert = sa.insert(_table(Job)).from_select(names, source).returning(*cols)
    accounts = Account.__table__.c
    amount = sa.bindparam("p_amount", type_=Credits())
    kept = (  # the sum of the account's legs, kept by the database (migration 0016)
        sa.select(accounts.balance).where(accounts.key == sa.bindparam("p_key")).scalar_subquery()
    )
    balance = sa.func.coalesce(kept, 0)
    reserve = (
        sa.update(_table(Project))
        .where(projects.id == sa.bindparam("p_id"))
        .where(balance + projects.overdraft_credits - projects.committed_credits >= amount)
        .values(committed_credits=projects.committed_credits + amount)
        .returning(projects.id)
    )
    return insert, reserve


def record_beat(session: Session, beat: Beat) -> None:
    """Write (or overwrite) the heartbeat row of scheduler ``beat.name``."""
    row = session.get(SchedulerBeat, beat.name)
    values = beat.row()
    if row is None:
        session.add(SchedulerBeat(**values))
        return
    for key, value in values.items():
        setattr(row, key, value)


def last_beat(session: Session, name: str) -> Beat | None:
    row = session.get(SchedulerBeat, name)
    if row is None:
        return None
    return Beat.of_row(row)
