"""Benchmark: the live scheduler's tick write alone, on PostgreSQL, without processes.

A fresh PostgreSQL database (127.0.0.1:5432, user postgres) gets one project and
--rounds x --jobs pending jobs; each round writes the tick that starts --jobs of them
and then the tick that ends and charges them while --waits others get a pending reason
(``SchedulerRepo.write`` through ``store.unit()``, as ``nacc.service.live`` does). Per
write it measures the wall time, the client's CPU time (this thread) and the CPU time of
the PostgreSQL backend that ran it (in clock ticks of 10 ms: its mean is the figure to
read), and prints the mean, p50 and p99 of each for the starting and the ending ticks.
With no job processes, launchers or API beside it, this is the store's cost of a tick,
apart from what a loaded machine adds; run it for two revisions in the same minutes to
compare them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psutil
import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from contract.store.scheduler_world import T0, Seed, add_jobs, add_project  # noqa: E402
from contract.store.test_store_scheduler import _charge, _end, _start  # noqa: E402
from nacc.adapters.store import make_engine, make_sessionmaker, upgrade  # noqa: E402
from nacc.adapters.store.sql_store import SqlStore  # noqa: E402
from nacc.domain.reasons import Code, Reason  # noqa: E402
from nacc.ports.store_scheduler import TickWrites, Waiting  # noqa: E402

ADMIN = os.environ.get("NACC_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _cpu(pid: int) -> float:
    t = psutil.Process(pid).cpu_times()
    return t.user + t.system


def _measure(store: SqlStore, backend: int, tick: TickWrites) -> tuple[float, float, float]:
    w0, c0, s0 = time.perf_counter(), time.thread_time(), _cpu(backend)
    with store.unit() as uow:
        done = uow.scheduler.write(tick)
    took = (time.perf_counter() - w0, time.thread_time() - c0, _cpu(backend) - s0)
    assert not done.refused, done.refused[:3]
    return took


def _pcts(label: str, rows: list[tuple[float, float, float]]) -> None:
    def p(values: list[float], q: int) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] * 1e3

    cols = list(zip(*rows, strict=True))
    names = ("wall", "client CPU", "server CPU")
    parts = [f"{n} p50 {p(list(c), 50):.1f} ms, p99 {p(list(c), 99):.1f} ms"
             for n, c in zip(names, cols, strict=True)]  # fmt: skip
    means = [statistics.fmean(c) * 1e3 for c in cols]
    print(
        f"{label} ({len(rows)} writes; mean wall {means[0]:.1f} ms, client CPU "
        f"{means[1]:.1f} ms, server CPU {means[2]:.1f} ms): " + "; ".join(parts)
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--jobs", type=int, default=150, help="jobs started, then ended, per round")
    ap.add_argument("--waits", type=int, default=200, help="pending reasons per ending tick")
    ap.add_argument("--rounds", type=int, default=30)
    args = ap.parse_args()
    name = f"nacc_tick_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(ADMIN).set(database=name).render_as_string(hide_password=False)
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
    try:
        upgrade(url)
        engine = make_engine(url, pool_size=1, max_overflow=0)
        store = SqlStore(make_sessionmaker(engine))
        _run(store, engine, args)
        engine.dispose()
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _run(store: SqlStore, engine: sa.Engine, args: argparse.Namespace) -> None:
    pid = add_project(store, "bench")
    n, w = args.jobs, args.waits
    ids = [f"t-{i:07d}" for i in range(args.rounds * n + w)]
    add_jobs(store, pid, [Seed(i, T0 + timedelta(milliseconds=k), Decimal(1))
                          for k, i in enumerate(ids)])  # fmt: skip
    with engine.connect() as c:
        backend = int(c.scalar(sa.text("SELECT pg_backend_pid()")))
    why = Reason.of(Code.WAITING_FOR_CAPACITY, pool="local-h100", needed=1, free=0)
    waiting = ids[-w:] if w else []
    starts, ends = [], []
    for r in range(args.rounds):
        batch = ids[r * n : (r + 1) * n]
        starts.append(_measure(store, backend, TickWrites(moves=[_start(i) for i in batch])))
        waits = [Waiting(i, why, f"waiting {r}", T0 + timedelta(seconds=r)) for i in waiting]
        tick = TickWrites(moves=[_end(i) for i in batch],
                          charges=[_charge(i, pid, 10, 20, "0.1") for i in batch],
                          waits=waits)  # fmt: skip
        ends.append(_measure(store, backend, tick))
    _pcts(f"tick starting {n} jobs", starts)
    _pcts(f"tick ending and charging {n} jobs, {w} pending reasons", ends)


if __name__ == "__main__":
    main()
