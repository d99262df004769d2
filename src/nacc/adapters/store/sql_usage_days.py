"""Metered usage summed by job and period, read from the daily summary (``usage_days``,
kept by the database as intervals are written: migration 0017) instead of the intervals.

A report's window ``[since, until)`` filters intervals by their start. The whole UTC
days inside it are read from the summary; the part of a day at either end that the
window cuts (a ``since`` or ``until`` that is not midnight UTC) from the intervals
themselves, so the sums are those of the intervals for any window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nacc.adapters.store.tables import UsageInterval
from nacc.adapters.store.tables_reports import UsageDayRow


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


@dataclass(frozen=True, slots=True)
class Window:
    """``[since, until)`` as whole UTC days ``[first, end)`` read from the summary (None:
    unbounded; ``days`` False: none) and the cut ends read from the intervals."""

    days: bool
    first: date | None
    end: date | None
    cuts: tuple[tuple[datetime | None, datetime | None], ...]


def split(since: datetime | None, until: datetime | None) -> Window:
    """The whole days of ``[since, until)`` and the cut parts of days at its ends."""
    first = end = None
    cuts: list[tuple[datetime | None, datetime | None]] = []
    if since is not None:
        day = since.astimezone(UTC).date()
        first = day if _midnight(day) == since else day + timedelta(days=1)
    if until is not None:
        end = until.astimezone(UTC).date()
    if first is not None and end is not None and first >= end:
        return Window(False, None, None, ((since, until),))
    if since is not None and first is not None and _midnight(first) != since:
        cuts.append((since, _midnight(first)))
    if until is not None and end is not None and _midnight(end) != until:
        cuts.append((_midnight(end), until))
    return Window(True, first, end, tuple(cuts))


def _sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def period_of(session: Session, day: Any, period: str) -> Any:
    """The first day of ``day``'s period (a date; ISO text on SQLite)."""
    if _sqlite(session):
        mods = {"day": (), "week": ("-6 days", "weekday 1"), "month": ("start of month",)}
        return sa.func.date(day, *mods[period])
    if period == "day":
        return day
    # on a timestamp without zone: date_trunc of a date would use the session's zone
    return sa.cast(sa.func.date_trunc(period, sa.cast(day, sa.DateTime())), sa.Date)


def _start_day(session: Session) -> Any:
    at = UsageInterval.start_at
    if _sqlite(session):
        return sa.func.date(at)
    return sa.cast(sa.func.timezone("UTC", at), sa.Date)


def _span(session: Session) -> Any:
    u = UsageInterval
    if _sqlite(session):  # as migration 0017's trigger: whole seconds, then the fraction
        whole = sa.func.strftime("%s", u.end_at) - sa.func.strftime("%s", u.start_at)
        frac = [sa.cast(sa.func.substr(at, 20), sa.Float) for at in (u.end_at, u.start_at)]
        return whole + (frac[0] - frac[1])
    return sa.func.date_part("epoch", u.end_at - u.start_at)  # float8: cheaper than numeric


def _parts(session: Session, w: Window, period: str, with_type: bool) -> list[Any]:
    """One select per source: (job_id, [period], [type], credits, secs) rows."""
    d, u = UsageDayRow, UsageInterval
    out = []
    if w.days:
        cols: list[Any] = [d.job_id.label("job_id")]
        if period != "all":
            cols.append(period_of(session, d.day, period).label("period"))
        if with_type:
            cols.append(d.accelerator_type.label("type"))
        where = [d.day >= w.first] if w.first is not None else []
        where += [d.day < w.end] if w.end is not None else []
        out.append(sa.select(*cols, d.credits.label("credits"),
                             d.accelerator_seconds.label("secs")).where(*where))  # fmt: skip
    for lo, hi in w.cuts:
        cols = [u.job_id.label("job_id")]
        if period != "all":
            cols.append(period_of(session, _start_day(session), period).label("period"))
        if with_type:
            cols.append(u.accelerator_type.label("type"))
        where = [u.start_at >= lo] if lo is not None else []
        where += [u.start_at < hi] if hi is not None else []
        out.append(sa.select(*cols, u.credits.label("credits"),
                             (_span(session) * u.count).label("secs")).where(*where))  # fmt: skip
    return out


def per_job(session: Session, since: datetime | None, until: datetime | None, period: str,
            with_type: bool) -> Any:  # fmt: skip
    """A subquery of the metered intervals starting in ``[since, until)`` summed by job,
    period (unless ``all``) and, ``with_type``, accelerator type: columns ``job_id``,
    ``period``, ``type``, ``credits``, ``secs``; one row per group."""
    window = split(since, until)
    parts = _parts(session, window, period, with_type)
    if len(parts) == 1 and window.days and period == "day" and with_type:
        return parts[0].subquery()  # the summary's own rows: one per job, day and type
    rows = parts[0].subquery() if len(parts) == 1 else sa.union_all(*parts).subquery()
    keys = [c for c in rows.c if c.name in ("job_id", "period", "type")]
    return (
        sa.select(*keys, sa.func.sum(rows.c.credits).label("credits"),
                  sa.func.sum(rows.c.secs).label("secs"))
        .group_by(*keys)
        .subquery()
    )  # fmt: skip
