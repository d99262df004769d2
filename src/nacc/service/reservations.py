"""Capacity blocks in the service: an officer books, lists and cancels them.

Booking checks the block against the live fleet's pools and the blocks already booked
(``nacc.domain.reservations.check_fits``): an overlap beyond a pool's capacity is a 409
``block_conflict`` naming the other blocks. A block on an accelerator type goes to the
first pool of that type with room. Program officers (the global ``program_officer``
role) and operators may book and cancel; anyone signed in may list. Every booking and
cancellation is audited.

The live scheduler reads the booked blocks (``booked_blocks``) every step and plans through
``nacc.scheduling.blocks.Blocked``, the same rule as the simulator.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from nacc.domain.errors import Conflict, InputError, NotFound
from nacc.domain.ids import PoolId
from nacc.domain.pools import Pool
from nacc.domain.reservations import Block, ChargeMode, check_fits, resolve_pool
from nacc.ports.store import UnitOfWork
from nacc.ports.store_reservations import BlockRow, NewBlock
from nacc.service import audit, block_ledger
from nacc.service.auth import Principal, require
from nacc.service.context import Services

BOOKERS = ("program_officer", "operator")


@dataclass(frozen=True, slots=True)
class Booking:
    """What an officer asks for (exactly one of ``pool_id`` and ``accelerator``)."""

    name: str
    count: int
    start: datetime
    end: datetime
    projects: tuple[int, ...]
    pool_id: str | None = None
    accelerator: str | None = None
    charge: str = ChargeMode.CAPACITY
    idle_fee: float = 0.0


def book(
    svc: Services, who: Principal, pools: Sequence[Pool], ask: Booking,
    rates: Mapping[tuple[str, str], float] | None = None,
) -> BlockRow:  # fmt: skip
    """Book a block; a ``capacity`` block is charged to its projects in the same unit
    (``service.block_ledger``; ``rates``: credits per accelerator-hour by (type, class),
    None: not charged, as in tests of the overlap rule alone)."""
    require(who, *BOOKERS)
    if (ask.pool_id is None) == (ask.accelerator is None):
        raise InputError("body.pool_id", "give exactly one of pool_id or accelerator")
    if not ask.start < ask.end:
        raise InputError("body.end", f"must be after start ({ask.start.isoformat()})")
    sizes = {p.id: p.count for p in pools}
    now = svc.clock()
    with svc.unit() as uow:
        if uow.reservations.by_name(ask.name) is not None:
            raise Conflict(f"capacity block {ask.name!r} already exists")
        for project_id in ask.projects:
            if uow.projects.funds(project_id) is None:
                raise InputError("body.projects", f"no project {project_id}")
        booked = [r.to_block() for r in uow.reservations.booked()]
        start_s, end_s = ask.start.timestamp(), ask.end.timestamp()
        if ask.pool_id is not None:
            if PoolId(ask.pool_id) not in sizes:
                known = ", ".join(sorted(sizes))
                raise InputError("body.pool_id", f"unknown pool {ask.pool_id!r}; pools: {known}")
            pool_id = PoolId(ask.pool_id)
        else:
            assert ask.accelerator is not None
            pool_id = resolve_pool(ask.accelerator, ask.count, start_s, end_s, pools, booked)
        block = Block(ask.name, pool_id, ask.count, start_s, end_s,
                      frozenset(str(p) for p in ask.projects), ChargeMode(ask.charge),
                      ask.idle_fee)  # fmt: skip
        check_fits(block, booked, sizes[pool_id])
        row = uow.reservations.add(NewBlock(ask.name, pool_id, ask.count, ask.start, ask.end,
                                            tuple(sorted(block.projects)), str(block.charge),
                                            ask.idle_fee, who.user_id, now))  # fmt: skip
        if rates is not None:
            kind = next(p.accel_type for p in pools if p.id == pool_id)
            block_ledger.charge_booking(uow, block, block_ledger.block_rate(rates, kind),
                                        now.timestamp())  # fmt: skip
        audit.record(uow, who, now, "reservation.book", f"reservation:{row.id}",
                     pool=pool_id, count=ask.count)  # fmt: skip
        return row


def listed(svc: Services, include_cancelled: bool = False) -> list[BlockRow]:
    with svc.unit() as uow:
        return uow.reservations.booked(include_cancelled)


def get(svc: Services, block_id: int) -> BlockRow:
    with svc.unit() as uow:
        row = uow.reservations.get(block_id)
    if row is None:
        raise NotFound("reservation", block_id)
    return row


def cancel(
    svc: Services, who: Principal, block_id: int, pools: Sequence[Pool] = (),
    rates: Mapping[tuple[str, str], float] | None = None,
) -> BlockRow:  # fmt: skip
    """Cancel a block (idempotent); the first cancel of a ``capacity`` block refunds the
    part not begun (``service.block_ledger.refund_cancel``)."""
    require(who, *BOOKERS)
    now = svc.clock()
    with svc.unit() as uow:
        before = uow.reservations.get(block_id)
        row = uow.reservations.cancel(block_id, now)
        if row is None or before is None:
            raise NotFound("reservation", block_id)
        kind = next((p.accel_type for p in pools if p.id == row.pool_id), None)
        if before.cancelled_at is None and rates is not None and kind is not None:
            block_ledger.refund_cancel(uow, row.to_block(), block_ledger.block_rate(rates, kind),
                                       now.timestamp())  # fmt: skip
        audit.record(uow, who, now, "reservation.cancel", f"reservation:{row.id}")
        return row


def booked_blocks(uow: UnitOfWork, now_s: float) -> list[Block]:
    """Blocks not cancelled and not over at ``now_s`` (epoch seconds): what the live
    scheduler honours, read in its step's unit of work."""
    return [r.to_block() for r in uow.reservations.booked() if r.end.timestamp() > now_s]


def blocks_now(uow: UnitOfWork, now_s: float) -> tuple[list[Block], list[Block]]:
    """In one read: the blocks the live scheduler honours (``booked_blocks``) and the
    ``use_plus_idle`` blocks that have ended (their idle fee is due)."""
    rows = [r.to_block() for r in uow.reservations.booked()]
    live = [b for b in rows if b.end_s > now_s]
    ended = [b for b in rows if b.end_s <= now_s and b.charge is ChargeMode.USE_PLUS_IDLE]
    return live, ended


def settle_ended(uow: UnitOfWork, block: Block, rates: Mapping[tuple[str, str], float],
                 accel_type: str, now_s: float) -> bool:  # fmt: skip
    """Post an ended ``use_plus_idle`` block's idle fee (once; False if posted before)."""
    start, end = (datetime.fromtimestamp(t, UTC) for t in (block.start_s, block.end_s))
    used = uow.reservations.used_accelerator_s(block.pool_id, block.projects, start, end)
    rate = block_ledger.block_rate(rates, accel_type)
    return block_ledger.settle_idle(uow, block, rate, used, now_s)
