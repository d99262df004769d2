"""Several dispatchers at once: each pool is served by the backend its URL names.

``Router`` is itself a ``Dispatcher``: it sends a launch to the pool's backend, a stop to
the backend that runs the job, and polls every backend once per cycle (in the order they
were given, so a run is deterministic). ``unsupported_on(pool)`` is what the engine
checks before it asks a pool's backend for a capability.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from nacc import ports
from nacc.domain.ids import JobId, PoolId
from nacc.domain.reasons import Reason


@dataclass(frozen=True, slots=True)
class BackendFault:
    """A backend's poll failed at ``at``: its pools' jobs are not observed this cycle
    (they stay running and are seen at a later poll); the others are."""

    at: float
    pools: tuple[PoolId, ...]
    error: str


class Router:
    """Routes the engine's requests to one dispatcher per pool."""

    unsupported: Mapping[str, str] = {}

    def __init__(self, by_pool: Mapping[PoolId, ports.Dispatcher]) -> None:
        self.by_pool: dict[PoolId, ports.Dispatcher] = dict(by_pool)
        self.backends: list[ports.Dispatcher] = []
        for dispatcher in self.by_pool.values():
            if all(dispatcher is not b for b in self.backends):
                self.backends.append(dispatcher)
        self._runs: dict[JobId, ports.Dispatcher] = {}
        self.faults: list[BackendFault] = []
        """The backends whose last poll failed (rewritten by each ``poll``)."""

    @classmethod
    def of(
        cls,
        dispatcher: ports.Dispatcher | Mapping[PoolId, ports.Dispatcher],
        pools: Sequence[PoolId],
    ) -> Router:
        """A router for one dispatcher serving every pool, or a mapping pool -> dispatcher."""
        if isinstance(dispatcher, Router):
            return dispatcher
        if isinstance(dispatcher, Mapping):
            missing = [p for p in pools if p not in dispatcher]
            if missing:
                raise ValueError(f"no dispatcher for pools {missing}")
            return cls(dispatcher)
        return cls(dict.fromkeys(pools, dispatcher))

    def unsupported_on(self, pool_id: PoolId) -> Mapping[str, str]:
        return self.by_pool[pool_id].unsupported

    def for_pool(self, pool_id: PoolId) -> ports.Dispatcher:
        return self.by_pool[pool_id]

    def launch(self, launch: ports.Launch) -> ports.Launched | None:
        dispatcher = self.by_pool[launch.pool.id]
        launched = dispatcher.launch(launch)
        self._runs[launch.spec.id] = dispatcher
        return launched

    def adopt(self, job_id: JobId, pool_id: PoolId) -> None:
        """A job found running after a restart: route its stop to its pool's backend."""
        self._runs[job_id] = self.by_pool[pool_id]

    def stop(self, job_id: JobId, at: float) -> float | None:
        dispatcher = self._runs.pop(job_id, None)
        return None if dispatcher is None else dispatcher.stop(job_id, at)

    def waiting(self) -> dict[JobId, Reason]:
        """Why jobs a backend accepted but has not started wait there (Slurm's reason,
        in nacc's codes), from the backends that say (``pending_reasons``; last poll)."""
        out: dict[JobId, Reason] = {}
        for dispatcher in self.backends:
            said = getattr(dispatcher, "pending_reasons", None)
            if callable(said):
                out.update(said())
        return out

    def poll(self, now: float) -> Sequence[ports.Observation]:
        """Every backend's observations; one that fails is noted in ``faults`` and the
        others are still heard (one engine down must not blind the rest)."""
        seen: list[ports.Observation] = []
        self.faults = []
        for dispatcher in self.backends:
            try:
                found = dispatcher.poll(now)
            except Exception as error:  # any backend failure; the cycle goes on
                pools = tuple(p for p, d in self.by_pool.items() if d is dispatcher)
                self.faults.append(BackendFault(now, pools, f"{type(error).__name__}: {error}"))
                continue
            for obs in found:
                if obs.ended:
                    self._runs.pop(obs.job_id, None)
                seen.append(obs)
        return seen
