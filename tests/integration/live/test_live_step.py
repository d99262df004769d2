"""The live scheduler's step over each store, with a simulated backend on a fake clock:
what a tick writes (coded reasons, charges for what the engine metered, reservations
drawn and released), in how many statements, and what happens when a write fails."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from contract.store.scheduler_world import (
    T0,
    Seed,
    add_jobs,
    add_project,
    committed,
    entries,
    events,
    job,
    request_cancel,
    usage,
)
from contract.store.test_store_scheduler_statements import counted
from integration.live.conftest import RUN_S, make_live
from nacc.catalog.throughput import default_model
from nacc.domain.ids import JobId
from nacc.domain.jobs import JobClass, JobSpec
from nacc.domain.reasons import Reason
from nacc.i18n import render
from nacc.ledger.accounts import to_credits, usage_cause
from nacc.ledger.metering import credits_for
from nacc.ports.store import UnitOfWork
from nacc.service.context import Services
from nacc.service.live import spec_of

T = T0.timestamp()


def _seed(svc: Services, n: int, prefix: str = "j", reserve: str = "1") -> tuple[int, list[str]]:
    pid = add_project(svc.store, f"p-{prefix}")  # type: ignore[arg-type]
    ids = [f"{prefix}{i:03d}" for i in range(n)]
    seeds = [Seed(i, T0 + timedelta(milliseconds=k), Decimal(reserve)) for k, i in enumerate(ids)]
    add_jobs(svc.store, pid, seeds)  # type: ignore[arg-type]
    return pid, ids


def _rendered(row: dict[str, Any]) -> str:
    """The row's reason code and parameters in English (what its text column holds)."""
    return render(Reason.of(row["reason_code"], **(row["reason_params"] or {})), "en")


def _charged(n_accel: int, seconds: float) -> Decimal:
    spec = JobSpec("x", 0, n_accel, JobClass.INFERENCE, 1, "p")  # type: ignore[arg-type]
    rate = default_model().credit_rate(spec, "H100-SXM")
    assert rate is not None
    return to_credits(repr(credits_for(n_accel, seconds, rate)))


def test_a_step_starts_what_fits_says_why_the_rest_waits_and_charges_the_ends(
    svc: Services,
) -> None:
    store = svc.store
    assert store is not None
    pid, ids = _seed(svc, 6)
    live = make_live(svc, devices=4)
    live.step(T + 1)
    started, waiting = ids[:4], ids[4:]
    assert [job(store, i)["state"] for i in ids] == ["running"] * 4 + ["pending"] * 2
    row = job(store, started[0])
    assert row["reason"].startswith("fifo") and row["reason"] == _rendered(row)
    assert row["pool_id"] == "local-h100-sxm" and row["started_at"] == T0 + timedelta(seconds=1)
    wait = job(store, waiting[0])
    assert wait["reason"] == _rendered(wait) and wait["expected_start_at"] is not None
    live.step(T + 1 + RUN_S + 0.5)  # the first four ended at T + 6
    assert [job(store, i)["state"] for i in ids] == ["completed"] * 4 + ["running"] * 2
    amount = _charged(1, RUN_S)
    assert entries(store, started[0]) == [
        (usage_cause(started[0], T + 1, T + 1 + RUN_S), "usage", started[0],
         {f"project:{pid}": -amount, "usage": amount})]  # fmt: skip
    assert [u[-1] for u in usage(store, started[0])] == [amount]
    assert job(store, started[0])["reserved_credits"] == 0
    assert committed(store, pid) == Decimal(2)  # the two running jobs' reservations
    codes = [(e[0], e[1], e[3]) for e in events(store, started[0])]
    start = ("pending", "running", row["reason_code"])
    assert codes == [start, ("running", "completed", "completed")]


def _unit_counting(svc: Services) -> AbstractContextManager[Any]:
    return counted(svc.store)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"], indirect=True)
def test_a_step_costs_the_same_statements_for_4_or_120_jobs(svc: Services) -> None:
    def two_steps(n: int) -> tuple[list[str], list[str]]:
        _seed(svc, n, prefix=f"n{n}-")
        live = make_live(svc, devices=n)
        with _unit_counting(svc) as starts:
            live.step(T + 1)
        with _unit_counting(svc) as ends:
            live.step(T + 1 + RUN_S + 0.5)  # n ends, n charges, nothing left pending
        return starts, ends

    few, many = two_steps(4), two_steps(120)
    assert few == many
    # 10: one read of the capacity blocks, one of the new jobs' datasets
    assert len(few[0]) <= 10 and len(few[1]) <= 14, few


class _Failing:
    """A store whose ``n``-th unit from now fails at commit (the database went away)."""

    def __init__(self, store: Any) -> None:
        self.store, self.n = store, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    @contextmanager
    def unit(self) -> Iterator[UnitOfWork]:
        with self.store.unit() as uow:
            yield uow
            self.n -= 1
            if self.n == 0:
                raise ConnectionError("the database went away")


def test_a_write_that_fails_is_written_with_the_next_tick(svc: Services) -> None:
    store = svc.store
    _, ids = _seed(svc, 2)
    flaky = _Failing(store)
    svc.store = flaky  # type: ignore[assignment]
    live = make_live(svc, devices=2)
    flaky.n = 2  # a step reads in one unit, then writes in one
    with pytest.raises(ConnectionError):
        live.step(T + 1)
    assert [job(store, i)["state"] for i in ids] == ["pending", "pending"]  # type: ignore[arg-type]
    live.step(T + 1 + RUN_S + 0.5)  # the starts of the failed tick, then the ends
    for i in ids:
        assert job(store, i)["state"] == "completed"  # type: ignore[arg-type]
        assert [(e[0], e[1]) for e in events(store, i)] == [  # type: ignore[arg-type]
            ("pending", "running"), ("running", "completed")]  # fmt: skip
        assert len(entries(store, i)) == 1  # type: ignore[arg-type]


def test_a_read_that_fails_loses_no_job(svc: Services) -> None:
    store = svc.store
    _, ids = _seed(svc, 2)
    flaky = _Failing(store)
    svc.store = flaky  # type: ignore[assignment]
    live = make_live(svc, devices=2)
    flaky.n = 1
    with pytest.raises(ConnectionError):
        live.step(T + 1)
    live.step(T + 2)
    assert [job(store, i)["state"] for i in ids] == ["running", "running"]  # type: ignore[arg-type]


def test_cancel_requests_and_a_restart_that_finds_a_job_lost(svc: Services) -> None:
    store = svc.store
    assert store is not None
    pid, ids = _seed(svc, 3)
    live = make_live(svc, devices=2)
    live.step(T + 1)  # two run, one waits
    request_cancel(store, ids[0], T0 + timedelta(seconds=2))
    request_cancel(store, ids[2], T0 + timedelta(seconds=2))
    live.step(T + 2)
    assert [job(store, i)["state"] for i in ids] == ["cancelled", "running", "cancelled"]
    assert job(store, ids[0])["reason_code"] == "cancelled"
    assert len(entries(store, ids[0])) == 1  # charged for the second it ran
    # a new scheduler (a restart) whose backend cannot find jobs again: the running job is
    # lost, failed with a reason, and what it held is released
    again = make_live(svc, devices=2)
    lines = again.scheduler.recover(T + 3)
    assert lines == [f"{ids[1]}: lost after a restart"] or ids[1] in lines[0]
    row = job(store, ids[1])
    assert (row["state"], row["reason_code"]) == ("failed", "lost_after_restart")
    assert row["reserved_credits"] == 0 and committed(store, pid) == 0


def test_spec_of_a_stored_job() -> None:
    from nacc.domain.lifecycle import JobState
    from nacc.ports.store_scheduler import QueuedJob

    queued = QueuedJob("j1", 7, T0, "true", None, 2, ("H100-SXM",), "inference", None, False,
                       JobState.PENDING)  # fmt: skip
    spec = spec_of(queued)
    assert (spec.project, spec.accelerators, spec.gang, spec.submit_s) == ("7", 2, False, T)
    assert spec.allowed_types == frozenset({"H100-SXM"}) and spec.time_limit_s == 3600


def test_the_live_scheduler_sees_the_store_port_only() -> None:
    """service/live.py and live_writes.py import neither the adapters nor SQLAlchemy."""
    import ast
    from pathlib import Path

    import nacc.service

    root = Path(nacc.service.__file__).parent
    for name in ("live.py", "live_writes.py"):
        tree = ast.parse((root / name).read_text())
        imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not {m for m in imported if m.startswith(("nacc.adapters", "sqlalchemy"))}, name


def test_a_step_that_moved_jobs_is_followed_by_a_short_one(svc: Services) -> None:
    """While jobs move the loop steps again after ``busy_tick_s`` (each step then has a
    share of the work to write, not a whole tick's), else after ``tick_s``. A short step
    reads nothing the API recorded (a submission waits for the next tick's read, as
    before), and the hooks that read the written tick run after every step that moved
    jobs, else once a tick."""
    pid, _ = _seed(svc, 2)
    live = make_live(svc, devices=1)
    sched = live.scheduler
    assert (sched.tick_s, sched.busy_tick_s) == (0.5, 0.1)
    hooked: list[float] = []
    sched.after_step.append(lambda: hooked.append(1.0))
    units, unit = [0], svc.unit

    @contextmanager
    def counted() -> Iterator[UnitOfWork]:
        units[0] += 1
        with unit() as uow:
            yield uow

    svc.unit = counted  # type: ignore[method-assign]

    def loop_step(now: float) -> int:
        """Units of work the loop's step opened."""
        while live.wakes and live.wakes[0][0] <= now:  # the backend's ends due by then
            at, job_id, epoch = heapq.heappop(live.wakes)
            live.backend.on_finish(JobId(job_id), epoch, at)
        before = units[0]
        sched.loop_step(now)
        return units[0] - before

    loop_step(T + 1)  # one starts
    assert sched.pause_s() == 0.1 and len(hooked) == 1
    add_jobs(svc.store, pid, [Seed("late", T0 + timedelta(seconds=1), Decimal(1))])  # type: ignore[arg-type]
    assert loop_step(T + 1.1) == 0  # short: nothing moved, nothing read or written
    assert sched.pause_s() == 0.5 and len(hooked) == 1 and "late" not in sched.engine.jobs
    loop_step(T + 1.6)  # a tick since the last read: read again
    assert sched.pause_s() == 0.5 and len(hooked) == 2 and "late" in sched.engine.jobs
    loop_step(T + 1 + RUN_S + 0.5)  # it ended, the next started
    assert sched.pause_s() == 0.1 and len(hooked) == 3
