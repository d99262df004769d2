"""Wait percentiles by job size and by program: who waits, not only how long on average.

A job's wait is from its submission to its first start; jobs that never started are
counted apart (``never_started``), since a percentile of the ones that did would flatter a
policy that starves big gangs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from nacc.domain.sizes import LABELS, size_class
from nacc.sim.experiment import SimRun
from nacc.sim.metrics import percentile


def _group(run: SimRun, key: Callable[[Any], str], order: Iterable[str]) -> dict[str, Any]:
    waits: dict[str, list[float]] = defaultdict(list)
    never: dict[str, int] = defaultdict(int)
    for j in run.jobs:
        k = key(j.spec)
        if j.first_start_s is None:
            never[k] += 1
        else:
            waits[k].append(j.first_start_s - j.spec.submit_s)
    table: dict[str, Any] = {}
    for k in order:
        if k not in waits and k not in never:
            continue
        xs = sorted(waits.get(k, []))
        table[k] = {
            "jobs": len(xs) + never.get(k, 0),
            "never_started": never.get(k, 0),
            "avg_wait_s": sum(xs) / len(xs) if xs else 0.0,
            "p50_wait_s": percentile(xs, 50),
            "p95_wait_s": percentile(xs, 95),
            "p99_wait_s": percentile(xs, 99),
        }
    return table


def by_size(run: SimRun) -> dict[str, Any]:
    """Wait statistics per job-size class (``nacc.domain.sizes``), smallest first."""
    return _group(run, lambda s: size_class(s.accelerators), LABELS)


def by_program(run: SimRun) -> dict[str, Any]:
    """Wait statistics per program, by name."""
    return _group(run, lambda s: s.program, sorted({j.spec.program for j in run.jobs}))
