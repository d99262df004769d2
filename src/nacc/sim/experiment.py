"""Wire kernel + engine + simulated dispatcher and replay a list of jobs."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from nacc import ports
from nacc.domain.ids import JobId
from nacc.domain.jobs import JobSpec
from nacc.domain.pools import Pool
from nacc.engine.driver import Driver, DriverConfig, as_requested
from nacc.engine.engine import DEFAULT_RESTART_COST_S as DEFAULT_RESTART_COST_S
from nacc.engine.engine import Engine, EngineConfig
from nacc.engine.records import JobRecord
from nacc.scheduling.fairtree import Path
from nacc.scheduling.policy import Policy
from nacc.scheduling.view import RateModel
from nacc.sim.dispatcher import SimDispatcher
from nacc.sim.kernel import Kernel


@dataclass(frozen=True, slots=True)
class SimConfig:
    load_scale: float = 1.0
    seed: int = 0
    restart_cost_s: float | None = None  # None: the scenario's, else DEFAULT_RESTART_COST_S
    usage_half_life_s: float = 7 * 86400.0
    runtime_noise: float = 0.0
    cycle_s: float = 0.0
    enforce_time_limits: bool = False  # traces' limits are assumptions (see the readers)
    clairvoyant: bool = True  # policies see each job's true work; False: only its request
    # a share tree (nacc.scheduling.fairtree): project -> program and organisation, raw
    # shares by node path; None: flat per-project shares
    tree: Mapping[str, Path] | None = None
    tree_shares: Mapping[tuple[str, ...], float] | None = None

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
    """Replay ``jobs`` on ``pools`` under ``policy``; deterministic for equal inputs.

    Not ``clairvoyant``, the engine and the policy see each job as the live service
    does (``as_requested``: the time limit for the work) while the simulated backend
    runs the true job; the records returned hold the true jobs again."""
    cfg = config or SimConfig()
    wall0 = time.perf_counter()
    kernel = Kernel()
    arrivals = scale_arrivals(jobs, cfg.load_scale)
    truth = {spec.id: spec for spec in arrivals}
    known = None if cfg.clairvoyant else _truth_of(truth)
    dispatcher = SimDispatcher(kernel, rates, cfg.seed, cfg.runtime_noise, known)
    restart = DEFAULT_RESTART_COST_S if cfg.restart_cost_s is None else cfg.restart_cost_s
    engine_cfg = EngineConfig(restart, cfg.usage_half_life_s, tree=cfg.tree,
                              tree_shares=cfg.tree_shares)  # fmt: skip
    engine = Engine(pools, policy, dispatcher, rates, engine_cfg, events)
    for spec in arrivals:
        kernel.schedule(spec.submit_s, "arrive", spec if cfg.clairvoyant else as_requested(spec))
    driver = Driver(engine, DriverConfig(cfg.cycle_s, cfg.enforce_time_limits))
    loop = _Loop(kernel, driver, dispatcher)
    timeline = loop.run(len(arrivals), progress)
    for rec in engine.jobs.values():
        rec.spec = truth[rec.spec.id]
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


def _truth_of(truth: dict[JobId, JobSpec]) -> Callable[[JobSpec], JobSpec]:
    return lambda spec: truth[spec.id]


class _Loop:
    """The event loop: after every batch of simultaneous events the shared driver steps
    (``nacc.engine.driver``: observe, time limits, decide when due); a wake-up is
    scheduled whenever the driver has something due on its own (a round, a deferred
    cycle, a time limit)."""

    def __init__(self, kernel: Kernel, driver: Driver, dispatcher: SimDispatcher) -> None:
        self.kernel, self.driver, self.dispatcher = kernel, driver, dispatcher
        self.engine, self.policy = driver.engine, driver.policy
        self.woken: set[float] = set()  # wake-ups in the heap

    def run(self, total: int, progress: Progress | None) -> Timeline:
        kernel, engine, driver = self.kernel, self.engine, self.driver
        timeline = Timeline(busy={p.accel_type: [] for p in engine.pools.values()})
        types = list(timeline.busy)
        arrived = 0
        while len(kernel):
            batch = kernel.pop_batch()
            now = kernel.now
            changed = False
            for kind, payload in batch:
                if kind == "arrive":
                    engine.submit(payload, now)
                    arrived += 1
                    changed = True
                elif kind == "finish":  # an end counts once the driver observes it: the
                    # finish of a run stopped meanwhile changes nothing (as live)
                    self.dispatcher.on_finish(payload[0], payload[1], now)
                else:
                    self.woken.discard(now)
            driver.step(now, changed)
            if engine.starts > _MAX_STARTS_PER_JOB * max(1, total):
                raise RuntimeError(
                    f"policy {self.policy.name!r} started jobs {engine.starts} times for "
                    f"{total} jobs by t={now:.0f} s: it keeps preempting without progress"
                )
            self._wake()
            _sample(timeline, engine, types, now)
            if progress is not None:
                progress(arrived - len(engine.pending) - len(engine.running), total)
        return timeline

    def _wake(self) -> None:
        at = self.driver.next_wakeup()
        if at is not None and at not in self.woken:
            self.kernel.schedule(at, "wake")
            self.woken.add(at)


def _sample(timeline: Timeline, engine: Engine, types: list[str], now: float) -> None:
    timeline.t.append(now)
    timeline.queued.append(len(engine.pending))
    busy = dict.fromkeys(types, 0)
    for pid, pool in engine.pools.items():
        busy[pool.accel_type] += pool.count - engine.free[pid]
    for k in types:
        timeline.busy[k].append(busy[k])
