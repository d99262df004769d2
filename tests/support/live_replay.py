"""Replay a list of jobs through the live path on a fake clock (the sim-vs-live proof).

The live path here is the production one apart from the clock and the backend: jobs are
submitted into a migrated SQLite store (the service's one-statement submission, each in
its own transaction, funded from its project's credits), ``LiveScheduler.step(now)`` takes
them in, decides and persists, and a ``SimDispatcher`` runs them on virtual hardware,
knowing each job's true work (``truth``) where the store holds only its time limit.

``FakeClock`` is a test-owned event heap of (time, seq): arrivals, the dispatcher's
finish wake-ups, and the driver's own wake-ups (``next_wakeup``). Time jumps from one
event to the next; nothing sleeps and no thread runs. After every batch of simultaneous
events the scheduler steps once, as the simulator's loop does.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from nacc.adapters.store import (
    make_engine,
    make_sessionmaker,
    repos_jobs,
    repos_ledger,
    repos_people,
    repos_projects,
    upgrade,
)
from nacc.adapters.store.sql_store import SqlStore
from nacc.adapters.store.tables import Job, JobEventRow
from nacc.bootstrap import pricing
from nacc.catalog.throughput import ThroughputModel
from nacc.domain.ids import JobId, PoolId
from nacc.domain.jobs import JobSpec
from nacc.domain.pools import Pool
from nacc.engine.engine import EngineConfig
from nacc.engine.records import JobRecord
from nacc.ledger.accounts import project as project_account
from nacc.ledger.accounts import usage_credits
from nacc.scheduling.policy import Policy
from nacc.service.context import Services
from nacc.service.live import LiveScheduler, wall
from nacc.sim.dispatcher import SimDispatcher

FUNDS = Decimal(10**8)  # per project: far more than any slice's estimates


@dataclass(slots=True)
class FakeClock:
    """A heap of (time, seq, kind, payload); ``now`` is the time of the last batch."""

    now: float
    _heap: list[tuple[float, int, str, Any]] = field(default_factory=list)
    _seq: int = 0

    def schedule(self, at: float, kind: str, payload: Any = None) -> None:
        if at < self.now:
            raise ValueError(f"cannot schedule {kind} at {at} before now={self.now}")
        self._seq += 1
        heapq.heappush(self._heap, (at, self._seq, kind, payload))

    def pop_batch(self) -> list[tuple[str, Any]]:
        """Advance to the next event time; every event due then, in scheduling order."""
        at = self._heap[0][0]
        self.now = at
        batch = []
        while self._heap and self._heap[0][0] == at:
            _, _, kind, payload = heapq.heappop(self._heap)
            batch.append((kind, payload))
        return batch

    def __len__(self) -> int:
        return len(self._heap)

    def wall(self) -> datetime:
        return wall(self.now)


@dataclass(frozen=True, slots=True)
class Stored:
    """One job as the live store has it at the end, and its event history."""

    state: str
    pool_id: str | None
    started_at: datetime | None
    finished_at: datetime | None
    events: tuple[tuple[str, str, datetime], ...]  # (src, dst, at)


@dataclass(slots=True)
class LiveRun:
    stored: dict[JobId, Stored]
    records: dict[JobId, JobRecord]  # the live engine's own records
    steps: int


def services(db: Path, clock: FakeClock) -> Services:
    """Services over a freshly migrated SQLite database whose clock is ``clock``."""
    url = f"sqlite:///{db}"
    upgrade(url)
    sessions = make_sessionmaker(make_engine(url))
    return Services(sessions, clock.wall, db.parent / "jobs", store=SqlStore(sessions))


def fund_projects(svc: Services, names: Sequence[str]) -> tuple[int, dict[str, int]]:
    """One submitting user and one funded project per name, valid around the clock's
    now; returns the user id and the project id by name."""
    now = svc.clock()
    ids: dict[str, int] = {}
    with svc.tx() as s:
        org = repos_people.create_organisation(
            s, "KAIST", "university", "Daejeon", capital_area=False
        )
        s.flush()
        user = repos_people.create_user(s, "replay", "replay@uni.example", now, org.id)
        repos_ledger.ensure_account(s, "funding", "funding", None)
        for name in names:
            spec = repos_projects.ProjectSpec(
                name, now - timedelta(days=1), now + timedelta(days=3650)
            )
            proj = repos_projects.create_project(s, spec)
            s.flush()
            key = project_account(str(proj.id)).key
            repos_ledger.ensure_account(s, key, "project")
            legs = [("funding", -FUNDS), (key, FUNDS)]
            repos_ledger.add_journal_entry(s, f"replay-fund:{proj.id}", now, "funding", legs)
            ids[name] = proj.id
        s.flush()
        return user.id, ids


class _Submitter:
    """Stores a job as ``nacc.service.jobs.submit`` does on its busy path (insert if the
    project is valid, reserve its estimate if funded), with the replay's own job id."""

    def __init__(
        self, svc: Services, pools: Sequence[Pool], rates: ThroughputModel, user_id: int
    ) -> None:
        self.svc, self.user_id = svc, user_id
        self.prices = pricing(list(pools), rates)

    def submit(self, spec: JobSpec) -> None:
        limit = int(spec.time_limit_s or 0) or None
        if limit is None or limit != spec.time_limit_s:
            raise ValueError(f"{spec.id}: the store keeps whole-second time limits")
        types = sorted(spec.allowed_types) if spec.allowed_types is not None else None
        rate = self.prices.worst_rate(spec.job_class.value, types)
        if rate is None:
            raise ValueError(f"{spec.id}: no pool of this fleet runs {spec.job_class}")
        estimate = usage_credits(spec.accelerators, limit, rate)
        new = repos_jobs.NewJob(
            id=spec.id,
            project_id=int(spec.project),
            submitted_by=self.user_id,
            command="true",
            accelerators=spec.accelerators,
            job_class=spec.job_class.value,
            accelerator_types=types,
            time_limit_s=limit,
            gang=spec.gang,
            reserve=estimate,
        )
        key = project_account(spec.project).key
        with self.svc.tx() as s:
            if repos_jobs.insert_if_funded(s, new, self.svc.clock(), estimate, key) is None:
                raise AssertionError(f"{spec.id}: its project {spec.project} is not valid now")


def replay_live(
    svc: Services,
    clock: FakeClock,
    truth: Sequence[JobSpec],
    pools: Sequence[Pool],
    policy: Policy,
    rates: ThroughputModel,
    config: EngineConfig,
    user_id: int,
    meter_s: float = 5.0,
) -> LiveRun:
    """Submit each job of ``truth`` at its submit time and run the live scheduler until
    nothing is left to happen. ``truth``'s projects are the store's project ids."""
    by_id = {spec.id: spec for spec in truth}
    dispatcher = SimDispatcher(clock.schedule, rates, truth=lambda spec: by_id[spec.id])
    by_pool: Mapping[PoolId, SimDispatcher] = {p.id: dispatcher for p in pools}
    live = LiveScheduler(
        svc, pools, by_pool, policy, rates, meter_s=meter_s, clock=lambda: clock.now, config=config
    )
    submitter = _Submitter(svc, pools, rates, user_id)
    for spec in truth:
        clock.schedule(spec.submit_s, "arrive", spec)
    woken: set[float] = set()
    steps = 0
    while len(clock):
        for kind, payload in clock.pop_batch():
            if kind == "arrive":
                submitter.submit(payload)
            elif kind == "finish":
                dispatcher.on_finish(payload[0], payload[1], clock.now)
            else:
                woken.discard(clock.now)
        live.step(clock.now)
        steps += 1
        at = live.driver.next_wakeup()
        if at is not None and at not in woken:
            clock.schedule(at, "wake")
            woken.add(at)
    return LiveRun(stored_jobs(svc), dict(live.engine.jobs), steps)


def stored_jobs(svc: Services) -> dict[JobId, Stored]:
    """Every job's final row and its events, read back from the store."""
    with svc.tx() as s:
        events: dict[str, list[tuple[str, str, datetime]]] = {}
        stmt = sa.select(JobEventRow).order_by(JobEventRow.at, JobEventRow.id)
        for ev in s.scalars(stmt):
            events.setdefault(ev.job_id, []).append((ev.src, ev.dst, ev.at.astimezone(UTC)))
        return {
            JobId(j.id): Stored(
                j.state, j.pool_id, j.started_at, j.finished_at, tuple(events.get(j.id, ()))
            )
            for j in s.scalars(sa.select(Job))
        }
