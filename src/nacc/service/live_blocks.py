"""Capacity blocks held by the backends themselves (Slurm: one reservation per block).

The live scheduler re-reads the booked blocks every step (``LiveScheduler.blocks``);
``BlockSync`` runs after the step and hands each backend that can (``nacc.ports.Reserving``)
the blocks on its pools whenever that list changed — a block booked, cancelled or over —
and again ``retry_s`` after a hand-over that failed (a backend that is down does not slow
every step). Nothing is asked of a backend otherwise, none at all while no block was ever
booked on it (a reservation left from a block cancelled while the service was down goes
at the next change).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from nacc.domain.pools import Pool
from nacc.domain.reservations import Block
from nacc.ports import Dispatcher, Reserving

log = logging.getLogger("nacc.live")


class BlockSync:
    """The after-step hook; ``blocks``: the blocks the scheduler honours now."""

    def __init__(
        self,
        backends: Sequence[tuple[Dispatcher, Sequence[Pool]]],
        blocks: Callable[[], Sequence[Block]],
        clock: Callable[[], float],
        retry_s: float = 30.0,
    ) -> None:
        self._targets = [(b, list(pools)) for b, pools in backends if isinstance(b, Reserving)]
        self._blocks, self._clock, self.retry_s = blocks, clock, retry_s
        self._given: list[list[Block]] = [[] for _ in self._targets]
        self._failed: list[float] = [float("-inf") for _ in self._targets]
        self.pushes = 0

    @property
    def active(self) -> bool:
        return bool(self._targets)

    def __call__(self) -> None:
        now, blocks = self._clock(), list(self._blocks())
        for index, (backend, pools) in enumerate(self._targets):
            ids = {p.id for p in pools}
            mine = sorted((b for b in blocks if b.pool_id in ids), key=lambda b: b.id)
            if mine == self._given[index] or now - self._failed[index] < self.retry_s:
                continue
            try:
                backend.reserve(mine, pools, now)
            except Exception:  # unreachable: handed over again after retry_s
                self._failed[index] = now
                log.exception("handing %d blocks to %s failed", len(mine),
                              getattr(backend, "name", backend))  # fmt: skip
                continue
            self._given[index] = mine
            self.pushes += 1
