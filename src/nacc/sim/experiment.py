"""Wire kernel + engine + simulated dispatcher and replay a list of jobs."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from nacc import ports
from nacc.domain.jobs import JobSpec
from nacc.domain.pools import Pool
from nacc.engine.engine import Engine, EngineConfig
from nacc.engine.records import JobRecord
from nacc.scheduling.policy import Policy
from nacc.scheduling.view import RateModel
from nacc.sim.dispatcher import SimDispatcher
from nacc.sim.kernel import Kernel


@dataclass(frozen=True, slots=True)
class SimConfig:
    load_scale: float = 1.0
    seed: int = 0
    restart_cost_s: float = 30.0
    usage_half_life_s: float = 7 * 86400.0
    runtime_noise: float = 0.0

    def __post_init__(self) -> None:
        if self.load_scale <= 0:
            raise ValueError(f"load_scale must be > 0, got {self.load_scale}")
        if self.restart_cost_s < 0:
            raise ValueError(f"restart_cost_s must be >= 0, got {self.restart_cost_s}")
        if self.runtime_noise < 0:
            raise ValueError(f"runtime_noise must be >= 0, got {self.runtime_noise}")


@dataclass(slots=True)
class Timeline:
    """Samples taken after every event batch."""

    t: list[float] = field(default_factory=list)
    queued: list[int] = field(default_factory=list)
    busy: dict[str, list[int]] = field(default_factory=dict)


@dataclass(slots=True)
class SimRun:
    policy: str
    pools: list[Pool]
    jobs: list[JobRecord]
    timeline: Timeline
    events: int
    rounds: int
    wall_s: float
    end_s: float


Progress = Callable[[int, int], None]


def scale_arrivals(jobs: Sequence[JobSpec], load_scale: float) -> list[JobSpec]:
    """Divide inter-arrival times (and so every submit time from 0) by ``load_scale``."""
    if load_scale == 1.0:
        return list(jobs)
    return [dataclasses.replace(j, submit_s=j.submit_s / load_scale) for j in jobs]


def simulate(
    jobs: Sequence[JobSpec],
    pools: Sequence[Pool],
    policy: Policy,
    rates: RateModel,
    config: SimConfig | None = None,
    progress: Progress | None = None,
    events: ports.EventSink | None = None,
) -> SimRun:
    """Replay ``jobs`` on ``pools`` under ``policy``; deterministic for equal inputs."""
    cfg = config or SimConfig()
    wall0 = time.perf_counter()
    kernel = Kernel()
    dispatcher = SimDispatcher(kernel, rates, cfg.seed, cfg.runtime_noise)
    engine_cfg = EngineConfig(cfg.restart_cost_s, cfg.usage_half_life_s)
    engine = Engine(pools, policy, dispatcher, rates, engine_cfg, events)
    arrivals = scale_arrivals(jobs, cfg.load_scale)
    for spec in arrivals:
        kernel.schedule(spec.submit_s, "arrive", spec)
    if policy.round_s is not None and arrivals:
        kernel.schedule(arrivals[0].submit_s, "round")
    timeline = _run_loop(kernel, engine, dispatcher, policy, len(arrivals), progress)
    return SimRun(
        policy=policy.name,
        pools=list(pools),
        jobs=list(engine.jobs.values()),
        timeline=timeline,
        events=kernel.events,
        rounds=engine.rounds,
        wall_s=time.perf_counter() - wall0,
        end_s=kernel.now,
    )


def _run_loop(
    kernel: Kernel,
    engine: Engine,
    dispatcher: SimDispatcher,
    policy: Policy,
    n_arrivals: int,
    progress: Progress | None,
) -> Timeline:
    timeline = Timeline(busy={p.accel_type: [] for p in engine.pools.values()})
    types = list(timeline.busy)
    arrived = 0
    total = n_arrivals
    while len(kernel):
        batch = kernel.pop_batch()
        now = kernel.now
        changed = round_due = False
        for kind, payload in batch:
            if kind == "arrive":
                engine.submit(payload, now)
                arrived += 1
                changed = True
            elif kind == "finish":
                dispatcher.on_finish(payload[0], payload[1], now)
                changed = True
            else:
                round_due = True
        engine.tick(now, decide=round_due or (changed and policy.on_events))
        if round_due and policy.round_s is not None and _work_left(engine, arrived, total):
            kernel.schedule(now + policy.round_s, "round")
        _sample(timeline, engine, types, now)
        if progress is not None:
            progress(arrived, total)
    return timeline


def _work_left(engine: Engine, arrived: int, total: int) -> bool:
    return arrived < total or bool(engine.pending) or bool(engine.running)


def _sample(timeline: Timeline, engine: Engine, types: list[str], now: float) -> None:
    timeline.t.append(now)
    timeline.queued.append(len(engine.pending))
    busy = dict.fromkeys(types, 0)
    for pid, pool in engine.pools.items():
        busy[pool.accel_type] += pool.count - engine.free[pid]
    for k in types:
        timeline.busy[k].append(busy[k])
