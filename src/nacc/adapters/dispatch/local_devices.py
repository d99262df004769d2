"""Which of the local dispatcher's device ids each pool hands out, and which are taken."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from nacc.domain.errors import NaccError, UnknownName
from nacc.domain.reasons import Code


class DispatchError(NaccError):
    """The local dispatcher was asked for something it cannot do (the message says why)."""

    code = Code.DISPATCH_ERROR


class Devices:
    """``devices`` maps a pool id to the local device ids it may hand out, e.g.
    ``{"local-h100": ["0", "1", "2", "3"]}``; ``take`` hands out the first free ones."""

    def __init__(self, devices: Mapping[str, Sequence[str]]) -> None:
        self._ids = {pool: tuple(ids) for pool, ids in devices.items()}
        self._busy: dict[str, set[str]] = {pool: set() for pool in self._ids}

    def ids(self, pool: str) -> tuple[str, ...]:
        """Every local device id ``pool`` may hand out (free or not)."""
        return self._ids.get(pool, ())

    def free(self, pool: str) -> list[str]:
        return [d for d in self._ids.get(pool, ()) if d not in self._busy.get(pool, ())]

    def take(self, pool: str, count: int) -> tuple[str, ...]:
        """``count`` free ids of ``pool``, now taken (``DispatchError`` if too few)."""
        if pool not in self._ids:
            raise UnknownName("local device pool", pool, list(self._ids))
        busy, taken = self._busy[pool], list[str]()
        for device in self._ids[pool]:  # the first free ones, in order
            if len(taken) == count:
                break
            if device not in busy:
                taken.append(device)
        if count < 1 or len(taken) < count:
            free = self.free(pool)
            raise DispatchError(
                f"pool {pool} has {len(free)} free local devices {free}; launch asked for {count}"
            )
        busy.update(taken)
        return tuple(taken)

    def hold(self, pool: str, devices: Iterable[str]) -> None:
        """Mark ``devices`` taken (a job re-adopted after a restart holds them)."""
        self._busy.setdefault(pool, set()).update(devices)

    def release(self, pool: str, devices: Iterable[str]) -> None:
        self._busy.get(pool, set()).difference_update(devices)
