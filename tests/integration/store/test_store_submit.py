"""The one-statement submission (insert only if the project is valid and funded), on
SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from nacc.adapters.store import repos_jobs as jobs
from nacc.adapters.store import repos_ledger as ledger
from nacc.adapters.store.tables import Job
from nacc.domain.lifecycle import JobState

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the store fixtures' world starts then
World = Any  # the `world` fixture of this folder's conftest (not imported: see conftest)


def _fund(session: Session, world: World, amount: str) -> str:
    key = f"project:{world.project_id}"
    ledger.ensure_account(session, "funding", "funding", None)
    ledger.ensure_account(session, key, "project")
    legs = [("funding", -Decimal(amount)), (key, Decimal(amount))]
    ledger.add_journal_entry(session, f"t:{amount}", T0, "test", legs)
    return key


def _submit(
    session: Session, new: jobs.NewJob, now: datetime, estimate: Decimal, key: str
) -> Job | None:
    """insert_if_funded in a savepoint, as the service's transaction would be: an
    unfunded job is rolled back (None here)."""
    try:
        with session.begin_nested():
            return jobs.insert_if_funded(session, new, now, estimate, key)
    except jobs.NotFunded:
        return None


def _new(world: World, jid: str, project: int | None = None) -> jobs.NewJob:
    return jobs.NewJob(jid, project or world.project_id, world.pi_id, "true", 2, "inference")


def test_inserts_when_funded_and_valid(session: Session, world: World) -> None:
    key = _fund(session, world, "10.5")
    now = T0 + timedelta(days=1)
    job = _submit(session, _new(world, "j-ok"), now, Decimal("10.5"), key)
    assert job is not None and job.id == "j-ok" and job.state == "pending"
    assert jobs.get_job(session, "j-ok") is not None


def test_refuses_underfunded_invalid_or_unknown(session: Session, world: World) -> None:
    key = _fund(session, world, "10")
    now = T0 + timedelta(days=1)
    # the job row is left to the caller's rollback
    with pytest.raises(jobs.NotFunded), session.begin_nested():
        jobs.insert_if_funded(session, _new(world, "j-1"), now, Decimal("10.000000001"), key)
    late = T0 + timedelta(days=400)
    assert jobs.insert_if_funded(session, _new(world, "j-2"), late, Decimal(1), key) is None
    assert jobs.insert_if_funded(session, _new(world, "j-3", 9999), now, Decimal(1), key) is None
    assert all(jobs.get_job(session, j) is None for j in ("j-1", "j-2", "j-3"))


def _committed(session: Session, world: World) -> Decimal:
    from nacc.adapters.store.repos_projects import get_project

    project = get_project(session, world.project_id)
    assert project is not None
    session.refresh(project)
    return project.committed_credits


def test_reservations_make_jobs_together_fit_the_balance(session: Session, world: World) -> None:
    """Each job alone fits 10 credits; the second of two 6-credit jobs does not, until
    the first ends and releases what it did not spend."""
    key = _fund(session, world, "10")
    now = T0 + timedelta(days=1)
    first = _submit(session, _new(world, "j-a"), now, Decimal(6), key)
    assert first is not None and first.reserved_credits == Decimal(6)
    assert _committed(session, world) == Decimal(6)
    assert _submit(session, _new(world, "j-b"), now, Decimal(6), key) is None
    assert jobs.get_job(session, "j-b") is None and _committed(session, world) == Decimal(6)
    assert _submit(session, _new(world, "j-c"), now, Decimal(4), key) is not None
    assert _committed(session, world) == Decimal(10)
    # j-a runs and is charged 1.5: the charge draws its reservation down, not twice
    jobs.record_transition(session, "j-a", jobs.Transition(JobState.RUNNING, now, "go"))
    assert jobs.draw_reservation(session, "j-a", Decimal("1.5")) == Decimal("1.5")
    assert _committed(session, world) == Decimal("8.5")
    assert jobs.draw_reservation(session, "j-a", Decimal(100)) == Decimal("4.5")  # floor 0
    assert _committed(session, world) == Decimal(4)
    jobs.record_transition(session, "j-c", jobs.Transition(JobState.CANCELLED, now, "bye"))
    assert _committed(session, world) == Decimal(0)
    assert jobs.get_job(session, "j-c").reserved_credits == Decimal(0)  # type: ignore[union-attr]


def test_create_job_reserves_once_per_idempotency_key(session: Session, world: World) -> None:
    now = T0 + timedelta(days=1)
    new = dataclasses.replace(_new(world, "j-k"), idempotency_key="k", reserve=Decimal(3))
    assert jobs.create_job(session, new, now)[1] is True
    again = dataclasses.replace(new, id="j-k2")
    job, created = jobs.create_job(session, again, now)
    assert (job.id, created) == ("j-k", False)
    assert _committed(session, world) == Decimal(3)


def test_concurrent_submissions_never_overcommit(
    session_factory: sessionmaker[Session], world: World
) -> None:
    """Twelve submissions of 3 credits race for 10: exactly three get in, whatever the
    interleaving (PostgreSQL: the project row lock; SQLite: serialised transactions)."""
    with session_factory.begin() as s:
        key = _fund(s, world, "10")
    now = T0 + timedelta(days=1)
    start = threading.Barrier(12)

    def submit(i: int) -> bool:
        start.wait()
        with session_factory.begin() as s:
            new = _new(world, f"j-race-{i}")
            try:
                return jobs.insert_if_funded(s, new, now, Decimal(3), key) is not None
            except jobs.NotFunded:
                return False  # the transaction rolls back

    with ThreadPoolExecutor(12) as pool:
        admitted = sum(pool.map(submit, range(12)))
    assert admitted == 3
    with session_factory.begin() as s:
        assert _committed(s, world) == Decimal(9)


def test_the_prebuilt_insert_names_every_column_a_new_job_sets() -> None:
    """``insert_if_funded``'s statement is built once from ``_JOB_COLUMNS``: a column
    ``_job_values`` gained but the list lacks would silently not be written."""
    new = jobs.NewJob("j-cols", 1, 1, "true", 1, "inference", reserve=Decimal(1))
    assert set(jobs._job_values(new, datetime(2026, 3, 2, tzinfo=UTC))) == jobs._JOB_COLUMNS
