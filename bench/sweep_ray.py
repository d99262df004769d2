"""Issue 13's sweep benchmark: 5 policies x 5 loads x 3 seeds of the Philly trace on the
Korea 2026 fleet, run serially and on a local Ray with every core, back to back,
``--repeat`` times (the machine may be shared: compare runs of the same minute); prints
each run's wall time and CPU time (user + sys of the ``nacc sweep`` process and the
processes under it, Ray's daemons and workers included) and the speed-up,
and checks that both give the same cells.

    python bench/sweep_ray.py [--jobs 1000] [--cpus N] [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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


def _tree_cpu(root: int, seen: dict[int, float]) -> None:
    """Record the CPU seconds (user + sys) so far of ``root`` and every process under it
    (Ray's daemons and workers included) into ``seen`` (pid -> seconds)."""
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(entry)] = int(fields[1])
        cpu[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    for pid in cpu:
        up = pid
        while up in parent and up != root and up > 1:
            up = parent[up]
        if up == root:
            seen[pid] = max(seen.get(pid, 0.0), cpu[pid])


def _run(sweep: Path, out: Path, *args: str) -> tuple[float, float]:
    """Wall seconds of one sweep, and CPU seconds of its whole process tree: sampled from
    /proc every 0.2 s (a process's last < 0.2 s is missed), or the waited-for children's
    rusage where that is more."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    seen: dict[int, float] = {}
    command = [str(NACC), "sweep", str(sweep), "--out", str(out), *args]
    null = subprocess.DEVNULL
    with subprocess.Popen(command, stdout=null, stderr=null) as proc:
        while proc.poll() is None:
            _tree_cpu(proc.pid, seen)
            time.sleep(0.2)  # a sampling period, not a synchronisation
    if proc.returncode != 0:
        raise SystemExit(f"nacc sweep {' '.join(args)} failed: exit {proc.returncode}")
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    reaped = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, max(reaped, sum(seen.values()))


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
    ap.add_argument("--repeat", type=int, default=2, help="serial + Ray pairs, back to back")
    args = ap.parse_args()
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sweep = _grid(folder, args.jobs)
        print(f"{args.jobs} jobs per cell, 75 cells; revision {_rev()}", flush=True)
        for n in range(1, args.repeat + 1):
            load = os.getloadavg()[0]
            serial, serial_cpu = _run(sweep, folder / f"serial{n}", "--serial")
            on_ray, ray_cpu = _run(sweep, folder / f"ray{n}", "--cpus", str(args.cpus))
            same = _cells(folder / f"serial{n}") == _cells(folder / f"ray{n}")
            print(f"run {n} (load average {load:.1f} -> {os.getloadavg()[0]:.1f}): serial "
                  f"{serial:.1f} s wall, {serial_cpu:.1f} s CPU; Ray on {args.cpus} CPUs "
                  f"{on_ray:.1f} s wall (its start included), {ray_cpu:.1f} s CPU; speed-up "
                  f"{serial / on_ray:.2f}x; same cells: {same}", flush=True)  # fmt: skip
            if not same:
                raise SystemExit("the Ray sweep's cells differ from the serial sweep's")


def _rev() -> str:
    done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True, check=False)  # fmt: skip
    return done.stdout.strip() or "?"


if __name__ == "__main__":
    main()
