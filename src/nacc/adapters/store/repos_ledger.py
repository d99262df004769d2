"""The credit ledger: accounts, the append-only double-entry journal, metered usage.

A journal entry is keyed by its ``cause`` (award id, job id and metered interval, ...):
posting the same cause twice, even from two processes at once, writes it once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nacc.adapters.store.repos import InvalidReference, Page, fetch_page, insert_ignore
from nacc.adapters.store.tables import Account, JournalEntry, JournalLeg, UsageInterval
from nacc.domain.credits import to_credits
from nacc.ports.store_jobs_data import AccountMove, EntryView, NewEntry, UsageView

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


_SHAPED = {  # the account kinds of a shaped entry's two legs (nacc.ledger.accounts.SHAPES)
    frozenset({"funding", "program"}): "funding",
    frozenset({"program", "project"}): "award",
    frozenset({"project", "usage"}): "usage",
}


def _guess(session: Session, cause: str, keys: Sequence[str]) -> tuple[str, str | None]:
    """For callers that name no kind: the shaped kind of the legs' accounts (a usage
    charge only when the cause names its job as ``usage_cause`` does), else transfer."""
    head, _, rest = cause.partition(":")
    job, _, tail = rest.partition(":")
    named = job if head == "job" and job and tail.startswith("usage:") else None
    stmt = sa.select(Account.kind).where(Account.key.in_(list(keys)))
    kind = _SHAPED.get(frozenset(session.scalars(stmt)), "") if len(set(keys)) == 2 else ""
    if kind == "usage" and named is not None:
        return kind, named
    return (kind, None) if kind in ("funding", "award") else ("transfer", None)


def add_journal_entry(
    session: Session,
    cause: str,
    at: datetime,
    memo: str,
    legs: Sequence[tuple[str, Decimal | int]],
    *,
    enforce_overdraft: bool = True,
    kind: str | None = None,
    job: str | None = None,
) -> tuple[JournalEntry, bool]:
    """Append an entry once per ``cause`` (``append_entry``), for callers below the port
    (``service/live.py`` until it is on the scheduler repository). The ledger's rules
    (balanced legs, floors) are the poster's: ``nacc.service.posting`` checks them by
    ``nacc.ledger`` before it appends, so ``enforce_overdraft`` checks nothing here.
    Without ``kind``, the legs' account kinds and a ``usage_cause`` give kind and job."""
    del enforce_overdraft  # floors are checked above the port (nacc.service.posting)
    amounts = tuple((key, to_credits(amount)) for key, amount in legs)
    if kind is None:
        kind, job = _guess(session, cause, [key for key, _ in amounts])
    return append_entry(session, NewEntry(cause, at, kind, amounts, memo, job))


def append_entry(session: Session, new: NewEntry) -> tuple[JournalEntry, bool]:
    """Write ``new`` once per cause with ``INSERT ... ON CONFLICT (cause) DO NOTHING``:
    ``(entry, True)`` when written now, ``(the earlier entry, False)`` when the cause was
    there (also when a concurrent transaction won). Unknown accounts raise
    ``InvalidReference``. The store keeps no posting rules of its own:
    ``nacc.service.posting`` posts by ``nacc.ledger``'s (after ``lock_accounts``)."""
    earlier = entry_by_cause(session, new.cause)
    if earlier is not None:
        return earlier, False
    lock_accounts(session, [key for key, _ in new.legs])
    values = {"cause": new.cause, "at": new.at, "memo": new.memo, "kind": new.kind,
              "job_id": new.job}  # fmt: skip
    if not insert_ignore(session, JournalEntry, values, ["cause"]):
        earlier = entry_by_cause(session, new.cause)
        assert earlier is not None
        return earlier, False
    entry = entry_by_cause(session, new.cause)
    assert entry is not None
    session.add_all(
        JournalLeg(entry_id=entry.id, account_key=key, amount=amount) for key, amount in new.legs
    )
    session.flush()
    return entry, True


def job_usage(session: Session, job_id: str) -> tuple[Decimal, Decimal]:
    """What a job was charged (its usage entries) and refunded (its refund entries), read
    from the entries' kind and job columns."""
    stmt = (
        sa.select(JournalEntry.kind, _leg_sum())
        .join(JournalLeg, JournalLeg.entry_id == JournalEntry.id)
        .where(JournalEntry.job_id == job_id, JournalLeg.account_key == "usage")
        .group_by(JournalEntry.kind)
    )
    sums = {kind: to_credits(total) for kind, total in session.execute(stmt).all()}
    return sums.get("usage", ZERO), -sums.get("refund", ZERO)


def jobs_usage(session: Session, job_ids: Iterable[str]) -> dict[str, tuple[Decimal, Decimal]]:
    """``job_usage`` of several jobs in one query (every id asked is a key)."""
    ids = sorted(set(job_ids))
    sums: dict[tuple[str, str], Decimal] = {}
    if ids:
        stmt = (
            sa.select(JournalEntry.job_id, JournalEntry.kind, _leg_sum())
            .join(JournalLeg, JournalLeg.entry_id == JournalEntry.id)
            .where(JournalEntry.job_id.in_(ids), JournalLeg.account_key == "usage")
            .group_by(JournalEntry.job_id, JournalEntry.kind)
        )
        sums = {(j, k): to_credits(t) for j, k, t in session.execute(stmt).all() if j is not None}
    return {j: (sums.get((j, "usage"), ZERO), -sums.get((j, "refund"), ZERO)) for j in ids}


def entry_view(session: Session, row: JournalEntry) -> EntryView:
    legs = tuple((leg.account_key, to_credits(leg.amount)) for leg in legs_of(session, row.id))
    return EntryView(row.id, row.cause, row.at, row.kind, legs, row.memo, row.job_id)


def entry_views(session: Session, rows: Sequence[JournalEntry]) -> list[EntryView]:
    """Views of ``rows`` with their legs, read in one query."""
    ids = [row.id for row in rows]
    legs: dict[int, list[tuple[str, Decimal]]] = {i: [] for i in ids}
    if ids:
        stmt = sa.select(JournalLeg).where(JournalLeg.entry_id.in_(ids)).order_by(JournalLeg.id)
        for leg in session.scalars(stmt):
            legs[leg.entry_id].append((leg.account_key, to_credits(leg.amount)))
    return [EntryView(r.id, r.cause, r.at, r.kind, tuple(legs[r.id]), r.memo, r.job_id)
            for r in rows]  # fmt: skip


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


def account_moves(session: Session, account_key: str, limit: int,
                  offset: int) -> list[AccountMove]:  # fmt: skip
    """What each entry touching the account moved on it, in posting order (a page)."""
    stmt = (
        sa.select(JournalEntry.at, JournalEntry.kind, _leg_sum())
        .join(JournalLeg, JournalLeg.entry_id == JournalEntry.id)
        .where(JournalLeg.account_key == account_key)
        .group_by(JournalEntry.id, JournalEntry.at, JournalEntry.kind)
        .order_by(JournalEntry.id)
        .limit(limit)
        .offset(offset)
    )
    return [AccountMove(at, kind, to_credits(amount))
            for at, kind, amount in session.execute(stmt).all()]  # fmt: skip


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


Usage = UsageView
"""One metered stretch of a job (the port's ``UsageView``)."""


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
