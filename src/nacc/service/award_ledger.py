"""The ledger as programs and awards use it, through the store port.

A call's budget is funded from ``funding`` when it opens (a ``funding`` entry); an
award's tranches move credits from the call's budget to the project (``award``
entries); calls and projects show their balances. Posting goes through
``nacc.service.posting``, so by ``nacc.ledger``'s rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from nacc.ledger.accounts import EntryKind
from nacc.ports.store import UnitOfWork
from nacc.service import posting


def open_account(uow: UnitOfWork, key: str, kind: str, overdraft: Decimal | None) -> None:
    """The account ``key``, created if missing (an existing one keeps its overdraft)."""
    found = posting.account(key).kind.value
    if found != kind:
        raise ValueError(f"account {key!r} is a {found} account, not {kind}")
    uow.ledger.open_account(key, kind, overdraft)


def post(
    uow: UnitOfWork,
    kind: EntryKind,
    cause: str,
    at: datetime,
    memo: str,
    legs: Sequence[tuple[str, Decimal]],
) -> bool:
    """Post an entry once per ``cause`` by the ledger's rules; True when written now."""
    return posting.post(uow, posting.entry(kind, legs, cause, at, memo))


def balance(uow: UnitOfWork, key: str) -> Decimal:
    return uow.ledger.balance(key)
