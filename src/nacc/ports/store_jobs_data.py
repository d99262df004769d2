"""Store port, jobs side: the views its repositories return and what callers state
(re-exported by ``nacc.ports.store_jobs``).

Ledger entries cross the port as plain values (account keys, kind names, amounts); the
store turns them into ``nacc.ledger`` entries and posts them by the ledger's rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from nacc.domain.lifecycle import JobState
from nacc.domain.reasons import Reason

ZERO = Decimal(0)

LIVE_SCHEDULER = "live"
"""The heartbeat name of the live scheduler (one per database)."""

LIVE_STATES = (JobState.PENDING.value, JobState.RUNNING.value)


class NotFunded(Exception):
    """``JobsRepo.insert_if_funded`` inserted the job but could not reserve its estimate:
    the unit of work must roll back (it does, as this propagates out of the block)."""


def reason_of(code: str | None, params: Mapping[str, Any] | None) -> Reason | None:
    """The stored code and parameters as a ``Reason`` (None when no code was stored)."""
    if not code:
        return None
    return Reason.of(code, **{str(k): v for k, v in (params or {}).items()})


# --- jobs ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewJob:
    """A submission. ``accelerator_types`` None means any type."""

    id: str
    project_id: int
    submitted_by: int
    command: str
    accelerators: int
    job_class: str
    image: str | None = None
    accelerator_types: Sequence[str] | None = None
    time_limit_s: int | None = None
    gang: bool = True
    idempotency_key: str | None = None
    log_path: str | None = None
    reserve: Decimal = ZERO  # credits held for it until it ends (its estimate)


@dataclass(frozen=True, slots=True)
class JobView:
    """A stored job. ``reason`` is why it waits or ended as a code (None when only the
    English ``reason_text`` of an older writer is stored)."""

    id: str
    project_id: int
    submitted_by: int
    command: str
    image: str | None
    accelerators: int
    accelerator_types: tuple[str, ...] | None
    job_class: str
    time_limit_s: int | None
    gang: bool
    idempotency_key: str | None
    state: str
    reason_text: str
    reason: Reason | None
    pool_id: str | None
    device_ids: tuple[str, ...] | None
    submitted_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    exit_code: int | None
    log_path: str | None
    cancel_requested_at: datetime | None
    expected_start_at: datetime | None
    reserved_credits: Decimal


@dataclass(frozen=True, slots=True)
class JobChange:
    """A state change and what came with it; unset fields are left as they are.
    ``text`` is ``reason`` in English, kept for readers that predate codes."""

    dst: JobState
    at: datetime
    reason: Reason
    text: str = ""
    pool_id: str | None = None
    device_ids: Sequence[str] | None = None
    exit_code: int | None = None


@dataclass(frozen=True, slots=True)
class JobEventView:
    """One step of a job's history; ``reason`` None for events stored without a code."""

    at: datetime
    src: str
    dst: str
    cause: str
    reason: Reason | None


@dataclass(frozen=True, slots=True)
class BackendState:
    """A dispatch backend as the scheduler saw it at its beat: ``up``, or down since
    ``since`` with its last error (failover, ``nacc.engine.failover``)."""

    name: str
    pools: tuple[str, ...]
    up: bool
    since: datetime | None = None
    error: str = ""

    def as_json(self) -> dict[str, Any]:
        since = None if self.since is None else self.since.isoformat()
        return {"name": self.name, "pools": list(self.pools), "up": self.up, "since": since,
                "error": self.error}  # fmt: skip

    @classmethod
    def of_json(cls, data: dict[str, Any]) -> BackendState:
        since = data.get("since")
        return cls(str(data["name"]), tuple(data.get("pools") or ()), bool(data["up"]),
                   None if since is None else datetime.fromisoformat(since),
                   str(data.get("error") or ""))  # fmt: skip


@dataclass(frozen=True, slots=True)
class Beat:
    """One heartbeat of a live scheduler (``backends``: each backend's state)."""

    name: str
    host: str
    pid: int
    started_at: datetime
    beat_at: datetime
    interval_s: float
    step_s: float
    pending: int
    running: int
    backends: tuple[BackendState, ...] = ()

    def row(self) -> dict[str, Any]:
        """The beat as a ``scheduler_heartbeats`` row's values."""
        values = {f: getattr(self, f) for f in Beat.__slots__}
        values["backends"] = [b.as_json() for b in self.backends]
        return values

    @classmethod
    def of_row(cls, row: Any) -> Beat:
        values = {f: getattr(row, f) for f in Beat.__slots__}
        values["backends"] = tuple(BackendState.of_json(b) for b in row.backends or ())
        return cls(**values)


# --- projects' funds ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FundsView:
    """What a project may spend: its ledger balance plus overdraft, less what its live
    jobs hold (``committed``)."""

    project_id: int
    valid_from: datetime
    valid_until: datetime
    balance: Decimal
    overdraft: Decimal
    committed: Decimal

    @property
    def available(self) -> Decimal:
        return self.balance + self.overdraft - self.committed

    def valid_at(self, now: datetime) -> bool:
        return self.valid_from <= now <= self.valid_until


@dataclass(frozen=True, slots=True)
class ReservationBook:
    """Per project: committed credits, and what its live and its ended jobs still hold."""

    project_id: int
    committed: Decimal
    live: Decimal
    ended: Decimal


# --- ledger -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountView:
    """A ledger account (``project:7``); ``overdraft`` None means no floor."""

    key: str
    kind: str
    overdraft: Decimal | None


@dataclass(frozen=True, slots=True)
class NewEntry:
    """A journal entry to post: ``kind`` is a ``nacc.ledger.accounts.EntryKind`` value,
    ``job`` the job a usage charge or refund is for, ``legs`` ``(account key, amount)``
    with amounts on the nano-credit grid (``to_credits``)."""

    cause: str
    at: datetime
    kind: str
    legs: tuple[tuple[str, Decimal], ...]
    memo: str = ""
    job: str | None = None


@dataclass(frozen=True, slots=True)
class EntryView:
    """A posted entry, legs in the order they were posted."""

    id: int
    cause: str
    at: datetime
    kind: str
    legs: tuple[tuple[str, Decimal], ...]
    memo: str
    job: str | None


@dataclass(frozen=True, slots=True)
class UsageView:
    """One metered stretch of a job running on ``count`` accelerators of one type."""

    job_id: str
    start_at: datetime
    end_at: datetime
    accelerator_type: str
    count: int
    credits: Decimal


@dataclass(frozen=True, slots=True)
class AccountMove:
    """What one journal entry moved on one account (the sum of its legs there)."""

    at: datetime
    kind: str
    amount: Decimal
