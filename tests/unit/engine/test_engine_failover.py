"""Failover in the engine (``nacc.engine.failover``): a backend whose polls fail for
``down_after_s`` is down; its jobs not yet started are planned again elsewhere, never
charged there; a pending job with no other pool waits with ``backend_down``; when it
answers again a copy that ran anyway is adopted (charged from its own start) or, the
job having started elsewhere, cancelled. Running jobs stay where they run.

The remote backend is a test double (a queue that starts jobs only when told): the real
outage, a stopped slurmctld, is ``tests/integration/api/test_api_slurm_failover.py``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from nacc import ports
from nacc.domain.ids import JobId, PoolId
from nacc.domain.lifecycle import JobState
from nacc.domain.reasons import Code, Reason
from nacc.engine.engine import Engine
from nacc.ledger.metering import credits_for
from nacc.scheduling.policies.registry import builtin_policies
from nacc.sim.dispatcher import SimDispatcher
from nacc.sim.kernel import Kernel
from support.doubles import TableRates, job, pool

RATES = TableRates({"slow": 1.0, "fast": 2.0})


class Queue:
    """A remote engine's queue: launches wait until ``start`` says; ``down`` fails polls."""

    unsupported: Mapping[str, str] = {}
    name = "remote://head"

    def __init__(self) -> None:
        self.down = False
        self.jobs: set[JobId] = set()
        self.said: list[ports.Observation] = []
        self.abandoned: list[JobId] = []
        self.stopped: list[JobId] = []

    def launch(self, launch: ports.Launch) -> ports.Launched:
        if self.down:
            raise ports.BackendUnreachable("slurmrestd at http://head:6820: timed out")
        self.jobs.add(launch.spec.id)
        return ports.Launched("h", (), None, starting=True)

    def stop(self, job_id: JobId, at: float) -> float | None:
        self.jobs.discard(job_id)
        self.stopped.append(job_id)
        return None

    def abandon(self, job_id: JobId) -> None:
        self.jobs.discard(job_id)
        self.abandoned.append(job_id)

    def start(self, job_id: JobId, at: float) -> None:
        self.jobs.add(job_id)
        self.said.append(ports.Observation(job_id, at, ports.Outcome.STARTED))

    def poll(self, now: float) -> list[ports.Observation]:
        if self.down:
            raise ConnectionError("slurmrestd is down")
        said, self.said = self.said, []
        return said


def _engine(remote_count: int = 4, local_count: int = 4,
            local: str = "slow") -> tuple[Engine, Queue]:  # fmt: skip
    remote = Queue()
    local_backend = SimDispatcher(Kernel(), RATES)
    pools = [pool("remote", "slow", remote_count), pool("local", local, local_count)]
    by_pool = {PoolId("remote"): remote, PoolId("local"): local_backend}
    eng = Engine(pools, builtin_policies().create("fifo"), by_pool, RATES)  # type: ignore[arg-type]
    eng.dispatcher.down_after_s, eng.dispatcher.probe_s = 10.0, 0.0
    return eng, remote


def test_jobs_not_started_on_a_down_backend_move_and_running_ones_stay() -> None:
    eng, remote = _engine(remote_count=4, local_count=2)
    eng.submit(job(0, 0, 100, gpus=2), 0)
    eng.submit(job(1, 0, 100, gpus=2), 0)
    eng.tick(0)
    j0, j1 = eng.jobs[JobId("j0")], eng.jobs[JobId("j1")]
    assert (j0.pool_id, j1.pool_id) == ("remote", "remote") and j1.starting
    remote.start(JobId("j0"), 1)
    eng.tick(2)  # j0 runs there; j1 waits in the remote queue
    assert not j0.starting and j1.starting
    remote.down = True
    eng.tick(5)
    eng.tick(14)  # failing for 9 s: not down yet
    assert eng.down == frozenset() and j1.pool_id == "remote"
    eng.tick(15)  # 10 s: down; j1 planned again, onto the local pool
    assert eng.down == {PoolId("remote")}
    assert remote.abandoned == [JobId("j1")] and j1.pool_id == "local"
    assert j1.state is JobState.RUNNING and j1.credits == 0  # never charged on remote
    assert j0.state is JobState.RUNNING and j0.pool_id == "remote"  # never duplicated
    assert eng.snapshot(15).pools[PoolId("remote")].free == 0  # no new job goes there
    eng.submit(job(2, 15, 100, gpus=1), 15)
    eng.tick(16)
    assert eng.jobs[JobId("j2")].state is JobState.PENDING  # local is full, remote down


def test_a_job_no_other_pool_fits_waits_with_backend_down() -> None:
    eng, remote = _engine(local="fast")
    spec = dataclasses.replace(job(0, 0, 100), allowed_types=frozenset({"slow"}))
    remote.down = True
    eng.tick(0)
    eng.tick(10)
    eng.submit(spec, 10)
    eng.tick(11)
    rec = eng.jobs[JobId("j0")]
    assert rec.state is JobState.PENDING
    assert rec.reason == Reason.of(Code.BACKEND_DOWN, pool="remote", backend="remote://head")


def test_a_copy_that_ran_anyway_is_adopted_from_its_start_if_not_started_elsewhere() -> None:
    eng, remote = _engine(remote_count=4, local_count=1)
    eng.submit(job(0, 0, 100, gpus=2), 0)
    eng.tick(0)
    remote.down = True
    eng.tick(1)
    eng.tick(11)  # down: j0 pending again, and the local pool is too small for it
    rec = eng.jobs[JobId("j0")]
    assert rec.state is JobState.PENDING and rec.reason.code == Code.BACKEND_DOWN
    remote.down = False
    remote.start(JobId("j0"), 5.0)  # it had started there while unreachable
    eng.tick(20)
    assert rec.state is JobState.RUNNING and rec.pool_id == "remote" and not rec.starting
    assert rec.reason == Reason.of(Code.RAN_WHILE_DOWN, pool="remote")
    assert rec.started_s == 5.0 and remote.stopped == []
    eng.meter_running(25)  # charged once, from its start there
    assert rec.credit_rate > 0 and rec.credits == credits_for(2, 20.0, rec.credit_rate)


def test_a_copy_that_ran_anyway_is_cancelled_if_the_job_runs_elsewhere() -> None:
    eng, remote = _engine(remote_count=4, local_count=2)
    eng.submit(job(0, 0, 100, gpus=2), 0)
    eng.tick(0)
    remote.down = True
    eng.tick(1)
    eng.tick(11)
    rec = eng.jobs[JobId("j0")]
    assert rec.pool_id == "local" and rec.state is JobState.RUNNING
    remote.down = False
    remote.start(JobId("j0"), 5.0)
    eng.tick(20)
    assert remote.stopped == [JobId("j0")]  # the copy is cancelled
    assert rec.pool_id == "local" and rec.state is JobState.RUNNING
    assert eng.down == frozenset()


def test_a_launch_the_backend_does_not_answer_waits_and_moves_once_it_is_down() -> None:
    eng, remote = _engine(remote_count=4, local_count=2)
    remote.down = True
    eng.submit(job(0, 0, 100, gpus=2), 0)
    eng.tick(0)  # the launch gets no answer: not failed, pending again
    rec = eng.jobs[JobId("j0")]
    assert rec.state is JobState.PENDING and rec.reason == Reason.of(
        Code.BACKEND_UNREACHABLE, pool="remote",
        message="slurmrestd at http://head:6820: timed out")  # fmt: skip
    assert eng.free[PoolId("remote")] == 4 and eng.dispatcher.faults  # counted as a fault
    eng.tick(10)  # 10 s without an answer: down, and the job goes to the local pool
    assert eng.down == {PoolId("remote")}
    assert rec.state is JobState.RUNNING and rec.pool_id == "local"
