"""Stops the router owes (``Router.stop``): a cancel of a job on a backend that is down and
cannot forget its jobs (Kubernetes), or on one that does not answer the stop
(``BackendUnreachable``), ends the job in nacc at once and never fails the step; the stop
is made after that backend's next poll that answers, and the job's end there is never
reported. The backend is a test double; the live path over HTTP, with the fake
Kubernetes API server down, is ``tests/integration/api/test_api_k8s.py``."""

from __future__ import annotations

from collections.abc import Mapping

from nacc import ports
from nacc.domain.ids import JobId, PoolId
from nacc.domain.lifecycle import JobState
from nacc.engine.engine import Engine
from nacc.scheduling.policies.registry import builtin_policies
from support.doubles import TableRates, job, pool

RATES = TableRates({"slow": 1.0})


class Cluster:
    """A backend that cannot forget a launch (no ``abandon``); ``down`` fails every call
    as an unreachable API server does."""

    unsupported: Mapping[str, str] = {}
    name = "k8s://ctx"

    def __init__(self) -> None:
        self.down = False
        self.jobs: set[JobId] = set()
        self.stops: list[JobId] = []
        self.ended: list[ports.Observation] = []

    def launch(self, launch: ports.Launch) -> ports.Launched:
        self.jobs.add(launch.spec.id)
        return ports.Launched("h", (), None)

    def stop(self, job_id: JobId, at: float) -> float | None:
        if self.down:
            raise ports.BackendUnreachable("API server at http://kube: unreachable")
        if job_id not in self.jobs:
            raise KeyError(job_id)
        self.jobs.discard(job_id)
        self.stops.append(job_id)
        return None

    def poll(self, now: float) -> list[ports.Observation]:
        if self.down:
            raise ConnectionError("API server unreachable")
        said, self.ended = self.ended, []
        return said


def _engine(down_after_s: float | None = 10.0) -> tuple[Engine, Cluster]:
    cluster = Cluster()
    eng = Engine([pool("k8s", "slow", 4)], builtin_policies().create("fifo"),
                 {PoolId("k8s"): cluster}, RATES)  # type: ignore[arg-type]  # fmt: skip
    eng.dispatcher.down_after_s, eng.dispatcher.probe_s = down_after_s, 0.0
    return eng, cluster


def _running(eng: Engine, n: int) -> JobId:
    spec = job(n, 0.0, 1000.0, gpus=2)
    eng.submit(spec, 0.0)
    eng.observe_backends(0.0)
    eng.decide(0.0)
    assert eng.jobs[spec.id].state is JobState.RUNNING
    return spec.id


def test_a_cancel_on_a_down_backend_that_cannot_forget_is_owed_and_made_when_it_answers() -> None:
    eng, cluster = _engine()
    a = _running(eng, 1)
    cluster.down = True
    for t in (1.0, 12.0):  # down after 10 s of failed polls
        eng.observe_backends(t)
    assert eng.dispatcher.down_pools() == {PoolId("k8s")}
    eng.cancel(a, 13.0)  # no exception: the step goes on
    assert eng.jobs[a].state is JobState.CANCELLED and cluster.stops == []
    assert set(eng.dispatcher.owed) == {a}
    eng.observe_backends(14.0)  # still down: still owed, nothing raised
    assert set(eng.dispatcher.owed) == {a}
    cluster.down = False
    eng.observe_backends(15.0)
    assert cluster.stops == [a] and eng.dispatcher.owed == {}
    assert eng.dispatcher.down_pools() == frozenset()


def test_a_stop_not_answered_before_down_is_owed_and_the_jobs_end_there_is_dropped() -> None:
    eng, cluster = _engine()
    a = _running(eng, 1)
    cluster.down = True
    eng.cancel(a, 1.0)  # not down yet: the stop raises BackendUnreachable, owed
    assert eng.jobs[a].state is JobState.CANCELLED
    assert [f.error for f in eng.dispatcher.faults][-1].startswith("stop: ")
    cluster.down = False
    cluster.jobs.discard(a)  # it ended there meanwhile: the backend reports its end
    cluster.ended.append(ports.Observation(a, 2.0, ports.Outcome.SUCCEEDED, 0))
    assert eng.observe_backends(3.0) == 0  # never reported: nacc ended it already
    assert eng.jobs[a].state is JobState.CANCELLED and eng.dispatcher.owed == {}
    assert cluster.stops == []  # nothing left to stop there
