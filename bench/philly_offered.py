"""Benchmark: Philly on the Korea 2026 fleet at offered utilisations of 60%, 80% and 95%.

Load is set by offered utilisation (``nacc.sim.offered``: the busy share while jobs arrive
if each ran from its arrival on its fastest allowed type), not by an arrival divisor; the
load scale that offers it is printed. Each seed replays its own window of the trace (seed 0
the start, as `nacc sweep` does). Per load and policy: average and p99 JCT, Jain, average
JCT over the lower bound, p95 wait, and the busy share the run really had while jobs
arrived; mean over seeds with the min-max spread. Writes out/bench/philly_offered/results.json
and a PNG of JCT/LB against load.
"""

from __future__ import annotations

import argparse
import random
import statistics
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from nacc.domain.jobs import JobSpec
from nacc.sim import offered, study
from nacc.sim.experiment import SimConfig, SimRun
from nacc.sim.report import save

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "traces" / "pollux" / "traces" / "philly.csv"
SHIPPED = ROOT / "data" / "traces" / "philly.csv.gz"
POLICIES = "fifo,slurm,las,gavel,nacc"


def rotate(jobs: list[JobSpec], seed: int) -> list[JobSpec]:
    """Seed 0: the trace as is; else the jobs from a seeded offset on, then the others
    after them (the gap at the seam is the trace's mean gap)."""
    if seed == 0 or len(jobs) < 2:
        return jobs
    k = random.Random(seed).randrange(1, len(jobs))
    gap = (jobs[-1].submit_s - jobs[0].submit_s) / (len(jobs) - 1)
    head = [j.at(j.submit_s - jobs[k].submit_s) for j in jobs[k:]]
    shift = head[-1].submit_s + gap - jobs[0].submit_s
    return head + [j.at(j.submit_s + shift) for j in jobs[:k]]


def busy_while_arriving(run: SimRun, end_s: float) -> float:
    """Time-weighted share of accelerators busy from 0 to the last arrival."""
    cap = sum(p.count for p in run.pools)
    t, busy = run.timeline.t, run.timeline.busy
    total = 0.0
    for i in range(len(t) - 1):
        lo, hi = t[i], min(t[i + 1], end_s)
        if hi > lo:
            total += (hi - lo) * sum(series[i] for series in busy.values())
    return total / (cap * end_s) if cap and end_s > 0 else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--loads", default="0.6,0.8,0.95")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--policies", default=POLICIES)
    ap.add_argument("--cycle-s", type=float, default=5.0)
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "bench" / "philly_offered")
    args = ap.parse_args()
    console = Console(width=150)
    trace = SHARED if SHARED.exists() else SHIPPED
    base = study.load(study.StudyInput(ROOT / "scenarios" / "korea-2026.yaml", trace, "philly"))
    rows: list[dict[str, Any]] = []
    for seed in (int(s) for s in args.seeds.split(",")):
        loaded = replace(base, trace=replace(base.trace, jobs=rotate(base.trace.jobs, seed)))
        for load in (float(x) for x in args.loads.split(",")):
            jobs, pools, rates = loaded.trace.jobs, loaded.pools, loaded.rates
            scale = offered.load_scale_for(load, jobs, pools, rates)
            cfg = SimConfig(load_scale=scale, seed=seed, cycle_s=args.cycle_s)
            end_s = jobs[-1].submit_s / scale
            for name in args.policies.split(","):
                res, run = study.run_policy(name, loaded, cfg)
                row = {"seed": seed, "load": load, "load_scale": scale, "policy": name,
                       "avg_jct_s": res["avg_jct_s"], "p99_jct_s": res["p99_jct_s"],
                       "jain": res["jain_fairness"], "lb_s": res["lower_bound_avg_jct_s"],
                       "p95_wait_s": res["p95_queue_s"], "unfinished": res["unfinished"],
                       "busy": busy_while_arriving(run, end_s),
                       "wall_s": res["wall_s"]}  # fmt: skip
                row["ratio"] = row["avg_jct_s"] / row["lb_s"] if row["lb_s"] else 0.0
                rows.append(row)
                console.print(
                    f"seed {seed} offered {load:.0%} (scale {scale:,.0f}) {name:>6}: JCT/LB "
                    f"{row['ratio']:.3f}, busy {row['busy']:.1%}, wall {row['wall_s']:.1f} s"
                )
    study.write_json(args.out / "results.json", rows)
    console.print(_table(rows))
    _plot(rows, args.out / "jct_over_lb.png")


def _spread(values: list[float], fmt: str) -> str:
    mean = statistics.fmean(values)
    return f"{mean:{fmt}} ({min(values):{fmt}}-{max(values):{fmt}})"


def _table(rows: list[dict[str, Any]]) -> Table:
    t = Table(title="Philly on Korea 2026 by offered utilisation: mean over seeds (min-max)")
    for c in ("offered", "policy", "avg JCT (h)", "p99 JCT (h)", "JCT / LB", "Jain",
              "p95 wait (h)", "busy while arriving", "best?"):  # fmt: skip
        t.add_column(c, justify="right")
    for load in sorted({r["load"] for r in rows}):
        at = [r for r in rows if r["load"] == load]
        mean_ratio = {p: statistics.fmean(r["ratio"] for r in at if r["policy"] == p)
                      for p in dict.fromkeys(r["policy"] for r in at)}  # fmt: skip
        best = min(mean_ratio, key=mean_ratio.__getitem__)
        for policy in mean_ratio:
            mine = [r for r in at if r["policy"] == policy]
            t.add_row(f"{load:.0%}", policy,
                      _spread([r["avg_jct_s"] / 3600 for r in mine], ".2f"),
                      _spread([r["p99_jct_s"] / 3600 for r in mine], ".1f"),
                      _spread([r["ratio"] for r in mine], ".3f"),
                      _spread([r["jain"] for r in mine], ".3f"),
                      _spread([r["p95_wait_s"] / 3600 for r in mine], ".2f"),
                      _spread([100 * r["busy"] for r in mine], ".0f") + "%",
                      "best" if policy == best else "")  # fmt: skip
    return t


def _plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    loads = sorted({r["load"] for r in rows})
    for policy in dict.fromkeys(r["policy"] for r in rows):
        ys = [[r["ratio"] for r in rows if r["policy"] == policy and r["load"] == x]
              for x in loads]  # fmt: skip
        ax.plot([100 * x for x in loads], [statistics.fmean(y) for y in ys], marker="o",
                label=policy)  # fmt: skip
        ax.fill_between([100 * x for x in loads], [min(y) for y in ys], [max(y) for y in ys],
                        alpha=0.15)  # fmt: skip
    ax.set(xlabel="offered utilisation (%)", ylabel="average JCT / lower bound",
           title="Philly on Korea 2026")  # fmt: skip
    ax.legend()
    save(fig, path)


if __name__ == "__main__":
    main()
