"""The live scheduler's repository: what it takes in, and one tick's batched writes
(lifecycle moves with coded reasons, usage charges posted once by cause with their
reservation draw-downs, pending reasons), on SQLite, PostgreSQL and memory."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from contract.store.scheduler_world import (
    T0,
    Seed,
    add_jobs,
    add_project,
    committed,
    entries,
    events,
    job,
    request_cancel,
    usage,
)
from nacc.domain.errors import InputError
from nacc.domain.lifecycle import JobState
from nacc.domain.reasons import Code, Reason
from nacc.ports.store import Store
from nacc.ports.store_scheduler import Beat, Charge, Leg, Move, TickWrites, Waiting

P, R, C, F = JobState.PENDING, JobState.RUNNING, JobState.COMPLETED, JobState.FAILED
START = Reason.of(Code.START_HEAD_OF_QUEUE, policy="fifo")


def _at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


def _start(job_id: str, s: float = 10, devices: tuple[str, ...] = ("0",)) -> Move:
    log = f"/w/{job_id}/out.log"
    return Move(job_id, _at(s), P, R, START, "fifo: head of the queue", "local-h100", devices,
                log_path=log)  # fmt: skip


def _end(job_id: str, s: float = 20, code: int = 0) -> Move:
    reason = Reason(Code.COMPLETED) if code == 0 else Reason.of(Code.EXIT_CODE, exit_code=code)
    return Move(job_id, T0 + timedelta(seconds=s), R, C if code == 0 else F, reason,
                "completed" if code == 0 else f"exit code {code}", exit_code=code)  # fmt: skip


def _charge(job_id: str, project_id: int, start: float, end: float, credits: str) -> Charge:
    amount = Decimal(credits)
    legs = (Leg(f"project:{project_id}", -amount, "project"),
            Leg("usage", amount, "usage", None))  # fmt: skip
    return Charge(f"job:{job_id}:usage:{start:g}-{end:g}", T0 + timedelta(seconds=end),
                  "1 x H100-SXM", job_id, legs, T0 + timedelta(seconds=start),
                  T0 + timedelta(seconds=end), "H100-SXM", 1, amount)  # fmt: skip


@pytest.fixture
def project(store: Store) -> int:
    pid = add_project(store)
    add_jobs(store, pid, [Seed("j1", T0, Decimal(1)), Seed("j2", T0 + timedelta(seconds=1)),
                          Seed("j3", T0 + timedelta(seconds=2), Decimal("0.5"))])  # fmt: skip
    return pid


def test_queued_takes_in_pending_jobs_oldest_first_skipping_known(
    store: Store, project: int
) -> None:
    with store.unit() as uow:
        every = uow.scheduler.queued(None, set())
        since = uow.scheduler.queued(T0 + timedelta(seconds=1), {"j3"})
    assert [j.id for j in every] == ["j1", "j2", "j3"]
    assert [j.id for j in since] == ["j2"]
    first = every[0]
    assert (first.project_id, first.command, first.accelerators, first.job_class) == (
        project, "true", 1, "inference")  # fmt: skip
    assert first.state is P and first.time_limit_s == 60 and first.submitted_at == T0
    with store.unit() as uow:
        uow.scheduler.write(TickWrites(moves=[_start("j1")]))
        assert [j.id for j in uow.scheduler.queued(None, set())] == ["j2", "j3"]


def test_a_start_and_an_end_write_the_row_the_events_and_release_the_reservation(
    store: Store, project: int
) -> None:
    with store.unit() as uow:
        done = uow.scheduler.write(TickWrites(moves=[_start("j1")]))
    assert done.refused == ()
    row = job(store, "j1")
    assert (row["state"], row["pool_id"], row["device_ids"]) == ("running", "local-h100", ["0"])
    assert row["started_at"] == _at(10) and row["finished_at"] is None
    assert (row["reason_code"], row["reason_params"]) == ("start_head_of_queue", {"policy": "fifo"})
    assert row["reason"] == "fifo: head of the queue" and row["log_path"] == "/w/j1/out.log"
    with store.unit() as uow:
        done = uow.scheduler.write(TickWrites(moves=[_end("j1", code=3)]))
    row = job(store, "j1")
    assert (row["state"], row["exit_code"], row["finished_at"]) == ("failed", 3, _at(20))
    assert row["pool_id"] == "local-h100" and row["started_at"] == _at(10)  # left as they were
    assert row["device_ids"] == ["0"] and row["log_path"] == "/w/j1/out.log"  # (JSON too)
    assert row["reserved_credits"] == 0 and done.released == Decimal(1)
    assert committed(store, project) == Decimal("0.5")  # j3's reservation only
    assert events(store, "j1") == [
        ("pending", "running", "fifo: head of the queue", "start_head_of_queue",
         {"policy": "fifo"}),
        ("running", "failed", "exit code 3", "exit_code", {"exit_code": 3}),
    ]  # fmt: skip


def test_a_move_from_the_wrong_state_is_refused_and_the_others_go_on(
    store: Store, project: int
) -> None:
    with store.unit() as uow:
        done = uow.scheduler.write(TickWrites(moves=[_end("j1"), _start("j2"), _start("nope")]))
    assert [(m.job_id, why) for m, why in done.refused] == [
        ("j1", "job j1 is pending, not running"), ("nope", "no job 'nope'")]  # fmt: skip
    assert job(store, "j1")["state"] == "pending" and events(store, "j1") == []
    assert job(store, "j2")["state"] == "running"
    bad = Move("j2", _at(30), R, R, START, "x")
    with store.unit() as uow:
        done = uow.scheduler.write(TickWrites(moves=[bad]))
    assert done.refused[0][1] == "a job cannot go from running to running"


def test_several_moves_of_one_job_in_one_tick_apply_in_order(store: Store, project: int) -> None:
    requeue = Move("j1", _at(11), R, P, Reason.of(Code.PREEMPTED, policy="las"), "preempted")
    with store.unit() as uow:
        uow.scheduler.write(TickWrites(moves=[_start("j1"), requeue, _start("j1", 12, ("1",))]))
    row = job(store, "j1")
    assert (row["state"], row["device_ids"], row["started_at"]) == ("running", ["1"], _at(10))
    assert [(e[0], e[1]) for e in events(store, "j1")] == [
        ("pending", "running"), ("running", "pending"), ("pending", "running")]  # fmt: skip


def test_charges_post_once_by_cause_and_draw_the_reservation_down(
    store: Store, project: int
) -> None:
    first = [_charge("j1", project, 10, 15, "0.4"), _charge("j3", project, 10, 15, "0.7")]
    with store.unit() as uow:
        uow.scheduler.write(TickWrites(moves=[_start("j1"), _start("j3")]))
        done = uow.scheduler.write(TickWrites(charges=first))
    assert set(done.posted) == {c.cause for c in first}
    assert done.drawn == Decimal("0.9")  # j3 holds only 0.5: drawn to zero, never below
    assert job(store, "j1")["reserved_credits"] == Decimal("0.6")
    assert job(store, "j3")["reserved_credits"] == 0
    assert committed(store, project) == Decimal("0.6")
    assert entries(store, "j1") == [(first[0].cause, "usage", "j1",
                                     {f"project:{project}": Decimal("-0.4"),
                                      "usage": Decimal("0.4")})]  # fmt: skip
    assert usage(store, "j1") == [(_at(10), _at(15), "H100-SXM", 1, Decimal("0.4"))]
    with store.unit() as uow:  # a retry of the same intervals posts and draws nothing
        again = uow.scheduler.write(TickWrites(charges=first))
    assert again.posted == () and again.drawn == 0
    assert len(entries(store, "j1")) == 1 and committed(store, project) == Decimal("0.6")


def test_a_charge_and_the_end_in_one_tick_draw_then_release(store: Store, project: int) -> None:
    with store.unit() as uow:
        uow.scheduler.write(TickWrites(moves=[_start("j1")]))
    with store.unit() as uow:
        tick = TickWrites(moves=[_end("j1")], charges=[_charge("j1", project, 10, 20, "0.25")])
        done = uow.scheduler.write(tick)
    assert (done.drawn, done.released) == (Decimal("0.25"), Decimal("0.75"))
    assert job(store, "j1")["reserved_credits"] == 0
    assert committed(store, project) == Decimal("0.5")


def test_unbalanced_legs_are_refused_naming_the_field(store: Store, project: int) -> None:
    charge = _charge("j1", project, 0, 1, "1")
    legs = (charge.legs[0], Leg("usage", Decimal(2), "usage", None))
    bad = dataclasses.replace(charge, legs=legs)
    with pytest.raises(InputError, match="legs sum to 1") as caught, store.unit() as uow:
        uow.scheduler.write(TickWrites(charges=[bad]))
    assert caught.value.where == "charge.legs"
    assert entries(store, "j1") == []


def test_waits_say_why_and_when_for_pending_jobs_only(store: Store, project: int) -> None:
    why = Reason.of(Code.WAITING_FOR_CAPACITY, pool="local-h100", needed=4, free=2)
    text = "waiting for capacity"
    with store.unit() as uow:
        uow.scheduler.write(TickWrites(moves=[_start("j1")]))
        uow.scheduler.write(TickWrites(waits=[Waiting("j1", why, text, _at(99)),
                                              Waiting("j2", why, text, _at(60)),
                                              Waiting("j3", why, text, None)]))  # fmt: skip
    assert job(store, "j1")["reason_code"] == "start_head_of_queue"  # running: untouched
    j2 = job(store, "j2")
    assert (j2["reason"], j2["reason_code"], j2["expected_start_at"]) == (text,
                                                                          "waiting_for_capacity",
                                                                          _at(60))  # fmt: skip
    assert j2["reason_params"] == {"pool": "local-h100", "needed": 4, "free": 2}
    assert job(store, "j3")["expected_start_at"] is None and events(store, "j2") == []


def test_a_running_wait_updates_a_running_job_only(store: Store, project: int) -> None:
    """A job a backend accepted but has not started (Slurm's queue) shows the backend's
    reason; such a wait never touches a pending job."""
    why = Reason.of(Code.SLURM_PENDING_RESOURCES, reason="Resources")
    with store.unit() as uow:
        uow.scheduler.write(TickWrites(moves=[_start("j1")]))
        held = [Waiting(j, why, "Resources", None, True) for j in ("j1", "j2")]
        uow.scheduler.write(TickWrites(waits=held))
    j1 = job(store, "j1")
    assert (j1["reason_code"], j1["reason_params"]) == ("slurm_pending_resources",
                                                        {"reason": "Resources"})  # fmt: skip
    assert job(store, "j2")["reason_code"] != "slurm_pending_resources"  # pending: untouched


def test_cancel_requests_and_live_jobs_for_recovery(store: Store, project: int) -> None:
    request_cancel(store, "j2", _at(5))
    with store.unit() as uow:
        uow.scheduler.write(TickWrites(moves=[_start("j1"), _start("j3")]))
        charges = [_charge("j1", project, 10, 15, "0.1"), _charge("j1", project, 15, 17, "0.1")]
        uow.scheduler.write(TickWrites(moves=[_end("j3")], charges=charges))
    with store.unit() as uow:
        assert uow.scheduler.cancel_requests() == ["j2"]
        live = {j.id: j for j in uow.scheduler.live_jobs()}
    assert sorted(live) == ["j1", "j2"]
    assert (live["j1"].state, live["j1"].pool_id, live["j1"].started_at) == (R, "local-h100",
                                                                             _at(10))  # fmt: skip
    assert live["j1"].metered_until == _at(17) and live["j2"].metered_until is None


def test_a_unit_that_raises_after_a_write_changes_nothing(store: Store, project: int) -> None:
    with pytest.raises(RuntimeError), store.unit() as uow:
        uow.scheduler.write(TickWrites(moves=[_start("j1")],
                                       charges=[_charge("j1", project, 0, 1, "0.1")]))  # fmt: skip
        raise RuntimeError("crash before commit")
    assert job(store, "j1")["state"] == "pending" and entries(store, "j1") == []
    assert committed(store, project) == Decimal("1.5")


def test_heartbeats_are_overwritten(store: Store) -> None:
    beat = Beat("live", "host", 7, T0, T0, 0.5, 0.01, 3, 2)
    with store.unit() as uow:
        uow.scheduler.record_beat(beat)
        uow.scheduler.record_beat(Beat("live", "host", 7, T0, _at(1), 0.5, 0.02, 1, 4))
    with store.unit() as uow:
        got = uow.scheduler.last_beat("live")
        assert uow.scheduler.last_beat("other") is None
    assert got is not None and (got.beat_at, got.step_s, got.pending, got.running) == (
        _at(1), 0.02, 1, 4)  # fmt: skip
