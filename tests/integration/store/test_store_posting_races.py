"""Posting through the port under races, on SQLite and PostgreSQL: the accounts' rows
are locked before their balances are read, so charges racing for the last credits never
take an account below its floor, and one cause racing from several units is kept once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from nacc.adapters.store.sql_store import SqlStore
from nacc.ledger.accounts import EntryKind, InsufficientCredits
from nacc.service import posting

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
D = Decimal


def _store(session_factory: sessionmaker[Session]) -> SqlStore:
    store = SqlStore(session_factory)
    with store.unit() as uow:
        uow.ledger.open_account("funding", "funding", None)
        uow.ledger.open_account("project:7", "project", D(0))
        uow.ledger.open_account("usage", "usage", None)
        legs = [("funding", D(-100)), ("project:7", D(100))]
        posting.post(uow, posting.entry(EntryKind.TRANSFER, legs, "fund", T0))
    return store


def _race(store: SqlStore, causes: list[str], amount: str) -> list[bool]:
    start = threading.Barrier(len(causes))

    def charge(cause: str) -> bool:
        legs = [("project:7", -D(amount)), ("usage", D(amount))]
        start.wait(30)
        try:
            with store.unit() as uow:
                return posting.post(uow, posting.entry(EntryKind.USAGE, legs, cause, T0,
                                                       job="j"))  # fmt: skip
        except InsufficientCredits:
            return False

    with ThreadPoolExecutor(len(causes)) as pool:
        return list(pool.map(charge, causes))


def test_charges_racing_for_the_last_credits_never_overdraw(
    session_factory: sessionmaker[Session],
) -> None:
    store = _store(session_factory)
    done = _race(store, [f"job:j:usage:{i}-{i + 1}" for i in range(6)], "30")
    assert sum(done) == 3
    with store.unit() as uow:
        assert uow.ledger.balance("project:7") == D(10)
        assert uow.ledger.journal("usage").total == 3


def test_one_cause_racing_is_kept_once(session_factory: sessionmaker[Session]) -> None:
    store = _store(session_factory)
    assert sorted(_race(store, ["job:j:usage:0-1"] * 6, "30")) == [False] * 5 + [True]
    with store.unit() as uow:
        assert uow.ledger.balance("project:7") == D(70)
