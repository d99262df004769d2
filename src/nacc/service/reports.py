"""Reports: the ledger proof (``nacc ledger verify``)."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nacc.adapters.store import repos_ledger, tables
from nacc.ledger.accounts import Account, AccountKind, Entry, EntryKind, Posting
from nacc.ledger.journal import Journal
from nacc.ledger.verify import VerifyReport, verify
from nacc.service.context import Services

_JOB = re.compile(r"^job:(?P<job>[^:]+):usage:")
_KINDS = {
    frozenset({AccountKind.FUNDING, AccountKind.PROGRAM}): EntryKind.FUNDING,
    frozenset({AccountKind.PROGRAM, AccountKind.PROJECT}): EntryKind.AWARD,
    frozenset({AccountKind.PROJECT, AccountKind.USAGE}): EntryKind.USAGE,
}


def _entry(s: Session, row: tables.JournalEntry) -> Entry:
    postings = tuple(
        Posting(Account.parse(leg.account_key), leg.amount)
        for leg in repos_ledger.legs_of(s, row.id)
    )
    kinds = frozenset(p.account.kind for p in postings)
    kind = _KINDS.get(kinds, EntryKind.TRANSFER)
    match = _JOB.match(row.cause)
    job = match.group("job") if match else None
    if kind is EntryKind.USAGE and job is None:
        kind = EntryKind.TRANSFER
    return Entry(row.cause, row.at.timestamp(), postings, kind, row.memo, job)


def verify_ledger(svc: Services, page: int = 1000) -> VerifyReport:
    """Rebuild the journal from the store and prove it: every entry balances, no cause
    twice, no account below its overdraft at any time, each job charged exactly its
    metered usage (the sum of its metered intervals)."""
    entries: list[Entry] = []
    with svc.tx() as s:
        offset = 0
        while True:
            rows = repos_ledger.journal(s, None, page, offset)
            entries += [_entry(s, r) for r in rows.items]
            offset += page
            if offset >= rows.total:
                break
        accounts = s.scalars(sa.select(tables.Account)).all()
        overdrafts = {Account.parse(a.key): a.overdraft for a in accounts}
        metered = repos_ledger.metered_by_job(s)
    return verify(Journal.restore(entries, overdrafts), metered)
