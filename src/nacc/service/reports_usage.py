"""Usage reports (like Slurm's sreport or XDMoD): credits and accelerator-hours grouped
by program, organisation, organisation kind, sector, accelerator type, provider, site,
pool or project, per day, week or month; wait-time percentiles by program or job size.

Grouped by the store in one snapshot (``ReportsRepo.usage_groups``, ``wait_groups``:
one row per group of the keys the dimensions are read from), then mapped onto the
dimensions here (a pool onto its provider and site, a call onto its sectors): the
credits are the sums of the metered intervals, the same rows ``ledger verify`` proves
equal to the journal's charges, so a report's total equals the ledger's usage. An
interval counts in the period (day, ISO week from Monday, month; UTC) in which it starts.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from nacc.domain.errors import InputError
from nacc.domain.pools import Pool
from nacc.domain.sizes import LARGEST, SIZES
from nacc.ports.store_report_groups import UsageGroup, nearest_rank
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


STORE_KEYS: Mapping[str, str] = {
    "program": "program", "org": "org", "org_kind": "org_kind", "sector": "call",
    "type": "type", "provider": "pool", "site": "pool", "pool": "pool", "project": "project",
    "domestic": "pool",
}  # fmt: skip
"""The ``--by`` dimensions and the store's group key each is read from
(``nacc.ports.store_report_groups.USAGE_KEYS``)."""
DIMENSIONS = STORE_KEYS


def _converter(dim: str, pools: Mapping[str, Pool],
               sectors: Mapping[str, str]) -> Callable[[str], str]:  # fmt: skip
    """A dimension's value from its store key's value (a pool id, a call id, ...)."""
    if dim == "provider":
        return lambda raw: pools[raw].provider if raw in pools else ""
    if dim == "site":
        return lambda raw: pools[raw].site if raw in pools else ""
    if dim == "domestic":
        return lambda raw: (
            ("domestic" if pools[raw].domestic else "foreign") if raw in pools else ""
        )
    if dim == "org_kind":
        return lambda raw: ORG_KINDS.get(raw, raw)
    if dim == "sector":
        return lambda raw: sectors.get(raw, "")
    return str


class UsageRow(NamedTuple):  # a named tuple: a day's report by org and type has ~10,000
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
    keys = tuple(dict.fromkeys(STORE_KEYS[d] for d in dims))
    with svc.snapshot() as uow:  # summed by period and keys in the store
        groups = uow.reports.usage_groups(since, until, period, keys)
        calls = {g.keys[keys.index("call")] for g in groups} if "call" in keys else set()
        found = [uow.programs.get_call(int(c)) for c in sorted(calls) if c.isdigit()]
    sectors = {str(c.id): "+".join(c.sector_tags) for c in found if c is not None}
    by_pool = {str(p.id): p for p in pools}
    pick = [(keys.index(STORE_KEYS[d]), _converter(d, by_pool, sectors)) for d in dims]
    sums = _merged(groups, pick)
    # by period then group: as the tuples compare (no value holds a NUL), 2-3x faster
    ordered = sorted(sums.items(), key=lambda kv: "\0".join((kv[0][0], *kv[0][1])))
    rows = tuple(UsageRow(p, g, c, h / 3600, j) for (p, g), (c, h, j) in ordered)
    return UsageReport(dims, period, since, until, rows,
                       sum((r.credits for r in rows), Decimal(0)),
                       sum(r.accelerator_hours for r in rows))  # fmt: skip


Sums = dict[tuple[str, tuple[str, ...]], tuple[Decimal, float, int]]


def _merged(groups: Sequence[UsageGroup],
            pick: Sequence[tuple[int, Callable[[str], str]]]) -> Sums:  # fmt: skip
    """The store's groups by period and the dimensions' values (each from its key's
    value by ``pick``): groups of keys that show as one group add up (exact: see the
    port). Dimensions read as they are stored (``str``) are not converted one by one."""
    plain = all(value is str for _, value in pick)
    at = [i for i, _ in pick]
    sums: Sums = {}
    for g in groups:
        raw = [g.keys[i] for i in at] if plain else [value(g.keys[i]) for i, value in pick]
        key = (g.period, tuple([v or NONE for v in raw]))
        had = sums.get(key)
        if had is None:
            sums[key] = (g.credits, g.accelerator_seconds, g.jobs)
        else:
            sums[key] = (had[0] + g.credits, had[1] + g.accelerator_seconds, had[2] + g.jobs)
    return sums


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


percentile = nearest_rank  # the store's, for the groups it cannot take percentiles of


def waits(svc: Services, who: Principal, by: str = "program", since: datetime | None = None,
          until: datetime | None = None) -> tuple[WaitRow, ...]:  # fmt: skip
    """Wait (submission to first start) percentiles of jobs that started in
    ``[since, until)``, by program, job size, organisation kind or project."""
    if by not in WAIT_GROUPS:
        raise InputError("by", f"expected one of {', '.join(WAIT_GROUPS)}; got {by!r}")
    _reader(who)
    with svc.snapshot() as uow:  # grouped, and percentiles taken, in the store
        found = uow.reports.wait_groups(since, until, by, SIZES, LARGEST)
    out = [
        WaitRow(
            (ORG_KINDS.get(g.group, g.group) if by == "org_kind" else g.group) or NONE,
            g.jobs,
            g.mean_s,
            g.p50_s,
            g.p90_s,
            g.p99_s,
            g.max_s,
        )
        for g in found
    ]
    out.sort(key=lambda r: r.group)
    return tuple(out)
