"""Jobs and projects' funds through the store port: submission (the funded insert,
idempotency keys), reads, lifecycle with coded reasons, reservations, heartbeats — the
same on SQLite, PostgreSQL and in memory."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from contract.store.jobs_world import NOW, JobsWorld, build_jobs_world
from nacc.domain.errors import InputError, InvalidTransition
from nacc.domain.lifecycle import JobState
from nacc.domain.reasons import Code, Reason
from nacc.ports.pages import InvalidReference
from nacc.ports.store import Store
from nacc.ports.store_jobs import Beat, JobChange, NotFunded

D = Decimal


@pytest.fixture
def world(store: Store) -> JobsWorld:
    return build_jobs_world(store)


def _committed(store: Store, w: JobsWorld) -> Decimal:
    with store.unit() as uow:
        funds = uow.projects.funds(w.project_id)
        assert funds is not None
        return funds.committed


def test_job_round_trip(store: Store, world: JobsWorld) -> None:
    with store.unit() as uow:
        job, created = uow.jobs.create(world.job("j-1", reserve="3"), NOW)
        assert created and job.state == "pending" and job.reason is None
    with store.unit() as uow:
        got = uow.jobs.get("j-1")
        assert got == job
        assert (got.command, got.accelerators, got.accelerator_types) == (
            "python train.py", 2, ("H100",),
        )  # fmt: skip
        assert got.gang and got.time_limit_s == 3600 and got.submitted_at == NOW
        assert got.image is None and got.started_at is None and got.reserved_credits == D(3)
        assert uow.jobs.get("j-2") is None
    assert _committed(store, world) == D(3)


def test_refused_jobs(store: Store, world: JobsWorld) -> None:
    with store.unit() as uow, pytest.raises(InputError, match=r"job\.accelerators"):
        uow.jobs.create(world.new("j-0", accelerators=0), NOW)
    with store.unit() as uow, pytest.raises(InvalidReference):
        uow.jobs.create(world.new("j-x", project_id=9999), NOW)


def test_idempotency_key_returns_the_first_job(store: Store, world: JobsWorld) -> None:
    with store.unit() as uow:
        first, created = uow.jobs.create(world.job("j-1", "2", key="k1"), NOW)
        assert created
        again, created = uow.jobs.create(world.job("j-2", "2", key="k1"), NOW)
        assert not created and again.id == "j-1"
        assert uow.jobs.by_idempotency_key(world.project_id, "k1") == first
        assert uow.jobs.by_idempotency_key(world.project_id, "k2") is None
    assert _committed(store, world) == D(2)  # reserved once


def test_list_pages_are_stable(store: Store, world: JobsWorld) -> None:
    with store.unit() as uow:
        for i in range(7):  # pairs share a submit time: the id breaks the tie
            uow.jobs.create(world.job(f"j-{i}"), NOW + timedelta(seconds=i // 2))
    with store.unit() as uow:
        pages = [uow.jobs.list_jobs(world.project_id, 3, o) for o in (0, 3, 6)]
        assert [j.id for p in pages for j in p.items] == [f"j-{i}" for i in range(6, -1, -1)]
        assert {p.total for p in pages} == {7}
        assert uow.jobs.list_jobs(world.project_id, 3, 0, states=["running"]).total == 0
        assert [j.id for j in uow.jobs.in_states(["pending"])][:2] == ["j-0", "j-1"]
        with pytest.raises(InputError):
            uow.jobs.list_jobs(world.project_id, limit=0)


def test_ended_jobs_of_every_project_come_by_page(store: Store, world: JobsWorld) -> None:
    """``ended_page``: the last to finish first (unfinished ones by submission), paged
    without overlap; other states left out."""
    with store.unit() as uow:
        for i in range(5):
            uow.jobs.create(world.job(f"j-{i}"), NOW + timedelta(seconds=i))
        why = Reason.of(Code.STARTED, pool="kisti-h100")
        for i, ends in ((0, 50), (1, 40), (2, 60)):  # j-3 is rejected unstarted; j-4 waits
            at = NOW + timedelta(seconds=10)
            uow.jobs.transition(f"j-{i}", JobChange(JobState.RUNNING, at, why,
                                                    pool_id="kisti-h100"))  # fmt: skip
            end = NOW + timedelta(seconds=ends)
            done = JobChange(JobState.COMPLETED, end, Reason.of(Code.COMPLETED))
            uow.jobs.transition(f"j-{i}", done)
        uow.jobs.transition("j-3", JobChange(JobState.REJECTED, NOW + timedelta(seconds=5),
                                             Reason.of(Code.COMPLETED)))  # fmt: skip
    with store.unit() as uow:
        ended = ["completed", "rejected"]
        pages = [uow.jobs.ended_page(ended, 2, o) for o in (0, 2)]
    assert [j.id for p in pages for j in p.items] == ["j-2", "j-0", "j-1", "j-3"]
    assert {p.total for p in pages} == {4}


def test_funded_insert_reserves_or_refuses(store: Store, world: JobsWorld) -> None:
    with store.unit() as uow:
        job = uow.jobs.insert_if_funded(world.job("j-a"), NOW, D(60), world.account)
        assert job is not None and job.reserved_credits == D(60)
    with pytest.raises(NotFunded), store.unit() as uow:  # 60 + 60 > 100: rolled back
        uow.jobs.insert_if_funded(world.job("j-b"), NOW, D(60), world.account)
    with store.unit() as uow:
        assert uow.jobs.get("j-b") is None
        late = NOW + timedelta(days=400)
        assert uow.jobs.insert_if_funded(world.job("j-c"), late, D(1), world.account) is None
        unknown = world.new("j-d", project_id=9999)
        assert uow.jobs.insert_if_funded(unknown, NOW, D(1), world.account) is None
        assert uow.jobs.insert_if_funded(world.job("j-e"), NOW, D(40), world.account)
    assert _committed(store, world) == D(100)
    with store.unit() as uow:
        funds = uow.projects.funds(world.project_id, lock=True)
        assert funds is not None and funds.balance == D(100) and funds.available == D(0)
        assert funds.valid_at(NOW) and not funds.valid_at(NOW + timedelta(days=400))
        assert uow.projects.funds(9999) is None


def test_transitions_keep_coded_reasons_and_release_reservations(
    store: Store, world: JobsWorld
) -> None:
    t1, t2 = NOW + timedelta(minutes=1), NOW + timedelta(minutes=9)
    started = Reason.of(Code.STARTED, pool="gj-h100")
    ended = Reason.of(Code.EXIT_CODE, exit_code=3)
    with store.unit() as uow:
        uow.jobs.create(world.job("j-1", reserve="10"), NOW)
        uow.jobs.transition("j-1", JobChange(JobState.RUNNING, t1, started, "started on gj-h100",
                                             "gj-h100", ["0", "1"]))  # fmt: skip
        assert uow.jobs.running_by_pool() == {"gj-h100": 2}
        assert uow.jobs.draw_reservation("j-1", D("1.5")) == D("1.5")
        assert uow.jobs.draw_reservation("j-1", D(-1)) == D(0)
    assert _committed(store, world) == D("8.5")
    with store.unit() as uow:
        uow.jobs.transition("j-1", JobChange(JobState.FAILED, t2, ended, exit_code=3))
    with store.unit() as uow:
        job = uow.jobs.get("j-1")
        assert job is not None
        assert (job.state, job.pool_id, job.device_ids, job.exit_code) == (
            "failed", "gj-h100", ("0", "1"), 3,
        )  # fmt: skip
        assert (job.started_at, job.finished_at, job.reason) == (t1, t2, ended)
        assert job.reserved_credits == D(0)
        events = uow.jobs.events("j-1")
        assert [(e.src, e.dst, e.reason) for e in events] == [
            ("pending", "running", started), ("running", "failed", ended),
        ]  # fmt: skip
        assert events[0].cause == "started on gj-h100"
        with pytest.raises(InvalidTransition):
            uow.jobs.transition("j-1", JobChange(JobState.RUNNING, t2, started))
        with pytest.raises(InputError, match="no job"):
            uow.jobs.transition("nope", JobChange(JobState.RUNNING, t2, started))
        assert uow.jobs.count_by_state() == {"failed": 1}
    assert _committed(store, world) == D(0)


def test_cancel_requests_are_coded_and_once(store: Store, world: JobsWorld) -> None:
    why = Reason.of(Code.CANCEL_REQUESTED, name="Kim PI")
    with store.unit() as uow:
        uow.jobs.create(world.job("j-1"), NOW)
        assert uow.jobs.request_cancel("j-1", NOW, why, "cancel requested by Kim PI")
        assert not uow.jobs.request_cancel("j-1", NOW, why, "again")
        assert not uow.jobs.request_cancel("nope", NOW, why, "")
    with store.unit() as uow:
        job = uow.jobs.get("j-1")
        assert job is not None and job.cancel_requested_at == NOW
        assert job.reason == why and job.reason_text == "cancel requested by Kim PI"


def test_reservation_books(store: Store, world: JobsWorld) -> None:
    with store.unit() as uow:
        uow.jobs.create(world.job("j-1", reserve="4"), NOW)
        uow.jobs.create(world.job("j-2", reserve="5"), NOW)
        uow.jobs.transition("j-2", JobChange(JobState.CANCELLED, NOW, Reason(Code.CANCELLED)))
    with store.unit() as uow:
        books = uow.projects.reservation_books()
        assert [(b.project_id, b.committed, b.live, b.ended) for b in books] == [
            (world.project_id, D(4), D(4), D(0)),
        ]  # fmt: skip


def test_heartbeat_round_trip(store: Store, world: JobsWorld) -> None:
    beat = Beat("live", "host-a", 42, NOW, NOW, 0.5, 0.01, 3, 1)
    with store.unit() as uow:
        assert uow.jobs.last_beat() is None
        uow.jobs.record_beat(beat)
        uow.jobs.record_beat(replace(beat, pending=7))
    with store.unit() as uow:
        assert uow.jobs.last_beat("live") == replace(beat, pending=7)
