"""Store port: what the live scheduler reads and writes, in batches, each tick.

The scheduler (``nacc.service.live``) keeps the engine's state in memory; the store is
the source of truth that the API reads and that a restarted scheduler recovers from.
Each tick it reads in one unit (``queued``, ``cancel_requests``) and writes in one unit
(``write``: every lifecycle move, metered charge and pending reason of the tick). A write
is a few statements whatever the number of jobs in it, not a round trip per job.

``write`` applies, in this order, within the caller's unit of work:

1. ``charges``: each usage entry is posted once per cause (``Charge.cause``; a cause that
   is already in the journal posts nothing and draws nothing: a retry); with it its
   metered interval (``usage_intervals``) and the draw-down of the job's credit
   reservation (never below zero) and of its project's committed credits;
2. ``moves``: each job's state changes, in order; a move whose ``src`` is not the job's
   stored state, or that the lifecycle table does not allow, is refused (returned in
   ``TickResult.refused``, nothing written for it) while the rest go on. A move to an
   end state releases what the job still holds of its reservation. Each applied move
   appends a ``job_events`` row with the reason's code and parameters and its English
   text (for readers that predate codes);
3. ``waits``: why a pending job waits and when it should start (no event).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from nacc.domain.lifecycle import JobState
from nacc.domain.reasons import Reason
from nacc.ports.store_jobs_data import LIVE_SCHEDULER as LIVE_SCHEDULER
from nacc.ports.store_jobs_data import Beat as Beat


@dataclass(frozen=True, slots=True)
class QueuedJob:
    """A stored job as the scheduler takes it in (pending, or running at a restart)."""

    id: str
    project_id: int
    submitted_at: datetime
    command: str
    image: str | None
    accelerators: int
    accelerator_types: tuple[str, ...] | None
    job_class: str
    time_limit_s: int | None
    gang: bool
    state: JobState
    pool_id: str | None = None
    started_at: datetime | None = None
    metered_until: datetime | None = None
    """The end of its last metered interval (``live_jobs`` only; else None)."""


@dataclass(frozen=True, slots=True)
class Move:
    """One lifecycle transition of a job, with the reason as a code and in English."""

    job_id: str
    at: datetime
    src: JobState
    dst: JobState
    reason: Reason
    text: str
    pool_id: str | None = None
    device_ids: tuple[str, ...] | None = None
    exit_code: int | None = None
    log_path: str | None = None


@dataclass(frozen=True, slots=True)
class Leg:
    """One leg of a journal entry: ``amount`` credits into ``account`` (a key such as
    ``project:7``; negative: out of it). An account that does not exist yet is opened
    with ``kind`` and ``overdraft`` (None: no floor)."""

    account: str
    amount: Decimal
    kind: str
    overdraft: Decimal | None = Decimal(0)


@dataclass(frozen=True, slots=True)
class Charge:
    """One metered interval of a job and its usage entry (kind ``usage``, naming the
    job): built and checked by ``nacc.ledger.accounts``'s rules in the service, posted
    once per ``cause``. ``credits`` is what the engine metered for the interval, what the
    legs move and what the reservation is drawn by."""

    cause: str
    at: datetime
    memo: str
    job_id: str
    legs: tuple[Leg, ...]
    start_at: datetime
    end_at: datetime
    accelerator_type: str
    count: int
    credits: Decimal


@dataclass(frozen=True, slots=True)
class Waiting:
    """Why a pending job waits and when it is expected to start (None: unknown)."""

    job_id: str
    reason: Reason
    text: str
    expected_start_at: datetime | None
    running: bool = False
    """True: a running job a backend accepted but has not started (Slurm's queue); the
    store updates it only while it runs. False: only while it is pending."""


@dataclass(frozen=True, slots=True)
class TickWrites:
    """Everything one scheduler tick writes."""

    moves: Sequence[Move] = ()
    charges: Sequence[Charge] = ()
    waits: Sequence[Waiting] = ()

    def __bool__(self) -> bool:
        return bool(self.moves or self.charges or self.waits)


@dataclass(frozen=True, slots=True)
class TickResult:
    """What ``write`` did: charges posted now (their causes; the others were already in
    the journal), credits drawn from reservations and released at ends, and the moves
    refused with why."""

    posted: tuple[str, ...] = ()
    drawn: Decimal = Decimal(0)
    released: Decimal = Decimal(0)
    refused: tuple[tuple[Move, str], ...] = field(default=())


class SchedulerRepo(Protocol):
    """The live scheduler's reads and batched writes (see the module docstring)."""

    def queued(self, since: datetime | None, known: Collection[str]) -> list[QueuedJob]:
        """Pending jobs submitted at or after ``since`` (None: every pending job) that are
        not in ``known``, oldest first (by submit time, then id)."""
        ...

    def cancel_requests(self) -> list[str]:
        """Ids of pending or running jobs whose cancellation was asked for."""
        ...

    def live_jobs(self) -> list[QueuedJob]:
        """Every pending or running job, oldest first, with ``metered_until`` (recovery)."""
        ...

    def write(self, tick: TickWrites) -> TickResult:
        """Apply one tick's writes in a few statements (see the module docstring)."""
        ...

    def record_beat(self, beat: Beat) -> None:
        """Write (or overwrite) the heartbeat of scheduler ``beat.name``."""
        ...

    def last_beat(self, name: str) -> Beat | None: ...
