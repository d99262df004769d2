"""Property tests over the engine driven by the simulator, for every built-in policy."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nacc.domain.jobs import JobClass
from nacc.domain.lifecycle import JobState
from nacc.scheduling.policies.registry import builtin_policies
from nacc.sim.experiment import SimConfig, simulate
from support.doubles import Recorder, TableRates, job, pool

POOLS = [pool("a", "fast", 8), pool("b", "slow", 4), pool("n", "npu", 4, domestic=True)]
RATES = TableRates({"fast": 2.0, "slow": 1.0, "npu": 0.5}, frozenset({"npu"}))
POLICIES = builtin_policies().names()

job_lists = st.lists(
    st.tuples(
        st.floats(0, 500, allow_nan=False),
        st.floats(1, 300, allow_nan=False),
        st.sampled_from([1, 1, 2, 4, 8]),
        st.sampled_from(["p0", "p1", "p2"]),
        st.sampled_from([JobClass.VISION, JobClass.INFERENCE, JobClass.PRETRAIN]),
    ),
    min_size=1,
    max_size=25,
)


def _jobs(rows):  # type: ignore[no-untyped-def]
    rows = sorted(rows, key=lambda r: r[0])
    return [job(i, s, w, g, p, cls=c) for i, (s, w, g, p, c) in enumerate(rows)]


def _check_invariants(events, specs) -> None:  # type: ignore[no-untyped-def]
    cap = {p.id: p.count for p in POOLS}
    used: dict[str, int] = defaultdict(int)
    where: dict[str, str] = {}
    size = {s.id: s.accelerators for s in specs}
    last_t = 0.0
    for ev in events:
        assert ev.at >= last_t, "simulated time went backwards"
        last_t = ev.at
        if ev.dst is JobState.RUNNING:
            assert ev.pool_id is not None
            used[ev.pool_id] += size[ev.job_id]  # gang: all accelerators at once
            where[ev.job_id] = ev.pool_id
            assert used[ev.pool_id] <= cap[ev.pool_id], "pool over-allocated"
        elif ev.src is JobState.RUNNING:
            used[where.pop(ev.job_id)] -= size[ev.job_id]
    done = Counter(ev.job_id for ev in events if ev.dst is JobState.COMPLETED)
    assert all(v == 1 for v in done.values()), "a job completed more than once"


@pytest.mark.parametrize("name", POLICIES)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=job_lists)
def test_invariants_hold(name: str, rows) -> None:  # type: ignore[no-untyped-def]
    specs = _jobs(rows)
    rec = Recorder()
    run = simulate(specs, POOLS, builtin_policies().create(name), RATES, SimConfig(), events=rec)
    _check_invariants(rec.events, specs)
    states = Counter(j.state for j in run.jobs)
    # every job ends exactly once: completed, or rejected because no pool can hold it
    assert states[JobState.COMPLETED] + states[JobState.REJECTED] == len(specs)
    for j in run.jobs:
        if j.spec.accelerators > 8:
            assert j.state is JobState.REJECTED


@pytest.mark.parametrize("name", POLICIES)
def test_seed_reproduces_run_exactly(name: str) -> None:
    specs = [job(i, i * 7.0, 50 + (i * 37) % 200, [1, 2, 4][i % 3], f"p{i % 3}") for i in range(60)]
    cfg = SimConfig(seed=7, runtime_noise=0.3, restart_cost_s=5)

    def once():  # type: ignore[no-untyped-def]
        rec = Recorder()
        simulate(specs, POOLS, builtin_policies().create(name), RATES, cfg, events=rec)
        return [(e.job_id, e.at, e.dst, e.pool_id) for e in rec.events]

    first = once()
    assert first == once()
    other = SimConfig(seed=8, runtime_noise=0.3, restart_cost_s=5)
    rec = Recorder()
    simulate(specs, POOLS, builtin_policies().create(name), RATES, other, events=rec)
    assert [(e.job_id, e.at, e.dst, e.pool_id) for e in rec.events] != first
