"""The snapshot a policy decides on.

A view is valid for the duration of one ``Policy.plan`` call. Its job entries are
read-only protocols over the engine's records so that building a view costs O(pools),
not O(jobs); a policy must not keep references past the call or mutate anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from nacc.domain.ids import JobId, PoolId
from nacc.domain.jobs import JobSpec
from nacc.domain.pools import Pool


class RateModel(Protocol):
    """What a policy needs of the throughput model (``nacc.catalog.throughput``)."""

    def rate(self, spec: JobSpec, accel_type: str) -> float | None:
        """Work units per second for the whole gang on ``accel_type``; None if it cannot run."""
        ...

    def credit_rate(self, spec: JobSpec, accel_type: str) -> float | None:
        """Credits per accelerator-hour for this job class on ``accel_type``."""
        ...


class PendingJob(Protocol):
    """Read-only face of a queued job."""

    @property
    def spec(self) -> JobSpec: ...
    @property
    def queued_since_s(self) -> float: ...
    @property
    def remaining_work(self) -> float: ...
    @property
    def attained_s(self) -> float:
        """Accelerator-seconds this job has received so far (all types)."""
        ...

    @property
    def attained_by_type(self) -> Mapping[str, float]:
        """Wall seconds this job has run, per accelerator type."""
        ...

    @property
    def preemptions(self) -> int: ...


class RunningJob(PendingJob, Protocol):
    """Read-only face of a running job."""

    @property
    def pool_id(self) -> PoolId: ...
    @property
    def started_s(self) -> float: ...
    @property
    def count(self) -> int: ...


@dataclass(frozen=True, slots=True)
class PoolView:
    pool: Pool
    free: int


@dataclass(frozen=True, slots=True)
class ClusterView:
    """Everything a policy may see.

    Attributes:
        now: current time in seconds.
        pools: pool id -> capacity and free count, in scenario order.
        pending: queued jobs in queue order (arrival, requeued jobs at the end).
        running: running jobs by id.
        usage: decayed usage per project, in credits.
        shares: normalised fair-share target per project (sums to 1 over known projects).
        rates: the throughput model.
        restart_cost_s: what a preempted job pays when it resumes (checkpoint/restart).
        fairshare: with a share tree (program -> organisation -> project), each project's
            Fair Tree factor in (0, 1] (``nacc.scheduling.fairtree``); None without one.
    """

    now: float
    pools: Mapping[PoolId, PoolView]
    pending: Mapping[JobId, PendingJob]
    running: Mapping[JobId, RunningJob]
    usage: Mapping[str, float]
    shares: Mapping[str, float]
    rates: RateModel
    total_accelerators: int
    restart_cost_s: float = 0.0
    fairshare: Mapping[str, float] | None = None
