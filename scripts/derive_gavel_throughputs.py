"""Regenerate the measured-throughput files bundled in ``src/nacc/data``.

Reads the shared trace folder (``../shared/data/traces`` beside the repository, or the
folder given as the first argument) and writes:

* ``src/nacc/data/gavel_throughputs.csv``: the isolated (``"null"``) throughputs in
  steps/s of the consolidated Gavel worker types ``k80``, ``p100``, ``v100`` from
  stanford-futuredata/gavel@c4fa40097339e9608ab71fd64c8bdea96a5e4a4c
  ``scheduler/simulation_throughputs.json`` (MIT).
* ``src/nacc/data/pollux_t4_placements.csv``: the single-GPU (placement ``1``) step times
  of the Pollux ``cifar10`` and ``imagenet`` apps, measured on NVIDIA T4, from
  petuum/adaptdl@c793c7089bd307462686339d29707925c461f9a9 (branch osdi21-artifact)
  ``simulator/traces/<app>/placements.csv`` (Apache-2.0).

Usage: ``python scripts/derive_gavel_throughputs.py [TRACES_DIR]``
"""

from __future__ import annotations

import ast
import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "src" / "nacc" / "data"
WORKER_TYPES = ("k80", "p100", "v100")
POLLUX_APPS = ("cifar10", "imagenet")


def gavel_rows(traces: Path) -> list[tuple[str, int, str, float]]:
    """Isolated throughputs, sorted by workload, scale factor, worker type."""
    with (traces / "gavel" / "simulation_throughputs.json").open() as f:
        table = json.load(f)
    rows = []
    for worker in WORKER_TYPES:
        for key, entry in table[worker].items():
            workload, scale = ast.literal_eval(key)
            rows.append((str(workload), int(scale), worker, float(entry["null"])))
    rows.sort(key=lambda r: (r[0], r[1], WORKER_TYPES.index(r[2])))
    return rows


def pollux_rows(traces: Path) -> list[tuple[str, int, float]]:
    """Single-GPU step times (seconds) per app and local batch size."""
    rows = []
    for app in POLLUX_APPS:
        with (traces / "pollux" / "traces" / app / "placements.csv").open() as f:
            for rec in csv.DictReader(f):
                if rec["placement"] == "1":
                    rows.append((app, int(rec["local_bsz"]), float(rec["step_time"])))
    rows.sort()
    return rows


def main(argv: list[str]) -> int:
    traces = Path(argv[1]) if len(argv) > 1 else ROOT.parent / "shared" / "data" / "traces"
    with (DATA / "gavel_throughputs.csv").open("w", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["workload", "scale_factor", "worker_type", "steps_per_s"])
        for workload, scale, worker, steps in gavel_rows(traces):
            out.writerow([workload, scale, worker, repr(steps)])
    with (DATA / "pollux_t4_placements.csv").open("w", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["app", "local_bsz", "step_time_s"])
        for app, bsz, step in pollux_rows(traces):
            out.writerow([app, bsz, repr(step)])
    print(f"wrote {DATA / 'gavel_throughputs.csv'} and {DATA / 'pollux_t4_placements.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
