"""Posting to the stored journal by ``nacc.ledger``'s rules: the one place they run.

The store only keeps entries (once per cause); ``post`` decides whether one may go in,
with a ``Journal`` that opens at the stored head: the balances of the accounts it
touches (their rows locked first, in key order), their floors, and for a refund the
job's charges. So a malformed entry raises ``InvalidEntry``, a leg below its account's
floor ``InsufficientCredits`` (HTTP 402), a cause already posted with another effect
``CauseConflict``, and a retry of the same entry is a no-op, exactly as in
``nacc.ledger.journal``. ``entries`` rebuilds the ledger's entries from the store for
``ledger verify``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal

from nacc.domain.errors import InputError
from nacc.ledger.accounts import Account, Entry, EntryKind, Posting
from nacc.ledger.journal import Journal
from nacc.ports.store import UnitOfWork
from nacc.ports.store_jobs import EntryView, NewEntry

ZERO = Decimal(0)


def account(key: str) -> Account:
    """The ledger account written ``key`` (``InputError`` naming it when none is)."""
    try:
        return Account.parse(key)
    except ValueError as error:
        raise InputError("account", str(error)) from None


def entry(
    kind: EntryKind,
    legs: Sequence[tuple[str, Decimal]],
    cause: str,
    at: datetime,
    memo: str = "",
    job: str | None = None,
) -> Entry:
    """A ledger entry from account keys and amounts (checked when posted)."""
    postings = tuple(Posting(account(key), amount) for key, amount in legs)
    return Entry(cause, at.timestamp(), postings, kind, memo, job)


def entry_of(view: EntryView) -> Entry:
    """The ledger's entry for a stored one (a kind the ledger does not know: transfer)."""
    kind = EntryKind(view.kind) if view.kind in {k.value for k in EntryKind} else None
    postings = tuple(Posting(Account.parse(k), a) for k, a in view.legs)
    return Entry(view.cause, view.at.timestamp(), postings, kind or EntryKind.TRANSFER,
                 view.memo, view.job)  # fmt: skip


def post(uow: UnitOfWork, new: Entry, *, enforce_overdraft: bool = True) -> bool:
    """Post ``new`` by the ledger's rules, then keep it: True when written now, False for
    a retry of the same entry. Without ``enforce_overdraft`` no floor is checked (usage
    already run: its reservation was checked at submission)."""
    earlier = uow.ledger.by_cause(new.cause)
    if earlier is not None:
        _same_effect(earlier, new)
        return False
    keys = [p.account.key for p in new.postings]
    locked = uow.ledger.lock_accounts(keys)
    floors = {Account.parse(a.key): a.overdraft if enforce_overdraft else None for a in locked}
    drawn = [p.account.key for p in new.postings if p.amount < 0 and floors[p.account] is not None]
    balances = {Account.parse(k): v for k, v in uow.ledger.balances(drawn).items()} if drawn else {}
    charged, refunded = ZERO, ZERO
    if new.kind is EntryKind.REFUND and new.job is not None:
        charged, refunded = uow.ledger.job_usage(new.job)
    books = {} if new.job is None else {new.job: charged}
    back = {} if new.job is None else {new.job: refunded}
    Journal.opening(balances, floors, charged=books, refunded=back).post(new)
    stored, created = uow.ledger.append(_new_entry(new))
    if not created:  # a concurrent unit wrote the cause first
        _same_effect(stored, new)
    return created


def _same_effect(earlier: EntryView, new: Entry) -> None:
    """The ledger's rule for a cause posted again: the same effect is a no-op, another
    raises ``CauseConflict`` (and a malformed retry ``InvalidEntry``)."""
    Journal.restore([entry_of(earlier)]).post(new)


def _new_entry(e: Entry) -> NewEntry:
    legs = tuple((p.account.key, p.amount) for p in e.postings)
    return NewEntry(e.cause, datetime.fromtimestamp(e.at, UTC), e.kind.value, legs, e.memo,
                    e.job)  # fmt: skip


def entries(uow: UnitOfWork, page: int = 1000) -> Iterator[Entry]:
    """Every stored entry, in posting order, as the ledger's entries."""
    offset = 0
    while True:
        rows = uow.ledger.journal(None, page, offset)
        yield from (entry_of(r) for r in rows.items)
        offset += page
        if offset >= rows.total:
            return
