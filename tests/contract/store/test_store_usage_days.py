"""The daily usage summary the reports read (``ReportsRepo.usage_days``, and under
``usage_groups``): equal to the metered intervals summed by job, UTC start day and type,
whichever path wrote them (``record_usage``, the scheduler's batched tick, a retry of
either), after a refund, and for any window, on SQLite, PostgreSQL and in memory. An
interval across midnight counts wholly on the day it starts, as the reports count it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from contract.store.jobs_world import NOW, JobsWorld, build_jobs_world
from nacc.domain.lifecycle import JobState
from nacc.domain.reasons import Code, Reason
from nacc.ledger.accounts import EntryKind
from nacc.ports.store import Store
from nacc.ports.store_jobs import JobChange, UsageView
from nacc.ports.store_reports import UsageFact
from nacc.ports.store_scheduler import Charge, Leg, TickWrites
from nacc.service import posting

DAY1 = NOW.replace(hour=0, minute=0, second=0, microsecond=0)
DAY2 = DAY1 + timedelta(days=1)
Key = tuple[str, date, str]


def _at(day: datetime, hh: int, mm: int = 0) -> datetime:
    return day + timedelta(hours=hh, minutes=mm)


def _charge(w: JobsWorld, job_id: str, start: datetime, end: datetime, kind: str,
            credits: str) -> Charge:  # fmt: skip
    amount = Decimal(credits)
    legs = (Leg(w.account, -amount, "project"), Leg("usage", amount, "usage", None))
    return Charge(f"job:{job_id}:usage:{start.isoformat()}", end, f"2 x {kind}", job_id, legs,
                  start, end, kind, 2, amount)  # fmt: skip


def _meter(store: Store) -> JobsWorld:
    """Two running jobs metered by both paths: j-1 by ``record_usage`` (one interval
    from 23:30 to 00:30, one retried), j-2 by two ticks (two types, one tick retried)."""
    w = build_jobs_world(store)
    why = Reason.of(Code.STARTED, pool="kisti-h100")
    with store.unit() as uow:
        for jid in ("j-1", "j-2"):
            uow.jobs.create(w.job(jid), NOW)
            uow.jobs.transition(jid, JobChange(JobState.RUNNING, _at(DAY1, 22), why,
                                               pool_id="kisti-h100"))  # fmt: skip
        for start, end, credits in (
            (_at(DAY1, 22), _at(DAY1, 23), "2"),
            (_at(DAY1, 23, 30), _at(DAY2, 0, 30), "2.000000001"),
            (_at(DAY2, 0, 30), _at(DAY2, 1), "1"),
            (_at(DAY1, 22), _at(DAY1, 23), "2"),
        ):  # a retry: once
            uow.ledger.record_usage(UsageView("j-1", start, end, "H100", 2, Decimal(credits)))
    first = [_charge(w, "j-2", _at(DAY1, 22), _at(DAY1, 23, 59), "H100", "3.5"),
             _charge(w, "j-2", _at(DAY2, 0), _at(DAY2, 0, 20), "H100", "0.25")]  # fmt: skip
    later = [_charge(w, "j-2", _at(DAY2, 0, 20), _at(DAY2, 2), "RNGD", "0.75")]
    for tick in (first, later, first):  # the last: a retry, posted and summed once
        with store.unit() as uow:
            uow.scheduler.write(TickWrites(charges=tick))
    with store.unit() as uow:  # a refund moves credits back, not the metered usage
        legs = [("usage", Decimal("-0.5")), (w.account, Decimal("0.5"))]
        posting.post(uow, posting.entry(EntryKind.REFUND, legs, "refund:j-2", _at(DAY2, 3),
                                        "test", job="j-2"))  # fmt: skip
    return w


def _summed(facts: Sequence[UsageFact]) -> dict[Key, tuple[Decimal, float]]:
    """The intervals summed by job, the UTC day each starts on and type, here."""
    out: dict[Key, tuple[Decimal, float]] = {}
    for f in facts:
        key = (f.job_id, f.start_at.date(), f.accelerator_type)
        credits, secs = out.get(key, (Decimal(0), 0.0))
        out[key] = (credits + f.credits, secs + (f.end_at - f.start_at).total_seconds() * f.count)
    return out


def _read(store: Store, since: datetime | None, until: datetime | None) -> tuple[
        dict[Key, tuple[Decimal, float]], dict[Key, tuple[Decimal, float]]]:  # fmt: skip
    with store.snapshot() as uow:
        days = uow.reports.usage_days(since, until)
        facts = uow.reports.usage(since, until)
    got = {(d.job_id, d.day, d.accelerator_type): (d.credits, d.accelerator_seconds)
           for d in days}  # fmt: skip
    assert len(got) == len(days)  # one row per job, day and type
    return got, _summed(facts)


def test_the_summary_equals_the_intervals_by_job_day_and_type(store: Store) -> None:
    w = _meter(store)
    got, want = _read(store, None, None)
    assert (
        {k: c for k, (c, _) in got.items()}
        == {k: c for k, (c, _) in want.items()}
        == {
            ("j-1", DAY1.date(), "H100"): Decimal("4.000000001"),  # 23:30-00:30 on its start day
            ("j-1", DAY2.date(), "H100"): Decimal(1),
            ("j-2", DAY1.date(), "H100"): Decimal("3.5"),
            ("j-2", DAY2.date(), "H100"): Decimal("0.25"),
            ("j-2", DAY2.date(), "RNGD"): Decimal("0.75"),
        }
    )
    for key, (_, secs) in want.items():
        assert got[key][1] == pytest.approx(secs, abs=1e-6)
    assert got[("j-1", DAY1.date(), "H100")][1] == pytest.approx(2 * 3600 * 2)
    with store.snapshot() as uow:
        by_pool = uow.reports.delivered_by_pool()
        metered = uow.ledger.metered_by_job()
        usage_account = uow.ledger.balance("usage")
    assert by_pool == {"kisti-h100": Decimal("9.500000001")}
    assert metered == {"j-1": Decimal("5.000000001"), "j-2": Decimal("4.5")}
    assert usage_account == Decimal(4)  # the ticks' 4.5 (record_usage posts none), less 0.5
    assert w.project_id > 0


WINDOWS = [
    (_at(DAY1, 22, 15), None),  # cuts day 1
    (None, _at(DAY2, 0, 45)),  # cuts day 2
    (DAY1, DAY2),  # one whole day
    (DAY1 - timedelta(days=3), DAY2 + timedelta(days=2)),  # whole days only
    (_at(DAY1, 23), _at(DAY2, 0, 40)),  # cuts both
    (_at(DAY2, 0, 10), _at(DAY2, 0, 25)),  # inside one day
    (DAY2, DAY2),  # empty
]


@pytest.mark.parametrize(("since", "until"), WINDOWS)
def test_any_window_sums_the_intervals_that_start_in_it(
    store: Store, since: datetime | None, until: datetime | None
) -> None:
    _meter(store)
    got, want = _read(store, since, until)
    assert {k: c for k, (c, _) in got.items()} == {k: c for k, (c, _) in want.items()}
    for key, (_, secs) in want.items():
        assert got[key][1] == pytest.approx(secs, abs=1e-6)
    with store.snapshot() as uow:
        weeks = uow.reports.usage_groups(since, until, "week", ("type",))
        whole = uow.reports.usage_groups(since, until, "all", ())
    by_type: dict[str, Decimal] = {}
    for (_, _, kind), (credits, _) in want.items():
        by_type[kind] = by_type.get(kind, Decimal(0)) + credits
    week_sums: dict[str, Decimal] = {}
    for g in weeks:
        week_sums[g.keys[0]] = week_sums.get(g.keys[0], Decimal(0)) + g.credits
    assert week_sums == by_type
    jobs = {job for job, _, _ in want}
    assert [(g.credits, g.jobs) for g in whole] == (
        [(sum(by_type.values(), Decimal(0)), len(jobs))] if jobs else []
    )
