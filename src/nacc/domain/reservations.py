"""Advance reservations (capacity blocks): ``count`` accelerators of one pool kept for
some projects over [start_s, end_s).

An officer books a block on a pool, or on an accelerator type (``resolve_pool`` picks the
first pool of that type, in scenario order, with room). Blocks on one pool may overlap
only while their counts together fit the pool: ``check_fits`` refuses a block that would
go over, naming the blocks already booked over that time (``BlockConflict``, coded
``block_conflict``).

Charging (``ChargeMode``, chosen per block):

- ``capacity``: the block's projects pay for the whole block, ``count`` x its length at
  the pool's credit rate, used or not; their jobs on the block are not charged again;
- ``use_plus_idle``: their jobs are charged as any job; in addition the block's idle
  accelerator-hours are charged at ``idle_fee`` x the credit rate (0 <= idle_fee <= 1).

``block_charge`` is the one rule both follow. Pure: no clock, no IO.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from nacc.domain.errors import Conflict, InputError
from nacc.domain.ids import PoolId
from nacc.domain.pools import Pool
from nacc.domain.reasons import Code


class ChargeMode(StrEnum):
    CAPACITY = "capacity"
    USE_PLUS_IDLE = "use_plus_idle"


@dataclass(frozen=True, slots=True)
class Block:
    """``count`` accelerators of ``pool_id`` for ``projects`` over [start_s, end_s)."""

    id: str
    pool_id: PoolId
    count: int
    start_s: float
    end_s: float
    projects: frozenset[str]
    charge: ChargeMode = ChargeMode.CAPACITY
    idle_fee: float = 0.0

    def __post_init__(self) -> None:
        if not self.id:
            raise InputError("id", "a block needs a non-empty id")
        if self.count < 1:
            raise InputError("count", f"expected an integer >= 1; got {self.count}")
        if not self.start_s < self.end_s:
            raise InputError("end", f"must be after start ({self.start_s}); got {self.end_s}")
        if not self.projects:
            raise InputError("projects", "a block serves at least one project")
        if not 0.0 <= self.idle_fee <= 1.0:
            raise InputError("idle_fee", f"expected 0..1 of the credit rate; got {self.idle_fee}")
        if self.charge is ChargeMode.CAPACITY and self.idle_fee:
            raise InputError("idle_fee", "only a use_plus_idle block has an idle fee")

    def serves(self, project: str) -> bool:
        return project in self.projects

    def active(self, t: float) -> bool:
        return self.start_s <= t < self.end_s

    def overlaps(self, start_s: float, end_s: float) -> bool:
        return self.start_s < end_s and start_s < self.end_s

    @property
    def accelerator_s(self) -> float:
        return self.count * (self.end_s - self.start_s)


class BlockConflict(Conflict):
    """A block would book more of a pool than it has over some time."""

    code = Code.BLOCK_CONFLICT

    def __init__(self, block: Block, conflicting: Sequence[Block], available: int) -> None:
        names = ", ".join(b.id for b in conflicting)
        super().__init__(
            f"block {block.id} asks {block.count} accelerators of {block.pool_id}, but only "
            f"{available} are not booked over that time by {names}",
            params={
                "block": block.id,
                "pool": block.pool_id,
                "conflicting": names,
                "count": block.count,
                "available": available,
            },
        )
        self.conflicting = [b.id for b in conflicting]
        self.available = available


def peak(
    blocks: Iterable[Block], pool_id: PoolId, start_s: float, end_s: float
) -> tuple[int, list[Block]]:
    """The most accelerators of ``pool_id`` booked at one time in [start_s, end_s), and
    the blocks booked at that time."""
    near = [b for b in blocks if b.pool_id == pool_id and b.overlaps(start_s, end_s)]
    best, at_best = 0, []
    for t in sorted({max(start_s, b.start_s) for b in near}):
        on = [b for b in near if b.active(t)]
        booked = sum(b.count for b in on)
        if booked > best:
            best, at_best = booked, on
    return best, at_best


def check_fits(block: Block, booked: Iterable[Block], pool_size: int) -> None:
    """Refuse ``block`` (``BlockConflict``) if, with the blocks ``booked``, its pool
    would be booked beyond ``pool_size`` at some time of the block."""
    if block.count > pool_size:
        raise InputError(
            "count", f"{block.pool_id} has {pool_size} accelerators; got {block.count}"
        )
    others = [b for b in booked if b.id != block.id]
    most, on = peak(others, block.pool_id, block.start_s, block.end_s)
    if most + block.count > pool_size:
        raise BlockConflict(block, on, pool_size - most)


def resolve_pool(
    accel_type: str, count: int, start_s: float, end_s: float,
    pools: Sequence[Pool], booked: Iterable[Block],
) -> PoolId:  # fmt: skip
    """The first pool of ``accel_type`` (in the order given) with ``count`` accelerators
    not booked over [start_s, end_s); a ``BlockConflict`` naming the blocks on the last
    such pool if none has room; an ``InputError`` if no pool is of that type."""
    booked = list(booked)
    typed = [p for p in pools if p.accel_type == accel_type]
    if not typed:
        known = ", ".join(sorted({p.accel_type for p in pools}))
        raise InputError("accelerator", f"no pool of type {accel_type!r}; known: {known}")
    conflict: BlockConflict | InputError | None = None
    for pool in typed:
        probe = Block("?", pool.id, count, start_s, end_s, frozenset({"?"}))
        try:
            check_fits(probe, booked, pool.count)
        except (BlockConflict, InputError) as error:
            conflict = error
            continue
        return pool.id
    assert conflict is not None
    raise conflict


def block_charge(block: Block, used_accelerator_s: float, credit_rate: float) -> float:
    """Credits the block's projects owe for the block itself (``credit_rate``: credits per
    accelerator-hour on the pool): the whole capacity (``capacity``), or the idle
    accelerator-hours at the idle fee (``use_plus_idle``; the jobs are charged apart)."""
    if used_accelerator_s < 0:
        raise ValueError(f"used_accelerator_s must be >= 0, got {used_accelerator_s}")
    if block.charge is ChargeMode.CAPACITY:
        return block.accelerator_s / 3600.0 * credit_rate
    idle = max(0.0, block.accelerator_s - used_accelerator_s)
    return idle / 3600.0 * credit_rate * block.idle_fee
