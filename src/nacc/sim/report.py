"""Plots and an HTML report of simulation results (PNG via matplotlib, Agg backend).

Written for a planner: times in hours and days of the trace, one time axis shared by every
policy's plots, column names with their units, wait percentiles by job size and program,
in Korean or English (``lang``; words in ``nacc.sim.words``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib import font_manager, ticker

from nacc.domain.lifecycle import JobState
from nacc.sim import report_tables
from nacc.sim.experiment import SimRun
from nacc.sim.words import say
from nacc.templates import render

matplotlib.rcParams["axes.unicode_minus"] = False  # a hyphen: Korean fonts lack U+2212
_MAX_POINTS = 4000
_DAY = 86400.0
KOREAN_FONT = "NanumGothic"  # Debian's fonts-nanum, which `make install` installs as root


def _thin(xs: Sequence[float], ys: Sequence[float]) -> tuple[list[float], list[float]]:
    step = max(1, len(xs) // _MAX_POINTS)
    return list(xs[::step]), list(ys[::step])


def _days(xs: Sequence[float]) -> list[float]:
    return [x / _DAY for x in xs]


@cache
def korean_font() -> bool:
    """Whether matplotlib can draw Korean (else Korean plot labels would be boxes)."""
    return any(f.name == KOREAN_FONT for f in font_manager.fontManager.ttflist)


def plot_lang(lang: str) -> str:
    """The plots' language: Korean only where a Korean font is installed."""
    return lang if lang != "ko" or korean_font() else "en"


def horizon_days(runs: Sequence[SimRun]) -> float:
    """Where every time plot stops (days): a little after the queue last held a job in any
    run, or where 99% of jobs are done if no queue formed, so the long tail of the few
    longest jobs does not flatten the picture. One value for all policies' plots."""
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
    return max(horizon, 60.0) / _DAY


def plot_queue(runs: Sequence[SimRun], path: Path, lang: str = "en",
               horizon_d: float | None = None) -> Path:  # fmt: skip
    fig, ax = plt.subplots(figsize=(8, 4))
    for run in runs:
        t, q = _thin(run.timeline.t, run.timeline.queued)
        ax.plot(_days(t), q, label=run.policy, linewidth=1)
    ax.set(xlabel=say(lang, "plot.days"), ylabel=say(lang, "plot.queued"))
    ax.set_title(say(lang, "plot.queue.title"))
    ax.set_xlim(0, horizon_d if horizon_d is not None else horizon_days(runs))
    _legend(ax)
    return _save(fig, path, lang)


def plot_utilization(run: SimRun, path: Path, lang: str = "en",
                     horizon_d: float | None = None) -> Path:  # fmt: skip
    cap: dict[str, int] = {}
    for p in run.pools:
        cap[p.accel_type] = cap.get(p.accel_type, 0) + p.count
    fig, ax = plt.subplots(figsize=(8, 4))
    for kind, busy in run.timeline.busy.items():
        t, b = _thin(run.timeline.t, busy)
        ax.plot(_days(t), [100.0 * x / cap[kind] for x in b], label=kind, linewidth=1)
    ax.set(xlabel=say(lang, "plot.days"), ylabel=say(lang, "plot.busy"))
    ax.set(ylim=(0, 105), xlim=(0, horizon_d if horizon_d is not None else horizon_days([run])))
    ax.set_title(say(lang, "plot.util.title", policy=run.policy))
    ax.legend(fontsize=7, ncol=2)
    return _save(fig, path, lang)


def plot_jct_cdf(runs: Sequence[SimRun], path: Path, lang: str = "en") -> Path:
    fig, ax = plt.subplots(figsize=(8, 4))
    for run in runs:
        jcts = sorted(
            (j.finished_s - j.spec.submit_s) / 3600.0
            for j in run.jobs
            if j.state is JobState.COMPLETED and j.finished_s is not None
        )
        if not jcts:
            continue
        n = len(jcts)
        xs, ys = _thin(jcts, [(i + 1) / n for i in range(n)])
        ax.plot([max(x, 1.0 / 3600.0) for x in xs], ys, label=run.policy)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))  # 0.01, 1, 100
    ax.set(xlabel=say(lang, "plot.jct"), ylabel=say(lang, "plot.fraction"),
           title=say(lang, "plot.cdf.title"))  # fmt: skip
    _legend(ax)
    return _save(fig, path, lang)


def plot_avg_jct(results: Sequence[dict[str, Any]], path: Path, lang: str = "en") -> Path:
    fig, ax = plt.subplots(figsize=(7, 4))
    names = [r["policy"] for r in results]
    ax.bar(names, [r["avg_jct_s"] / 3600.0 for r in results], color="#4a7bb7")
    if results:
        lb = results[0]["lower_bound_avg_jct_s"] / 3600.0
        ax.axhline(lb, color="k", linestyle="--",
                   label=say(lang, "plot.lower_bound", hours=f"{lb:.2f}"))  # fmt: skip
        ax.legend()
    ax.set(ylabel=say(lang, "plot.avg.y"), title=say(lang, "plot.avg.title"))
    return _save(fig, path, lang)


def _legend(ax: Any) -> None:
    """A legend when something was drawn (no runs, or no job completed: none)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend()


def _save(fig: Any, path: Path, lang: str = "en") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if lang == "ko" and korean_font():
        for text in fig.findobj(matplotlib.text.Text):
            text.set_fontfamily([KOREAN_FONT, "DejaVu Sans"])
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


save = _save  # for other plot modules (sim.whatif)


def write_report(out: Path, title: str, results: Sequence[dict[str, Any]],
                 runs: Sequence[SimRun], lang: str = "en",
                 mixes: str | None = None) -> Path:  # fmt: skip
    """PNG plots plus ``report.html`` with the result and wait tables, in ``lang``."""
    pl = plot_lang(lang)
    horizon = horizon_days(runs)
    pngs = [plot_queue(runs, out / "queue.png", pl, horizon),
            plot_jct_cdf(runs, out / "jct_cdf.png", pl)]  # fmt: skip
    pngs += [plot_utilization(r, out / f"utilization-{r.policy}.png", pl, horizon) for r in runs]
    if len(results) > 1:
        pngs.append(plot_avg_jct(results, out / "avg_jct.png", pl))
    notes = []
    if results:
        lb_h = results[0]["lower_bound_avg_jct_s"] / 3600.0
        notes.append(say(lang, "report.lower_bound", hours=_num(lb_h)))
    notes.append(say(lang, "report.value", krw=f"{report_tables.KRW_PER_CREDIT:,.1f}"))
    notes.append(say(lang, "report.axis_note"))
    if mixes:
        notes.append(say(lang, "report.mix", mix=mixes))
    page = render(
        "sim_report.html.j2", lang=lang, title=title, notes=notes,
        results_title=say(lang, "report.results"),
        results=report_tables.results_table(results, runs, lang),
        waits_title=say(lang, "report.waits"), wait_note=say(lang, "report.wait_note"),
        waits=report_tables.wait_tables(results, lang),
        plots_title=say(lang, "report.plots"),
        images=[{"src": p.name, "alt": p.stem} for p in pngs],
    )  # fmt: skip
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


def _num(value: float) -> str:
    return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"


def _cell(value: Any) -> str:
    """A table cell as text (the template escapes it)."""
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.0f}"
    return str(value)
