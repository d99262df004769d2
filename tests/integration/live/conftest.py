"""Fixtures: the live scheduler over each store (SQLite, PostgreSQL, memory) with a
simulated backend on a fake clock, so a test steps it at the times it chooses."""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from nacc.adapters.store import make_engine, make_sessionmaker
from nacc.adapters.store.memory import MemoryStore
from nacc.adapters.store.sql_store import SqlStore
from nacc.bootstrap import local_pools
from nacc.catalog.throughput import default_model
from nacc.domain.ids import JobId
from nacc.domain.jobs import JobSpec
from nacc.scheduling.policies.registry import builtin_policies
from nacc.service.context import Services
from nacc.service.live import LiveScheduler
from nacc.sim.dispatcher import SimDispatcher
from support.pg import migrated_database

RUN_S = 5.0  # every job's true work: it ends 5 s after it starts on an H100


@pytest.fixture(params=["sqlite", "postgresql", "memory"])
def kind(request: pytest.FixtureRequest) -> str:
    param: str = request.param
    return param


@pytest.fixture
def svc(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Services]:
    if kind == "memory":
        yield Services(None, store=MemoryStore())  # type: ignore[arg-type]
        return
    urls = migrated_database(kind, tmp_path, request)
    url = next(urls)
    engine: sa.Engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    try:
        yield Services(sessions, store=SqlStore(sessions))
    finally:
        engine.dispose()
        next(urls, None)


@dataclass
class Live:
    """A live scheduler, its simulated backend, and the backend's pending wake-ups."""

    scheduler: LiveScheduler
    backend: SimDispatcher
    wakes: list[tuple[float, str, int]] = field(default_factory=list)

    def wake(self, at: float, kind: str, payload: tuple[JobId, int]) -> None:
        heapq.heappush(self.wakes, (at, payload[0], payload[1]))

    def step(self, now: float) -> None:
        """Deliver the backend's ends due by ``now``, then one scheduler step."""
        while self.wakes and self.wakes[0][0] <= now:
            at, job_id, epoch = heapq.heappop(self.wakes)
            self.backend.on_finish(JobId(job_id), epoch, at)
        self.scheduler.step(now)


def make_live(svc: Services, devices: int, policy: str = "fifo", meter_s: float = 60) -> Live:
    pools, _ = local_pools({"H100-SXM": devices})
    rates = default_model()
    live = Live(None, None)  # type: ignore[arg-type]

    def truth(spec: JobSpec) -> JobSpec:  # every job really needs RUN_S of work
        return dataclasses.replace(spec, work=RUN_S)

    live.backend = SimDispatcher(live.wake, rates, truth=truth)
    dispatchers = {p.id: live.backend for p in pools}
    policy_ = builtin_policies().create(policy)
    live.scheduler = LiveScheduler(svc, pools, dispatchers, policy_, rates, meter_s=meter_s)
    return live
