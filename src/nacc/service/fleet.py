"""The operator's view of the fleet: per pool, capacity, busy and queued accelerators,
utilisation over the last 24 hours, credits delivered, estimated power; and the share of
delivered credits that ran on domestic chips against the plan's target.

Read from the job records and the metered usage (``UsageView``); nothing is written.
Utilisation over a window is metered accelerator-seconds inside the window over
capacity x window. A pool's power estimate is its busy accelerators x the catalog's TDP
(an upper bound: accelerators seldom run at TDP). Operators only.

Scale: the store sums delivered credits by pool and returns only the metered intervals
that overlap the window, and only running and pending jobs are read, so the cost grows
with the last day's usage and the live jobs, not with the whole history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from nacc.catalog import load_catalog
from nacc.domain.lifecycle import JobState
from nacc.domain.pools import Pool
from nacc.ports.store_jobs_data import JobView
from nacc.ports.store_reports import UsageFact
from nacc.service.auth import Principal, require
from nacc.service.context import Services

DOMESTIC_TARGET = 0.5  # the plan: domestic AI chips at 50% of the national centers
WINDOW = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class PoolRow:
    pool_id: str
    site: str
    provider: str
    accelerator_type: str
    domestic: bool
    capacity: int
    busy: int
    queued: int  # accelerators asked by pending jobs this pool's type could serve
    utilisation_24h: float  # 0..1
    delivered_credits: Decimal
    power_kw: float  # busy x TDP, kW


@dataclass(frozen=True, slots=True)
class FleetView:
    pools: list[PoolRow]
    delivered_domestic: Decimal
    delivered_foreign: Decimal
    domestic_share: float | None  # None: nothing delivered yet
    target: float
    power_kw: float
    window_hours: float
    hourly: list[tuple[str, float]]  # (hour, fleet utilisation 0..1), oldest first


def fleet(svc: Services, who: Principal, pools: Sequence[Pool],
          now: datetime | None = None) -> FleetView:  # fmt: skip
    require(who, "operator")
    at = now or svc.clock()
    with svc.unit() as uow:
        running = uow.jobs.in_states([str(JobState.RUNNING)])
        pending = uow.jobs.in_states([str(JobState.PENDING)])
        delivered = uow.reports.delivered_by_pool()
        window = uow.reports.usage_overlapping(at - WINDOW, at)
    seconds, hourly = _window_usage(window, at)
    return _view(pools, running, pending, delivered, seconds, hourly, at)


def _window_usage(window: Sequence[UsageFact],
                  at: datetime) -> tuple[dict[str, float], list[float]]:  # fmt: skip
    """Accelerator-seconds inside the window by pool, and per hour of the window."""
    start = at - WINDOW
    hours = int(WINDOW.total_seconds() // 3600)
    by_pool: dict[str, float] = {}
    per_hour = [0.0] * hours
    for u in window:
        if u.pool_id is None:
            continue
        lo, hi = max(u.start_at, start), min(u.end_at, at)
        if hi <= lo:
            continue
        by_pool[u.pool_id] = by_pool.get(u.pool_id, 0.0) + (hi - lo).total_seconds() * u.count
        first = int((lo - start).total_seconds() // 3600)
        for h in range(first, hours):
            h_lo = max(lo, start + timedelta(hours=h))
            h_hi = min(hi, start + timedelta(hours=h + 1))
            if h_hi <= h_lo:
                break
            per_hour[h] += (h_hi - h_lo).total_seconds() * u.count
    return by_pool, per_hour


def _view(pools: Sequence[Pool], running: Sequence[JobView], pending: Sequence[JobView],
          delivered: dict[str, Decimal], seconds: dict[str, float], per_hour: list[float],
          at: datetime) -> FleetView:  # fmt: skip
    catalog = load_catalog()
    busy: dict[str, int] = {}
    for job in running:
        if job.pool_id is not None:
            busy[job.pool_id] = busy.get(job.pool_id, 0) + job.accelerators
    rows = []
    for p in pools:
        pid = str(p.id)
        spec = catalog.get(p.accel_type)
        domestic = bool(spec.domestic) if spec is not None else p.domestic
        tdp = float(spec.tdp_w) if spec is not None and spec.tdp_w else 0.0
        queued = sum(j.accelerators for j in pending
                     if not j.accelerator_types or p.accel_type in j.accelerator_types)  # fmt: skip
        capacity_s = p.count * WINDOW.total_seconds()
        rows.append(PoolRow(
            pid, p.site, p.provider, p.accel_type, domestic, p.count, busy.get(pid, 0), queued,
            min(1.0, seconds.get(pid, 0.0) / capacity_s) if capacity_s else 0.0,
            delivered.get(pid, Decimal(0)), busy.get(pid, 0) * tdp / 1000.0,
        ))  # fmt: skip
    home = sum((r.delivered_credits for r in rows if r.domestic), Decimal(0))
    away = sum((r.delivered_credits for r in rows if not r.domestic), Decimal(0))
    total = home + away
    capacity = sum(p.count for p in pools) * 3600.0
    start = at - WINDOW
    hourly = [
        (
            (start + timedelta(hours=h + 1)).strftime("%H:00"),
            min(1.0, s / capacity) if capacity else 0.0,
        )
        for h, s in enumerate(per_hour)
    ]
    share = float(home / total) if total else None
    power = sum(r.power_kw for r in rows)
    hours = WINDOW.total_seconds() / 3600
    return FleetView(rows, home, away, share, DOMESTIC_TARGET, power, hours, hourly)
