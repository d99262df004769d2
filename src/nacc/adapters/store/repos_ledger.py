"""The credit ledger: accounts, the append-only double-entry journal, metered usage.

A journal entry is keyed by its ``cause`` (award id, job id and metered interval, ...):
posting the same cause twice, even from two processes at once, writes it once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nacc.adapters.store.repos import (
    InvalidReference,
    OverdraftExceeded,
    Page,
    fetch_page,
    insert_ignore,
)
from nacc.adapters.store.tables import Account, JournalEntry, JournalLeg, UsageInterval
from nacc.domain.credits import to_credits
from nacc.domain.errors import InputError

ZERO = Decimal(0)


# --- accounts -----------------------------------------------------------------------------


def ensure_account(
    session: Session, key: str, kind: str, overdraft: Decimal | None = ZERO
) -> Account:
    """The account ``key``, created if missing. ``overdraft`` is how far below zero its
    balance may go (None: no floor, e.g. a funding source); an existing account keeps
    its own."""
    values = {"key": key, "kind": kind, "overdraft": overdraft}
    insert_ignore(session, Account, values, ["key"])
    account = get_account(session, key)
    assert account is not None
    return account


def get_account(session: Session, key: str) -> Account | None:
    return session.scalar(sa.select(Account).where(Account.key == key))


def set_overdraft(session: Session, key: str, overdraft: Decimal | None) -> None:
    session.execute(sa.update(Account).where(Account.key == key).values(overdraft=overdraft))


def lock_accounts(session: Session, keys: Iterable[str]) -> list[Account]:
    """Load and lock (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite transactions are
    already serial) the accounts, in key order so two posters never deadlock."""
    wanted = sorted(set(keys))
    stmt = sa.select(Account).where(Account.key.in_(wanted)).order_by(Account.key)
    accounts = list(session.scalars(stmt.with_for_update()))
    missing = sorted(set(wanted) - {a.key for a in accounts})
    if missing:
        raise InvalidReference("ledger account", f"no account {', '.join(missing)}")
    return accounts


# --- journal ------------------------------------------------------------------------------


def entry_by_cause(session: Session, cause: str) -> JournalEntry | None:
    return session.scalar(sa.select(JournalEntry).where(JournalEntry.cause == cause))


def _checked_legs(legs: Sequence[tuple[str, Decimal | int]]) -> dict[str, Decimal]:
    net: dict[str, Decimal] = {}
    for key, amount in legs:
        net[key] = net.get(key, ZERO) + to_credits(amount)
    if len(legs) < 2:
        raise InputError("journal entry", "needs at least two legs")
    total = sum(net.values(), ZERO)
    if total != ZERO:
        raise InputError("journal entry", f"legs must sum to zero, they sum to {total}")
    return net


def _check_floors(session: Session, accounts: list[Account], net: dict[str, Decimal]) -> None:
    for account in accounts:
        change = net[account.key]
        if change >= ZERO or account.overdraft is None:
            continue
        current = balance(session, account.key)
        floor = -account.overdraft
        if current + change < floor:
            raise OverdraftExceeded(account.key, current, change, floor)


def add_journal_entry(
    session: Session,
    cause: str,
    at: datetime,
    memo: str,
    legs: Sequence[tuple[str, Decimal | int]],
    *,
    enforce_overdraft: bool = True,
) -> tuple[JournalEntry, bool]:
    """Post a balanced entry once per ``cause``: ``(entry, True)`` when written now,
    ``(earlier entry, False)`` when the cause was already posted (a no-op).

    Legs are ``(account_key, amount)``; amounts are rounded to 9 decimals and must sum to
    zero. With ``enforce_overdraft``, a leg that would take an account below minus its
    overdraft raises ``OverdraftExceeded`` and nothing is written.
    """
    net = _checked_legs(legs)
    earlier = entry_by_cause(session, cause)
    if earlier is not None:
        return earlier, False
    accounts = lock_accounts(session, net)
    if enforce_overdraft:
        _check_floors(session, accounts, net)
    values = {"cause": cause, "at": at, "memo": memo}
    if not insert_ignore(session, JournalEntry, values, ["cause"]):
        earlier = entry_by_cause(session, cause)
        assert earlier is not None
        return earlier, False
    entry = entry_by_cause(session, cause)
    assert entry is not None
    session.add_all(
        JournalLeg(entry_id=entry.id, account_key=key, amount=to_credits(amount))
        for key, amount in legs
    )
    session.flush()
    return entry, True


def legs_of(session: Session, entry_id: int) -> list[JournalLeg]:
    stmt = sa.select(JournalLeg).where(JournalLeg.entry_id == entry_id).order_by(JournalLeg.id)
    return list(session.scalars(stmt))


def journal(
    session: Session, account_key: str | None = None, limit: int = 100, offset: int = 0
) -> Page[JournalEntry]:
    """Entries in posting order, optionally only those touching ``account_key``."""
    query = sa.select(JournalEntry)
    if account_key is not None:
        touching = sa.select(JournalLeg.entry_id).where(JournalLeg.account_key == account_key)
        query = query.where(JournalEntry.id.in_(touching))
    return fetch_page(session, query, [JournalEntry.id], limit, offset)


def _leg_sum() -> sa.ColumnElement[Decimal]:
    return sa.func.coalesce(
        sa.func.sum(JournalLeg.amount), sa.literal(ZERO, JournalLeg.amount.type)
    )


def balance(session: Session, account_key: str) -> Decimal:
    """The sum of every leg on the account (0 for an account without legs)."""
    stmt = sa.select(_leg_sum()).where(JournalLeg.account_key == account_key)
    return to_credits(session.scalar(stmt) or ZERO)


def balances(session: Session, account_keys: Iterable[str]) -> dict[str, Decimal]:
    """Balances of several accounts in one query (0 for those without legs)."""
    keys = list(account_keys)
    stmt = (
        sa.select(JournalLeg.account_key, _leg_sum())
        .where(JournalLeg.account_key.in_(keys))
        .group_by(JournalLeg.account_key)
    )
    found = {key: to_credits(total) for key, total in session.execute(stmt).all()}
    return {key: found.get(key, to_credits(ZERO)) for key in keys}


def sum_legs(session: Session, account_key: str, cause_prefix: str) -> Decimal:
    """The sum of the account's legs whose entry cause starts with ``cause_prefix``
    (e.g. every charge of one job to the usage account)."""
    escaped = cause_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    stmt = (
        sa.select(_leg_sum())
        .join(JournalEntry, JournalEntry.id == JournalLeg.entry_id)
        .where(JournalLeg.account_key == account_key)
        .where(JournalEntry.cause.like(f"{escaped}%", escape="\\"))
    )
    return to_credits(session.scalar(stmt) or ZERO)


def unbalanced_entries(session: Session) -> list[tuple[int, Decimal]]:
    """``(entry id, sum of its legs)`` for every entry whose legs do not sum to zero, and
    entries without legs (sum 0 but empty). Empty list: the journal balances."""
    total = sa.func.coalesce(
        sa.func.sum(JournalLeg.amount), sa.literal(ZERO, JournalLeg.amount.type)
    )
    stmt = (
        sa.select(JournalEntry.id, total, sa.func.count(JournalLeg.id))
        .outerjoin(JournalLeg, JournalLeg.entry_id == JournalEntry.id)
        .group_by(JournalEntry.id)
        .order_by(JournalEntry.id)
    )
    rows = session.execute(stmt).all()
    return [(eid, to_credits(s)) for eid, s, n in rows if n < 2 or to_credits(s) != ZERO]


# --- metered usage ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Usage:
    """One metered stretch of a job running on ``count`` accelerators of one type."""

    job_id: str
    start_at: datetime
    end_at: datetime
    accelerator_type: str
    count: int
    credits: Decimal


def record_usage(session: Session, usage: Usage) -> tuple[UsageInterval, bool]:
    """Store a metered interval once per ``(job, start)``: True when written now, False
    when it was already there (a retry)."""
    values = {
        "job_id": usage.job_id,
        "start_at": usage.start_at,
        "end_at": usage.end_at,
        "accelerator_type": usage.accelerator_type,
        "count": usage.count,
        "credits": usage.credits,
    }
    created = insert_ignore(session, UsageInterval, values, ["job_id", "start_at"])
    stmt = sa.select(UsageInterval).where(
        UsageInterval.job_id == usage.job_id, UsageInterval.start_at == usage.start_at
    )
    row = session.scalar(stmt)
    assert row is not None
    return row, created


def usage_for_job(session: Session, job_id: str) -> list[UsageInterval]:
    stmt = sa.select(UsageInterval).where(UsageInterval.job_id == job_id)
    return list(session.scalars(stmt.order_by(UsageInterval.start_at)))


def metered_by_job(session: Session) -> dict[str, Decimal]:
    """Total metered credits of every job that has usage."""
    total = sa.func.sum(UsageInterval.credits)
    stmt = sa.select(UsageInterval.job_id, total).group_by(UsageInterval.job_id)
    return {job_id: to_credits(s) for job_id, s in session.execute(stmt).all()}
