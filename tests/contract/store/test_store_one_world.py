"""The scheduler's repository and the jobs and ledger repositories are one set of rows:
what the API submits is what the scheduler takes in, what a tick charges is what the
ledger (and ``verify_ledger``) reads, and a beat the scheduler records is what health
reads. On SQL that is one database; the in-memory store must keep it so too."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from contract.store.jobs_world import NOW, JobsWorld, build_jobs_world
from nacc.domain.lifecycle import JobState
from nacc.domain.reasons import Code, Reason
from nacc.ports.store import Store
from nacc.ports.store_jobs import LIVE_SCHEDULER, Beat
from nacc.ports.store_scheduler import Charge, Leg, Move, TickWrites
from nacc.service.context import Services
from nacc.service.reports import scheduler_health, verify_ledger

D = Decimal
P, R, C = JobState.PENDING, JobState.RUNNING, JobState.COMPLETED


@pytest.fixture
def world(store: Store) -> JobsWorld:
    return build_jobs_world(store)


def _at(s: float) -> datetime:
    return NOW + timedelta(seconds=s)


def _submit(store: Store, w: JobsWorld, job_id: str, estimate: str) -> None:
    with store.unit() as uow:
        job = uow.jobs.insert_if_funded(w.job(job_id), NOW, D(estimate), w.account)
    assert job is not None


def _start(job_id: str) -> Move:
    reason = Reason.of(Code.START_HEAD_OF_QUEUE, policy="fifo")
    return Move(job_id, _at(10), P, R, reason, "fifo: head of the queue", "local-h100",
                ("0", "1"))  # fmt: skip


def _end(job_id: str, s: float) -> Move:
    return Move(job_id, _at(s), R, C, Reason(Code.COMPLETED), "completed", exit_code=0)


def _charge(w: JobsWorld, job_id: str, start: float, end: float, credits: str) -> Charge:
    amount = D(credits)
    legs = (Leg(w.account, -amount, "project"), Leg("usage", amount, "usage"))
    return Charge(f"job:{job_id}:usage:{start:g}-{end:g}", _at(end), "2 x H100", job_id, legs,
                  _at(start), _at(end), "H100", 2, amount)  # fmt: skip


def _verified(store: Store) -> None:
    report = verify_ledger(Services(None, store=store))
    assert report.ok, report.lines()


def test_a_funded_submission_is_what_the_scheduler_takes_in(store: Store, world: JobsWorld) -> None:
    _submit(store, world, "j1", "3")
    with store.unit() as uow:
        queued = uow.scheduler.queued(None, ())
        live = uow.scheduler.live_jobs()
        assert uow.scheduler.queued(None, {"j1"}) == []
        assert uow.scheduler.cancel_requests() == []
        why = Reason.of(Code.CANCEL_REQUESTED, name="Kim")
        assert uow.jobs.request_cancel("j1", _at(1), why, "cancel requested by Kim")
        assert uow.scheduler.cancel_requests() == ["j1"]
    assert [q.id for q in queued] == [q.id for q in live] == ["j1"]
    got = queued[0]
    assert (got.project_id, got.command, got.accelerators, got.accelerator_types,
            got.job_class, got.time_limit_s, got.state) == (
        world.project_id, "python train.py", 2, ("H100",), "fine-tuning", 3600, P)  # fmt: skip


def test_a_ticks_charges_are_the_ledgers_and_verify(store: Store, world: JobsWorld) -> None:
    _submit(store, world, "j1", "3")
    with store.unit() as uow:
        uow.scheduler.write(TickWrites(moves=[_start("j1")]))
    with store.unit() as uow:
        done = uow.scheduler.write(TickWrites(charges=[_charge(world, "j1", 10, 70, "1")]))
    assert done.drawn == D(1)
    with store.unit() as uow:  # mid-run: drawn from the reservation and the project's books
        job = uow.jobs.get("j1")
        funds = uow.projects.funds(world.project_id)
        assert job is not None and funds is not None
        assert (job.state, job.reserved_credits, funds.committed) == ("running", D(2), D(2))
    _verified(store)
    with store.unit() as uow:
        end = TickWrites(moves=[_end("j1", 100)], charges=[_charge(world, "j1", 70, 100, "0.5")])
        done = uow.scheduler.write(end)
    assert (done.drawn, done.released) == (D("0.5"), D("1.5"))
    with store.unit() as uow:
        balances = uow.ledger.balances([world.account, "usage"])
        metered = uow.ledger.metered_by_job()
        charged = uow.ledger.job_usage("j1")
        spans = [(u.count, u.credits) for u in uow.ledger.usage_for_job("j1")]
        kinds = [e.kind for e in uow.ledger.journal(world.account).items]
        job = uow.jobs.get("j1")
        history = [(e.src, e.dst) for e in uow.jobs.events("j1")]
        funds = uow.projects.funds(world.project_id)
    assert balances == {world.account: D("98.5"), "usage": D("1.5")}
    assert metered == {"j1": D("1.5")} and charged == (D("1.5"), D(0))
    assert spans == [(2, D(1)), (2, D("0.5"))] and kinds == ["transfer", "usage", "usage"]
    assert job is not None and funds is not None
    assert (job.state, job.exit_code, job.reserved_credits, funds.committed) == (
        "completed", 0, D(0), D(0))  # fmt: skip
    assert job.reason == Reason(Code.COMPLETED)
    assert history == [("pending", "running"), ("running", "completed")]
    _verified(store)


def test_a_retried_charge_posts_once_in_the_one_journal(store: Store, world: JobsWorld) -> None:
    _submit(store, world, "j1", "3")
    charge = _charge(world, "j1", 10, 70, "1")
    with store.unit() as uow:
        uow.scheduler.write(TickWrites(moves=[_start("j1")], charges=[charge]))
    with store.unit() as uow:  # the cause is the ledger's: the scheduler sees it posted
        assert uow.ledger.by_cause(charge.cause) is not None
        again = uow.scheduler.write(TickWrites(charges=[charge]))
    assert again.posted == () and again.drawn == D(0)
    with store.unit() as uow:
        assert uow.ledger.balance("usage") == D(1)
    _verified(store)


def test_the_schedulers_beat_is_what_health_reads(store: Store) -> None:
    beat = Beat(LIVE_SCHEDULER, "host", 7, NOW, _at(5), 0.5, 0.01, 3, 2)
    with store.unit() as uow:
        uow.scheduler.record_beat(beat)
    health = scheduler_health(Services(None, store=store), _at(6))
    assert (health.state, health.age_s) == ("ok", 1.0) and health.beat is not None
    with store.unit() as uow:
        got = uow.jobs.last_beat()
        uow.jobs.record_beat(Beat(LIVE_SCHEDULER, "host", 7, NOW, _at(9), 0.5, 0.02, 0, 5))
    assert got is not None and (got.name, got.pid, got.beat_at, got.pending, got.running) == (
        LIVE_SCHEDULER, 7, _at(5), 3, 2)  # fmt: skip
    with store.unit() as uow:  # one table: either side's write is the other's read
        again = uow.scheduler.last_beat(LIVE_SCHEDULER)
    assert again is not None and (again.beat_at, again.running) == (_at(9), 5)
