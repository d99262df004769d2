"""Several dispatchers at once: each pool is served by the backend its URL names.

``Router`` is itself a ``Dispatcher``: it sends a launch to the pool's backend, a stop to
the backend that runs the job, and polls every backend once per cycle (in the order they
were given, so a run is deterministic). ``unsupported_on(pool)`` is what the engine
checks before it asks a pool's backend for a capability.

Failover (``down_after_s``): a backend whose polls have failed for that long is **down**
(``down``; its pools take no new jobs, ``nacc.engine.failover``). While down it is asked
again at most every ``probe_s`` (a poll of an unreachable backend may wait for its
timeouts); the first poll that answers brings it back (``came_back``). A job the engine
takes off a down backend before it started there is **abandoned** (``abandon``): the
backend forgets it and, once it answers again, cancels it if it still waits, or reports
it if it ran anyway; those reports come in ``returned``, not in ``poll``'s answer, for
the engine to adopt the run or drop the copy (``drop_copy``).
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


@dataclass(frozen=True, slots=True)
class BackendDown:
    """A backend that has not answered since ``since`` (its last error ``error``)."""

    name: str
    pools: tuple[PoolId, ...]
    since: float
    error: str


@dataclass(frozen=True, slots=True)
class Abandoned:
    """A job taken off ``backend`` before it started there (its pool and size)."""

    backend: ports.Dispatcher
    pool: PoolId
    count: int


def backend_name(dispatcher: ports.Dispatcher, pools: Sequence[PoolId]) -> str:
    """How a backend is named in ``/healthz`` and ``/metrics``: its own ``name`` (a URL
    without secrets) where it has one, else its pools."""
    name = getattr(dispatcher, "name", None)
    return name if isinstance(name, str) and name else "+".join(pools)


class Router:
    """Routes the engine's requests to one dispatcher per pool."""

    unsupported: Mapping[str, str] = {}

    def __init__(
        self,
        by_pool: Mapping[PoolId, ports.Dispatcher],
        down_after_s: float | None = None,
        probe_s: float = 5.0,
    ) -> None:
        self.by_pool: dict[PoolId, ports.Dispatcher] = dict(by_pool)
        self.backends: list[ports.Dispatcher] = []
        for dispatcher in self.by_pool.values():
            if all(dispatcher is not b for b in self.backends):
                self.backends.append(dispatcher)
        self._runs: dict[JobId, ports.Dispatcher] = {}
        self.faults: list[BackendFault] = []
        """The backends whose last poll failed (rewritten by each ``poll``)."""
        self.down_after_s, self.probe_s = down_after_s, probe_s
        self.down: dict[int, BackendDown] = {}  # by index in ``backends``
        self.came_back: list[BackendDown] = []  # rewritten by each ``poll``
        self.returned: list[tuple[ports.Observation, Abandoned]] = []  # each poll
        self._failing: dict[int, float] = {}  # index -> first failed poll
        self._probed: dict[int, float] = {}  # index -> last poll while down
        self._abandoned: dict[JobId, Abandoned] = {}
        self.owed: dict[JobId, ports.Dispatcher] = {}
        """Stops a backend has not taken yet (down, or not answering): see ``stop``."""

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

    def pools_of(self, dispatcher: ports.Dispatcher) -> tuple[PoolId, ...]:
        return tuple(p for p, d in self.by_pool.items() if d is dispatcher)

    def down_pools(self) -> frozenset[PoolId]:
        """The pools whose backend is down now."""
        return frozenset(p for down in self.down.values() for p in down.pools)

    def _is_down(self, dispatcher: ports.Dispatcher) -> bool:
        return any(self.backends[i] is dispatcher for i in self.down)

    def launch(self, launch: ports.Launch) -> ports.Launched | None:
        dispatcher = self.by_pool[launch.pool.id]
        owner = self.owed.get(launch.spec.id)
        if owner is not None:  # stopped there, not answered yet: the stop goes first
            self._settle_owed(owner, launch.at)
            if launch.spec.id in self.owed:
                raise ports.BackendUnreachable(f"job {launch.spec.id}: its stop on its "
                                               "last backend is not made yet")  # fmt: skip
        old = self._abandoned.get(launch.spec.id)
        if old is not None and old.backend is dispatcher:  # back where it was: its own
            del self._abandoned[launch.spec.id]
        try:
            launched = dispatcher.launch(launch)
        except ports.BackendUnreachable as error:  # counts towards down, as a failed poll
            index = next(i for i, b in enumerate(self.backends) if b is dispatcher)
            self._failed(index, launch.at, f"launch: {error}")
            raise
        self._runs[launch.spec.id] = dispatcher
        return launched

    def close(self) -> None:
        """Close every backend that holds something (``ports.Closable``)."""
        for backend in self.backends:
            if isinstance(backend, ports.Closable):
                backend.close()

    def adopt(self, job_id: JobId, pool_id: PoolId) -> None:
        """A job found running after a restart: route its stop to its pool's backend."""
        self._runs[job_id] = self.by_pool[pool_id]

    def stop(self, job_id: JobId, at: float) -> float | None:
        """Stop a job on its backend; on a down one that can, it is abandoned instead
        (cancelled there once it answers again); on a down one that cannot (Kubernetes),
        or one that does not answer the stop (``BackendUnreachable``), the stop is
        **owed**: made after that backend's next poll that answers, and the job's end
        there never reported. Never a step that fails each tick."""
        dispatcher = self._runs.pop(job_id, None)
        if dispatcher is None:
            return None
        if self.down and self._is_down(dispatcher):
            if callable(getattr(dispatcher, "abandon", None)):
                self._runs[job_id] = dispatcher
                pool = next(p for p, d in self.by_pool.items() if d is dispatcher)
                self.abandon(job_id, pool, 0)
            else:
                self.owed[job_id] = dispatcher
            return None
        try:
            return dispatcher.stop(job_id, at)
        except ports.BackendUnreachable as error:
            self.owed[job_id] = dispatcher
            index = next(i for i, b in enumerate(self.backends) if b is dispatcher)
            self._failed(index, at, f"stop: {error}")
            return None

    def _settle_owed(self, dispatcher: ports.Dispatcher, now: float) -> None:
        """Make the stops owed to ``dispatcher``, which just answered a poll; one it
        still does not take stays owed, one it no longer knows (ended) is done."""
        for job_id, owner in list(self.owed.items()):
            if owner is not dispatcher:
                continue
            try:
                dispatcher.stop(job_id, now)
            except ports.BackendUnreachable:
                continue
            except Exception:  # ended there meanwhile (unknown to it): nothing to stop
                pass
            del self.owed[job_id]

    def abandon(self, job_id: JobId, pool: PoolId, count: int) -> bool:
        """Take ``job_id`` off its backend, which forgets it (see the module docstring);
        False where the backend cannot (the job stays where it is)."""
        dispatcher = self._runs.get(job_id)
        forget = getattr(dispatcher, "abandon", None)
        if dispatcher is None or not callable(forget):
            return False
        forget(job_id)
        del self._runs[job_id]
        self._abandoned[job_id] = Abandoned(dispatcher, pool, count)
        return True

    def abandoned(self, job_id: JobId) -> Abandoned | None:
        return self._abandoned.get(job_id)

    def drop_copy(self, job_id: JobId, backend: ports.Dispatcher, at: float) -> None:
        """Cancel a copy that ran on ``backend`` after the job was planned elsewhere."""
        try:
            backend.stop(job_id, at)
        except Exception:  # already ended there, or gone: nothing runs twice any more
            return

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
        self.faults, self.came_back, self.returned = [], [], []
        for index, dispatcher in enumerate(self.backends):
            if index in self.down and now - self._probed.get(index, 0.0) < self.probe_s:
                continue
            self._probed[index] = now
            try:
                found = dispatcher.poll(now)
            except Exception as error:  # any backend failure; the cycle goes on
                self._failed(index, now, f"{type(error).__name__}: {error}")
                continue
            self._failing.pop(index, None)
            back = self.down.pop(index, None)
            if back is not None:
                self.came_back.append(back)
            for obs in found:
                gone = self._abandoned.get(obs.job_id)
                if gone is not None and gone.backend is dispatcher:
                    self.returned.append((obs, gone))
                    continue
                if self.owed.get(obs.job_id) is dispatcher:  # ended in nacc already
                    if obs.ended:
                        del self.owed[obs.job_id]
                    continue
                if obs.ended:
                    self._runs.pop(obs.job_id, None)
                seen.append(obs)
            self._settle_owed(dispatcher, now)
        for obs, _ in self.returned:  # reported once: the engine adopts or drops each
            self._abandoned.pop(obs.job_id, None)
        return seen

    def _failed(self, index: int, now: float, error: str) -> None:
        pools = self.pools_of(self.backends[index])
        self.faults.append(BackendFault(now, pools, error))
        since = self._failing.setdefault(index, now)
        if self.down_after_s is not None and now - since >= self.down_after_s:
            name = backend_name(self.backends[index], pools)
            self.down[index] = BackendDown(name, pools, since, error)
