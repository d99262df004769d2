"""A sweep's results as a table (CSV; Parquet when pyarrow is installed) and plots: wait
against load with a band across seeds, waits by job size, JCT CDFs."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

COLUMNS = ("scenario", "policy", "load", "seed", "window_start", "jobs", "completed",
           "unfinished", "avg_jct_s", "p99_jct_s", "avg_queue_s", "p95_queue_s",
           "utilization", "jain_fairness", "lower_bound_avg_jct_s", "preemptions",
           "wall_s")  # fmt: skip


def rows(results: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One flat row per cell, sorted by scenario, policy, load, seed."""
    out = []
    for r in results:
        row = {k: r[k] for k in ("scenario", "policy", "load", "seed", "window_start")}
        row.update({k: r["summary"][k] for k in COLUMNS if k in r["summary"]})
        out.append(row)
    return sorted(out, key=lambda x: (x["scenario"], x["policy"], x["load"], x["seed"]))


def write_table(out: Path, table: Sequence[Mapping[str, Any]]) -> list[Path]:
    """``results.csv``, and ``results.parquet`` when pyarrow is there."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "results.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(COLUMNS))
        writer.writeheader()
        for row in table:
            writer.writerow({k: row.get(k, "") for k in COLUMNS})
    paths = [path]
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return paths
    columns = {k: [row.get(k) for row in table] for k in COLUMNS}
    pq.write_table(pa.table(columns), out / "results.parquet")
    return [*paths, out / "results.parquet"]


def _bands(table: Sequence[Mapping[str, Any]], scenario: str, policy: str,
           metric: str) -> tuple[list[float], list[float], list[float], list[float]]:  # fmt: skip
    by_load: dict[float, list[float]] = {}
    for row in table:
        if row["scenario"] == scenario and row["policy"] == policy:
            by_load.setdefault(row["load"], []).append(row[metric])
    loads = sorted(by_load)
    means = [sum(by_load[x]) / len(by_load[x]) for x in loads]
    return loads, means, [min(by_load[x]) for x in loads], [max(by_load[x]) for x in loads]


def plot(out: Path, results: Sequence[Mapping[str, Any]]) -> list[Path]:
    """``wait_vs_load.png``, ``wait_by_size.png`` and ``jct_cdf.png`` per scenario."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = rows(results)
    files: list[Path] = []
    for scenario in sorted({r["scenario"] for r in table}):
        policies = sorted({r["policy"] for r in table if r["scenario"] == scenario})
        fig, ax = plt.subplots(figsize=(7, 4))
        for policy in policies:
            loads, mean, low, high = _bands(table, scenario, policy, "avg_queue_s")
            line = ax.plot(loads, [m / 3600 for m in mean], marker="o", label=policy)[0]
            ax.fill_between(loads, [v / 3600 for v in low], [v / 3600 for v in high],
                            color=line.get_color(), alpha=0.2)  # fmt: skip
        ax.set(title=f"{scenario}: average wait vs load (band: min-max over seeds)",
               xlabel="load (arrival-rate multiplier)", ylabel="average wait (h)")  # fmt: skip
        ax.legend(fontsize=8)
        files.append(_save(fig, plt, out / f"{scenario}_wait_vs_load.png"))
        top = max(r["load"] for r in table if r["scenario"] == scenario)
        at_top = [r for r in results if r["scenario"] == scenario and r["load"] == top]
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
        files.append(_save(fig, plt, out / f"{scenario}_wait_by_size.png"))
        fig, ax = plt.subplots(figsize=(7, 4))
        for policy in policies:
            jct = sorted(x for r in at_top if r["policy"] == policy for x in r["jct_s"])
            if jct:
                ax.plot([x / 3600 for x in jct], [(k + 1) / len(jct) for k in range(len(jct))],
                        label=policy)  # fmt: skip
        ax.set(title=f"{scenario}: JCT CDF at load {top:g} (all seeds)", xscale="log",
               xlabel="job completion time (h)", ylabel="fraction of jobs")  # fmt: skip
        ax.legend(fontsize=8)
        files.append(_save(fig, plt, out / f"{scenario}_jct_cdf.png"))
    return files


def _size_order(label: str) -> int:
    return int(label.split("-")[0].rstrip("+"))


def _save(fig: Any, plt: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
