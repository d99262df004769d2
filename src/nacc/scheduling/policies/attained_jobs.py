"""The records of ``attained``: its configuration, each job's static placement features
and the per-call view of a job."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from nacc.domain.ids import JobId, PoolId
from nacc.domain.jobs import JobSpec
from nacc.scheduling.view import RunningJob


@dataclass(frozen=True, slots=True)
class AttainedConfig:
    thresholds_s: tuple[float, ...] = (3600.0, 4 * 3600.0, 16 * 3600.0)
    starve_factor: float = 10.0
    min_run_s: float = 60.0
    move_gain: float = 1.2
    max_fairshare_pressure: float = 16.0
    # Any type that runs a job may hold it while it waits for a faster one: with
    # migration, a slow start is not for the job's whole life (``ACCEPTABLE_SPEED``).
    min_relative_speed: float = 0.0
    # Exchanges between pools that raise the sum of normalised rates (``exchange``);
    # a running job moves in one only for more than ``stay_bonus`` (plus its restart).
    exchange: bool = True
    stay_bonus: float = 0.02


@dataclass(slots=True)
class Static:
    """What a job's placement needs, a pure function of its spec and the fleet."""

    spec: JobSpec
    need: int
    pools: Sequence[tuple[PoolId, float]]
    rate_of: dict[str, float]  # accelerator type -> rate, acceptable types only
    best: float
    gain: float  # best rate / slowest acceptable rate
    fastest: tuple[tuple[PoolId, float], ...] = ()  # pools by rate, fastest first (stable)
    norm: dict[PoolId, float] = field(default_factory=dict)  # pool -> rate / best


@dataclass(slots=True)
class Job:
    jid: JobId
    st: Static
    service: float  # attained, best-type-equivalent accelerator-seconds, x fair share
    queue: int
    running: RunningJob | None
    rate_now: float  # rate on its current pool (running jobs)
    speed: float = 1.0  # d(service)/dt while running where it is (for the next wake)
    protected: bool = False  # (re)started too recently to be preempted or moved
