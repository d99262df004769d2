"""What one live scheduler tick writes, gathered while the engine runs it.

``TickBuffer`` is the engine's ``EventSink`` and ``UsageSink``: each lifecycle event
becomes a ``Move`` (the reason as its code and parameters, and in English for readers
that predate codes) and each metered stretch a ``Charge`` — a usage entry built and
checked by the ledger's rules (``nacc.ledger.accounts``: ``transfer``, ``usage_cause``,
``Entry.problems``) for the credits the engine metered (one metering path: nothing is
recomputed here). ``take`` hands the tick's writes to the store in one unit of work
(``SchedulerRepo.write``); writes that failed to commit are handed again with the next
tick's (charges are posted once by cause; moves already written are refused as stale).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache

from nacc.domain.events import JobEvent
from nacc.domain.jobs import JobSpec
from nacc.domain.lifecycle import JobState
from nacc.domain.pools import Pool
from nacc.domain.reasons import Reason
from nacc.domain.reservations import Block
from nacc.i18n import render
from nacc.ledger.accounts import (
    USAGE,
    AccountKind,
    EntryKind,
    InvalidEntry,
    project,
    to_credits,
    transfer,
    usage_cause,
)
from nacc.ports.store_scheduler import Charge, Leg, Move, TickWrites, Waiting
from nacc.service.block_ledger import BlockSeats


def _opened_with(kind: AccountKind) -> Decimal | None:
    """The overdraft of an account a charge opens: the usage account has no floor, a
    project none below zero (its credits were reserved at submit)."""
    return None if kind is AccountKind.USAGE else Decimal(0)


def wall(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


@lru_cache(maxsize=4096)
def text(reason: Reason) -> str:
    """The reason in English, for the store's text columns (few distinct reasons recur)."""
    return render(reason, "en")


def move_of(event: JobEvent) -> Move:
    started = event.dst is JobState.RUNNING
    return Move(
        job_id=event.job_id,
        at=wall(event.at),
        src=event.src,
        dst=event.dst,
        reason=event.cause,
        text=text(event.cause),
        pool_id=event.pool_id,
        device_ids=tuple(event.devices) if started else None,
        exit_code=event.exit_code,
        log_path=event.log if started else None,
    )


def charge_of(
    spec: JobSpec, pool: Pool, count: int, start_s: float, end_s: float, credits: float
) -> Charge:
    """The usage charge of one metered stretch: ``credits`` as the engine metered them,
    on the ledger's nano-credit grid."""
    amount = to_credits(repr(credits))
    memo = f"{count} x {pool.accel_type} for {end_s - start_s:.1f} s"
    cause = usage_cause(spec.id, start_s, end_s)
    entry = transfer(EntryKind.USAGE, project(spec.project), USAGE, amount, cause,
                     at=end_s, memo=memo, job=spec.id)  # fmt: skip
    problems = entry.problems()
    if problems:
        raise InvalidEntry(cause, problems)
    legs = tuple(Leg(p.account.key, p.amount, p.account.kind.value, _opened_with(p.account.kind))
                 for p in entry.postings)  # fmt: skip
    return Charge(cause, wall(end_s), memo, spec.id, legs, wall(start_s), wall(end_s),
                  pool.accel_type, count, amount)  # fmt: skip


class TickBuffer:
    """EventSink and UsageSink: the tick's moves and charges, until they are taken."""

    def __init__(self) -> None:
        self.moves: list[Move] = []
        self.charges: list[Charge] = []
        self.blocks: list[Block] = []  # booked blocks: ``capacity`` ones paid their jobs' use
        self.seats = BlockSeats()  # which running jobs those blocks pay for

    def meter(
        self, spec: JobSpec, pool: Pool, count: int, start_s: float, end_s: float, credits: float
    ) -> None:
        """A charge for the stretch, less the share a ``capacity`` block already paid
        (``block_ledger.BlockSeats``): none at all for a stretch wholly on the block."""
        paid = (self.seats.covered(self.blocks, spec, pool, count, start_s, end_s)
                if self.blocks else 0.0)  # fmt: skip
        if paid >= 1.0:
            return
        self.charges.append(charge_of(spec, pool, count, start_s, end_s, credits * (1 - paid)))

    def emit(self, event: JobEvent) -> None:
        self.moves.append(move_of(event))
        if event.src is JobState.RUNNING and event.dst is not JobState.RUNNING:
            self.seats.release(event.job_id)

    def add(self, move: Move) -> None:
        """A move the scheduler decides itself (a job lost after a restart)."""
        self.moves.append(move)

    def writes(self, waits: list[Waiting]) -> TickWrites:
        """The tick's writes (kept until ``clear``: a write that fails is retried)."""
        return TickWrites(tuple(self.moves), tuple(self.charges), tuple(waits))

    def clear(self, written: TickWrites) -> None:
        """Forget what ``written`` held (events emitted meanwhile stay)."""
        del self.moves[: len(written.moves)]
        del self.charges[: len(written.charges)]
