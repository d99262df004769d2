"""The engine reads each pool's backend capabilities before it uses one: a preemption a
backend declares it cannot do (``unsupported["preempt"]``) is refused with a coded reason
and the job runs on; the same plan preempts on a pool whose backend can."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from nacc import ports
from nacc.domain.ids import JobId, PoolId
from nacc.domain.lifecycle import JobState
from nacc.domain.reasons import Code, Reason
from nacc.engine.engine import Engine
from nacc.ports.dispatch import PREEMPT
from nacc.scheduling.plan import Plan, Preempt, Start
from nacc.scheduling.view import ClusterView
from nacc.sim.dispatcher import SimDispatcher
from nacc.sim.kernel import Kernel
from support.doubles import Recorder, TableRates, job, pool

RATES = TableRates({"slow": 1.0})
CANNOT = "this backend's jobs run to their end; it cannot stop one early"


@dataclass
class NoPreempt:
    """A backend that declares it cannot preempt (and records any stop it is asked)."""

    inner: SimDispatcher
    stops: list[JobId] = field(default_factory=list)

    @property
    def unsupported(self) -> Mapping[str, str]:
        return {**self.inner.unsupported, PREEMPT: CANNOT}

    def launch(self, launch: ports.Launch) -> ports.Launched | None:
        return self.inner.launch(launch)

    def stop(self, job_id: JobId, at: float) -> float | None:
        self.stops.append(job_id)
        return self.inner.stop(job_id, at)

    def poll(self, now: float) -> list[ports.Observation]:
        return list(self.inner.poll(now))


class StartThenPreemptAll:
    """Starts each pending job on the pool of its number; once jobs run, preempts them all."""

    name = "start-then-preempt"
    round_s = None
    on_events = True

    def plan(self, view: ClusterView) -> Plan:
        if view.running:
            return Plan(tuple(Preempt(j, "make room") for j in view.running))
        pools = list(view.pools)
        return Plan(tuple(Start(j, pools[n], 1, "free") for n, j in enumerate(view.pending)))


def test_a_preempt_the_backend_cannot_do_is_refused_and_the_job_runs_on() -> None:
    kernel = Kernel()
    sim = SimDispatcher(kernel, RATES)
    cannot = NoPreempt(SimDispatcher(kernel, RATES))
    pools = [pool("a", "slow", 1), pool("b", "slow", 1)]
    events = Recorder()
    eng = Engine(pools, StartThenPreemptAll(), {PoolId("a"): cannot, PoolId("b"): sim}, RATES,
                 events=events)  # fmt: skip
    eng.submit(job(0, 0, 100), 0)
    eng.submit(job(1, 0, 100), 0)
    eng.tick(0)
    on_a, on_b = eng.jobs[JobId("j0")], eng.jobs[JobId("j1")]
    assert (on_a.pool_id, on_b.pool_id) == ("a", "b")
    eng.tick(10)  # the policy preempts both
    assert on_a.state is JobState.RUNNING and on_a.preemptions == 0
    assert cannot.stops == []  # never asked to do what it said it cannot
    assert eng.free[PoolId("a")] == 0  # still held by j0
    why = Reason.of(Code.PREEMPT_UNSUPPORTED, pool="a", message=CANNOT)
    assert eng.refused == [(JobId("j0"), why)]
    assert on_b.state is JobState.PENDING and on_b.preemptions == 1  # b's backend can
    moved = [(e.job_id, e.dst) for e in events.events if e.at == 10]
    assert moved == [(JobId("j1"), JobState.PENDING)]  # no event claims j0 moved
