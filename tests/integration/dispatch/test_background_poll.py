"""``BackgroundPoll``: a backend's poll in a thread of its own, waited for at most
``wait_s``. A poll that hangs is a failed poll for the step (``BackendUnreachable``), goes
on in the background and is what a later poll returns; no second poll starts while it is
out; a stop while it is out is refused without waiting long; an abandon is kept and made
right after it; with the router, the hanging backend goes down while the others are
heard every cycle. The backend is a test double whose poll blocks on an event (the real
hang, a socket that accepts and never answers, is ``tests/integration/live``)."""

from __future__ import annotations

import threading
from collections.abc import Mapping

import pytest

from nacc import ports
from nacc.adapters.dispatch.background import BackgroundPoll
from nacc.domain.ids import JobId, PoolId
from nacc.domain.reasons import Reason
from nacc.engine.routing import Router
from support.waiting import wait_until


class Held:
    """A backend whose poll waits for ``release`` (as slurmrestd with slurmctld down)."""

    unsupported: Mapping[str, str] = {}
    name = "slurm://head:6820"

    def __init__(self) -> None:
        self.release = threading.Event()
        self.entered = threading.Event()
        self.polls = 0
        self.stops: list[JobId] = []
        self.abandoned: list[JobId] = []
        self.answer: list[ports.Observation] = []

    def launch(self, launch: ports.Launch) -> ports.Launched:
        return ports.Launched("h", (), None, starting=True)

    def stop(self, job_id: JobId, at: float) -> float | None:
        self.stops.append(job_id)
        return None

    def abandon(self, job_id: JobId) -> None:
        self.abandoned.append(job_id)

    def pending_reasons(self) -> Mapping[JobId, Reason]:
        return {JobId("q"): Reason("slurm_pending_resources")}

    def poll(self, now: float) -> list[ports.Observation]:
        self.polls += 1
        self.entered.set()
        if not self.release.wait(60):
            raise TimeoutError("the test never released the poll")
        return list(self.answer)


class Quick:
    unsupported: Mapping[str, str] = {}

    def __init__(self) -> None:
        self.polls = 0

    def launch(self, launch: ports.Launch) -> None:
        return None

    def stop(self, job_id: JobId, at: float) -> float | None:
        return None

    def poll(self, now: float) -> list[ports.Observation]:
        self.polls += 1
        return []


def test_a_hanging_poll_is_a_fault_for_the_step_and_its_answer_comes_later() -> None:
    held = Held()
    bg = BackgroundPoll(held, wait_s=0.05)  # type: ignore[arg-type]
    with pytest.raises(ports.BackendUnreachable, match="no answer to a poll"):
        bg.poll(1.0)
    assert held.entered.wait(30)
    for now in (2.0, 3.0):  # still out: no second poll, no wait
        with pytest.raises(ports.BackendUnreachable):
            bg.poll(now)
    assert bg.started == 1 and held.polls == 1
    with pytest.raises(ports.BackendUnreachable, match="stop not sent"):
        bg.stop(JobId("a"), 3.0)  # the backend is busy: the router owes this stop
    bg.abandon(JobId("b"))  # type: ignore[attr-defined]  # kept, made after the poll
    assert held.abandoned == [] and held.stops == []
    held.answer = [ports.Observation(JobId("c"), 1.0, ports.Outcome.SUCCEEDED, 0)]
    held.release.set()
    got = _poll_until_answered(bg, 4.0)
    assert [o.job_id for o in got] == ["c"]  # the first poll's answer, taken once
    assert held.abandoned == ["b"] and bg.pending_reasons() == {
        "q": Reason("slurm_pending_resources")
    }
    assert bg.stop(JobId("a"), 5.0) is None and held.stops == ["a"]
    assert list(bg.poll(6.0)) == [got[0]] and bg.started == 2  # a new one, answered in time


def _poll_until_answered(bg: BackgroundPoll, now: float) -> list[ports.Observation]:
    def answered() -> list[ports.Observation] | None:
        try:
            return list(bg.poll(now)) or None
        except ports.BackendUnreachable:
            return None

    return wait_until(answered, 30, "the released poll to be handed back")


def test_an_error_of_the_poll_is_raised_by_the_poll_that_takes_it() -> None:
    class Broken(Quick):
        def poll(self, now: float) -> list[ports.Observation]:
            raise ConnectionError("slurmrestd refused")

    bg = BackgroundPoll(Broken(), wait_s=30)  # type: ignore[arg-type]
    with pytest.raises(ConnectionError, match="refused"):
        bg.poll(1.0)
    assert not hasattr(bg, "abandon")  # only where the backend has one (the router asks)


def test_with_the_router_the_hanging_backend_goes_down_and_the_others_are_heard() -> None:
    held, quick = Held(), Quick()
    bg = BackgroundPoll(held, wait_s=0.05)  # type: ignore[arg-type]
    router = Router({PoolId("slurm"): bg, PoolId("local"): quick}, down_after_s=2.0,  # type: ignore[dict-item]
                    probe_s=0.0)  # fmt: skip
    for now in range(6):
        router.poll(float(now))
    assert quick.polls == 6 and held.polls == 1  # every cycle for the quick one
    assert router.down_pools() == {PoolId("slurm")}
    assert "no answer to a poll" in next(iter(router.down.values())).error
    held.release.set()
    clock = iter(range(6, 1_000_000))
    wait_until(lambda: router.poll(float(next(clock))) is not None and router.came_back, 30,
               "the released backend to answer again")  # fmt: skip
    assert router.down_pools() == frozenset() and quick.polls > 6
