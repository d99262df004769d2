"""The live benchmarks run as docs/benchmarks.md writes them (small, so they are
quick): ``live_drain.py`` drains every job on PostgreSQL and prints what the three
targets are judged by, the SQL statements' times and the CPU split; ``tick_write.py``
times both kinds of tick write."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.usefixtures("pg_admin")  # skips, saying why, without PostgreSQL
@pytest.mark.parametrize("walls", ["wall", "chain"])
def test_the_live_drain_bench_drains_its_queue_and_reports(walls: str) -> None:
    cmd = [sys.executable, str(ROOT / "bench" / "live_drain.py"), "--jobs", "30",
           "--devices", "H100-SXM:4", "--submit-rate", "0", "--jobs-nice", "5",
           "--walls", walls]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=240, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert ("walls: the shell chain" in out) == (walls == "chain"), out
    assert "drained 30 jobs on 4 local devices" in out, out
    for needed in ("scheduler step: p50", "jobs started per second", "SQL statements",
                   "SELECT jobs FOR UPDATE", "CPU seconds over the drain",
                   "job processes (reaped by the launchers)", "load average"):  # fmt: skip
        assert needed in out, (needed, out)


@pytest.mark.usefixtures("pg_admin")
def test_the_tick_write_bench_runs_and_reports_both_ticks() -> None:
    cmd = [sys.executable, str(ROOT / "bench" / "tick_write.py"), "--jobs", "5", "--waits",
           "3", "--rounds", "2"]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "tick starting 5 jobs (2 writes" in done.stdout, done.stdout
    assert "tick ending and charging 5 jobs, 3 pending reasons (2 writes" in done.stdout
