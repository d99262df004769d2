"""Benchmark: every portal page and report at the issue's scale, on PostgreSQL.

Issue 10's target: with 10,000 jobs, 1,000 projects and a year of ledger entries in
PostgreSQL, each page and report answers p95 < 100 ms on this machine; the largest page's
assets < 500 KB compressed.

Makes a fresh database (127.0.0.1:5432, user postgres), migrates it, writes the data by
bulk inserts (``bench/portal_seed.py``: 30,000 metered intervals and their usage entries
over the last year; the PI's own project holds 1,000 of the jobs), starts ``nacc serve``
on it (the korea-2026 fleet in miniature, ``NACC_NO_SCHEDULER=1``: nothing changes the
rows while they are timed), signs in each persona through the sign-in form, then asks
every page and report ``--repeat`` times one after the other (after ``--warmup`` asks
that are not counted) and prints p50/p95/max wall time per page with the server's CPU
time per request (from ``/proc``, less noisy than wall time on a shared machine), the
compressed size of each page's assets, and a bar chart of the p95s
(``out/bench/portal_pages.png``).
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import sqlalchemy as sa
from rich.progress import Progress
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from nacc.bootstrap import Settings, build_services, fleet  # noqa: E402
from nacc.scenario import shipped_scenario_path  # noqa: E402
from nacc.sim.metrics import percentile  # noqa: E402
from portal_seed import Cast, Scale, cast, seed  # noqa: E402

ADMIN = os.environ.get("NACC_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TARGET_MS = 100.0
ASSET_LIMIT = 500 * 1024
ASSET = re.compile(r"""(?:src|href)="(/static/[^"]+)\"""")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
TICKS = os.sysconf("SC_CLK_TCK")


def pages(c: Cast) -> list[tuple[str, str, str]]:
    """(persona, label, path) of every page and report timed."""
    return [
        ("pi", "my projects", "/"),
        ("pi", "a project (1,000 jobs)", f"/portal/projects/{c.project}"),
        ("pi", "a job", f"/portal/jobs/{c.job}"),
        ("pi", "a job's live fragment", f"/portal/jobs/{c.job}/live"),
        ("pi", "calls", "/portal/calls"),
        ("pi", "apply", f"/portal/calls/{c.open_call}/apply"),
        ("reviewer", "review", "/portal/review"),
        ("reviewer", "a proposal to review", f"/portal/review/proposals/{c.proposal}"),
        ("officer", "programs and calls", "/portal/programs"),
        ("officer", "a call (50 proposals)", f"/portal/calls/{c.call}/manage"),
        ("officer", "reports page", "/portal/reports"),
        ("officer", "reports page by org, week", "/portal/reports?by=org&period=week"),
        ("officer", "reports CSV", "/portal/reports.csv"),
        ("operator", "fleet", "/portal/fleet"),
        ("operator", "people", "/portal/people"),
        ("operator", "API usage by program, month", "/reports/usage?by=program&period=month"),
        ("operator", "API usage by org, type, day", "/reports/usage?by=org,type&period=day"),
        ("operator", "API waits by size", "/reports/waits?by=size"),
        ("operator", "API waits by program", "/reports/waits?by=program"),
        ("operator", "API queue", "/queue"),
        ("operator", "API history of a project", "/history?project=1"),
        ("operator", "API history, every project", "/history"),
    ]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and its reaped children so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / TICKS


def sign_in(base: str, token: str) -> httpx.Client:
    """A client holding a portal session (through the sign-in form) and the token."""
    client = httpx.Client(base_url=base, timeout=60,
                          headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    form = client.get("/portal/signin")
    found = CSRF.search(form.text)
    if found is None:
        raise SystemExit("the sign-in form has no csrf field")
    r = client.post("/portal/signin", data={"csrf": found.group(1), "token": token})
    if r.status_code != 303 or "nacc_session" not in client.cookies:
        raise SystemExit(f"sign-in refused: {r.status_code} {r.text[:200]}")
    return client


@dataclass
class Timed:
    persona: str
    label: str
    path: str
    ms: list[float]
    cpu_ms: float  # the server's CPU per request
    bytes: int
    assets_gz: int  # the page's /static files, gzip -9, summed

    @property
    def p95(self) -> float:
        return percentile(sorted(self.ms), 95)


def assets_gz(client: httpx.Client, html: str) -> int:
    total = 0
    for path in sorted(set(ASSET.findall(html))):
        body = client.get(path).content
        total += len(gzip.compress(body, compresslevel=9))
    return total


def time_pages(base: str, server: int, cast: Cast, warmup: int, repeat: int,
               only: str = "") -> list[Timed]:  # fmt: skip
    clients = {who: sign_in(base, tok) for who, tok in cast.tokens.items()}
    out = []
    todo = [p for p in pages(cast) if only in p[1]]
    with Progress(transient=True) as bar:
        task = bar.add_task("pages", total=len(todo))
        for who, label, path in todo:
            client = clients[who]
            for _ in range(warmup):
                client.get(path)
            ms, cpu0 = [], _cpu_s(server)
            for _ in range(repeat):
                t0 = time.perf_counter()
                r = client.get(path)
                ms.append((time.perf_counter() - t0) * 1e3)
                if r.status_code != 200:
                    raise SystemExit(f"{path} as {who}: {r.status_code} {r.text[:300]}")
            cpu = (_cpu_s(server) - cpu0) / repeat * 1e3
            html = r.text if "html" in r.headers.get("content-type", "") else ""
            out.append(Timed(who, label, path, ms, cpu, len(r.content), assets_gz(client, html)))
            bar.advance(task)
    for c in clients.values():
        c.close()
    return out


def report(timed: list[Timed], out: Path) -> None:
    print(f"\n{'page':<32} {'as':<9} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} "
          f"{'CPU ms':>7} {'KB':>6} {'assets KB gz':>12}")  # fmt: skip
    for t in timed:
        s = sorted(t.ms)
        flag = "" if t.p95 < TARGET_MS else "  <-- misses p95 < 100 ms"
        print(f"{t.label:<32} {t.persona:<9} {percentile(s, 50):7.1f} {t.p95:7.1f} "
              f"{s[-1]:7.1f} {t.cpu_ms:7.1f} {t.bytes / 1024:6.1f} "
              f"{t.assets_gz / 1024:12.1f}{flag}")  # fmt: skip
    worst = max(timed, key=lambda t: t.p95)
    heavy = max(timed, key=lambda t: t.assets_gz)
    met = sum(t.p95 < TARGET_MS for t in timed)
    print(f"\np95 < {TARGET_MS:.0f} ms: {met} of {len(timed)} pages and reports; slowest "
          f"{worst.label} at {worst.p95:.1f} ms")  # fmt: skip
    said = "met" if heavy.assets_gz < ASSET_LIMIT else "MISSED"
    print(f"largest page's assets: {heavy.label}, {heavy.assets_gz / 1024:.1f} KB gzip -9 "
          f"(limit {ASSET_LIMIT // 1024} KB): {said}")  # fmt: skip
    _plot(timed, out / "portal_pages.png")
    print(f"chart: {out / 'portal_pages.png'}")


def _plot(timed: list[Timed], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 0.32 * len(timed) + 1.2))
    labels = [f"{t.label} ({t.persona})" for t in timed]
    ax.barh(labels, [t.p95 for t in timed], color="#4a78b5", label="p95")
    ax.barh(labels, [percentile(sorted(t.ms), 50) for t in timed], color="#9cc0e8", label="p50")
    ax.axvline(TARGET_MS, color="red", ls="--", lw=1, label="target p95 100 ms")
    ax.invert_yaxis()
    ax.set_xlabel("ms per request (loopback, PostgreSQL)")
    ax.set_title("portal pages and reports: 10,000 jobs, 1,000 projects, a year of ledger")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"nacc serve exited with {proc.returncode}")
        try:
            if httpx.get(base + "/healthz").status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"nacc serve at {base} not ready after {timeout:.0f} s")


def run(db: str, tmp: Path, args: argparse.Namespace, fresh: bool = True) -> None:
    """Seed ``db`` (when ``fresh``; else it holds a seed at this scale: only migrated to
    the head) and time the pages."""
    scenario = shipped_scenario_path("korea-2026")
    settings = Settings(database_url=db, workdir=tmp / "jobs", scenario=scenario)
    pools, _ = fleet(settings)
    t0 = time.perf_counter()
    svc = build_services(settings)  # migrates to the head
    scale = Scale(jobs=args.jobs, projects=args.projects)
    if fresh:
        with Progress(transient=True) as bar:
            task = bar.add_task("seeding", total=17)
            who = seed(svc, pools, scale, lambda name, n: bar.advance(task))
        print(
            f"seeded in {time.perf_counter() - t0:.1f} s: "
            + ", ".join(f"{n:,} {k}" for k, n in who.rows.items() if n >= 1000)
        )
    else:
        who = cast(scale, {})
        print(
            f"reused the seeded database (migrated to the head in {time.perf_counter() - t0:.1f} s)"
        )
    svc.sessions.kw["bind"].dispose()
    port = _port()
    env = dict(os.environ, NACC_DATABASE_URL=db, NACC_HOME=str(tmp), NACC_NO_SCHEDULER="1",
               NACC_SCENARIO=str(scenario), NACC_WEB_SECRET="bench-secret-not-for-use")  # fmt: skip
    nacc = str(Path(sys.executable).parent / "nacc")
    server = subprocess.Popen([nacc, "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base, server)
        print(
            f"{len(pools)} pools; {args.repeat} requests per page after {args.warmup} "
            f"warm-up, one at a time, loopback; load: {os.getloadavg()[0]:.2f} (1 min)"
        )
        timed = time_pages(base, server.pid, who, args.warmup, args.repeat, args.only)
        if not timed:
            raise SystemExit(f"no page's label contains {args.only!r}")
        report(timed, args.out)
        print(f"load after: {os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} cores")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    ap.add_argument("--repeat", type=int, default=40, help="timed requests per page")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=Scale.jobs)
    ap.add_argument("--projects", type=int, default=Scale.projects)
    ap.add_argument("--out", type=Path, default=ROOT.parent / "out" / "bench")
    ap.add_argument("--only", default="", help="time only the pages whose label has this")
    ap.add_argument("--keep", action="store_true", help="keep the database (its name is printed)")
    ap.add_argument("--database", default="",
                    help="use this database, kept after: seeded when it does not exist, "
                         "else reused as it is (migrated to the head; same --jobs and "
                         "--projects as when seeded)")  # fmt: skip
    args = ap.parse_args()
    if args.repeat < 2 or args.warmup < 0 or args.projects < 60 or args.jobs < 2000:
        ap.error("--repeat >= 2, --warmup >= 0, --projects >= 60, --jobs >= 2000")
    if args.database and not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.database):
        ap.error(f"--database: lower-case letters, digits and _ (got {args.database!r})")
    name = args.database or f"nacc_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        known = "SELECT 1 FROM pg_database WHERE datname = :n"
        fresh = c.execute(sa.text(known), {"n": name}).first() is None
        if fresh:
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    db = make_url(ADMIN).set(database=name).render_as_string(hide_password=False)
    tmp = Path(tempfile.mkdtemp(prefix="nacc-bench-"))
    try:
        run(db, tmp, args, fresh)
    finally:
        if args.keep or args.database:
            print(f"database kept: {db}")
        else:
            with admin.connect() as c:
                c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
