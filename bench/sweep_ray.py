"""Issue 13's sweep benchmark: 5 policies x 5 loads x 3 seeds of the Philly trace on the
Korea 2026 fleet, run serially and on a local Ray with every core; prints both wall times
and the speed-up, and checks that both give the same cells.

    python bench/sweep_ray.py [--jobs 1000] [--cpus N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NACC = Path(sys.executable).with_name("nacc")


def _grid(folder: Path, jobs: int) -> Path:
    path = folder / "sweep.yaml"
    path.write_text(
        "name: bench\n"
        f"scenarios: [{ROOT / 'scenarios/korea-2026.yaml'}]\n"
        f"trace: {{path: {ROOT / 'data/traces/philly.csv.gz'}, format: philly, jobs: {jobs}}}\n"
        "policies: [fifo, slurm, las, gavel, nacc]\n"
        "loads: [25, 50, 100, 200, 400]\n"
        "seeds: [0, 1, 2]\n"
    )
    return path


def _run(sweep: Path, out: Path, *args: str) -> float:
    start = time.perf_counter()
    subprocess.run([str(NACC), "sweep", str(sweep), "--out", str(out), *args], check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - start


def _cells(out: Path) -> dict[str, object]:
    found = {}
    for path in (out / "cells").glob("*.json"):
        data = json.loads(path.read_text())
        data["summary"].pop("wall_s")
        found[path.stem] = data
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--jobs", type=int, default=1000)
    ap.add_argument("--cpus", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sweep = _grid(folder, args.jobs)
        print(f"load average before: {os.getloadavg()[0]:.1f}; {args.jobs} jobs per cell, "
              f"75 cells; revision {_rev()}", flush=True)  # fmt: skip
        serial = _run(sweep, folder / "serial", "--serial")
        on_ray = _run(sweep, folder / "ray", "--cpus", str(args.cpus))
        same = _cells(folder / "serial") == _cells(folder / "ray")
        print(f"serial {serial:.1f} s; Ray on {args.cpus} CPUs {on_ray:.1f} s (Ray's start "
              f"included); speed-up {serial / on_ray:.2f}x; same cells: {same}")  # fmt: skip
        print(f"load average after: {os.getloadavg()[0]:.1f}")
        if not same:
            raise SystemExit("the Ray sweep's cells differ from the serial sweep's")


def _rev() -> str:
    done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True, check=False)  # fmt: skip
    return done.stdout.strip() or "?"


if __name__ == "__main__":
    main()
