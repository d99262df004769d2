"""The ledger as programs and awards use it: the one spot that still reaches the SQL ledger.

A call's budget is funded from ``funding`` when it opens; an award's tranches move credits
from the call's budget to the project; calls and projects show their balances.

TODO(store-port): LedgerRepo. Until ``nacc.ports.store_jobs.LedgerRepo`` exists these
three functions call ``repos_ledger`` on the unit's SQL session (so they need a SQL
store); when it lands, each becomes one call on ``uow.ledger`` and the adapter import
below goes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from nacc.adapters.store import repos_ledger  # TODO(store-port): LedgerRepo
from nacc.ports.store import UnitOfWork


def _session(uow: UnitOfWork) -> Any:
    session = getattr(uow, "session", None)
    if session is None:
        raise NotImplementedError("the ledger is not behind the store port yet (SQL only)")
    return session


def open_account(uow: UnitOfWork, key: str, kind: str, overdraft: Decimal | None) -> None:
    """The account ``key``, created if missing (an existing one keeps its overdraft)."""
    repos_ledger.ensure_account(_session(uow), key, kind, overdraft)


def post(
    uow: UnitOfWork, cause: str, at: datetime, memo: str, legs: Sequence[tuple[str, Decimal]]
) -> bool:
    """Post a balanced entry once per ``cause``; True when written now."""
    _, posted = repos_ledger.add_journal_entry(_session(uow), cause, at, memo, legs)
    return posted


def balance(uow: UnitOfWork, key: str) -> Decimal:
    return repos_ledger.balance(_session(uow), key)
