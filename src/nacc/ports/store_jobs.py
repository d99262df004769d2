"""Store port: jobs, projects' funds and the ledger (protocols and the views they return).

Three repositories of a unit of work (``nacc.ports.store.UnitOfWork``):

- ``jobs`` (``JobsRepo``): submissions (the one-statement funded insert, idempotency
  keys), reads, cancellation requests, lifecycle changes with coded reasons, the job's
  credit reservation, and the live scheduler's heartbeat as the API reads it;
- ``projects`` (``ProjectsRepo``): what a project may spend (``FundsView``), its row
  locked when a check of funds must be followed by a reservation, and the reservation
  books ``ledger verify`` checks;
- ``ledger`` (``LedgerRepo``): accounts, the journal (entries keep their kind and job),
  balances and metered usage. The store only keeps entries, once per cause even from
  two processes at once; the rules are ``nacc.ledger``'s, applied by
  ``nacc.service.posting`` before it appends (a malformed entry raises
  ``InvalidEntry``, the same cause with another effect ``CauseConflict``, a leg below
  its account's floor ``InsufficientCredits``).

Repositories return frozen views (``nacc.ports.store_jobs_data``), never ORM rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from nacc.domain.reasons import Reason
from nacc.ports.pages import Page
from nacc.ports.store_jobs_data import (
    LIVE_SCHEDULER,
    LIVE_STATES,
    AccountMove,
    AccountView,
    Beat,
    EntryView,
    FundsView,
    JobChange,
    JobEventView,
    JobView,
    NewEntry,
    NewJob,
    NotFunded,
    ReservationBook,
    UsageView,
    reason_of,
)

__all__ = [
    "LIVE_SCHEDULER",
    "LIVE_STATES",
    "AccountMove",
    "AccountView",
    "Beat",
    "EntryView",
    "FundsView",
    "JobChange",
    "JobEventView",
    "JobView",
    "JobsRepo",
    "LedgerRepo",
    "NewEntry",
    "NewJob",
    "NotFunded",
    "ProjectsRepo",
    "ReservationBook",
    "UsageView",
    "reason_of",
]


class JobsRepo(Protocol):
    """Jobs, their history and their reservations."""

    def insert_if_funded(
        self, new: NewJob, now: datetime, estimate: Decimal, account_key: str
    ) -> JobView | None:
        """The busy path of a submission (no idempotency key): insert the job if its
        project exists and is valid at ``now`` (else None, nothing changed), then reserve
        ``estimate`` only if the project's balance (on ``account_key``) plus overdraft
        less what it has committed covers it, else raise ``NotFunded`` (the unit must
        roll back). The project row stays locked until the unit ends."""
        ...

    def create(self, new: NewJob, now: datetime) -> tuple[JobView, bool]:
        """Store a pending job and reserve ``new.reserve`` (the caller checked the funds
        with the project locked). An idempotency key already used in the project gives
        the earlier job and False, and reserves nothing."""
        ...

    def get(self, job_id: str) -> JobView | None: ...

    def by_idempotency_key(self, project_id: int, key: str) -> JobView | None: ...

    def list_jobs(
        self, project_id: int, limit: int = 50, offset: int = 0, states: Iterable[str] | None = None
    ) -> Page[JobView]:
        """A project's jobs, newest first (ties broken by id, so pages never overlap)."""
        ...

    def in_states(self, states: Iterable[str]) -> list[JobView]:
        """Every job in one of ``states``, oldest first."""
        ...

    def ended_page(self, states: Iterable[str], limit: int, offset: int) -> Page[JobView]:
        """Jobs of every project in one of ``states``, the last to finish first (a job
        without an end by its submission; ties broken by id, so pages never overlap)."""
        ...

    def request_cancel(self, job_id: str, now: datetime, reason: Reason, text: str) -> bool:
        """Ask the scheduler to cancel a pending or running job (once): True when asked
        now. ``text`` is ``reason`` in English."""
        ...

    def transition(self, job_id: str, change: JobChange) -> JobEventView:
        """Move a job along the lifecycle table (``InvalidTransition`` for an edge it
        does not have) and append the event; an end releases what the job still holds."""
        ...

    def events(self, job_id: str) -> list[JobEventView]:
        """A job's history in the order it happened."""
        ...

    def draw_reservation(self, job_id: str, charged: Decimal) -> Decimal:
        """A usage charge draws the job's reservation and its project's committed credits
        down (never below 0); returns the amount drawn."""
        ...

    def count_by_state(self) -> dict[str, int]:
        """How many jobs are in each state (states without jobs are left out)."""
        ...

    def running_by_pool(self) -> dict[str, int]:
        """Accelerators held by running jobs, per pool."""
        ...

    def record_beat(self, beat: Beat) -> None:
        """Write (or overwrite) the heartbeat of scheduler ``beat.name``."""
        ...

    def last_beat(self, name: str = LIVE_SCHEDULER) -> Beat | None: ...


class ProjectsRepo(Protocol):
    """What projects may spend, and what their jobs hold."""

    def funds(self, project_id: int, *, lock: bool = False) -> FundsView | None:
        """The project's funds; with ``lock`` its row is held until the unit ends, so a
        check of funds followed by a reservation cannot interleave with another."""
        ...

    def reservation_books(self) -> list[ReservationBook]:
        """Every project's committed credits beside what its live and ended jobs hold."""
        ...


class LedgerRepo(Protocol):
    """Accounts, the journal and metered usage."""

    def open_account(
        self, key: str, kind: str, overdraft: Decimal | None = Decimal(0)
    ) -> AccountView:
        """The account ``key`` (``Account.parse`` must read it, ``kind`` must be its kind),
        created if missing; an existing one keeps its overdraft."""
        ...

    def get_account(self, key: str) -> AccountView | None: ...

    def accounts(self) -> list[AccountView]:
        """Every account, by key."""
        ...

    def set_overdraft(self, key: str, overdraft: Decimal | None) -> None: ...

    def lock_accounts(self, keys: Iterable[str]) -> list[AccountView]:
        """The accounts, by key, held until the unit ends (in key order, so two posters
        never deadlock); an unknown key raises ``InvalidReference``."""
        ...

    def append(self, entry: NewEntry) -> tuple[EntryView, bool]:
        """Write ``entry`` once per cause: ``(entry, True)`` when written now, ``(the
        earlier entry, False)`` when the cause is there, also when a concurrent unit
        wrote it first. No rules are checked here: post through
        ``nacc.service.posting``, which applies ``nacc.ledger``'s."""
        ...

    def job_usage(self, job_id: str) -> tuple[Decimal, Decimal]:
        """What the job was charged (its usage entries) and refunded (its refunds)."""
        ...

    def by_cause(self, cause: str) -> EntryView | None: ...

    def journal(
        self, account_key: str | None = None, limit: int = 100, offset: int = 0
    ) -> Page[EntryView]:
        """Entries in posting order, optionally only those touching ``account_key``."""
        ...

    def account_moves(self, key: str, limit: int = 100, offset: int = 0) -> list[AccountMove]:
        """Of the entries ``journal(key, limit, offset)`` lists, when each was posted, its
        kind and what it moved on ``key``: one row per entry, no legs read."""
        ...

    def balance(self, key: str) -> Decimal:
        """The exact sum of the account's legs (0 without legs)."""
        ...

    def balances(self, keys: Iterable[str]) -> dict[str, Decimal]: ...

    def record_usage(self, usage: UsageView) -> tuple[UsageView, bool]:
        """Store a metered interval once per ``(job, start)``; False for a retry (the
        stored interval is returned unchanged)."""
        ...

    def usage_for_job(self, job_id: str) -> list[UsageView]:
        """The job's metered intervals by start."""
        ...

    def jobs_usage(self, job_ids: Iterable[str]) -> dict[str, tuple[Decimal, Decimal]]:
        """``job_usage`` of several jobs in one read; every id asked is a key."""
        ...

    def usage_for_jobs(self, job_ids: Iterable[str]) -> dict[str, list[UsageView]]:
        """``usage_for_job`` of several jobs in one read; every id asked is a key."""
        ...

    def metered_by_job(self) -> dict[str, Decimal]:
        """Total metered credits of every job that has usage."""
        ...
