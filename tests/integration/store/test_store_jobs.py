"""Jobs: submission, idempotency keys, pagination, lifecycle events."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.orm import Session, sessionmaker

from nacc.adapters.store import InvalidReference
from nacc.adapters.store import repos_jobs as jobs
from nacc.domain.errors import InputError, InvalidTransition
from nacc.domain.lifecycle import JobState

if TYPE_CHECKING:
    from conftest import World

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the world fixture's t0


def _new(world: World, job_id: str, key: str | None = None) -> jobs.NewJob:
    return jobs.NewJob(
        id=job_id,
        project_id=world.project_id,
        submitted_by=world.pi_id,
        command="python train.py",
        accelerators=2,
        job_class="fine-tuning",
        accelerator_types=("H100",),
        time_limit_s=3600,
        idempotency_key=key,
    )


def test_job_round_trip(session_factory: sessionmaker[Session], world: World) -> None:
    with session_factory.begin() as s:
        new, created = jobs.create_job(s, _new(world, "j-1"), T0)
        assert created and new.state == "pending"
    with session_factory() as s:
        job = jobs.get_job(s, "j-1")
        assert job is not None
        assert (job.command, job.accelerators, job.accelerator_types) == (
            "python train.py", 2, ["H100"],
        )  # fmt: skip
        assert job.gang and job.time_limit_s == 3600 and job.submitted_at == T0
        assert job.image is None and job.started_at is None


def test_job_for_missing_project_fails(session: Session, world: World) -> None:
    bad = jobs.NewJob("j-x", 9999, world.pi_id, "true", 1, "inference")
    with pytest.raises(InvalidReference):
        jobs.create_job(session, bad, T0)
    with pytest.raises(InputError):
        jobs.create_job(session, jobs.NewJob("j-y", world.project_id, world.pi_id, "t", 0, "x"), T0)


def test_idempotency_key_returns_the_first_job(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with session_factory.begin() as s:
        _, created = jobs.create_job(s, _new(world, "j-1", key="k1"), T0)
        assert created
        again, created = jobs.create_job(s, _new(world, "j-2", key="k1"), T0)
        assert not created and again.id == "j-1"
        other, created = jobs.create_job(s, _new(world, "j-3", key="k2"), T0)
        assert created and other.id == "j-3"


def test_idempotency_key_race_writes_one_job(
    session_factory: sessionmaker[Session], world: World
) -> None:
    """Session A submits and holds its transaction; B submits the same key meanwhile."""
    results: list[tuple[str, bool]] = []
    with session_factory() as a:
        jobs.create_job(a, _new(world, "j-a", key="same"), T0)

        def other() -> None:
            with session_factory.begin() as b:
                job, created = jobs.create_job(b, _new(world, "j-b", key="same"), T0)
                results.append((job.id, created))

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(0.3)
        a.commit()
    thread.join(30)
    assert results == [("j-a", False)]


def test_list_jobs_pages_are_stable(session_factory: sessionmaker[Session], world: World) -> None:
    with session_factory.begin() as s:
        for i in range(7):  # pairs share a submit time: the id breaks the tie
            jobs.create_job(s, _new(world, f"j-{i}"), T0 + timedelta(seconds=i // 2))
    with session_factory() as s:
        pages = [jobs.list_jobs(s, world.project_id, limit=3, offset=o) for o in (0, 3, 6)]
        ids = [j.id for p in pages for j in p.items]
        assert ids == ["j-6", "j-5", "j-4", "j-3", "j-2", "j-1", "j-0"]
        assert {p.total for p in pages} == {7}
        again = jobs.list_jobs(s, world.project_id, limit=3, offset=3)
        assert [j.id for j in again.items] == ["j-3", "j-2", "j-1"]
        with pytest.raises(InputError):
            jobs.list_jobs(s, world.project_id, limit=0)


def test_transitions_update_the_job_and_append_events(
    session_factory: sessionmaker[Session], world: World
) -> None:
    t1, t2 = T0 + timedelta(minutes=1), T0 + timedelta(minutes=9)
    with session_factory.begin() as s:
        jobs.create_job(s, _new(world, "j-1"), T0)
        jobs.set_job_reason(s, "j-1", "waiting for 2 x H100")
        run = jobs.Transition(JobState.RUNNING, t1, "policy:start", "", "gwangju-h100", ["0", "1"])
        jobs.record_transition(s, "j-1", run)
        done = jobs.Transition(JobState.COMPLETED, t2, "process exited", exit_code=0)
        jobs.record_transition(s, "j-1", done)
        jobs.set_log_path(s, "j-1", "/var/log/nacc/j-1.log")
    with session_factory() as s:
        job = jobs.get_job(s, "j-1")
        assert job is not None
        assert (job.state, job.pool_id, job.device_ids, job.exit_code) == (
            "completed", "gwangju-h100", ["0", "1"], 0,
        )  # fmt: skip
        assert (job.started_at, job.finished_at, job.log_path) == (t1, t2, "/var/log/nacc/j-1.log")
        events = jobs.job_events(s, "j-1")
        assert [(e.src, e.dst, e.cause) for e in events] == [
            ("pending", "running", "policy:start"),
            ("running", "completed", "process exited"),
        ]
        with pytest.raises(InvalidTransition):
            jobs.record_transition(s, "j-1", jobs.Transition(JobState.RUNNING, t2, "again"))
        assert [j.id for j in jobs.jobs_in_states(s, ["completed"])] == ["j-1"]
        assert jobs.jobs_in_states(s, ["pending", "running"]) == []
