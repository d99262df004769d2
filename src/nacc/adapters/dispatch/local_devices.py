"""Which of the local dispatcher's device ids each pool hands out, and which are taken."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence

from nacc.domain.errors import NaccError, UnknownName
from nacc.domain.reasons import Code


class DispatchError(NaccError):
    """The local dispatcher was asked for something it cannot do (the message says why)."""

    code = Code.DISPATCH_ERROR


class Devices:
    """``devices`` maps a pool id to the local device ids it may hand out, e.g.
    ``{"local-h100": ["0", "1", "2", "3"]}``; ``take`` hands out the first free ones.

    Each pool's free ids are a heap of their positions in the pool, so a take or a release
    costs what it hands out or back, not a walk over the pool (a step starts and ends
    hundreds of jobs on a pool of hundreds of devices)."""

    def __init__(self, devices: Mapping[str, Sequence[str]]) -> None:
        self._ids = {pool: tuple(ids) for pool, ids in devices.items()}
        self._at = {pool: {d: i for i, d in enumerate(ids)} for pool, ids in self._ids.items()}
        self._free: dict[str, list[int]] = {
            p: list(range(len(ids))) for p, ids in self._ids.items()
        }

    def ids(self, pool: str) -> tuple[str, ...]:
        """Every local device id ``pool`` may hand out (free or not)."""
        return self._ids.get(pool, ())

    def free(self, pool: str) -> list[str]:
        ids = self._ids.get(pool, ())
        return [ids[i] for i in sorted(self._free.get(pool, ()))]

    def take(self, pool: str, count: int) -> tuple[str, ...]:
        """``count`` free ids of ``pool``, now taken (``DispatchError`` if too few)."""
        if pool not in self._ids:
            raise UnknownName("local device pool", pool, list(self._ids))
        free = self._free[pool]
        if count < 1 or len(free) < count:
            raise DispatchError(f"pool {pool} has {len(free)} free local devices "
                                f"{self.free(pool)}; launch asked for {count}")  # fmt: skip
        ids = self._ids[pool]
        return tuple(ids[heapq.heappop(free)] for _ in range(count))  # the first, in order

    def hold(self, pool: str, devices: Iterable[str]) -> None:
        """Mark ``devices`` taken (a job re-adopted after a restart holds them)."""
        at = self._at.get(pool, {})
        held = {at[d] for d in devices if d in at}
        if held:
            free = [i for i in self._free[pool] if i not in held]
            heapq.heapify(free)
            self._free[pool] = free

    def release(self, pool: str, devices: Iterable[str]) -> None:
        at, free = self._at.get(pool), self._free.get(pool)
        if at is None or free is None:
            return
        for d in devices:
            i = at.get(d)
            if i is not None and i not in free:  # released twice: once free
                heapq.heappush(free, i)
