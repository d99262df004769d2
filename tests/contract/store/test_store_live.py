"""The live scheduler over each store, on jobs submitted as the API submits them (the
funded insert through ``uow.jobs``), with a simulated backend on a fake clock: it takes
them in, runs them to the end, and what its ticks charged is the ledger that
``verify_ledger`` proves and the jobs repository reports."""

from __future__ import annotations

import dataclasses
import heapq
from decimal import Decimal

from contract.store.jobs_world import NOW, build_jobs_world
from nacc.bootstrap import local_pools
from nacc.catalog.throughput import default_model
from nacc.domain.ids import JobId
from nacc.domain.jobs import JobSpec
from nacc.ports.store import Store
from nacc.scheduling.policies.registry import builtin_policies
from nacc.service.context import Services
from nacc.service.live import LiveScheduler
from nacc.service.reports import verify_ledger
from nacc.sim.dispatcher import SimDispatcher

RUN_S = 5.0  # each job's true work: 5 s on an H100
T = NOW.timestamp()


def test_the_live_scheduler_runs_funded_submissions_and_the_ledger_verifies(
    store: Store,
) -> None:
    w = build_jobs_world(store)
    ids = ["j1", "j2", "j3"]
    with store.unit() as uow:
        for job_id in ids:
            new = w.new(job_id, accelerators=1, accelerator_types=None, job_class="inference")
            assert uow.jobs.insert_if_funded(new, NOW, Decimal(1), w.account) is not None
    rates = default_model()
    wakes: list[tuple[float, str, int]] = []

    def wake(at: float, kind: str, payload: tuple[JobId, int]) -> None:
        heapq.heappush(wakes, (at, payload[0], payload[1]))

    def truth(spec: JobSpec) -> JobSpec:
        rate = rates.rate(spec, "H100-SXM")
        assert rate is not None
        return dataclasses.replace(spec, work=RUN_S * rate)

    pools, _ = local_pools({"H100-SXM": 2})
    backend = SimDispatcher(wake, rates, truth=truth)
    svc = Services(None, store=store)
    live = LiveScheduler(svc, pools, {p.id: backend for p in pools},
                         builtin_policies().create("fifo"), rates, meter_s=60)  # fmt: skip

    def step(now: float) -> list[str]:
        while wakes and wakes[0][0] <= now:
            at, job_id, epoch = heapq.heappop(wakes)
            backend.on_finish(JobId(job_id), epoch, at)
        live.step(now)
        with store.unit() as uow:
            return [j.state if (j := uow.jobs.get(i)) else "?" for i in ids]

    assert step(T + 1) == ["running", "running", "pending"]
    with store.unit() as uow:
        assert uow.jobs.running_by_pool() == {str(pools[0].id): 2}
    assert verify_ledger(svc).ok
    assert step(T + 1 + RUN_S + 0.5) == ["completed", "completed", "running"]
    assert step(T + 1 + 2 * RUN_S + 1) == ["completed"] * 3
    with store.unit() as uow:
        metered = uow.ledger.metered_by_job()
        spent = uow.ledger.balance("usage")
        left = uow.ledger.balance(w.account)
        funds = uow.projects.funds(w.project_id)
        history = [e.dst for e in uow.jobs.events("j3")]
    assert sorted(metered) == ids and all(v > 0 for v in metered.values())
    assert spent == sum(metered.values()) and left == Decimal(100) - spent
    assert funds is not None and funds.committed == 0
    assert history == ["running", "completed"]
    report = verify_ledger(svc)
    assert report.ok and report.jobs == 3, report.lines()
