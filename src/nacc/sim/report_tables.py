"""The simulation report's tables: results by policy and who waits, with units.

Each table is ``{"title", "head": [...], "rows": [[...]], "note"}`` of ready text; the
template only lays them out. Values come from the result objects (``results.json``), so the
report and the JSON never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from nacc.catalog.prices import KRW_PER_CREDIT
from nacc.domain.sizes import LABELS
from nacc.sim.experiment import SimRun
from nacc.sim.metrics import overall_utilization
from nacc.sim.words import say

__all__ = ["KRW_PER_CREDIT", "busy_share", "results_table", "wait_tables"]

_H = 3600.0


def busy_share(result: dict[str, Any], run: SimRun | None) -> float:
    """Capacity-weighted share of accelerators busy over the makespan (0-1)."""
    per_type: dict[str, float] = result.get("utilization") or {}
    if run is None:
        return sum(per_type.values()) / len(per_type) if per_type else 0.0
    return overall_utilization(per_type, run.pools)


def _f(digits: int) -> Callable[[float], str]:
    return lambda v: f"{v:,.{digits}f}"


# (column key, value from (result, run), format)
Value = Callable[[dict[str, Any], SimRun | None], Any]
_COLUMNS: tuple[tuple[str, Value, Callable[[Any], str]], ...] = (
    ("col.policy", lambda r, _: r["policy"], str),
    ("col.completed", lambda r, _: r["completed"], lambda v: f"{v:,}"),
    ("col.avg_jct_h", lambda r, _: r["avg_jct_s"] / _H, _f(2)),
    ("col.p50_jct_h", lambda r, _: r["p50_jct_s"] / _H, _f(2)),
    ("col.p99_jct_h", lambda r, _: r["p99_jct_s"] / _H, _f(1)),
    ("col.avg_wait_h", lambda r, _: r["avg_queue_s"] / _H, _f(2)),
    ("col.p95_wait_h", lambda r, _: r.get("p95_queue_s", 0.0) / _H, _f(2)),
    ("col.makespan_d", lambda r, _: r["makespan_s"] / 86400.0, _f(1)),
    ("col.busy_pct", lambda r, run: 100.0 * busy_share(r, run), _f(1)),
    ("col.jain", lambda r, _: r["jain_fairness"], _f(3)),
    ("col.domestic_pct", lambda r, _: 100.0 * r["domestic_share"], _f(1)),
    ("col.credits", lambda r, _: r["credits"], _f(0)),
    ("col.value_mkrw", lambda r, _: r["credits"] * KRW_PER_CREDIT / 1e6, _f(1)),
    ("col.lb_ratio", lambda r, _: _ratio(r["avg_jct_s"], r["lower_bound_avg_jct_s"]), _f(3)),
    ("col.preemptions", lambda r, _: r["preemptions"], lambda v: f"{v:,}"),
    ("col.wall_s", lambda r, _: r["wall_s"], _f(2)),
)


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else 0.0


def results_table(results: Sequence[dict[str, Any]], runs: Sequence[SimRun],
                  lang: str) -> dict[str, Any]:  # fmt: skip
    by_policy = {run.policy: run for run in runs}
    return {
        "title": say(lang, "report.results"),
        "head": [say(lang, key) for key, _, _ in _COLUMNS],
        "rows": [
            [fmt(value(r, by_policy.get(r["policy"]))) for _, value, fmt in _COLUMNS]
            for r in results
        ],
        "note": "",
    }


def _wait_cell(stats: dict[str, Any] | None, lang: str) -> str:
    if not stats:
        return "-"
    text = f"{stats['p50_wait_s'] / _H:,.2f} / {stats['p95_wait_s'] / _H:,.2f}"
    if stats["never_started"]:
        text += " (" + say(lang, "cell.never", n=stats["never_started"]) + ")"
    return text


def _wait_table(results: Sequence[dict[str, Any]], key: str, order: Sequence[str],
                first: str, title: str, lang: str) -> dict[str, Any]:  # fmt: skip
    groups = [g for g in order if any(g in r.get(key, {}) for r in results)]
    head = [say(lang, first), say(lang, "col.jobs")]
    head += [say(lang, "col.wait_of", policy=r["policy"]) for r in results]
    rows = []
    for g in groups:
        jobs = next((r[key][g]["jobs"] for r in results if g in r.get(key, {})), 0)
        rows.append([g, f"{jobs:,}"] + [_wait_cell(r.get(key, {}).get(g), lang) for r in results])
    return {"title": say(lang, title), "head": head, "rows": rows, "note": ""}


def wait_tables(results: Sequence[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Waits by job size, then by program (with a note when the trace names none)."""
    sizes = _wait_table(results, "wait_by_size", LABELS, "col.size",
                        "report.by_size", lang)  # fmt: skip
    programs = sorted({p for r in results for p in r.get("wait_by_program", {})})
    by_program = _wait_table(results, "wait_by_program", programs, "col.program",
                             "report.by_program", lang)  # fmt: skip
    if programs == ["default"]:
        by_program["note"] = say(lang, "report.no_programs")
    return [sizes, by_program]
