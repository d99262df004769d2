"""Benchmark: the live scheduler draining a queue of short jobs on PostgreSQL.

A fresh PostgreSQL database (127.0.0.1:5432, user postgres) gets one funded project and
--jobs pending jobs (`true`, one accelerator, inference, each holding a reservation), as
if submitted just before; then the live scheduler (``nacc.bootstrap.build_scheduler``,
the code `nacc serve` runs, with the local dispatcher: each job is a real process) steps
every --tick-s on a demo-like fleet with enough local devices (--devices, default
H100-SXM:160,RNGD:40) until every job has ended. Each step is timed where it runs (the
step itself, the wait between steps not counted); jobs started per second is the number
started over the time from the first step to the last start, while devices were free.

With --submit-rate R (default 200), `nacc serve` (API only: NACC_NO_SCHEDULER=1, the
scheduler being this process) runs beside it on the same database, and --runs open-loop
runs of R submissions/s for --duration s are sent by `bench/loadgen/loadgen.c` while the
queue drains (their jobs join the queue); their latency p50/p99 is printed per run.
--profile FILE writes a cProfile of the scheduler's steps. --walls chain walls the jobs
in by the shell chain that ``nacc-wall`` replaced (what a machine without a C compiler
gets), to compare the two.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "integration" / "api"))
sys.path.insert(0, str(ROOT / "bench"))

from jobsetup import funded_project  # noqa: E402

from api_submit import Run, _loadgen, _port, _say, _wait_ready  # noqa: E402
from live_costs import CpuSplit, Statements  # noqa: E402
from nacc.adapters.dispatch import contain  # noqa: E402
from nacc.adapters.store.tables import Job, Project, User  # noqa: E402
from nacc.bootstrap import Settings, build_scheduler, build_services  # noqa: E402
from nacc.config import parse_devices  # noqa: E402
from nacc.ports import Outcome  # noqa: E402
from nacc.sim.metrics import percentile  # noqa: E402

ADMIN = os.environ.get("NACC_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
RESERVE = Decimal("0.02")  # what each queued job holds (about its 60 s limit on an H100)


@dataclass
class Drain:
    """Per step: when it began (monotonic s), seconds it took, jobs that really started
    (their start heard in it), jobs pending after it; launches it asked for; and seconds
    of it spent in the backend (asking for launches, polling, stopping) and in the store
    (the tick's read and write units)."""

    steps: list[tuple[float, float, int, int]] = field(default_factory=list)
    launched: list[int] = field(default_factory=list)
    thread_cpu: list[float] = field(default_factory=list)  # the step's CPU on its thread
    backend: list[float] = field(default_factory=list)
    store: list[float] = field(default_factory=list)
    first_at: float = 0.0
    ended_at: float = 0.0
    started: int = 0
    cpu: CpuSplit = field(default_factory=CpuSplit)
    sql: Statements = field(default_factory=Statements)

    def backlog(self) -> list[tuple[float, float, int, int]]:
        """The steps from the first to the last one that left jobs waiting (a backlog:
        devices were the limit, not arrivals)."""
        last = max((i for i, st in enumerate(self.steps) if st[3] > 0), default=-1)
        return self.steps[: last + 1]


def queue_jobs(svc: object, project_id: int, n: int) -> None:
    """``n`` pending jobs submitted over the last ``n`` ms, with their reservations."""
    sessions = getattr(svc, "sessions")  # noqa: B009
    now = datetime.now(UTC)
    with sessions.begin() as s:
        user = s.scalar(sa.select(User.id).order_by(User.id).limit(1))
        rows = [{"id": f"q-{i:06d}", "project_id": project_id, "submitted_by": user,
                 "command": "true", "accelerators": 1, "job_class": "inference",
                 "time_limit_s": 60, "gang": True, "state": "pending", "reason": "",
                 "submitted_at": now - timedelta(milliseconds=n - i),
                 "reserved_credits": RESERVE} for i in range(n)]  # fmt: skip
        s.execute(sa.insert(Job), rows)
        s.execute(sa.update(Project).where(Project.id == project_id)
                  .values(committed_credits=Project.committed_credits + RESERVE * n))  # fmt: skip


class _Timer:
    """Seconds spent in the wrapped calls since the last ``take``."""

    def __init__(self) -> None:
        self.spent = 0.0

    def wrap(self, fn: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.spent += time.perf_counter() - t0

        return timed

    def take(self) -> float:
        spent, self.spent = self.spent, 0.0
        return spent


class _Starts:
    """Real starts the backends reported (``Outcome.STARTED``: the process began), since
    the last ``take``; a launch is asked in one step and its start heard in a later one."""

    def __init__(self) -> None:
        self.count = 0

    def wrap(self, poll: Any) -> Any:
        def counted(now: float) -> Any:
            seen = poll(now)
            self.count += sum(1 for o in seen if o.outcome is Outcome.STARTED)
            return seen

        return counted

    def take(self) -> int:
        count, self.count = self.count, 0
        return count


def _instrument(scheduler: Any) -> tuple[_Timer, _Timer, _Starts]:
    """Time the backends' launches, polls and stops, and the store's units of work;
    count the real starts the backends report."""
    backend, store, starts = _Timer(), _Timer(), _Starts()
    for b in scheduler.engine.dispatcher.backends:
        b.poll = starts.wrap(b.poll)
        for name in ("launch", "poll", "stop"):
            setattr(b, name, backend.wrap(getattr(b, name)))
    scheduler.svc.unit = store.wrap(_timed_unit(scheduler.svc.unit, store))
    return backend, store, starts


def _timed_unit(unit: Any, timer: _Timer) -> Any:
    @contextmanager
    def timed() -> Iterator[Any]:
        t0 = time.perf_counter()
        try:
            with unit() as uow:
                yield uow
        finally:
            timer.spent += time.perf_counter() - t0

    return timed


def drain(scheduler: Any, until_idle: threading.Event) -> Drain:
    """Step like ``LiveScheduler._run`` until nothing is pending or running and
    ``until_idle`` is set (the submissions are over)."""
    engine = scheduler.engine
    backend, store, starts = _instrument(scheduler)
    db = scheduler.svc.sessions.kw["bind"]
    cpu, sql = CpuSplit(), Statements()
    sql.listen(db)
    cpu.start(db)
    out = Drain(first_at=time.monotonic(), cpu=cpu, sql=sql)
    while True:
        before = engine.starts
        at, t0, c0 = time.monotonic(), time.perf_counter(), time.thread_time()
        scheduler.loop_step(time.time())
        took = time.perf_counter() - t0
        out.thread_cpu.append(time.thread_time() - c0)
        out.launched.append(engine.starts - before)
        started = starts.take()
        out.steps.append((at, took, started, len(engine.pending)))
        out.backend.append(backend.take())
        out.store.append(store.take())
        out.started += started
        if until_idle.is_set() and not engine.pending and not engine.running:
            out.ended_at = time.monotonic()
            cpu.stop(db)
            return out
        time.sleep(scheduler.pause_s())


def _pcts(values: list[float]) -> str:
    ms = sorted(v * 1e3 for v in values)
    return (f"p50 {percentile(ms, 50):.1f} ms, p99 {percentile(ms, 99):.1f} ms, "
            f"max {ms[-1]:.1f} ms")  # fmt: skip


def _report(d: Drain, devices: int, tick_s: float, busy_s: float) -> None:
    busy = [i for i, (_, _, started, pending) in enumerate(d.steps) if started or pending]
    total = [d.steps[i][1] for i in busy]
    own = [d.steps[i][1] - d.backend[i] for i in busy]
    backlog = d.backlog()
    span = backlog[-1][0] + backlog[-1][1] - backlog[0][0] if backlog else float("nan")
    starts = sum(st[2] for st in backlog)
    print(f"drained {d.started:,} jobs on {devices} local devices, tick {tick_s:g} s "
          f"({min(busy_s, tick_s):g} s after a step that moved jobs): "
          f"{len(d.steps):,} steps in {d.ended_at - d.first_at:.1f} s; "
          f"{len(busy):,} steps started jobs or left some waiting")  # fmt: skip
    print(f"scheduler step: {_pcts(total)} (target p99 <= 100 ms)")
    print(f"  without the backend's launches and polls: {_pcts(own)}")
    print(f"  CPU of the scheduler's thread: {_pcts([d.thread_cpu[i] for i in busy])}")
    print(f"  in the backend: {_pcts([d.backend[i] for i in busy])}; "
          f"in the store: {_pcts([d.store[i] for i in busy])}")  # fmt: skip
    asked = statistics.fmean(d.launched[i] for i in busy)
    heard = statistics.fmean(d.steps[i][2] for i in busy)
    print(f"  per step: launches asked, mean {asked:.0f}; real starts heard, mean {heard:.0f}")
    print(f"jobs started per second while jobs waited for devices: {starts / span:,.0f}/s "
          f"({starts:,} in {span:.1f} s; target >= 200/s)")  # fmt: skip
    d.sql.report(len(d.steps))
    d.cpu.report()


def _submissions(base: str, token: str, project: int, args: argparse.Namespace,
                 runs: list[Run], done: threading.Event) -> None:  # fmt: skip
    try:
        n = int(args.submit_rate * args.duration)
        for _ in range(args.runs):
            runs.append(_loadgen(base, token, project, args.submit_rate, n))
    finally:
        done.set()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--jobs", type=int, default=10_000)
    ap.add_argument("--devices", default="H100-SXM:160,RNGD:40")
    ap.add_argument("--tick-s", type=float, default=0.5)
    busy = Settings.model_fields["busy_tick_s"].default
    ap.add_argument("--busy-tick-s", type=float, default=busy,
                    help="the wait after a step that moved jobs (NACC_BUSY_TICK_S); "
                    "--busy-tick-s equal to --tick-s: a step every tick, as before")  # fmt: skip
    ap.add_argument("--submit-rate", type=float, default=200.0, help="0: no submissions")
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--profile", type=Path, help="write a cProfile of the steps here")
    ap.add_argument("--profile-clock", choices=["cpu", "wall"], default="cpu",
                    help="cpu (default): the scheduler thread's CPU time, so time the thread "
                    "waited (for the server, or for a core on a busy machine) is not counted; "
                    "wall: elapsed time")  # fmt: skip
    ap.add_argument("--jobs-nice", type=int, default=0,
                    help="run the launchers at this niceness (the jobs they start run at "
                    "NACC_JOB_NICE, default 0, or this if higher)")  # fmt: skip
    ap.add_argument("--walls", choices=["wall", "chain"], default="wall",
                    help="wall (default): jobs walled in by nacc-wall where built; chain: "
                    "by the shell chain it replaced (unshare, sh, setpriv, head)")  # fmt: skip
    args = ap.parse_args()
    if args.walls == "chain":  # what a machine without the built program gets
        contain.wall_program = lambda: None
    print(f"walls: {contain.Containment().program() or 'the shell chain'}")
    _context("before")
    name = f"nacc_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    db = make_url(ADMIN).set(database=name).render_as_string(hide_password=False)
    tmp = Path(tempfile.mkdtemp(prefix="nacc-bench-"))
    tmp.chmod(0o711)  # contained jobs (as root) pass through it to their directories
    try:
        _run(db, tmp, args)
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        shutil.rmtree(tmp, ignore_errors=True)
        _context("after")


def _renice_launchers(nice: int) -> None:
    """The local dispatcher's launchers (this process's children other than `nacc serve`)
    at ``nice``: the jobs they start inherit it."""
    import psutil

    for child in psutil.Process().children():
        if not any(part.endswith("nacc") for part in child.cmdline()[:2]):
            child.nice(nice)
            print(f"launcher {child.pid} at nice {nice}")


def _context(when: str) -> None:
    """When, on what load and at which code revision the bench ran."""
    rev = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                         capture_output=True, text=True).stdout.strip()  # fmt: skip
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{when}: {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC, load average {load}, "
          f"{os.cpu_count()} cores, code {rev or 'unknown'}")  # fmt: skip


def _run(db: str, tmp: Path, args: argparse.Namespace) -> None:
    devices = parse_devices(args.devices)
    settings = Settings(database_url=db, workdir=tmp / "jobs", devices=devices,
                        tick_s=args.tick_s, busy_tick_s=args.busy_tick_s)  # fmt: skip
    print(f"jobs at nice {settings.job_nice} (NACC_JOB_NICE)")
    svc = build_services(settings)
    f = funded_project(svc, credits=Decimal(10**7))
    queue_jobs(svc, f.project_id, args.jobs)
    server, base = None, ""
    if args.submit_rate > 0:
        port = _port()
        env = dict(os.environ, NACC_DATABASE_URL=db, NACC_HOME=str(tmp), NACC_NO_SCHEDULER="1")
        nacc = str(Path(sys.executable).parent / "nacc")
        server = subprocess.Popen([nacc, "serve", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base, scheduler=False)
        warm = _loadgen(base, f.pi, f.project_id, args.submit_rate, int(args.submit_rate))
        _say("warm-up, 1 s (not counted)", warm)
    try:
        scheduler = build_scheduler(settings, svc)
        if args.jobs_nice:
            _renice_launchers(args.jobs_nice)
        scheduler.recover(time.time())
        idle, runs = threading.Event(), []
        if server is None:
            idle.set()
        else:
            threading.Thread(target=_submissions, daemon=True,
                             args=(base, f.pi, f.project_id, args, runs, idle)).start()  # fmt: skip
        clock = time.thread_time if args.profile_clock == "cpu" else time.perf_counter
        prof = cProfile.Profile(clock) if args.profile else None
        if prof is not None:
            prof.enable()
        result = drain(scheduler, idle)
        if prof is not None:
            prof.disable()
            prof.dump_stats(str(args.profile))
        _report(result, sum(devices.values()), args.tick_s, args.busy_tick_s)
        for i, run in enumerate(runs, 1):
            _say(f"submissions while draining, run {i}", run)
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        svc.sessions.kw["bind"].dispose()


if __name__ == "__main__":
    main()
