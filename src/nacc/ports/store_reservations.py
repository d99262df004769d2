"""The reservations repository: capacity blocks an officer booked (``capacity_blocks``).

A row is the booked block as stored; ``to_block`` turns it into the pure
``nacc.domain.reservations.Block`` the scheduler and the overlap check use (times in
seconds since the epoch, the live engine's clock)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from nacc.domain.ids import PoolId
from nacc.domain.reservations import Block, ChargeMode


@dataclass(frozen=True, slots=True)
class BlockRow:
    id: int
    name: str
    pool_id: str
    count: int
    start: datetime
    end: datetime
    projects: tuple[str, ...]
    charge: str
    idle_fee: float
    booked_by: int
    booked_at: datetime
    cancelled_at: datetime | None = None

    def to_block(self) -> Block:
        return Block(self.name, PoolId(self.pool_id), self.count, self.start.timestamp(),
                     self.end.timestamp(), frozenset(self.projects), ChargeMode(self.charge),
                     self.idle_fee)  # fmt: skip


@dataclass(frozen=True, slots=True)
class NewBlock:
    name: str
    pool_id: str
    count: int
    start: datetime
    end: datetime
    projects: tuple[str, ...]
    charge: str
    idle_fee: float
    booked_by: int
    booked_at: datetime


class ReservationsRepo(Protocol):
    def add(self, new: NewBlock) -> BlockRow: ...

    def get(self, block_id: int) -> BlockRow | None: ...

    def by_name(self, name: str) -> BlockRow | None: ...

    def booked(self, include_cancelled: bool = False) -> list[BlockRow]:
        """Blocks by start (then id); cancelled ones only if asked."""
        ...

    def cancel(self, block_id: int, at: datetime) -> BlockRow | None: ...

    def used_accelerator_s(
        self, pool_id: str, projects: Collection[str], start: datetime, end: datetime
    ) -> float:
        """Accelerator-seconds the projects' jobs on ``pool_id`` were metered for within
        [start, end) (the stored usage intervals)."""
        ...
