"""Benchmark: job submission over loopback against PostgreSQL, at a bounded rate.

Starts `nacc serve` on a fresh PostgreSQL database (127.0.0.1:5432, user postgres), makes
a funded project, then submits jobs open-loop at --rate requests/s for --duration s
(fixed request count = rate x duration), --runs times on the same server after a
warm-up of --warmup seconds at the same rate (printed apart, not counted), and prints
p50/p99 latency and achieved requests/s for each run, plus a plot of every request's
latency over time. Target: p99 < 50 ms at 200 requests/s.

The load comes from `bench/loadgen/loadgen.c`, built with the system C compiler: an
open-loop client with uniform arrivals that measures latency from each request's due
time, and costs the server little CPU. `--client hey` uses `hey` instead (Debian package;
its rate-limited workers tick in step, so arrivals come in bursts), `--client python` an
asyncio/httpx client in this process (which needs most of a core by itself at 200
requests/s on a 2-core machine).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "integration" / "api"))

from jobsetup import funded_project  # noqa: E402

from nacc.bootstrap import Settings, build_services  # noqa: E402
from nacc.sim.metrics import percentile  # noqa: E402

ADMIN = os.environ.get("NACC_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BODY = '{"command": "true", "accelerators": 1, "job_class": "inference", "time_limit_s": 60}'


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _fire(url: str, token: str, project: int, rate: float, n: int) -> list[float]:
    lat: list[float] = []
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    headers = {"Authorization": f"Bearer {token}"}
    body = {"command": "true", "accelerators": 1, "job_class": "inference", "time_limit_s": 60}
    async with httpx.AsyncClient(base_url=url, limits=limits, headers=headers) as client:

        async def one(i: int) -> None:
            t0 = time.perf_counter()
            r = await client.post(f"/projects/{project}/jobs", json=body)
            lat.append(time.perf_counter() - t0)
            if r.status_code != 201:
                raise RuntimeError(f"request {i}: {r.status_code} {r.text[:200]}")

        start = time.perf_counter()
        tasks = []
        for i in range(n):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
        lat.append(-(time.perf_counter() - start))  # marker: total wall time
    return lat


@dataclass
class Run:
    """One measured run of the C load generator."""

    total: int
    ok: int
    rps: float
    p50: float
    p99: float
    top: float
    mean: float
    trace: list[tuple[float, float]]  # (due s, latency ms) per request


def _loadgen_exe() -> Path:
    src = ROOT / "bench" / "loadgen" / "loadgen.c"
    exe = Path(tempfile.gettempdir()) / "nacc-loadgen"
    if not exe.exists() or exe.stat().st_mtime < src.stat().st_mtime:
        subprocess.run(["cc", "-O2", "-pthread", "-o", str(exe), str(src)], check=True)
    return exe


def _loadgen(url: str, token: str, project: int, rate: float, n: int, conns: int = 16) -> Run:
    """The open-loop C client in bench/loadgen (built here with the system compiler)."""
    port = url.rsplit(":", 1)[1]
    args = [str(_loadgen_exe()), "127.0.0.1", port, f"/projects/{project}/jobs", token, BODY]
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as trace:
        env = dict(os.environ, LOADGEN_TRACE=trace.name)
        cmd = [*args, str(rate), str(n), str(conns)]
        out = subprocess.run(cmd, capture_output=True, text=True, env=env).stdout
        rows = [line.split() for line in trace.read().splitlines()]
    total, ok, rps, p50, p99, top, mean = out.split()
    points = [(float(due), float(ms)) for due, ms, _ in rows]
    return Run(int(total), int(ok), float(rps), float(p50), float(p99), float(top), float(mean),
               points)  # fmt: skip


class ServerCpu:
    """CPU seconds (user + system) of the `nacc serve` process (every thread) and of the
    PostgreSQL backends connected to its database, between ``start`` and ``take``: what
    one run's submissions cost the server, whatever else the machine was doing."""

    def __init__(self, pid: int, db: str) -> None:
        self.pid, self.db = pid, db
        self.admin = sa.create_engine(ADMIN, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
        self.began: dict[int, float] = {}

    def _sample(self) -> dict[int, float]:
        import psutil

        with self.admin.connect() as c:
            pids = c.execute(sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :d"),
                             {"d": self.db}).scalars().all()  # fmt: skip
        out = {}
        for pid in [self.pid, *pids]:
            try:
                t = psutil.Process(pid).cpu_times()
            except psutil.Error:
                continue
            out[pid] = t.user + t.system
        return out

    def start(self) -> None:
        self.began = self._sample()

    def take(self, n: int) -> str:
        """What the run of ``n`` submissions cost, in words; starts the next run."""
        end = self._sample()
        spent = {pid: s - self.began.get(pid, 0.0) for pid, s in end.items()}
        api = spent.pop(self.pid, 0.0)
        pg = sum(spent.values())
        self.began = end
        return (f"server CPU {api + pg:.2f} s: {1e3 * (api + pg) / n:.2f} ms per submission "
                f"(API process {1e3 * api / n:.2f} ms, its PostgreSQL backends "
                f"{1e3 * pg / n:.2f} ms)")  # fmt: skip


def _say(label: str, run: Run) -> None:
    print(
        f"{label}: {run.ok}/{run.total} answered 2xx; achieved {run.rps:,.1f} requests/s; "
        f"latency p50 {run.p50:.1f} ms, p99 {run.p99:.1f} ms, max {run.top:.1f} ms, "
        f"mean {run.mean:.1f} ms"
    )


def _plot(runs: list[Run], rate: float, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 4))
    for i, run in enumerate(runs, 1):
        ax.plot([t for t, _ in run.trace], [ms for _, ms in run.trace], lw=0.7,
                label=f"run {i}: p99 {run.p99:.1f} ms")  # fmt: skip
    ax.axhline(50, color="red", ls="--", lw=1, label="target p99 50 ms")
    ax.set_yscale("log")
    ax.set_xlabel("request due time (s)")
    ax.set_ylabel("latency from due time (ms)")
    ax.set_title(f"POST /projects/{{id}}/jobs at {rate:g}/s on PostgreSQL, loopback")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def _hey(url: str, token: str, project: int, rate: float, n: int) -> None:
    workers = 8  # hey's workers tick in step: arrivals come in bursts of up to 8
    body = BODY
    cmd = ["hey", "-n", str(n), "-c", str(workers), "-q", f"{rate / workers:g}", "-m", "POST",
           "-T", "application/json", "-H", f"Authorization: Bearer {token}", "-d", body,
           f"{url}/projects/{project}/jobs"]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    stats = dict(re.findall(r"^\s*(Requests/sec|Slowest|Fastest|Average):\s*([\d.]+)", out, re.M))
    pct = dict(re.findall(r"^\s*(\d+)% in ([\d.]+) secs", out, re.M))
    codes = re.findall(r"\[(\d{3})\]\s+(\d+) responses", out)
    print(
        f"submitted {n} jobs with hey at a target of {rate:g}/s ({workers} workers), "
        f"loopback, PostgreSQL; responses {codes}"
    )
    print(
        f"achieved {float(stats['Requests/sec']):,.1f} requests/s; latency p50 "
        f"{float(pct['50']) * 1e3:.1f} ms, p99 {float(pct['99']) * 1e3:.1f} ms, "
        f"max {float(stats['Slowest']) * 1e3:.1f} ms, mean {float(stats['Average']) * 1e3:.1f} ms"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--runs", type=int, default=3, help="measured runs on the same server")
    ap.add_argument("--warmup", type=float, default=1.0,
                    help="seconds of load at the same rate before the measured runs "
                    "(printed, not counted: a fresh server's first requests compile "
                    "statements and fill caches)")  # fmt: skip
    ap.add_argument("--client", choices=["auto", "c", "hey", "python"], default="auto")
    ap.add_argument("--api-only", action="store_true", help="NACC_NO_SCHEDULER=1")
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "bench")
    args = ap.parse_args()
    if args.runs < 1 or args.rate <= 0 or args.duration <= 0 or args.warmup < 0:
        ap.error("--runs must be at least 1, --rate and --duration positive, --warmup >= 0")
    name = f"nacc_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url_db = make_url(ADMIN).set(database=name).render_as_string(hide_password=False)
    tmp = Path(tempfile.mkdtemp(prefix="nacc-bench-"))
    try:
        _run(url_db, tmp, args)
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        shutil.rmtree(tmp, ignore_errors=True)


def _wait_ready(base: str, scheduler: bool, timeout: float = 60) -> None:
    """Until the API answers and (unless API-only) the scheduler has beaten."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            health = httpx.get(base + "/healthz").json()
            if not scheduler or health.get("scheduler") == "ok":
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"nacc serve at {base} not ready after {timeout:.0f} s")


def _run(db: str, tmp: Path, args: argparse.Namespace) -> None:
    rate, client = args.rate, args.client
    svc = build_services(Settings(database_url=db, workdir=tmp / "jobs"))
    f = funded_project(svc, credits=Decimal(10**6))
    svc.sessions.kw["bind"].dispose()
    port = _port()
    env = dict(os.environ, NACC_DATABASE_URL=db, NACC_HOME=str(tmp))
    if args.api_only:
        env["NACC_NO_SCHEDULER"] = "1"
    nacc = str(Path(sys.executable).parent / "nacc")
    server = subprocess.Popen(
        [nacc, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base, scheduler=not args.api_only)
        n = int(rate * args.duration)
        if client == "c" or (client == "auto" and shutil.which("cc")):
            what = "the API alone" if args.api_only else "the API and its live scheduler"
            print(
                f"{args.runs} runs of {n} submissions open-loop at {rate:g}/s (uniform arrivals, "
                f"16 keep-alive connections, loopback) to {what} on PostgreSQL; every job is "
                "then scheduled, run, metered and charged"
            )
            if args.warmup > 0:
                warm = _loadgen(base, f.pi, f.project_id, rate, int(rate * args.warmup))
                _say(f"warm-up, {args.warmup:g} s (not counted)", warm)
            runs = []
            cpu = ServerCpu(server.pid, make_url(db).database or "")
            for i in range(args.runs):
                cpu.start()
                runs.append(_loadgen(base, f.pi, f.project_id, rate, n))
                _say(f"run {i + 1}", runs[-1])
                print(f"  {cpu.take(n)}")
            p99s = sorted(r.p99 for r in runs)
            met = sum(p < 50 for p in p99s)
            print(
                f"p99 over {len(runs)} runs: {', '.join(f'{r.p99:.1f}' for r in runs)} ms "
                f"(median {statistics.median(p99s):.1f}, worst {p99s[-1]:.1f}); "
                f"target p99 < 50 ms met in {met} of {len(runs)} runs"
            )
            _plot(runs, rate, args.out / "api_submit.png")
            print(f"latency over time: {args.out / 'api_submit.png'}")
            return
        if client == "hey" or (client == "auto" and shutil.which("hey")):
            _hey(base, f.pi, f.project_id, rate, n)
            return
        lat = asyncio.run(_fire(base, f.pi, f.project_id, rate, n))
        wall = -lat.pop()
        lat.sort()
        print(f"submitted {n} jobs at a target of {rate:g}/s over loopback, PostgreSQL")
        print(
            f"achieved {n / wall:,.1f} requests/s; latency p50 {percentile(lat, 50) * 1e3:.1f} ms, "
            f"p99 {percentile(lat, 99) * 1e3:.1f} ms, max {lat[-1] * 1e3:.1f} ms, "
            f"mean {statistics.fmean(lat) * 1e3:.1f} ms"
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
