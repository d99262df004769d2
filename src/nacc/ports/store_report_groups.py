"""Store port: usage and waits already grouped by the store (``ReportsRepo.usage_groups``
and ``ReportsRepo.wait_groups``), so a report reads one row per group instead of one per
job and day.

The store groups by *keys* it can read (a project's program, organisation, organisation
kind and call; the interval's accelerator type and pool; the project); the service maps
them onto the report's dimensions (a pool onto its provider and site, a call onto its
sector tags) and adds up groups that meet, which is exact: a job has one project and one
pool, so distinct jobs counted per key add up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

USAGE_KEYS = ("program", "org", "org_kind", "call", "type", "pool", "project")
"""What ``usage_groups`` groups by: program name, organisation name, stored organisation
kind, call id, accelerator type, pool id, project name ("" where there is none)."""

WAIT_KEYS = ("program", "org_kind", "project", "size")
"""What ``wait_groups`` groups by (``size``: the job's accelerators, by ``buckets``)."""

PERIOD_KEYS = ("day", "week", "month", "all")


class UsageGroup(NamedTuple):
    """Metered intervals summed by period (UTC day, ISO week from Monday, month: the ISO
    date it starts on; "" for ``all``) and the keys asked, in their order."""

    period: str
    keys: tuple[str, ...]
    credits: Decimal
    accelerator_seconds: float
    jobs: int  # distinct jobs


class WaitGroup(NamedTuple):
    """Waits (submission to start, at least 0 s) of the jobs of one group; percentiles
    by nearest rank."""

    group: str
    jobs: int
    mean_s: float
    p50_s: float
    p90_s: float
    p99_s: float
    max_s: float


def nearest_rank(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of ascending values; 0 for none."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def size_bucket(accelerators: int, buckets: Sequence[tuple[int, str]], rest: str) -> str:
    """The name of the first bucket whose top is at least ``accelerators``; else ``rest``."""
    for top, name in buckets:
        if accelerators <= top:
            return name
    return rest


def wait_group(group: str, values: list[float]) -> WaitGroup:
    """One group's row from its waits (sorted here)."""
    values.sort()
    return WaitGroup(group, len(values), sum(values) / len(values), nearest_rank(values, 50),
                     nearest_rank(values, 90), nearest_rank(values, 99),
                     values[-1])  # fmt: skip
