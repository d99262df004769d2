"""A sweep's results as a table (CSV; Parquet when pyarrow is installed) and plots: wait
against load with a band across seeds, waits by job size, waits by program (p95 against
load, a band across seeds, one panel per program), JCT CDFs.

Per-program columns are ``p50_wait_s.<program>`` and ``p95_wait_s.<program>``, one pair per
program any cell has (a trace's programs, or the sweep's ``program_mix``)."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

COLUMNS = ("scenario", "policy", "load", "seed", "window_start", "jobs", "completed",
           "unfinished", "offered_utilization", "avg_jct_s", "p99_jct_s", "avg_queue_s",
           "p95_queue_s", "utilization", "jain_fairness", "lower_bound_avg_jct_s",
           "preemptions", "wall_s")  # fmt: skip
PROGRAM_COLUMNS = ("p50_wait_s", "p95_wait_s")


def programs(results: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every program any cell has, sorted."""
    return sorted({p for r in results for p in r.get("wait_by_program", {})})


def rows(results: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One flat row per cell, sorted by scenario, policy, load, seed; a program's waits are
    ``p50_wait_s.<program>`` and ``p95_wait_s.<program>`` (None where its jobs never
    started)."""
    out = []
    for r in results:
        row = {k: r[k] for k in ("scenario", "policy", "load", "seed", "window_start")}
        row.update({k: r["summary"][k] for k in COLUMNS if k in r["summary"]})
        for program, waits in r.get("wait_by_program", {}).items():
            started = waits["jobs"] > waits["never_started"]
            row.update({f"{k}.{program}": waits[k] if started else None
                        for k in PROGRAM_COLUMNS})  # fmt: skip
        out.append(row)
    return sorted(out, key=lambda x: (x["scenario"], x["policy"], x["load"], x["seed"]))


def columns(table: Sequence[Mapping[str, Any]]) -> list[str]:
    """The table's columns: ``COLUMNS``, then each program's waits."""
    names = sorted({k.split(".", 1)[1] for row in table for k in row if "." in k})
    return [*COLUMNS, *(f"{k}.{p}" for p in names for k in PROGRAM_COLUMNS)]


def write_table(out: Path, table: Sequence[Mapping[str, Any]]) -> list[Path]:
    """``results.csv``, and ``results.parquet`` when pyarrow is there."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "results.csv"
    names = columns(table)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=names)
        writer.writeheader()
        for row in table:
            writer.writerow({k: "" if row.get(k) is None else row[k] for k in names})
    paths = [path]
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return paths
    data = {k: [row.get(k) for row in table] for k in names}
    pq.write_table(pa.table(data), out / "results.parquet")
    return [*paths, out / "results.parquet"]


def _bands(table: Sequence[Mapping[str, Any]], scenario: str, policy: str,
           metric: str) -> tuple[list[float], list[float], list[float], list[float]]:  # fmt: skip
    by_load: dict[float, list[float]] = {}
    for row in table:
        if row["scenario"] == scenario and row["policy"] == policy and row.get(metric) is not None:
            by_load.setdefault(row["load"], []).append(row[metric])
    loads = sorted(by_load)
    means = [sum(by_load[x]) / len(by_load[x]) for x in loads]
    return loads, means, [min(by_load[x]) for x in loads], [max(by_load[x]) for x in loads]


def plot(out: Path, results: Sequence[Mapping[str, Any]]) -> list[Path]:
    """Per scenario: ``wait_vs_load.png``, ``wait_by_size.png``, ``jct_cdf.png`` and, where
    the jobs have programs (other than the one ``default``), ``wait_by_program.png``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = rows(results)
    files: list[Path] = []
    for scenario in sorted({r["scenario"] for r in table}):
        mine = [r for r in results if r["scenario"] == scenario]
        policies = sorted({r["policy"] for r in mine})
        top = max(r["load"] for r in mine)
        at_top = [r for r in mine if r["load"] == top]
        files.append(_wait_vs_load(plt, out, table, scenario, policies))
        files.append(_wait_by_size(plt, out, at_top, scenario, policies, top))
        files.append(_jct_cdf(plt, out, at_top, scenario, policies, top))
        names = programs(mine)
        if names and names != ["default"]:
            files.append(_wait_by_program(plt, out, table, scenario, policies, names))
    return files


def _band(ax: Any, table: Sequence[Mapping[str, Any]], scenario: str, policy: str,
          metric: str, **style: Any) -> None:  # fmt: skip
    """Mean over seeds against load, with a min-max band."""
    loads, mean, low, high = _bands(table, scenario, policy, metric)
    line = ax.plot(loads, [m / 3600 for m in mean], marker="o", **style)[0]
    ax.fill_between(loads, [v / 3600 for v in low], [v / 3600 for v in high],
                    color=line.get_color(), alpha=0.2)  # fmt: skip


def _wait_vs_load(plt: Any, out: Path, table: Sequence[Mapping[str, Any]], scenario: str,
                  policies: Sequence[str]) -> Path:  # fmt: skip
    fig, ax = plt.subplots(figsize=(7, 4))
    for policy in policies:
        _band(ax, table, scenario, policy, "avg_queue_s", label=policy)
    ax.set(title=f"{scenario}: average wait vs load (band: min-max over seeds)",
           xlabel="load (arrival-rate multiplier)", ylabel="average wait (h)")  # fmt: skip
    ax.legend(fontsize=8)
    return _save(fig, plt, out / f"{scenario}_wait_vs_load.png")


def _wait_by_size(plt: Any, out: Path, at_top: Sequence[Mapping[str, Any]], scenario: str,
                  policies: Sequence[str], top: float) -> Path:  # fmt: skip
    fig, ax = plt.subplots(figsize=(7, 4))
    sizes = sorted({s for r in at_top for s in r["wait_by_size"]}, key=_size_order)
    width = 0.8 / max(1, len(policies))
    for i, policy in enumerate(policies):
        mine = [r for r in at_top if r["policy"] == policy]
        vals = [sum(r["wait_by_size"].get(s, 0.0) for r in mine) / max(1, len(mine)) / 3600
                for s in sizes]  # fmt: skip
        ax.bar([k + i * width for k in range(len(sizes))], vals, width, label=policy)
    ax.set_xticks([k + 0.4 - width / 2 for k in range(len(sizes))], sizes)
    ax.set(title=f"{scenario}: average wait by job size at load {top:g}",
           xlabel="accelerators per job", ylabel="average wait (h)")  # fmt: skip
    ax.legend(fontsize=8)
    return _save(fig, plt, out / f"{scenario}_wait_by_size.png")


def _jct_cdf(plt: Any, out: Path, at_top: Sequence[Mapping[str, Any]], scenario: str,
             policies: Sequence[str], top: float) -> Path:  # fmt: skip
    fig, ax = plt.subplots(figsize=(7, 4))
    for policy in policies:
        jct = sorted(x for r in at_top if r["policy"] == policy for x in r["jct_s"])
        if jct:
            ax.plot([x / 3600 for x in jct], [(k + 1) / len(jct) for k in range(len(jct))],
                    label=policy)  # fmt: skip
    ax.set(title=f"{scenario}: JCT CDF at load {top:g} (all seeds)", xscale="log",
           xlabel="job completion time (h)", ylabel="fraction of jobs")  # fmt: skip
    ax.legend(fontsize=8)
    return _save(fig, plt, out / f"{scenario}_jct_cdf.png")


def _wait_by_program(plt: Any, out: Path, table: Sequence[Mapping[str, Any]], scenario: str,
                     policies: Sequence[str], names: Sequence[str]) -> Path:  # fmt: skip
    """One panel per program: p95 wait against load per policy (band over seeds), p50
    dashed."""
    ncols = min(3, len(names))
    nrows = -(-len(names) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.5 * ncols, 3.4 * nrows), squeeze=False,
                             sharex=True)  # fmt: skip
    for ax, program in zip(axes.flat, names, strict=False):
        for policy in policies:
            _band(ax, table, scenario, policy, f"p95_wait_s.{program}", label=policy)
            loads, mean, _, _ = _bands(table, scenario, policy, f"p50_wait_s.{program}")
            ax.plot(loads, [m / 3600 for m in mean], linestyle="--", linewidth=0.8,
                    color=ax.lines[-1].get_color())  # fmt: skip
        ax.set(title=f"program {program}", xlabel="load (arrival-rate multiplier)",
               ylabel="wait (h): p95, band over seeds; p50 dashed")  # fmt: skip
        ax.yaxis.label.set_size(7)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(names) :]:
        ax.set_visible(False)
    fig.suptitle(f"{scenario}: waits by program")
    return _save(fig, plt, out / f"{scenario}_wait_by_program.png")


def _size_order(label: str) -> int:
    return int(label.split("-")[0].rstrip("+"))


def _save(fig: Any, plt: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
