"""Benchmark: Gavel-style generated traces on the gavel-108 cluster, every built-in policy.

Generates single-GPU traces (``nacc trace generate`` semantics: Gavel's job types,
Poisson arrivals, Gavel's duration draw) for each seed, replays them on
``scenarios/gavel-108.yaml`` (36 K80 + 36 P100 + 36 V100, restart cost 0 as in Gavel's
simulator) and prints per policy the average and p99 JCT, Jain, average JCT over the
lower bound and over the lower bound with crowding (``nacc.sim.crowding``: what no
schedule avoids when more jobs are ideally present than fast accelerators) and wall
time, with the spread over seeds; writes ``gavel_style.json``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from nacc.scheduling.policies.registry import builtin_policies
from nacc.sim import study
from nacc.sim.crowding import crowded_bound
from nacc.sim.experiment import SimConfig
from nacc.sim.traces import generate

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "gavel-108.yaml"


def load(trace: Path, seed: int, cycle_s: float) -> tuple[study.Loaded, SimConfig, float]:
    """The trace loaded, its config and its lower bound with crowding."""
    inp = study.StudyInput(SCENARIO, trace, "gavel", sim=SimConfig(seed=seed, cycle_s=cycle_s))
    loaded = study.load(inp)
    return loaded, inp.sim, crowded_bound(loaded.trace.jobs, loaded.pools, loaded.rates)


def run_cell(loaded: study.Loaded, cfg: SimConfig, crowded_s: float,
             policy: str) -> dict[str, Any]:  # fmt: skip
    t0 = time.process_time()
    res, _ = study.run_policy(policy, loaded, cfg)
    res["cpu_s"] = time.process_time() - t0
    res["ratio_lb"] = res["avg_jct_s"] / res["lower_bound_avg_jct_s"]
    res["crowded_lb_s"] = crowded_s
    res["ratio_crowded"] = res["avg_jct_s"] / crowded_s
    return res


def spread(values: list[float], fmt: str) -> str:
    if len(values) == 1:
        return format(values[0], fmt)
    mean = statistics.fmean(values)
    return f"{format(mean, fmt)} [{format(min(values), fmt)}-{format(max(values), fmt)}]"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--jobs", type=int, nargs="+", default=[2000, 10000])
    ap.add_argument("--rate", type=float, default=3.0, help="jobs per hour")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--policies", default=",".join(builtin_policies().names()))
    ap.add_argument("--cycle-s", type=float, default=0.0)
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "bench" / "gavel_style")
    args = ap.parse_args()
    console = Console(width=150)
    names = args.policies.split(",")
    rows: list[dict[str, Any]] = []
    offered = args.rate * generate.mean_duration_s() / 3600.0
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.jobs:
            for seed in args.seeds:
                trace = Path(tmp) / f"gavel_n{n}_s{seed}.trace"
                generate.write(trace, n, args.rate, seed)
                loaded, cfg, crowded_s = load(trace, seed, args.cycle_s)
                for name in names:
                    res = run_cell(loaded, cfg, crowded_s, name)
                    res["n"] = n
                    rows.append(res)
                    console.print(
                        f"n={n} seed={seed} {name:>6}: avg JCT {res['avg_jct_s'] / 3600:6.2f} h "
                        f"({res['ratio_lb']:.3f}x LB, {res['ratio_crowded']:.3f}x crowded LB "
                        f"{crowded_s / res['lower_bound_avg_jct_s']:.3f}x LB), "
                        f"p99 {res['p99_jct_s'] / 3600:6.1f} h, "
                        f"Jain {res['jain_fairness']:.3f}, done {res['completed']}/{res['jobs']}, "
                        f"wall {res['wall_s']:.2f} s, cpu {res['cpu_s']:.2f} s"
                    )
    study.write_json(args.out / "gavel_style.json", rows)
    table = Table(
        title=f"Gavel-style traces on gavel-108, {args.rate:g} jobs/h (offered "
        f"{offered:.0f} V100-h per h), seeds {args.seeds}: mean [min-max]"
    )
    for c in ("jobs", "policy", "avg JCT h", "p99 JCT h", "Jain", "avg/LB", "avg/crowded LB",
              "wall s", "cpu s", "lost"):  # fmt: skip
        table.add_column(c, justify="right")
    for n in args.jobs:
        for name in names:
            cell = [r for r in rows if r["n"] == n and r["policy"] == name]
            table.add_row(
                f"{n:,}", name,
                spread([r["avg_jct_s"] / 3600 for r in cell], ".2f"),
                spread([r["p99_jct_s"] / 3600 for r in cell], ".1f"),
                spread([r["jain_fairness"] for r in cell], ".3f"),
                spread([r["ratio_lb"] for r in cell], ".3f"),
                spread([r["ratio_crowded"] for r in cell], ".3f"),
                spread([r["wall_s"] for r in cell], ".2f"),
                spread([r["cpu_s"] for r in cell], ".2f"),
                str(sum(r["jobs"] - r["completed"] for r in cell)),
            )  # fmt: skip
    console.print(table)


if __name__ == "__main__":
    sys.exit(main())
