"""Plots and an HTML report of simulation results (PNG via matplotlib, Agg backend)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from nacc.domain.lifecycle import JobState
from nacc.sim.experiment import SimRun
from nacc.templates import render

_MAX_POINTS = 4000


def _thin(xs: Sequence[float], ys: Sequence[float]) -> tuple[list[float], list[float]]:
    step = max(1, len(xs) // _MAX_POINTS)
    return list(xs[::step]), list(ys[::step])


def _hours(xs: Sequence[float]) -> list[float]:
    return [x / 3600.0 for x in xs]


def _horizon_h(runs: Sequence[SimRun]) -> float:
    """Where the time plots stop (h): a little after the queue last held a job in any
    run, or where 99% of jobs are done if no queue formed, so the long tail of the few
    longest jobs does not flatten the picture."""
    last_queue = 0.0
    worst = 0.0
    for run in runs:
        tl = run.timeline
        busy = [t for t, q in zip(tl.t, tl.queued, strict=True) if q > 0]
        if busy:
            last_queue = max(last_queue, busy[-1])
        ends = sorted(j.finished_s for j in run.jobs if j.finished_s is not None)
        if ends:
            worst = max(worst, ends[min(len(ends) - 1, int(0.99 * len(ends)))])
    horizon = 1.25 * last_queue if last_queue > 0 else worst
    return max(horizon, 60.0) / 3600.0


def plot_queue(runs: Sequence[SimRun], path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(8, 4))
    for run in runs:
        t, q = _thin(run.timeline.t, run.timeline.queued)
        ax.plot(_hours(t), q, label=run.policy, linewidth=1)
    ax.set(xlabel="simulated time (h), while jobs queue", ylabel="jobs queued")
    ax.set_title("Queue length over time")
    ax.set_xlim(0, _horizon_h(runs))
    _legend(ax)
    return _save(fig, path)


def plot_utilization(run: SimRun, path: Path) -> Path:
    cap: dict[str, int] = {}
    for p in run.pools:
        cap[p.accel_type] = cap.get(p.accel_type, 0) + p.count
    fig, ax = plt.subplots(figsize=(8, 4))
    for kind, busy in run.timeline.busy.items():
        t, b = _thin(run.timeline.t, busy)
        ax.plot(_hours(t), [100.0 * x / cap[kind] for x in b], label=kind, linewidth=1)
    ax.set(xlabel="simulated time (h), while jobs queue", ylabel="busy (%)")
    ax.set(ylim=(0, 105), xlim=(0, _horizon_h([run])))
    ax.set_title(f"Utilisation by accelerator type ({run.policy})")
    ax.legend(fontsize=7, ncol=2)
    return _save(fig, path)


def plot_jct_cdf(runs: Sequence[SimRun], path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(8, 4))
    for run in runs:
        jcts = sorted(
            j.finished_s - j.spec.submit_s
            for j in run.jobs
            if j.state is JobState.COMPLETED and j.finished_s is not None
        )
        if not jcts:
            continue
        n = len(jcts)
        xs, ys = _thin(jcts, [(i + 1) / n for i in range(n)])
        ax.plot([max(x, 1.0) for x in xs], ys, label=run.policy)
    ax.set_xscale("log")
    ax.set(xlabel="job completion time (s, log)", ylabel="fraction of jobs", title="JCT CDF")
    _legend(ax)
    return _save(fig, path)


def plot_avg_jct(results: Sequence[dict[str, Any]], path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(7, 4))
    names = [r["policy"] for r in results]
    ax.bar(names, [r["avg_jct_s"] / 3600.0 for r in results], color="#4a7bb7")
    if results:
        lb = results[0]["lower_bound_avg_jct_s"] / 3600.0
        ax.axhline(lb, color="k", linestyle="--", label=f"lower bound {lb:.2f} h")
        ax.legend()
    ax.set(ylabel="average JCT (h)", title="Average job completion time by policy")
    return _save(fig, path)


def _legend(ax: Any) -> None:
    """A legend when something was drawn (no runs, or no job completed: none)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend()


def _save(fig: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


save = _save  # for other plot modules (sim.whatif)


def write_report(
    out: Path, title: str, results: Sequence[dict[str, Any]], runs: Sequence[SimRun]
) -> Path:
    """PNG plots plus ``report.html`` that shows them with the result table."""
    pngs = [plot_queue(runs, out / "queue.png"), plot_jct_cdf(runs, out / "jct_cdf.png")]
    pngs += [plot_utilization(r, out / f"utilization-{r.policy}.png") for r in runs]
    if len(results) > 1:
        pngs.append(plot_avg_jct(results, out / "avg_jct.png"))
    page = render("sim_report.html.j2", title=title, keys=_KEYS,
                  rows=[[_cell(r[k]) for k in _KEYS] for r in results],
                  images=[{"src": p.name, "alt": p.stem} for p in pngs])  # fmt: skip
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


_KEYS = [
    "policy",
    "completed",
    "avg_jct_s",
    "p50_jct_s",
    "p99_jct_s",
    "avg_queue_s",
    "makespan_s",
    "jain_fairness",
    "domestic_share",
    "lower_bound_avg_jct_s",
    "wall_s",
]


def _cell(value: Any) -> str:
    """A table cell as text (the template escapes it)."""
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.0f}"
    return str(value)
