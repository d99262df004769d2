"""The daily usage summary in SQL (SQLite and PostgreSQL): migration 0017 fills it from
the intervals already metered and re-creates the trigger that keeps it, and ``ledger
verify`` finds a summary that no longer equals the intervals."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from contract.store.jobs_world import NOW, build_jobs_world
from nacc.adapters.store import make_engine, make_sessionmaker
from nacc.adapters.store.migrate import downgrade, upgrade
from nacc.adapters.store.sql_store import SqlStore
from nacc.domain.lifecycle import JobState
from nacc.domain.reasons import Code, Reason
from nacc.ports.store_jobs import JobChange, UsageView
from nacc.service.context import Services
from nacc.service.reports import verify_ledger

DAY = NOW.replace(hour=23, minute=0, second=0, microsecond=0)
SUMMARY = sa.text("SELECT job_id, day, accelerator_type, credits, accelerator_seconds, "
                  "intervals FROM usage_days ORDER BY job_id, day, accelerator_type")  # fmt: skip


def _metered(url: str) -> None:
    """j-1 metered three times: 23:00-23:30, 23:45-00:15 (its start day), 00:15-01:00."""
    engine = make_engine(url)
    try:
        store = SqlStore(make_sessionmaker(engine))
        w = build_jobs_world(store)
        why = Reason.of(Code.STARTED, pool="kisti-h100")
        with store.unit() as uow:
            uow.jobs.create(w.job("j-1"), NOW)
            uow.jobs.transition("j-1", JobChange(JobState.RUNNING, DAY, why, pool_id="kisti-h100"))
            for start, minutes in ((DAY, 30), (DAY + timedelta(minutes=45), 30),
                                   (DAY + timedelta(minutes=75), 45)):  # fmt: skip
                end = start + timedelta(minutes=minutes)
                uow.ledger.record_usage(UsageView("j-1", start, end, "H100", 2, Decimal("0.5")))
    finally:
        engine.dispose()


def _rows(url: str, stmt: Any = SUMMARY) -> list[tuple[Any, ...]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(stmt).all()]
    finally:
        engine.dispose()


def test_0017_fills_the_summary_from_the_intervals_and_keeps_it(db_url: str) -> None:
    _metered(db_url)
    before = _rows(db_url)
    assert [(r[0], str(r[1]), r[5]) for r in before] == [
        ("j-1", DAY.date().isoformat(), 2), ("j-1", (DAY + timedelta(days=1)).date().isoformat(), 1)
    ]  # fmt: skip
    assert [round(r[4]) for r in before] == [2 * 60 * 60, 2 * 45 * 60]  # 2 x (30 + 30), 2 x 45
    downgrade(db_url, "0016_account_balances")
    engine = make_engine(db_url)
    try:
        assert "usage_days" not in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()
    upgrade(db_url)  # the backfill
    assert _rows(db_url) == before
    engine = make_engine(db_url)
    try:  # and the trigger is back: an interval written now is summed
        store = SqlStore(make_sessionmaker(engine))
        with store.unit() as uow:
            at = DAY + timedelta(hours=3)
            uow.ledger.record_usage(UsageView("j-1", at, at + timedelta(minutes=6), "H100", 2,
                                              Decimal("0.25")))  # fmt: skip
    finally:
        engine.dispose()
    after = _rows(db_url)
    assert after[0] == before[0] and after[1][5] == 2
    assert Decimal(str(after[1][3])) in (Decimal("0.75"), Decimal(750_000_000))  # SQLite: nano


def test_verify_finds_a_summary_that_is_not_the_intervals(db_url: str) -> None:
    _metered(db_url)
    engine = make_engine(db_url)
    try:
        svc = Services(make_sessionmaker(engine), store=SqlStore(make_sessionmaker(engine)))
        mine = [v for v in verify_ledger(svc).violations if v.check == 5]
        assert mine == []  # (record_usage posts no charges: check 3 is not this test's)
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM usage_days WHERE day = :d"), {"d": DAY.date()})
        mine = [v for v in verify_ledger(svc).violations if v.check == 5]
    finally:
        engine.dispose()
    assert [v.message for v in mine] == [
        "job j-1: metered 1.5 credits but the daily usage summary holds 0.5"
    ]
