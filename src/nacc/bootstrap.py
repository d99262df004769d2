"""The composition root: the only place that picks concrete adapters from settings."""

from __future__ import annotations

import ctypes
import dataclasses
import fcntl
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI

from nacc.adapters.dispatch.background import WAIT_S, BackgroundPoll
from nacc.adapters.dispatch.contain import Containment
from nacc.adapters.dispatch.registry import DispatchOptions, default_registry
from nacc.adapters.notify.smtp import SmtpSender
from nacc.adapters.notify.webhook import WebhookSender
from nacc.adapters.store import (
    database_lock,
    make_engine,
    make_sessionmaker,
    upgrade,
    warm_pool,
)
from nacc.adapters.store.sql_store import SqlStore
from nacc.api.app import create_app
from nacc.api.ratelimit import RateLimiter
from nacc.catalog.accelerators import load_catalog
from nacc.catalog.throughput import ThroughputModel, default_model
from nacc.config import DEFAULT_DEVICES as DEFAULT_DEVICES  # re-exported: callers and
from nacc.config import Settings as Settings  # tests import them from here
from nacc.config import parse_devices as parse_devices
from nacc.domain.errors import InputError, UnknownName
from nacc.domain.ids import PoolId
from nacc.domain.jobs import JobClass
from nacc.domain.pools import Pool
from nacc.engine.engine import DEFAULT_RESTART_COST_S, EngineConfig
from nacc.ports import Dispatcher
from nacc.ports.notify import Sender
from nacc.scenario import field_error, load_scenario
from nacc.scheduling.policies.registry import builtin_policies
from nacc.service import challenge_runs
from nacc.service.context import Services, utcnow
from nacc.service.jobs import Pricing
from nacc.service.live import LiveScheduler
from nacc.service.live_accounts import LimitSync
from nacc.service.live_blocks import BlockSync
from nacc.service.live_tree import TreeSync
from nacc.service.notify_sweep import Sweeper
from nacc.service.people import first_operator as _first_operator
from nacc.service.reports import metrics_snapshot

LOCAL_BACKEND = "local://"  # the local dispatcher, in the service's work directory


def build_services(settings: Settings) -> Services:
    """Migrate the database to head and return the services over it."""
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    return Services(sessions, utcnow, settings.workdir, store=SqlStore(sessions),
                    senders=senders(settings))  # fmt: skip


def senders(settings: Settings) -> dict[str, Sender]:
    """The notice channels: webhooks always, e-mail when an SMTP host is set."""
    out: dict[str, Sender] = {"webhook": WebhookSender(settings.webhook_timeout_s)}
    if settings.smtp_host:
        out["email"] = SmtpSender(settings.smtp_host, settings.smtp_port, settings.smtp_from,
                                  starttls=settings.smtp_starttls)  # fmt: skip
    return out


def local_pools(devices: Mapping[str, int]) -> tuple[list[Pool], dict[str, list[str]]]:
    """One pool per local accelerator type; device ids numbered across the machine."""
    catalog = load_catalog()
    pools: list[Pool] = []
    ids: dict[str, list[str]] = {}
    n = 0
    for name, count in devices.items():
        pid = PoolId(f"local-{name.lower()}")
        pools.append(Pool(pid, "local", "localhost", name, count, count, "local",
                          catalog[name].domestic, LOCAL_BACKEND))  # fmt: skip
        ids[pid] = [str(i) for i in range(n, n + count)]
        n += count
    return pools, ids


def scenario_pools(path: Path, per_pool: int) -> tuple[list[Pool], dict[str, list[str]]]:
    """The pools of a scenario in miniature: same ids, sites, providers and accelerator
    types, ``per_pool`` device ids each (a live demo of the scenario's fleet), each on
    the backend its ``backend:`` names (checked against the registry's schemes: an
    unknown one names the file, line and field), else on the local one."""
    scenario = load_scenario(path)
    _check_backends(path, [spec.backend for spec in scenario.pools])
    pools: list[Pool] = []
    ids: dict[str, list[str]] = {}
    n = 0
    for p in scenario.domain_pools():
        count = min(per_pool, p.count)
        backend, engine = (p.backend, p.engine) if p.backend else (LOCAL_BACKEND, "local")
        pools.append(dataclasses.replace(p, count=count, node_size=count, engine=engine,
                                         backend=backend))  # fmt: skip
        ids[p.id] = [str(i) for i in range(n, n + count)]
        n += count
    return pools, ids


def _check_backends(path: Path, urls: Sequence[str | None]) -> None:
    """Every backend URL a scenario's pools name is one the registry can build."""
    registry = default_registry()
    for index, url in enumerate(urls):
        if url is None:
            continue
        try:
            registry.check(url)
        except UnknownName as error:
            raise field_error(path, ("pools", index, "backend"), str(error)) from None
        except InputError as error:
            raise field_error(path, ("pools", index, "backend"), error.problem) from None


def fleet(settings: Settings) -> tuple[list[Pool], dict[str, list[str]]]:
    """The live fleet: a scenario in miniature, or a list of local device types."""
    if settings.scenario is not None:
        return scenario_pools(settings.scenario, settings.devices_per_pool)
    return local_pools(settings.devices)


def build_dispatchers(
    pools: Sequence[Pool],
    devices: Mapping[str, Sequence[str]],
    workdir: Path,
    containment: Containment | None = None,
    poll_wait_s: float = WAIT_S,
) -> dict[PoolId, Dispatcher]:
    """One dispatcher per backend URL the pools name (from the registry, by scheme),
    shared by the pools that name it: several backends at once. A remote one (not
    ``local://``) polls in a thread of its own, waited for at most ``poll_wait_s`` a step
    (``nacc.adapters.dispatch.background``)."""
    walls = Containment() if containment is None else containment
    registry = default_registry()
    by_url: dict[str, list[Pool]] = {}
    for pool in pools:
        if not pool.backend:
            raise InputError(f"pool {pool.id}", "names no dispatch backend URL (backend:)")
        by_url.setdefault(pool.backend, []).append(pool)
    out: dict[PoolId, Dispatcher] = {}
    for url, group in by_url.items():
        options = DispatchOptions({p.id: devices.get(p.id, ()) for p in group}, workdir,
                                  containment=walls)  # fmt: skip
        dispatcher = registry.create(url, options)
        if not url.startswith("local:"):  # a remote engine's poll may hang: off the step
            dispatcher = BackgroundPoll(dispatcher, poll_wait_s)
        out.update((p.id, dispatcher) for p in group)
    return out


def build_scheduler(settings: Settings, svc: Services) -> LiveScheduler:
    pools, ids = fleet(settings)
    policy = builtin_policies().create(settings.policy)
    walls = Containment(settings.contain_jobs, settings.job_network, settings.log_cap_bytes,
                        nice=settings.job_nice)  # fmt: skip
    dispatchers = build_dispatchers(pools, ids, settings.workdir, walls)
    config = EngineConfig(restart_cost_s=restart_cost(settings))
    scheduler = LiveScheduler(svc, pools, dispatchers, policy, default_model(), settings.tick_s,
                              settings.meter_s, config=config,
                              backend_down_s=settings.backend_down_s,
                              busy_tick_s=settings.busy_tick_s)  # fmt: skip
    prices = pricing(pools, default_model())
    scheduler.after_step.append(lambda: challenge_runs.settle(svc, prices))  # evaluations
    if settings.fair_tree:  # program -> organisation -> project shares from the store
        scheduler.after_step.append(TreeSync(svc, scheduler, scheduler.clock()))
    router = scheduler.engine.dispatcher
    backends = [(b, [p for p in pools if p.id in router.pools_of(b)]) for b in router.backends]
    limits = LimitSync(
        backends, default_model(), svc.unit, scheduler.clock, settings.meter_s, background=True
    )
    if limits.active:  # awards pushed as Slurm association limits (accounts=1)
        scheduler.after_step.append(limits)
    held = BlockSync(backends, lambda: scheduler.blocks.blocks, scheduler.clock)
    if held.active:  # capacity blocks as Slurm reservations
        scheduler.after_step.append(held)
    return scheduler


def restart_cost(settings: Settings) -> float:
    """The scenario's restart cost, else the engine's default: the same as ``simulate``."""
    found = load_scenario(settings.scenario).restart_cost_s if settings.scenario else None
    return DEFAULT_RESTART_COST_S if found is None else found


def build_app(settings: Settings, live: bool = True) -> tuple[FastAPI, Services]:
    """The HTTP app; with ``live`` its scheduler runs in a thread of this process
    (started and stopped with the app), else elsewhere (``run_scheduler``) or not at all.
    API and scheduler only talk through the database."""
    svc = build_services(settings)
    pools, _ = fleet(settings)
    scheduler = build_scheduler(settings, svc) if live else None
    sweeper = Sweeper(svc, settings.notify_every_s) if settings.notify_every_s > 0 else None
    app = create_app(svc, lambda: metrics_snapshot(svc, pools),
                     lifespan=_lifespan(svc, scheduler, sweeper))  # fmt: skip
    app.state.live = scheduler
    app.state.pricing = pricing(pools, default_model())
    app.state.pools = pools  # the portal's fleet page (nacc.service.fleet)
    app.state.submit_limiter = RateLimiter(settings.submit_rate_per_s, settings.submit_burst)
    return app, svc


def _die_with_parent() -> None:
    """Linux: have the kernel SIGKILL this process when its parent dies, so a crashed
    server never leaves a scheduler behind (the jobs, in their own sessions, live on).
    Elsewhere the parent check in ``run_scheduler`` does it within 0.2 s."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return


SCHEDULER_LOCK = "nacc-live-scheduler"


def run_scheduler(settings: Settings, parent: int) -> None:
    """The live scheduler as its own process (``nacc serve``). It takes two exclusive
    locks, waiting for each: the work directory's (a file) and, on PostgreSQL, the
    database's (an advisory lock), so one scheduler runs per database however many
    machines serve it; another ``nacc serve`` waits as a standby. It stops when its
    parent is gone (the jobs keep running; the next scheduler re-adopts them)."""
    _die_with_parent()
    if os.getppid() != parent:  # the server died before the line above took effect
        return
    settings.workdir.mkdir(parents=True, exist_ok=True)
    with open(settings.workdir / "scheduler.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        svc = build_services(settings)
        locked = database_lock(svc.sessions.kw["bind"], SCHEDULER_LOCK, _say_waiting)
        with locked as held:
            scheduler = build_scheduler(settings, svc)
            scheduler.start()
            try:
                _serve_while(lambda: os.getppid() == parent, held)
            finally:
                scheduler.stop()


def _serve_while(parent_alive: Callable[[], bool], held: Callable[[], bool]) -> None:
    """Until the parent is gone or the database lock is lost (checked every 2 s): a
    scheduler that lost its lock stops at once, since a standby may take over."""
    checked = time.monotonic()
    while parent_alive():
        time.sleep(0.2)
        if time.monotonic() - checked >= 2.0:
            checked = time.monotonic()
            if not held():
                print("nacc scheduler: lost this database's scheduler lock; stopping",
                      file=sys.stderr, flush=True)  # fmt: skip
                raise SystemExit(3)


def _say_waiting() -> None:
    print(
        "nacc scheduler: another scheduler holds this database's lock; standing by",
        file=sys.stderr,
        flush=True,
    )


def pricing(pools: list[Pool], rates: ThroughputModel) -> Pricing:
    """Credits per accelerator-hour by (type, class) for the types this fleet has."""
    table: dict[tuple[str, str], float] = {}
    for pool in pools:
        for cls in JobClass:
            rate = rates.class_credit_rate(cls, pool.accel_type)  # what metering charges
            if rate is not None:
                table[(pool.accel_type, cls.value)] = rate
    return Pricing(table)


REQUEST_THREADS = 8
"""Threads serving synchronous routes. Few on purpose: with the GIL, anyio's default of
forty threads time-slices every request in flight and each waits for all the others
(bench/api_submit.py at 200 requests/s: p99 143 ms with 40 threads, 89 ms with 8); eight
keep database round trips overlapped while requests finish roughly in order."""


def _lifespan(svc: Services, scheduler: LiveScheduler | None,  # type: ignore[no-untyped-def]
              sweeper: Sweeper | None = None):  # fmt: skip
    @asynccontextmanager
    async def run(_: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = REQUEST_THREADS
        warm_pool(svc.sessions.kw["bind"], REQUEST_THREADS)  # a connection per thread
        if sweeper is not None:
            sweeper.start()
        try:
            if scheduler is None:
                yield
                return
            scheduler.start()
            try:
                yield
            finally:
                scheduler.stop()
        finally:
            if sweeper is not None:
                sweeper.stop()

    return run


def first_operator(svc: Services, name: str, email: str) -> str:
    """Create an operator with a token (the first account of a fresh install); returns
    the token secret, which is shown once."""
    return _first_operator(svc, name, email)
