"""The proof that simulation and production run one engine: a 500-job slice of the Philly
trace replayed by the simulator and through the live path gives every job the same pool,
start and end, under every built-in policy.

(a) ``nacc.sim.experiment.simulate`` (what ``nacc simulate`` runs), not clairvoyant:
    policies see each job's request as the live service does, and time limits are
    enforced as live always does;
(b) the live path (``tests/support/live_replay.py``): each job submitted into a freshly
    migrated SQLite store at its submit time, ``LiveScheduler.step`` on a fake clock,
    a ``SimDispatcher`` that knows each job's true work.

The input, the same for both: ``tests/fixtures/traces/philly_500.csv`` (the first 500
rows of the Pollux Philly trace) on ``scenarios/korea-2026.yaml`` scaled by ``FACTOR``
(about 125 accelerators), arrivals compressed ``LOAD_SCALE`` times and rounded to whole
seconds (the trace's own resolution; the store keeps microseconds), placed from
``EPOCH`` on so both paths compute on the same absolute times. Jobs are named in
arrival order (the live service takes in jobs submitted at the same time by id) and
belong to one store project per Philly virtual cluster.

Compared without tolerance: each job's final state, pool, first start and end, and its
whole history of transitions (src, dst, time), as the store holds them (times at the
store's precision, one microsecond: the simulator's float times through the same
``wall`` the live service writes with), and the live engine's own float times, which
equal the simulator's bit for bit.

The 500-job proof meters each job at its end only (``meter_s`` infinite): metering
never feeds a decision. Since the live step writes a tick in one batched unit of work it
takes about 15 s per policy on two busy cores (it took 30-170 s with one transaction
per job event), so every ``make test`` runs it for all five policies.

A smaller case also meters running jobs periodically: the first 100 jobs on a fleet
scaled by ``SMALL_FACTOR`` (51 accelerators) under las, metering every ``LIVE_METER_S``
(the live default, 5 s, made it 53 s of CPU; 300 s, 19 s).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from nacc.catalog.throughput import ThroughputModel, default_model
from nacc.domain.events import JobEvent
from nacc.domain.ids import JobId
from nacc.domain.jobs import JobSpec
from nacc.domain.pools import Pool
from nacc.engine.engine import EngineConfig
from nacc.scenario import load_scenario, scale_counts
from nacc.scheduling.policies.registry import builtin_policies
from nacc.service.live import wall
from nacc.sim.experiment import DEFAULT_RESTART_COST_S, SimConfig, SimRun, simulate
from nacc.sim.traces import read_trace
from support.live_replay import FakeClock, LiveRun, fund_projects, replay_live, services

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
TRACE = ROOT / "tests" / "fixtures" / "traces" / "philly_500.csv"
SCENARIO = ROOT / "scenarios" / "korea-2026.yaml"
FACTOR = 0.005
SMALL_FACTOR = 0.002
LOAD_SCALE = 30.0
EPOCH = datetime(2026, 3, 2, tzinfo=UTC).timestamp()
SIM = SimConfig(restart_cost_s=DEFAULT_RESTART_COST_S, enforce_time_limits=True, clairvoyant=False)
ENGINE = EngineConfig(DEFAULT_RESTART_COST_S, SIM.usage_half_life_s)
PREEMPTIVE = {"las", "gavel"}
METER_S = float("inf")  # meter at each end only (see the module docstring)
LIVE_METER_S = 300.0  # periodic, less often than live (5 s) to keep the test short

Outcome = tuple[str, str | None, datetime | None, datetime | None]
History = tuple[tuple[str, str, datetime], ...]


class _Events:
    """The simulator's transitions per job, in order (an ``EventSink``)."""

    def __init__(self) -> None:
        self.by_job: dict[JobId, list[JobEvent]] = {}

    def emit(self, event: JobEvent) -> None:
        self.by_job.setdefault(event.job_id, []).append(event)


def _trace(projects: dict[str, int]) -> list[JobSpec]:
    """The slice as both paths get it (see the module docstring)."""
    return [
        replace(
            spec,
            id=JobId(f"philly-{i:04d}"),
            project=str(projects[spec.project]),
            submit_s=EPOCH + round(spec.submit_s / LOAD_SCALE),
        )
        for i, spec in enumerate(read_trace(TRACE, "philly").jobs)
    ]


Fleet = tuple[list[Pool], ThroughputModel]


def _fleet(factor: float) -> Fleet:
    return scale_counts(load_scenario(SCENARIO), factor).domain_pools(), default_model()


def _clusters() -> list[str]:
    return list(dict.fromkeys(spec.project for spec in read_trace(TRACE, "philly").jobs))


def _at(t: float | None) -> datetime | None:
    return None if t is None else wall(t)


def _sim_outcomes(
    run: SimRun, events: _Events
) -> tuple[dict[JobId, Outcome], dict[JobId, History]]:
    outcomes = {
        rec.spec.id: (
            rec.state.value,
            rec.pool_id or None,
            _at(rec.first_start_s),
            _at(rec.finished_s),
        )
        for rec in run.jobs
    }
    history = {
        job: tuple((e.src.value, e.dst.value, wall(e.at)) for e in evs)
        for job, evs in events.by_job.items()
    }
    return outcomes, history


def _live_outcomes(run: LiveRun) -> tuple[dict[JobId, Outcome], dict[JobId, History]]:
    outcomes = {
        job: (row.state, row.pool_id, row.started_at, row.finished_at)
        for job, row in run.stored.items()
    }
    return outcomes, {job: row.events for job, row in run.stored.items() if row.events}


def _differences(name: str, sim: dict[JobId, object], live: dict[JobId, object]) -> list[str]:
    assert sorted(sim) == sorted(live), f"{name}: the two paths know different jobs"
    return [
        f"{job}: sim {sim[job]!r}, live {live[job]!r}"
        for job in sorted(sim)
        if sim[job] != live[job]
    ]


@pytest.mark.parametrize("name", builtin_policies().names())
def test_sim_and_live_give_every_job_the_same_pool_start_and_end(name: str, tmp_path: Path) -> None:
    prove(name, _fleet(FACTOR), tmp_path, 500, METER_S)


def test_a_small_replay_is_equal_with_periodic_metering(tmp_path: Path) -> None:
    prove("las", _fleet(SMALL_FACTOR), tmp_path, 100, LIVE_METER_S)


def prove(name: str, fleet: Fleet, tmp_path: Path, count: int, meter_s: float) -> None:
    """Replay the first ``count`` jobs of the slice both ways and compare."""
    pools, rates = fleet
    clock = FakeClock(now=EPOCH)
    svc = services(tmp_path / "nacc.db", clock)
    user, projects = fund_projects(svc, _clusters())
    jobs = _trace(projects)[:count]
    assert len(jobs) == count

    events = _Events()
    sim = simulate(jobs, pools, builtin_policies().create(name), rates, SIM, events=events)
    live = replay_live(
        svc,
        clock,
        jobs,
        pools,
        builtin_policies().create(name),
        rates,
        ENGINE,
        user,
        meter_s=meter_s,
    )
    svc.sessions.kw["bind"].dispose()

    sim_out, sim_hist = _sim_outcomes(sim, events)
    live_out, live_hist = _live_outcomes(live)
    diff = _differences(name, dict(sim_out), dict(live_out))
    assert not diff, f"{name}: {len(diff)} jobs differ (state, pool, start, end):\n" + "\n".join(
        diff[:20]
    )
    diff = _differences(name, dict(sim_hist), dict(live_hist))
    assert not diff, f"{name}: {len(diff)} histories differ:\n" + "\n".join(diff[:5])

    # The live engine's own times equal the simulator's bit for bit.
    exact = {r.spec.id: (r.pool_id, r.first_start_s, r.finished_s, r.preemptions) for r in sim.jobs}
    mine = {
        job: (r.pool_id, r.first_start_s, r.finished_s, r.preemptions)
        for job, r in live.records.items()
    }
    diff = _differences(name, dict(exact), dict(mine))
    assert not diff, f"{name}: live engine times differ:\n" + "\n".join(diff[:20])

    # The slice exercises the scheduler: jobs queue, preemptive policies preempt.
    queued = sum(
        1 for r in sim.jobs if r.first_start_s is not None and r.first_start_s > r.spec.submit_s
    )
    assert queued > count // 5, f"{name}: only {queued} jobs queued; the proof tests little"
    assert all(r.state.value == "completed" for r in sim.jobs)
    if name in PREEMPTIVE:
        assert sum(r.preemptions for r in sim.jobs) > 0, f"{name}: nothing was preempted"
