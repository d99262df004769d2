"""The gavel policy on hand-built cluster views (frozen doubles of the view protocols)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field

import pytest

from nacc.domain.ids import JobId, PoolId
from nacc.domain.jobs import JobClass, JobSpec
from nacc.domain.pools import Pool
from nacc.domain.reasons import Code, Reason
from nacc.scheduling.plan import Plan, Preempt, Start
from nacc.scheduling.policies.gavel import GavelPolicy, make_gavel
from nacc.scheduling.view import ClusterView, PendingJob, PoolView, RunningJob


@dataclass(frozen=True)
class Rates:
    """Throughput table keyed by (workload, type); missing = cannot run there."""

    table: Mapping[tuple[str, str], float]

    def rate(self, spec: JobSpec, accel_type: str) -> float | None:
        return self.table.get((spec.workload or "", accel_type))

    def credit_rate(self, spec: JobSpec, accel_type: str) -> float | None:
        return 1.0


@dataclass(frozen=True)
class Job:
    spec: JobSpec
    attained_by_type: Mapping[str, float] = field(default_factory=dict)
    queued_since_s: float = 0.0
    remaining_work: float = 1e6
    preemptions: int = 0

    @property
    def attained_s(self) -> float:
        return sum(self.attained_by_type.values()) * self.spec.accelerators


NO_POOL = PoolId("")


@dataclass(frozen=True)
class Running(Job):
    pool_id: PoolId = NO_POOL
    started_s: float = 0.0
    count: int = 1


def spec(jid: str, workload: str, gang: int = 1, submit: float = 0.0, w: float = 1.0) -> JobSpec:
    return JobSpec(
        id=JobId(jid),
        submit_s=submit,
        accelerators=gang,
        job_class=JobClass.VISION,
        work=1e6,
        project="p",
        workload=workload,
        priority_weight=w,
    )


def pool(pid: str, accel: str, count: int) -> Pool:
    return Pool(PoolId(pid), "prov", "site", accel, count, 8, "sim")


def view(
    now: float,
    pools: list[Pool],
    pending: list[Job],
    running: list[Running],
    rates: Rates,
) -> ClusterView:
    used: dict[str, int] = {}
    for r in running:
        used[r.pool_id] = used.get(r.pool_id, 0) + r.count
    pv = {p.id: PoolView(p, p.count - used.get(p.id, 0)) for p in pools}
    pend: dict[JobId, PendingJob] = {j.spec.id: j for j in pending}
    run: dict[JobId, RunningJob] = {r.spec.id: r for r in running}
    total = sum(p.count for p in pools)
    return ClusterView(now, pv, pend, run, {}, {}, rates, total)


def starts(plan: Plan) -> dict[str, Start]:
    return {a.job_id: a for a in plan.actions if isinstance(a, Start)}


def preempts(plan: Plan) -> set[str]:
    return {a.job_id for a in plan.actions if isinstance(a, Preempt)}


RATES = Rates({("a", "X"): 3.0, ("a", "Y"): 1.0, ("b", "X"): 1.2, ("b", "Y"): 1.0})


def test_declares_round_based() -> None:
    p = make_gavel(round_s=120)
    assert p.name == "gavel" and p.round_s == 120.0 and p.on_events is False
    with pytest.raises(ValueError, match="unknown options"):
        make_gavel(rounds=3)


def test_fast_job_gets_the_fast_type() -> None:
    pools = [pool("px", "X", 1), pool("py", "Y", 1)]
    jobs = [Job(spec("A", "a")), Job(spec("B", "b", submit=1.0)), Job(spec("C", "b", submit=2.0))]
    policy = GavelPolicy()
    plan = policy.plan(view(0.0, pools, jobs, [], RATES))
    st = policy.state
    assert st is not None
    assert st.alloc[JobId("A")]["X"] > st.alloc[JobId("B")]["X"]
    assert st.alloc[JobId("A")]["Y"] == pytest.approx(0.0, abs=1e-6)
    s = starts(plan)
    assert s["A"].pool_id == "px"
    assert len(s) == 2 and set(plan.pending_reasons) == {next(j for j in "BC" if j not in s)}


def test_job_that_cannot_run_on_a_type_gets_zero_there() -> None:
    rates = Rates({("a", "X"): 2.0, ("a", "Y"): 1.0, ("x_only", "X"): 1.0})
    pools = [pool("px", "X", 1), pool("py", "Y", 4)]
    jobs = [Job(spec("A", "a")), Job(spec("B", "x_only", submit=1.0))]
    policy = GavelPolicy()
    plan = policy.plan(view(0.0, pools, jobs, [], rates))
    assert policy.state is not None
    assert policy.state.alloc[JobId("B")]["Y"] == 0.0
    assert all(a.pool_id != "py" for a in starts(plan).values() if a.job_id == "B")


def test_job_no_pool_can_hold_is_rejected() -> None:
    plan = GavelPolicy().plan(view(0.0, [pool("px", "X", 2)], [Job(spec("A", "a", 4))], [], RATES))
    assert [a.job_id for a in plan.actions] == ["A"] and not starts(plan)


def test_less_served_job_runs_first() -> None:
    pools = [pool("px", "X", 1)]
    a, b = spec("A", "a"), spec("B", "a", submit=1.0)
    policy = GavelPolicy()
    first = policy.plan(view(0.0, pools, [Job(a), Job(b)], [], RATES))
    assert set(starts(first)) == {"A"}  # tie on priority: arrival order
    # A ran the whole round; B got nothing: B's fraction is lower, so B's priority higher.
    run_a = Running(a, {"X": 360.0}, pool_id=PoolId("px"), count=1)
    second = policy.plan(view(360.0, pools, [Job(b)], [run_a], RATES))
    assert set(starts(second)) == {"B"} and preempts(second) == {"A"}


def test_running_job_keeps_its_pool() -> None:
    pools = [pool("x1", "X", 2), pool("x2", "X", 2)]
    a = spec("A", "a", 2)
    run_a = Running(a, {"X": 360.0}, pool_id=PoolId("x2"), count=2)
    plan = GavelPolicy().plan(view(360.0, pools, [], [run_a], RATES))
    assert not plan.actions


def test_move_is_preempt_then_start() -> None:
    # A runs on Y but the allocation puts it on X, which is free.
    pools = [pool("px", "X", 1), pool("py", "Y", 1)]
    a = spec("A", "a")
    run_a = Running(a, {"Y": 10.0}, pool_id=PoolId("py"), count=1)
    plan = GavelPolicy().plan(view(0.0, pools, [], [run_a], RATES))
    kinds = [(type(x).__name__, x.job_id) for x in plan.actions]
    assert kinds == [("Preempt", "A"), ("Start", "A")]
    assert starts(plan)["A"].pool_id == "px"


def test_job_arriving_between_resets_waits_with_reason() -> None:
    pools = [pool("px", "X", 4)]
    policy = GavelPolicy(reset_interval_s=1920.0)
    a = spec("A", "a")
    policy.plan(view(0.0, pools, [Job(a)], [], RATES))
    run_a = Running(a, {"X": 360.0}, pool_id=PoolId("px"), count=1)
    b = Job(spec("B", "a", submit=100.0))
    plan = policy.plan(view(360.0, pools, [b], [run_a], RATES))
    assert not plan.actions
    assert plan.pending_reasons[JobId("B")] == Reason.of(
        Code.WAITING_FOR_ROUND, policy="gavel", interval_s=1920.0
    )
    later = policy.plan(view(1920.0, pools, [b], [run_a], RATES))
    assert set(starts(later)) == {"B"}


def _random_view(seed: int) -> ClusterView:
    rng = random.Random(seed)
    types = ["X", "Y", "Z"]
    table = {(f"w{k}", t): rng.uniform(0.5, 4.0) for k in range(4) for t in types}
    del table[("w0", "Z")]
    pools = [pool(f"p{i}", types[i % 3], rng.choice([2, 4, 8])) for i in range(6)]
    running: list[Running] = []
    room = {p.id: p.count for p in pools}
    pending: list[Job] = []
    for i in range(30):
        sp = spec(f"j{i:02d}", f"w{rng.randrange(4)}", rng.choice([1, 1, 2, 4]), submit=i)
        hist = {t: rng.uniform(0, 2000) for t in types if rng.random() < 0.5}
        fits = [p for p in pools if room[p.id] >= sp.accelerators]
        if fits and rng.random() < 0.4:
            p = rng.choice(fits)
            room[p.id] -= sp.accelerators
            running.append(Running(sp, hist, pool_id=p.id, count=sp.accelerators))
        else:
            pending.append(Job(sp, hist))
    return view(3600.0, pools, pending, running, Rates(table))


@pytest.mark.parametrize("seed", range(8))
def test_capacity_never_exceeded_and_gangs_never_split(seed: int) -> None:
    v = _random_view(seed)
    plan = GavelPolicy().plan(v)
    gone = preempts(plan)
    used = {pid: pv.pool.count - pv.free for pid, pv in v.pools.items()}
    for jid in gone:
        used[v.running[JobId(jid)].pool_id] -= v.running[JobId(jid)].count
    for jid, st in starts(plan).items():
        job = v.pending.get(JobId(jid)) or v.running[JobId(jid)]
        assert st.count == job.spec.accelerators  # whole gang, one pool
        assert jid not in v.running or jid in gone
        used[st.pool_id] += st.count
    for pid, n in used.items():
        assert n <= v.pools[pid].pool.count, pid
    w0_on_z = [s for s in starts(plan).values() if s.pool_id in ("p2", "p5")]
    assert all(
        (v.pending.get(s.job_id) or v.running[s.job_id]).spec.workload != "w0" for s in w0_on_z
    )


def test_deterministic() -> None:
    plans = [GavelPolicy().plan(_random_view(3)) for _ in range(2)]
    assert plans[0] == plans[1]
    again = GavelPolicy()
    v = _random_view(3)
    assert again.plan(v) == again.plan(v)


def test_thousand_jobs_round_is_fast() -> None:
    rng = random.Random(1)
    types = [f"T{k}" for k in range(13)]
    table = {(f"w{k}", t): rng.uniform(0.2, 5.0) for k in range(26) for t in types}
    pools = [pool(f"p{i}", types[i % 13], 128) for i in range(26)]
    jobs = [
        Job(spec(f"j{i}", f"w{rng.randrange(26)}", rng.choice([1, 2, 4, 8]), submit=i))
        for i in range(1000)
    ]
    plan = GavelPolicy().plan(view(0.0, pools, jobs, [], Rates(table)))
    assert starts(plan)  # timing is measured in bench/, not asserted here
