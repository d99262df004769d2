"""The reports repository through the store port: metered usage with its job's project
and pool, what a project belongs to, and job starts, filtered by time — the same on
SQLite, PostgreSQL and in memory."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from contract.store.jobs_world import NOW, build_jobs_world
from nacc.domain.lifecycle import JobState
from nacc.domain.reasons import Code, Reason
from nacc.ports.store import Store
from nacc.ports.store_jobs import JobChange, UsageView
from nacc.ports.store_reports import ProjectFacts


def test_usage_projects_and_starts(store: Store) -> None:
    w = build_jobs_world(store)
    start = NOW + timedelta(hours=1)
    with store.unit() as uow:
        uow.jobs.create(w.job("j-1"), NOW)
        uow.jobs.create(w.job("j-2"), NOW)
        why = Reason.of(Code.STARTED, pool="kisti-h100")
        uow.jobs.transition("j-1", JobChange(JobState.RUNNING, start, why, pool_id="kisti-h100"))
        for i in range(3):
            at = start + timedelta(hours=i)
            uow.ledger.record_usage(UsageView("j-1", at, at + timedelta(minutes=30), "H100", 2,
                                              Decimal("1.5")))  # fmt: skip
    with store.snapshot() as uow:
        every = uow.reports.usage(None, None)
        later = uow.reports.usage(start + timedelta(hours=1), start + timedelta(hours=2))
        projects = uow.reports.projects()
        starts = uow.reports.starts(None, None)
        none_yet = uow.reports.starts(None, start)
    assert [(f.job_id, f.project_id, f.pool_id, f.count, f.credits) for f in every] == [
        ("j-1", w.project_id, "kisti-h100", 2, Decimal("1.5"))] * 3  # fmt: skip
    assert [f.start_at for f in later] == [start + timedelta(hours=1)]
    assert projects == [ProjectFacts(w.project_id, "kaist-llm",
                                     "AI research computing support 2026", "KAIST",
                                     "university", ("academic", "health"))]  # fmt: skip
    assert [(s.job_id, s.accelerators, s.started_at) for s in starts] == [("j-1", 2, start)]
    assert none_yet == []


def test_usage_by_day_overlapping_and_by_pool(store: Store) -> None:
    """The sums the reports and the fleet page read: by job and UTC day, intervals that
    overlap a window (not only those that start in it), credits by pool."""
    w = build_jobs_world(store)
    start = NOW.replace(hour=22, minute=0, second=0, microsecond=0)
    with store.unit() as uow:
        uow.jobs.create(w.job("j-1"), NOW)
        why = Reason.of(Code.STARTED, pool="kisti-h100")
        uow.jobs.transition("j-1", JobChange(JobState.RUNNING, start, why, pool_id="kisti-h100"))
        for i in range(4):  # 22:00, 23:00 on one day; 00:00, 01:00 on the next
            at = start + timedelta(hours=i)
            uow.ledger.record_usage(UsageView("j-1", at, at + timedelta(minutes=30), "H100", 2,
                                              Decimal("1.25")))  # fmt: skip
    with store.snapshot() as uow:
        days = uow.reports.usage_days(None, None)
        later = uow.reports.usage_days(start + timedelta(hours=3), None)
        window = uow.reports.usage_overlapping(start + timedelta(minutes=20),
                                               start + timedelta(hours=1))  # fmt: skip
        pools = uow.reports.delivered_by_pool()
    first = start.date()
    assert [(d.job_id, d.project_id, d.pool_id, d.day, d.credits) for d in days] == [
        ("j-1", w.project_id, "kisti-h100", first, Decimal("2.5")),
        ("j-1", w.project_id, "kisti-h100", first + timedelta(days=1), Decimal("2.5"))]  # fmt: skip
    assert [round(d.accelerator_seconds) for d in days] == [7200, 7200]  # 2 x 30 min x 2
    assert [(d.day, d.credits) for d in later] == [(first + timedelta(days=1), Decimal("1.25"))]
    assert [f.start_at for f in window] == [start]  # 22:00-22:30 overlaps from 22:20
    assert pools == {"kisti-h100": Decimal(5)}


def test_usage_and_waits_grouped_by_the_store(store: Store) -> None:
    """``usage_groups``/``wait_groups``: sums, distinct jobs and nearest-rank percentiles
    by period and keys, the same on every store (PostgreSQL takes percentiles in SQL)."""
    w = build_jobs_world(store)
    start = NOW.replace(hour=22, minute=0, second=0, microsecond=0)
    with store.unit() as uow:
        for n, (jid, count) in enumerate((("j-1", 2), ("j-2", 16), ("j-3", 1))):
            uow.jobs.create(w.new(jid, accelerators=count), NOW)
            why = Reason.of(Code.STARTED, pool="kisti-h100")
            at = start + timedelta(minutes=10 * n)
            uow.jobs.transition(jid, JobChange(JobState.RUNNING, at, why, pool_id="kisti-h100"))
        for i in range(4):  # 22:00, 23:00 on one day; 00:00, 01:00 on the next
            at = start + timedelta(hours=i)
            for jid in ("j-1", "j-2"):
                uow.ledger.record_usage(UsageView(jid, at, at + timedelta(minutes=30), "H100",
                                                  2, Decimal("1.25")))  # fmt: skip
    keys = ("program", "org", "org_kind", "call", "type", "pool", "project")
    with store.snapshot() as uow:
        days = sorted(uow.reports.usage_groups(None, None, "day", keys))
        whole = uow.reports.usage_groups(None, None, "all", ("type",))
        later = uow.reports.usage_groups(start + timedelta(hours=3), None, "month", ())
        weeks = uow.reports.usage_groups(None, None, "week", ("type",))
        sizes = sorted(uow.reports.wait_groups(None, None, "size", ((1, "1"), (8, "2-8")), "9+"))
        program = uow.reports.wait_groups(None, None, "program", (), "")
    first = start.date()
    call = days[0].keys[3]  # the id of the call the project's proposal answered
    named = ("AI research computing support 2026", "KAIST", "university", call, "H100",
             "kisti-h100", "kaist-llm")  # fmt: skip
    assert [(g.period, g.keys, g.credits, round(g.accelerator_seconds), g.jobs) for g in days] == [
        (first.isoformat(), named, Decimal(5), 14400, 2),
        ((first + timedelta(days=1)).isoformat(), named, Decimal(5), 14400, 2)]  # fmt: skip
    assert call.isdigit()
    assert [(g.period, g.keys, g.credits, g.jobs) for g in whole] == [
        ("", ("H100",), Decimal(10), 2)
    ]
    assert [(g.keys, g.credits, g.jobs) for g in later] == [((), Decimal("2.5"), 2)]
    mondays = {
        (d - timedelta(days=d.weekday())).isoformat() for d in (first, first + timedelta(days=1))
    }
    assert {g.period for g in weeks} == mondays
    assert sum((g.credits for g in weeks), Decimal(0)) == Decimal(10)
    waits = [max(0.0, (start + timedelta(minutes=10 * n) - NOW).total_seconds()) for n in range(3)]
    assert [(g.group, g.jobs, g.p50_s, g.max_s) for g in sizes] == [
        ("1", 1, waits[2], waits[2]), ("2-8", 1, waits[0], waits[0]),
        ("9+", 1, waits[1], waits[1])]  # fmt: skip
    assert [(g.group, g.jobs, g.p50_s, g.p90_s, g.max_s) for g in program] == [
        ("AI research computing support 2026", 3, waits[1], waits[2], waits[2])]  # fmt: skip
