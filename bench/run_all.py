"""`make bench`: every benchmark, one after the other."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

for script in (
    "philly_korea.py",
    "philly_offered.py",
    "gavel_style.py",
    "round_micro.py",
    "round_micro.py --accelerators 100000 --pending 50000 --rounds 100 --policies nacc,fifo,slurm",
    "api_submit.py",
    "tick_write.py",
    "live_drain.py",
    "slurm_submit.py",
    "slurm_limits.py",
    "sweep_ray.py",
    "portal_pages.py",
):
    print(f"\n=== bench/{script} ===", flush=True)
    name, *args = script.split()
    subprocess.run([sys.executable, str(HERE / name), *args], check=True)
