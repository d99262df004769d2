"""Ledger rows: accounts, entries kept once per cause (also under races) with their kind
and job, exact balances, usage. The posting rules are not the store's: the contract
suite checks them through ``nacc.service.posting`` on every store."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.orm import Session, sessionmaker

from nacc.adapters.store import InvalidReference
from nacc.adapters.store import repos_jobs as jobs
from nacc.adapters.store import repos_ledger as ledger
from nacc.adapters.store.tables import JournalEntry

if TYPE_CHECKING:
    from conftest import World

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the world fixture's t0

D = Decimal


def _accounts(s: Session) -> None:
    ledger.ensure_account(s, "program:1", "program", overdraft=None)
    ledger.ensure_account(s, "project:7", "project", overdraft=D(100))
    ledger.ensure_account(s, "usage", "usage", overdraft=None)


def _award(s: Session, cause: str = "award:1", amount: str = "1000") -> tuple[JournalEntry, bool]:
    legs = [("program:1", -D(amount)), ("project:7", D(amount))]
    return ledger.add_journal_entry(s, cause, T0, "award", legs)


def test_accounts_are_created_once(session: Session) -> None:
    first = ledger.ensure_account(session, "project:7", "project", overdraft=D(5))
    again = ledger.ensure_account(session, "project:7", "project", overdraft=D(99))
    assert first.id == again.id and again.overdraft == D(5)
    ledger.set_overdraft(session, "project:7", D(10))
    session.expire_all()
    account = ledger.get_account(session, "project:7")
    assert account is not None and account.overdraft == D(10)


def test_entry_round_trip_and_same_cause_is_a_no_op(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as s:
        _accounts(s)
        entry, created = _award(s)
        assert created
    with session_factory.begin() as s:
        again, created = _award(s, amount="5")  # same cause, different legs: ignored
        assert not created and again.id == entry.id
    with session_factory() as s:
        stored = ledger.entry_by_cause(s, "award:1")
        assert stored is not None and stored.at == T0 and stored.memo == "award"
        legs = ledger.legs_of(s, stored.id)
        assert [(leg.account_key, leg.amount) for leg in legs] == [
            ("program:1", D(-1000)), ("project:7", D(1000)),
        ]  # fmt: skip
        assert ledger.balance(s, "project:7") == D(1000)
        assert ledger.unbalanced_entries(s) == []


def test_unknown_accounts_are_refused(session: Session) -> None:
    _accounts(session)
    with pytest.raises(InvalidReference, match="nope"):
        ledger.add_journal_entry(session, "z", T0, "", [("nope", D(-1)), ("project:7", D(1))])
    assert ledger.entry_by_cause(session, "z") is None


def test_entries_keep_their_kind_and_job(session: Session) -> None:
    """Named by the poster, or (callers that name none) from the legs' account kinds
    and a usage cause."""
    _accounts(session)
    ledger.ensure_account(session, "funding", "funding", overdraft=None)
    _award(session)
    legs = [("project:7", D(-1)), ("usage", D(1))]
    ledger.add_journal_entry(session, "job:j-1:usage:0-60", T0, "", legs)
    ledger.add_journal_entry(session, "job:j-1:fix", T0, "", legs)
    back = [("usage", D(-1)), ("project:7", D(1))]
    ledger.add_journal_entry(session, "r", T0, "", back, kind="refund", job="j-1")
    fund = [("funding", D(-3)), ("program:1", D(3))]
    ledger.add_journal_entry(session, "f", T0, "", fund)
    got = {e.cause: (e.kind, e.job_id) for e in ledger.journal(session).items}
    assert got == {
        "award:1": ("award", None), "job:j-1:usage:0-60": ("usage", "j-1"),
        "job:j-1:fix": ("transfer", None), "r": ("refund", "j-1"), "f": ("funding", None),
    }  # fmt: skip
    assert ledger.job_usage(session, "j-1") == (D(1), D(1))


def test_balance_sums_exactly(session: Session) -> None:
    _accounts(session)
    amounts = ["0.1", "0.2", "0.000000001", "123456789.123456789", "1e9"]
    for i, amount in enumerate(amounts):
        _award(session, cause=f"award:{i}", amount=amount)
    expected = sum((D(a) for a in amounts), D(0))
    assert ledger.balance(session, "project:7") == expected
    assert ledger.balance(session, "program:1") == -expected
    assert ledger.balance(session, "usage") == D(0)
    assert ledger.balances(session, ["project:7", "usage"]) == {
        "project:7": expected, "usage": D(0),
    }  # fmt: skip
    page = ledger.journal(session, account_key="project:7", limit=2, offset=4)
    assert page.total == 5 and [e.cause for e in page.items] == ["award:4"]


def test_same_cause_from_racing_threads_posts_once(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as s:
        _accounts(s)
    threads, barrier = 6, threading.Barrier(6)
    created: list[bool] = []
    errors: list[BaseException] = []

    def post() -> None:
        try:
            barrier.wait(10)
            with session_factory.begin() as s:
                created.append(_award(s, cause="award:race")[1])
        except BaseException as error:  # reported below
            errors.append(error)

    workers = [threading.Thread(target=post) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert errors == []
    assert sorted(created) == [False] * (threads - 1) + [True]
    with session_factory() as s:
        assert ledger.balance(s, "project:7") == D(1000)
        assert ledger.journal(s).total == 1


def test_same_cause_while_first_is_uncommitted_posts_once(
    session_factory: sessionmaker[Session],
) -> None:
    """B starts while A's entry is written but not committed: B must wait and no-op."""
    with session_factory.begin() as s:
        _accounts(s)
    results: list[bool] = []
    with session_factory() as a:
        _award(a, cause="award:held")

        def other() -> None:
            with session_factory.begin() as b:
                results.append(_award(b, cause="award:held")[1])

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(0.3)
        a.commit()
    thread.join(30)
    assert results == [False]
    with session_factory() as s:
        assert ledger.balance(s, "project:7") == D(1000)


def test_usage_is_recorded_once_and_summed(
    session_factory: sessionmaker[Session], world: World
) -> None:
    start = T0 + timedelta(hours=1)
    with session_factory.begin() as s:
        jobs.create_job(
            s, jobs.NewJob("j_1", world.project_id, world.pi_id, "t", 2, "inference"), T0
        )
        jobs.create_job(
            s, jobs.NewJob("jx1", world.project_id, world.pi_id, "t", 1, "inference"), T0
        )
        first = ledger.Usage("j_1", start, start + timedelta(minutes=30), "H100", 2, D("1.0"))
        assert ledger.record_usage(s, first)[1]
        assert not ledger.record_usage(s, first)[1]
        later = start + timedelta(hours=1)
        second = ledger.Usage("j_1", later, later + timedelta(minutes=6), "B200", 2, D("0.1"))
        ledger.record_usage(s, second)
        ledger.record_usage(s, ledger.Usage("jx1", start, start, "H100", 1, D(0)))
        ledger.ensure_account(s, "project:7", "project")
        ledger.ensure_account(s, "usage", "usage", overdraft=None)
        for n, credits in enumerate(["1.0", "0.1"]):
            legs = [("project:7", -D(credits)), ("usage", D(credits))]
            ledger.add_journal_entry(s, f"job:j_1:{n}", T0, "", legs, enforce_overdraft=False)
        legs = [("project:7", D(-5)), ("usage", D(5))]
        ledger.add_journal_entry(s, "job:jx1:0", T0, "", legs, enforce_overdraft=False)
    with session_factory() as s:
        intervals = ledger.usage_for_job(s, "j_1")
        assert [(u.accelerator_type, u.credits) for u in intervals] == [
            ("H100", D(1)), ("B200", D("0.1")),
        ]  # fmt: skip
        assert intervals[0].start_at == start
        assert ledger.metered_by_job(s) == {"j_1": D("1.1"), "jx1": D(0)}
        # "_" in the prefix is literal, so job jx1's charge is not counted for j_1
        assert ledger.sum_legs(s, "usage", "job:j_1:") == D("1.1")
        assert ledger.unbalanced_entries(s) == []
