"""Wire kernel + engine + simulated dispatcher and replay a list of jobs."""

from __future__ import annotations

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

DEFAULT_RESTART_COST_S = 30.0


@dataclass(frozen=True, slots=True)
class SimConfig:
    load_scale: float = 1.0
    seed: int = 0
    restart_cost_s: float | None = None  # None: the scenario's, else DEFAULT_RESTART_COST_S
    usage_half_life_s: float = 7 * 86400.0
    runtime_noise: float = 0.0
    cycle_s: float = 0.0

    def __post_init__(self) -> None:
        if self.cycle_s < 0:
            raise ValueError(f"cycle_s must be >= 0, got {self.cycle_s}")
        if self.load_scale <= 0:
            raise ValueError(f"load_scale must be > 0, got {self.load_scale}")
        if self.restart_cost_s is not None and self.restart_cost_s < 0:
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
_MAX_STARTS_PER_JOB = 10_000  # a livelock guard: no sane policy restarts a job this often


def scale_arrivals(jobs: Sequence[JobSpec], load_scale: float) -> list[JobSpec]:
    """Divide inter-arrival times (and so every submit time from 0) by ``load_scale``."""
    if load_scale == 1.0:
        return list(jobs)
    return [j.at(j.submit_s / load_scale) for j in jobs]


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
    restart = DEFAULT_RESTART_COST_S if cfg.restart_cost_s is None else cfg.restart_cost_s
    engine_cfg = EngineConfig(restart, cfg.usage_half_life_s)
    engine = Engine(pools, policy, dispatcher, rates, engine_cfg, events)
    arrivals = scale_arrivals(jobs, cfg.load_scale)
    for spec in arrivals:
        kernel.schedule(spec.submit_s, "arrive", spec)
    loop = _Loop(kernel, engine, dispatcher, policy, cfg.cycle_s)
    timeline = loop.run(len(arrivals), progress)
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


class _Loop:
    """The event loop. Event-driven policies decide after arrivals and completions, at
    most once per ``cycle_s`` of simulated time (0: after every event batch), as a live
    engine ticking on a timer would; round-based policies decide every ``round_s``."""

    def __init__(
        self,
        kernel: Kernel,
        engine: Engine,
        dispatcher: SimDispatcher,
        policy: Policy,
        cycle_s: float,
    ) -> None:
        self.kernel, self.engine, self.dispatcher = kernel, engine, dispatcher
        self.policy, self.cycle_s = policy, cycle_s
        self.last_decision = -float("inf")
        self.cycle_pending = False
        self.round_pending = False
        self.last_round: float | None = None

    def run(self, total: int, progress: Progress | None) -> Timeline:
        kernel, engine = self.kernel, self.engine
        timeline = Timeline(busy={p.accel_type: [] for p in engine.pools.values()})
        types = list(timeline.busy)
        arrived = 0
        while len(kernel):
            batch = kernel.pop_batch()
            now = kernel.now
            changed = round_due = cycle_due = False
            for kind, payload in batch:
                if kind == "arrive":
                    engine.submit(payload, now)
                    arrived += 1
                    changed = True
                elif kind == "finish":
                    self.dispatcher.on_finish(payload[0], payload[1], now)
                    changed = True
                elif kind == "cycle":
                    cycle_due, self.cycle_pending = True, False
                else:
                    round_due, self.round_pending, self.last_round = True, False, now
            decide = round_due or cycle_due or self._event_decision(changed, now)
            engine.tick(now, decide=decide)
            if engine.starts > _MAX_STARTS_PER_JOB * max(1, total):
                raise RuntimeError(
                    f"policy {self.policy.name!r} started jobs {engine.starts} times for "
                    f"{total} jobs by t={now:.0f} s: it keeps preempting without progress"
                )
            if decide:
                self.last_decision = now
            self._next_round(now)
            _sample(timeline, engine, types, now)
            if progress is not None:
                progress(arrived - len(engine.pending) - len(engine.running), total)
        return timeline

    def _next_round(self, now: float) -> None:
        """Keep a round scheduled while the policy has something to decide: pending
        jobs, or (``rounds_when_idle``) running ones too. The first round comes at the
        first arrival."""
        policy, engine = self.policy, self.engine
        if policy.round_s is None or self.round_pending:
            return
        if engine.pending or (policy.rounds_when_idle and engine.running):
            last = self.last_round
            at = now if last is None else max(now, last + policy.round_s)
            self.kernel.schedule(at, "round")
            self.round_pending = True

    def _event_decision(self, changed: bool, now: float) -> bool:
        if not (changed and self.policy.on_events):
            return False
        due = self.last_decision + self.cycle_s
        if now >= due:
            return True
        if not self.cycle_pending:
            self.kernel.schedule(due, "cycle")
            self.cycle_pending = True
        return False


def _sample(timeline: Timeline, engine: Engine, types: list[str], now: float) -> None:
    timeline.t.append(now)
    timeline.queued.append(len(engine.pending))
    busy = dict.fromkeys(types, 0)
    for pid, pool in engine.pools.items():
        busy[pool.accel_type] += pool.count - engine.free[pid]
    for k in types:
        timeline.busy[k].append(busy[k])
