"""Where a live drain's time goes, for bench/live_drain.py: SQL statements and CPU.

``Statements`` times every statement the scheduler's engine sends (SQLAlchemy's cursor
events: from just before psycopg's ``execute`` to just after, so the client's parameter
conversion, the round trip and the server's work, and any wait for a CPU on a busy
machine) and counts the rows its one parameter carries, by statement kind.

``CpuSplit`` reads the CPU time (user + system) spent during the drain by this process
(the scheduler: every thread of it), its child processes (the local dispatcher's
launchers), what those reaped (the jobs' processes: each wrapper and what it waited
for), the PostgreSQL backends connected to the bench's database, and the whole machine
(all its cores), so what the rest of the machine took can be told apart; with the API
beside it, also the `nacc serve` process and the other backends on the bench's database
(the API's: a backend that connects during the drain is counted from zero).
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import psutil
import sqlalchemy as sa


def _kind(statement: str) -> str:
    """``INSERT job_events``, ``UPDATE jobs``, ``SELECT jobs FOR UPDATE``, ..."""
    words = statement.split()
    head = words[0].upper() if words else "?"
    upper = [w.upper() for w in words]
    table = ""
    for key in ("FROM",) if head == "SELECT" else ("INTO", "UPDATE", "FROM"):
        if key in upper:
            i = upper.index(key)
            if i + 1 < len(words):
                table = words[i + 1].strip('"(')
                break
    lock = " FOR UPDATE" if "FOR UPDATE" in statement.upper() else ""
    return f"{head} {table}{lock}".strip()


def _rows(params: Any) -> int:
    """Rows carried by a statement's one JSON ``rows`` (or ``ids``) parameter, else 1."""
    if isinstance(params, dict):
        for key in ("rows", "ids"):
            value = params.get(key)
            if isinstance(value, str) and value.startswith("["):
                return len(json.loads(value))
    return 1


@dataclass
class Statements:
    """Seconds and rows per statement kind, since ``start``."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    count: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    rows: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def listen(self, engine: sa.Engine) -> None:
        def before(conn: Any, cursor: Any, statement: str, params: Any, context: Any,
                   many: bool) -> None:  # fmt: skip
            conn.info["nacc_bench_t0"] = time.perf_counter()

        def after(conn: Any, cursor: Any, statement: str, params: Any, context: Any,
                  many: bool) -> None:  # fmt: skip
            took = time.perf_counter() - conn.info.pop("nacc_bench_t0", time.perf_counter())
            kind = _kind(statement)
            self.seconds[kind] += took
            self.count[kind] += 1
            self.rows[kind] += len(params) if many else _rows(params)

        def commit(conn: Any) -> None:
            conn.info["nacc_bench_commit"] = time.perf_counter()

        def checkin(dbapi_conn: Any, record: Any) -> None:
            t0 = record.info.pop("nacc_bench_commit", None)
            if t0 is not None:
                self.seconds["COMMIT (to the pool's check-in)"] += time.perf_counter() - t0
                self.count["COMMIT (to the pool's check-in)"] += 1

        sa.event.listen(engine, "before_cursor_execute", before)
        sa.event.listen(engine, "after_cursor_execute", after)
        sa.event.listen(engine, "commit", commit)
        sa.event.listen(engine.pool, "checkin", checkin)

    def report(self, steps: int) -> None:
        total = sum(self.seconds.values())
        print(f"SQL statements of the scheduler ({steps} steps; {total * 1e3:,.0f} ms in all, "
              f"{total * 1e3 / max(steps, 1):.1f} ms per step):")  # fmt: skip
        for kind in sorted(self.seconds, key=lambda k: -self.seconds[k]):
            n = self.count[kind]
            print(f"  {kind:<40} {n:>6} runs  {self.seconds[kind] * 1e3:>9,.0f} ms  "
                  f"{self.seconds[kind] * 1e3 / n:>7.2f} ms each  "
                  f"{self.rows[kind] / n:>7.1f} rows each")  # fmt: skip


def _cpu(p: psutil.Process) -> tuple[float, float]:
    """(own, reaped children's) CPU seconds of ``p``; zeros if it is gone."""
    try:
        t = p.cpu_times()
    except psutil.Error:
        return 0.0, 0.0
    return t.user + t.system, t.children_user + t.children_system


@dataclass
class CpuSplit:
    """CPU seconds by role between ``start`` and ``stop``. PostgreSQL's backends are
    those the engine's pool hands out (``backend_pid`` at each check-out), each counted
    from when it is first seen."""

    backends: dict[int, float] = field(default_factory=dict)
    began: dict[str, float] = field(default_factory=dict)
    spent: dict[str, float] = field(default_factory=dict)
    wall_s: float = 0.0
    _t0: float = 0.0
    _api_pg: dict[int, float] = field(default_factory=dict)

    def _checkout(self, dbapi_conn: Any, record: Any, proxy: Any) -> None:
        pid = int(dbapi_conn.info.backend_pid)
        if pid not in self.backends:
            self.backends[pid] = _cpu(psutil.Process(pid))[0] if psutil.pid_exists(pid) else 0.0

    def _sample(self) -> dict[str, float]:
        me = psutil.Process()
        own, _ = _cpu(me)
        launchers = jobs = api = 0.0
        for child in me.children():
            a, b = _cpu(child)
            if any(part.endswith("nacc") for part in _cmdline(child)[:2]):
                api += a + b  # `nacc serve`: the API, counted apart
            else:
                launchers, jobs = launchers + a, jobs + b
        machine = psutil.cpu_times()
        busy = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)
        return {"scheduler": own, "launchers": launchers, "jobs": jobs, "api": api,
                "machine": busy}  # fmt: skip

    def _others(self, engine: sa.Engine) -> dict[int, float]:
        """CPU seconds of the other PostgreSQL backends on the bench's database (the
        API's: `nacc serve` beside the scheduler), by pid."""
        with engine.connect() as c:
            pids = c.execute(
                sa.text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = "
                    "current_database() AND pid <> pg_backend_pid()"
                )
            )
            found = [int(p) for p in pids.scalars()]
        return {p: _cpu(psutil.Process(p))[0] for p in found
                if p not in self.backends and psutil.pid_exists(p)}  # fmt: skip

    def start(self, engine: sa.Engine) -> None:
        sa.event.listen(engine.pool, "checkout", self._checkout)
        self.began = self._sample()
        self._api_pg = self._others(engine)
        self._t0 = time.monotonic()

    def stop(self, engine: sa.Engine) -> None:
        end = self._sample()
        self.wall_s = time.monotonic() - self._t0
        self.spent = {k: end[k] - self.began.get(k, 0.0) for k in end}
        self.spent["postgres"] = sum(_cpu(psutil.Process(pid))[0] - t0 for pid, t0 in
                                     self.backends.items() if psutil.pid_exists(pid))  # fmt: skip
        end_pg = self._others(engine)
        self.spent["api_pg"] = sum(t - self._api_pg.get(p, 0.0) for p, t in end_pg.items())
        sa.event.remove(engine.pool, "checkout", self._checkout)

    def report(self) -> None:
        s, w = self.spent, self.wall_s
        ours = s["scheduler"] + s["launchers"] + s["jobs"] + s["postgres"]
        print(
            f"CPU seconds over the drain ({w:.1f} s wall, {psutil.cpu_count()} cores; "
            f"machine busy {s['machine']:.1f} s of {w * (psutil.cpu_count() or 1):.1f} s):"
        )
        for role, label in (
            ("scheduler", "scheduler process (this one, all threads)"),
            ("launchers", "launcher processes"),
            ("jobs", "job processes (reaped by the launchers)"),
            ("postgres", "PostgreSQL backends of the scheduler's connections"),
        ):
            print(f"  {label:<52} {s[role]:>7.1f} s  {100 * s[role] / max(ours, 1e-9):>5.1f}%"
                  f"  ({s[role] / max(w, 1e-9):.2f} cores)")  # fmt: skip
        if s["api"]:
            print(f"  API process (`nacc serve`) {s['api']:.1f} s; its PostgreSQL backends "
                  f"{s['api_pg']:.1f} s")  # fmt: skip
        rest = s["machine"] - ours - s["api"] - s["api_pg"]
        print(f"  rest of the machine (other sessions, PostgreSQL's shared processes, the "
              f"load generator) {rest:.1f} s")  # fmt: skip


def _cmdline(p: psutil.Process) -> list[str]:
    try:
        return p.cmdline()
    except psutil.Error:
        return []
