"""Capacity blocks in the ledger: what ``nacc.domain.reservations.block_charge`` says a
block's projects owe, posted (``docs/programs.md``, "Capacity blocks").

- ``capacity``: the whole block is charged **when it is booked**, in the booking's unit
  (a project whose balance does not cover its share is a 402 and nothing is booked), cause
  ``block:<name>:capacity``; cancelling refunds the part of the block not yet begun,
  cause ``block:<name>:cancel``. Their jobs on the block's pool within its window are
  not charged again, up to the block's size at a time (``BlockSeats``: the live scheduler
  leaves those stretches unmetered; a project running more on the pool than the block
  holds pays for the rest).
- ``use_plus_idle``: the jobs are charged as any job; once the block has ended, the live
  scheduler posts its idle accelerator-hours x ``idle_fee``, cause ``block:<name>:idle``
  (the used accelerator-seconds come from the stored usage of the projects' jobs on the
  pool within the window: a restart loses nothing).

The rate is the pool type's ``llm-pretraining`` credit rate (as the simulator's block
report), else its dearest class. A block serving several projects is split equally (the
nano-credit remainder to the first). Entries are ``transfer``s project -> usage (not
``usage``: they name no job), so ``ledger verify`` holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal

from nacc.domain.credits import to_credits
from nacc.domain.ids import JobId
from nacc.domain.jobs import JobClass, JobSpec
from nacc.domain.pools import Pool
from nacc.domain.reservations import Block, ChargeMode, block_charge
from nacc.ledger.accounts import USAGE, EntryKind, project
from nacc.ports.store import UnitOfWork
from nacc.service import posting

BLOCK_CLASS = JobClass.PRETRAIN.value
NANO = Decimal("0.000000001")


def block_rate(rates: Mapping[tuple[str, str], float], accel_type: str) -> float:
    """Credits per accelerator-hour a block of ``accel_type`` is charged at."""
    found = rates.get((accel_type, BLOCK_CLASS))
    if found is not None:
        return found
    return max((r for (t, _), r in rates.items() if t == accel_type), default=0.0)


def split(total: Decimal, projects: Sequence[str]) -> list[tuple[str, Decimal]]:
    """``total`` in equal shares (on the nano-credit grid), the remainder to the first."""
    names = sorted(projects)
    share = (total / len(names)).quantize(NANO, rounding="ROUND_DOWN")
    first = total - share * (len(names) - 1)
    return [(names[0], first), *((p, share) for p in names[1:])]


def _post(uow: UnitOfWork, block: Block, amount: Decimal, cause: str, at: float,
          memo: str, back: bool = False) -> None:  # fmt: skip
    if amount <= 0:
        return
    if uow.ledger.get_account(USAGE.key) is None:  # opened as a job's first charge opens it
        uow.ledger.open_account(USAGE.key, USAGE.kind.value, None)
    for proj, part in split(amount, sorted(block.projects)):
        if part <= 0:
            continue
        legs = [(USAGE.key, -part), (project(proj).key, part)] if back else \
            [(project(proj).key, -part), (USAGE.key, part)]  # fmt: skip
        when = datetime.fromtimestamp(at, UTC)
        entry = posting.entry(EntryKind.TRANSFER, legs, f"{cause}:project:{proj}", when, memo)
        posting.post(uow, entry)


def charge_booking(uow: UnitOfWork, block: Block, rate: float, at: float) -> None:
    """A ``capacity`` block's whole charge, in the booking's unit (402 if not covered)."""
    if block.charge is not ChargeMode.CAPACITY:
        return
    amount = to_credits(repr(block_charge(block, 0.0, rate)))
    memo = f"capacity block {block.id}: {block.count} x {block.pool_id}"
    _post(uow, block, amount, f"block:{block.id}:capacity", at, memo)


def refund_cancel(uow: UnitOfWork, block: Block, rate: float, now_s: float) -> None:
    """Give back the part of a ``capacity`` block not begun at ``now_s``."""
    if block.charge is not ChargeMode.CAPACITY or now_s >= block.end_s:
        return
    start = max(now_s, block.start_s)
    left = block.count * (block.end_s - start) / 3600.0 * rate
    memo = f"capacity block {block.id} cancelled: {block.end_s - start:.0f} s not used"
    _post(uow, block, to_credits(repr(left)), f"block:{block.id}:cancel", now_s, memo, True)


def settle_idle(uow: UnitOfWork, block: Block, rate: float, used_s: float, at: float) -> bool:
    """A ``use_plus_idle`` block's idle fee once it has ended, posted at ``at`` (when it
    is found due, so the journal stays in time order); False if posted before."""
    cause = f"block:{block.id}:idle"
    first = sorted(block.projects)[0]
    if uow.ledger.by_cause(f"{cause}:project:{first}") is not None:
        return False
    amount = to_credits(repr(block_charge(block, min(used_s, block.accelerator_s), rate)))
    idle_h = max(0.0, block.accelerator_s - used_s) / 3600.0
    memo = f"block {block.id}: {idle_h:.1f} idle accelerator-hours x fee {block.idle_fee}"
    _post(uow, block, amount, cause, max(at, block.end_s), memo)
    return True


class BlockSeats:
    """Which running jobs sit on each ``capacity`` block's accelerators, so a block pays
    for at most ``count`` of its projects' accelerators at a time: a job takes seats when
    it is first metered on the block's pool in the block's window (first come, first
    seated; a job already seated keeps its seats) and frees them when it stops running.
    A job that finds fewer free seats than it uses is charged for the rest, and takes
    seats freed later. Kept in memory: after a restart the running jobs are seated again
    in the order they are metered."""

    def __init__(self) -> None:
        self._held: dict[str, dict[JobId, int]] = {}

    def covered(self, blocks: Sequence[Block], spec: JobSpec, pool: Pool, count: int,
                start_s: float, end_s: float) -> float:  # fmt: skip
        """The share (0..1) of a metered stretch that a block already paid for."""
        best = 0.0
        for b in blocks:
            if b.charge is not ChargeMode.CAPACITY or b.pool_id != pool.id:
                continue
            inside = min(end_s, b.end_s) - max(start_s, b.start_s)
            if not (b.serves(spec.project) and end_s > start_s and inside > 0 and count > 0):
                continue
            held = self._held.setdefault(b.id, {})
            others = sum(held.values()) - held.get(spec.id, 0)
            seats = max(0, min(count, b.count - others))
            if seats:
                held[spec.id] = seats
            else:
                held.pop(spec.id, None)
            best = max(best, seats / count * min(1.0, inside / (end_s - start_s)))
        return best

    def release(self, job_id: JobId) -> None:
        """The job stopped running: its seats are free."""
        for held in self._held.values():
            held.pop(job_id, None)

    def seated(self, block_id: str) -> dict[JobId, int]:
        return dict(self._held.get(block_id, {}))
