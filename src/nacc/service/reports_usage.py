"""Usage reports (like Slurm's sreport or XDMoD): credits and accelerator-hours grouped
by program, organisation, organisation kind, sector, accelerator type, provider, site,
pool or project, per day, week or month; wait-time percentiles by program or job size.

Pure grouping over one snapshot of the store (``ReportsRepo``): the credits are the
sums of the metered intervals, the same rows ``ledger verify`` proves equal to the
journal's charges, so a report's total equals the ledger's usage. An interval counts
in the period (day, ISO week from Monday, month; UTC) in which it starts.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from nacc.domain.errors import InputError
from nacc.domain.pools import Pool
from nacc.domain.sizes import size_class
from nacc.ports.store_reports import ProjectFacts, StartFact, UsageDay
from nacc.service.auth import Principal, require
from nacc.service.context import Services

PERIODS = ("day", "week", "month", "all")
ORG_KINDS = {  # stored organisation kind -> the ministry's classes
    "company": "industry",
    "university": "academia",
    "research_institute": "research-institute",
    "public_agency": "public-agency",
}
NONE = "-"  # the group of a fact that has no value for a dimension (e.g. no program)


@dataclass(frozen=True, slots=True)
class _Facts:
    usage: UsageDay
    project: ProjectFacts | None
    pool: Pool | None


def _kind(f: _Facts) -> str:
    return ORG_KINDS.get(f.project.org_kind, f.project.org_kind) if f.project else ""


def _sector(f: _Facts) -> str:
    return "+".join(f.project.sectors) if f.project else ""


DIMENSIONS: Mapping[str, Callable[[_Facts], str]] = {
    "program": lambda f: f.project.program if f.project else "",
    "org": lambda f: f.project.organisation if f.project else "",
    "org_kind": _kind,
    "sector": _sector,
    "type": lambda f: f.usage.accelerator_type,
    "provider": lambda f: f.pool.provider if f.pool else "",
    "site": lambda f: f.pool.site if f.pool else "",
    "pool": lambda f: f.usage.pool_id or "",
    "project": lambda f: f.project.project if f.project else str(f.usage.project_id),
    "domestic": lambda f: ("domestic" if f.pool.domestic else "foreign") if f.pool else "",
}
"""The ``--by`` dimensions, each a function of one metered interval."""


@dataclass(frozen=True, slots=True)
class UsageRow:
    period: str  # ISO date the period starts on ("" for ``all``)
    group: tuple[str, ...]  # one value per dimension of ``by``
    credits: Decimal
    accelerator_hours: float
    jobs: int


@dataclass(frozen=True, slots=True)
class UsageReport:
    by: tuple[str, ...]
    period: str
    since: datetime | None
    until: datetime | None
    rows: tuple[UsageRow, ...]
    total_credits: Decimal
    total_accelerator_hours: float


def period_start(at: datetime, period: str) -> str:
    """The first day (UTC, ISO) of the period ``at`` falls in; "" for ``all``."""
    return period_of_day(at.astimezone(UTC).date(), period)


def period_of_day(day: date, period: str) -> str:
    """The first day (ISO) of the period the UTC ``day`` falls in; "" for ``all``."""
    if period == "day":
        return day.isoformat()
    if period == "week":
        return (day - timedelta(days=day.weekday())).isoformat()
    if period == "month":
        return date(day.year, day.month, 1).isoformat()
    return ""


def check(by: Sequence[str], period: str) -> tuple[str, ...]:
    """``by`` and ``period`` as given, or an ``InputError`` naming the known values."""
    if period not in PERIODS:
        raise InputError("period", f"expected one of {', '.join(PERIODS)}; got {period!r}")
    for name in by:
        if name not in DIMENSIONS:
            known = ", ".join(DIMENSIONS)
            raise InputError("by", f"unknown dimension {name!r}; known: {known}")
    return tuple(by)


def _reader(who: Principal) -> None:
    require(who, "operator", "program_officer")


def usage(svc: Services, who: Principal, pools: Sequence[Pool], by: Sequence[str],
          period: str = "month", since: datetime | None = None,
          until: datetime | None = None) -> UsageReport:  # fmt: skip
    """Credits and accelerator-hours of metered usage in ``[since, until)``, grouped by
    the dimensions ``by`` and the period; rows sorted by period then group."""
    dims = check(by, period)
    _reader(who)
    with svc.snapshot() as uow:
        facts = uow.reports.usage_days(since, until)  # summed by job and day in the store
        projects = {p.project_id: p for p in uow.reports.projects()}
    by_pool = {str(p.id): p for p in pools}
    sums: dict[tuple[str, tuple[str, ...]], tuple[Decimal, float, set[str]]] = {}
    for u in facts:
        f = _Facts(u, projects.get(u.project_id), by_pool.get(u.pool_id or ""))
        key = (period_of_day(u.day, period), tuple(DIMENSIONS[d](f) or NONE for d in dims))
        credits, hours, jobs = sums.get(key, (Decimal(0), 0.0, set()))
        jobs.add(u.job_id)
        sums[key] = (credits + u.credits, hours + u.accelerator_seconds / 3600, jobs)
    rows = tuple(UsageRow(p, g, c, h, len(j)) for (p, g), (c, h, j) in sorted(sums.items()))
    return UsageReport(dims, period, since, until, rows,
                       sum((r.credits for r in rows), Decimal(0)),
                       sum(r.accelerator_hours for r in rows))  # fmt: skip


def usage_csv(r: UsageReport) -> str:
    """One line per row: period, the ``by`` columns, credits, accelerator_hours, jobs."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["period", *r.by, "credits", "accelerator_hours", "jobs"])
    for x in r.rows:
        w.writerow([x.period, *x.group, f"{x.credits:f}", f"{x.accelerator_hours:.6f}", x.jobs])
    return out.getvalue()


def waits_csv(by: str, rows: Sequence[WaitRow]) -> str:
    """One line per group: the ``by`` group, jobs, then mean and percentile waits in s."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([by, "jobs", "mean_s", "p50_s", "p90_s", "p99_s", "max_s"])
    for x in rows:
        w.writerow([x.group, x.jobs, *(f"{v:.3f}" for v in
                    (x.mean_s, x.p50_s, x.p90_s, x.p99_s, x.max_s))])  # fmt: skip
    return out.getvalue()


WAIT_GROUPS = ("program", "size", "org_kind", "project")


@dataclass(frozen=True, slots=True)
class WaitRow:
    group: str
    jobs: int
    mean_s: float
    p50_s: float
    p90_s: float
    p99_s: float
    max_s: float


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of ascending values; 0 for none."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def waits(svc: Services, who: Principal, by: str = "program", since: datetime | None = None,
          until: datetime | None = None) -> tuple[WaitRow, ...]:  # fmt: skip
    """Wait (submission to first start) percentiles of jobs that started in
    ``[since, until)``, by program, job size, organisation kind or project."""
    if by not in WAIT_GROUPS:
        raise InputError("by", f"expected one of {', '.join(WAIT_GROUPS)}; got {by!r}")
    _reader(who)
    with svc.snapshot() as uow:
        starts = uow.reports.starts(since, until)
        projects = {p.project_id: p for p in uow.reports.projects()}
    groups: dict[str, list[float]] = {}
    for s in starts:
        groups.setdefault(_wait_group(s, projects.get(s.project_id), by), []).append(
            max(0.0, (s.started_at - s.submitted_at).total_seconds())
        )
    out = []
    for name, values in sorted(groups.items()):
        values.sort()
        out.append(WaitRow(name, len(values), sum(values) / len(values),
                           percentile(values, 50), percentile(values, 90),
                           percentile(values, 99), values[-1]))  # fmt: skip
    return tuple(out)


def _wait_group(s: StartFact, p: ProjectFacts | None, by: str) -> str:
    if by == "size":
        return size_class(s.accelerators)
    if p is None:
        return NONE
    if by == "program":
        return p.program or NONE
    if by == "org_kind":
        return ORG_KINDS.get(p.org_kind, p.org_kind) or NONE
    return p.project
