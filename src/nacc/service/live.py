"""The live control loop: the engine's ``tick`` on a real clock with real processes.

The database is the source of truth. Every tick (phases numbered in ``step``): take in
jobs that were submitted since, apply cancellations, tick the engine (observe → plan →
act with the ``local`` dispatcher), persist each lifecycle event as it happens, meter
running jobs into the ledger every ``meter_s``, and record why pending jobs wait.
After a crash, ``recover`` re-adopts what still runs and settles what ended meanwhile.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nacc.adapters.dispatch.local import LocalDispatcher
from nacc.adapters.store import repos_jobs, repos_ledger
from nacc.adapters.store.tables import Job
from nacc.catalog.throughput import ThroughputModel
from nacc.domain.events import JobEvent
from nacc.domain.ids import JobId, PoolId
from nacc.domain.jobs import JobClass, JobSpec
from nacc.domain.lifecycle import JobState
from nacc.domain.pools import Pool
from nacc.engine.engine import Engine, EngineConfig
from nacc.ledger.accounts import USAGE, project, usage_cause, usage_credits
from nacc.ports import Observation
from nacc.scheduling.fit import ACCEPTABLE_SPEED
from nacc.scheduling.policy import Policy
from nacc.scheduling.reservation import earliest_starts
from nacc.service.context import Services

log = logging.getLogger("nacc.live")


def wall(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def spec_of(job: Job) -> JobSpec:
    """The engine's view of a stored job (work = its time limit: unknown in advance)."""
    limit = float(job.time_limit_s or 3600)
    types = frozenset(job.accelerator_types) if job.accelerator_types else None
    return JobSpec(
        id=JobId(job.id),
        submit_s=job.submitted_at.timestamp(),
        accelerators=job.accelerators,
        job_class=JobClass(job.job_class),
        work=limit,
        project=str(job.project_id),
        time_limit_s=limit,
        allowed_types=types,
        gang=job.gang,
        reference_type="H100-SXM",
    )


class _Persist:
    """EventSink and UsageSink writing through to the store, one transaction each."""

    def __init__(self, svc: Services, dispatcher: LocalDispatcher, rates: ThroughputModel) -> None:
        self.svc, self.dispatcher, self.rates = svc, dispatcher, rates
        self._accounts: set[str] = set()  # ledger accounts known to exist

    def emit(self, event: JobEvent) -> None:
        exit_code = _exit_code(event.cause) if event.dst in _ENDS else None
        devices = self._devices(event.job_id) if event.dst is JobState.RUNNING else None
        change = repos_jobs.Transition(
            dst=event.dst,
            at=wall(event.at),
            cause=event.cause,
            reason=event.cause,
            pool_id=event.pool_id,
            device_ids=devices,
            exit_code=exit_code,
        )
        with self.svc.tx() as s:
            repos_jobs.record_transition(s, event.job_id, change)
            if event.dst is JobState.RUNNING:
                repos_jobs.set_log_path(
                    s, event.job_id, str(self.dispatcher.log_path(event.job_id))
                )

    def _devices(self, job_id: JobId) -> list[str]:
        path = self.dispatcher.log_path(job_id).parent / "state.json"
        try:
            return [str(d) for d in json.loads(path.read_text()).get("devices", [])]
        except (OSError, ValueError):
            return []

    def meter(
        self, spec: JobSpec, pool: Pool, count: int, start_s: float, end_s: float, credits: float
    ) -> None:
        rate = self.rates.credit_rate(spec, pool.accel_type) or 0.0
        amount = usage_credits(count, Decimal(repr(end_s - start_s)), rate)
        usage = repos_ledger.Usage(
            spec.id, wall(start_s), wall(end_s), pool.accel_type, count, amount
        )
        payer = project(spec.project).key
        legs = [(payer, -amount), (USAGE.key, amount)]
        accounts = ((USAGE.key, "usage", None), (payer, "project", Decimal(0)))
        with self.svc.tx() as s:
            for key, kind, overdraft in accounts:
                if key not in self._accounts:  # accounts are never deleted: ask once
                    repos_ledger.ensure_account(s, key, kind, overdraft)
            repos_ledger.record_usage(s, usage)
            _, posted = repos_ledger.add_journal_entry(
                s,
                usage_cause(spec.id, start_s, end_s),
                wall(end_s),
                f"{count} x {pool.accel_type} for {end_s - start_s:.1f} s",
                legs,
                enforce_overdraft=False,  # within the job's reservation, checked at submit
            )
            if posted:  # a retry of the same interval draws nothing twice
                repos_jobs.draw_reservation(s, spec.id, amount)
        self._accounts.update(key for key, _, _ in accounts)


_ENDS = (JobState.COMPLETED, JobState.FAILED)
_BEAT_S = 1.0
_INGEST_MARGIN_S = 5.0
_SWEEP_S = 15.0
_REASONS_FOR = 200
_EXPECTED_SLACK_S = 30  # an expected start is rewritten only when it moves more than this


def _same(old: tuple[str, int | None] | None, new: tuple[str, int | None]) -> bool:
    """Whether a recorded (reason, expected start) still stands for ``new``."""
    if old is None or old[0] != new[0] or (old[1] is None) != (new[1] is None):
        return False
    return old[1] is None or abs(old[1] - (new[1] or 0)) <= _EXPECTED_SLACK_S


_EXIT = re.compile(r"exit code (-?\d+)")


def _exit_code(cause: str) -> int | None:
    found = _EXIT.search(cause)
    return int(found.group(1)) if found else None


class LiveScheduler:
    """Runs the shared engine against the wall clock in a background thread."""

    def __init__(
        self,
        svc: Services,
        pools: Sequence[Pool],
        devices: Mapping[str, Sequence[str]],
        policy: Policy,
        rates: ThroughputModel,
        tick_s: float = 0.5,
        meter_s: float = 5.0,
    ) -> None:
        self.svc, self.rates, self.tick_s, self.meter_s = svc, rates, tick_s, meter_s
        self.dispatcher = LocalDispatcher(devices, Path(svc.workdir))
        self.persist = _Persist(svc, self.dispatcher, rates)
        self.engine = Engine(
            pools, policy, self.dispatcher, rates, EngineConfig(), self.persist, self.persist
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_meter = 0.0
        self._last_beat = 0.0
        self._last_sweep = 0.0
        self._started = time.time()
        self._seen_until = 0.0
        self._said: dict[JobId, tuple[str, int | None]] = {}
        self._estimates: dict[JobId, float] = {}

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        self._started = time.time()
        self.recover(self._started)
        self._thread = threading.Thread(target=self._run, name="nacc-live", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            began = time.monotonic()
            try:
                self.step(time.time())
                self._beat(time.time(), time.monotonic() - began)
            except Exception:  # keep serving; the error is in the log with its traceback
                log.exception("live scheduler step failed")
            self._stop.wait(self.tick_s)

    def _beat(self, now: float, step_s: float) -> None:
        """Say, at most once a second, that this scheduler is alive and how it goes."""
        if step_s > 5 * self.tick_s:
            log.warning("scheduler step took %.2f s (tick every %.2f s)", step_s, self.tick_s)
        if now - self._last_beat < _BEAT_S:
            return
        beat = repos_jobs.Beat(
            name=repos_jobs.LIVE_SCHEDULER,
            host=socket.gethostname(),
            pid=os.getpid(),
            started_at=wall(self._started),
            beat_at=wall(now),
            interval_s=self.tick_s,
            step_s=step_s,
            pending=len(self.engine.pending),
            running=len(self.engine.running),
        )
        with self.svc.tx() as s:
            repos_jobs.record_beat(s, beat)
        self._last_beat = now

    # -- one step ---------------------------------------------------------------------------
    def step(self, now: float) -> None:
        # 1. Take in new submissions.
        self._ingest(now)
        # 2. Cancellations requested through the API (a running job's group is killed),
        #    and jobs past their time limit (killed and failed, like Slurm's TIMEOUT).
        self._cancellations(now)
        self._time_limits(now)
        # 3. Observe, plan, act.
        self.engine.tick(now)
        # 4. Meter running jobs into the ledger.
        if now - self._last_meter >= self.meter_s:
            self.engine.meter_running(now)
            self._last_meter = now
        # 5. Why do pending jobs wait, and when should they start?
        self._estimate_starts(now)
        self._reasons()

    def _ingest(self, now: float) -> None:
        """Take in jobs submitted since the last look (a high-water mark on submit time,
        with a margin for transactions that committed late) and, every ``_SWEEP_S``, any
        pending job not yet taken in whatever its submit time (one that committed later
        than the margin, e.g. after waiting for its project's lock)."""
        pending = Job.state == JobState.PENDING.value
        with self.svc.tx() as s:
            if now - self._last_sweep >= _SWEEP_S:
                self._last_sweep = now
                ids = s.scalars(sa.select(Job.id).where(pending)).all()
                late = [i for i in ids if i not in self.engine.jobs]
                rows = [j for chunk in _chunks(late, 500)
                        for j in s.scalars(sa.select(Job).where(Job.id.in_(chunk)))]  # fmt: skip
                rows.sort(key=lambda j: (j.submitted_at, j.id))
            else:
                since = wall(self._seen_until - _INGEST_MARGIN_S)
                stmt = sa.select(Job).where(pending, Job.submitted_at >= since)
                rows = list(s.scalars(stmt.order_by(Job.submitted_at, Job.id)))
            fresh = [(spec_of(j), j.command) for j in rows if j.id not in self.engine.jobs]
        for spec, command in fresh:
            self.dispatcher.register(spec.id, command)
            self.engine.submit(spec, now)
            self._seen_until = max(self._seen_until, spec.submit_s)

    def _cancellations(self, now: float) -> None:
        live = [JobState.PENDING.value, JobState.RUNNING.value]
        with self.svc.tx() as s:
            stmt = sa.select(Job.id, Job.reason).where(
                Job.state.in_(live), Job.cancel_requested_at.is_not(None)
            )
            asked = [(row[0], row[1]) for row in s.execute(stmt).all()]
        for job_id, reason in asked:
            if JobId(job_id) in self.engine.jobs:
                self.engine.cancel(JobId(job_id), now, reason or "cancelled on request")

    def _time_limits(self, now: float) -> None:
        """Stop running jobs that reached their time limit (wall time since this start),
        charged up to the limit: the reservation made at submission (the estimate at the
        limit) covers every job whole, so many jobs together stay above the floor."""
        over = [
            rec
            for rec in self.engine.running.values()
            if rec.spec.time_limit_s is not None and now - rec.started_s >= rec.spec.time_limit_s
        ]
        for rec in over:
            limit = rec.spec.time_limit_s or 0.0
            cause = f"timeout: time limit of {limit:g} s reached (ran {now - rec.started_s:.1f} s)"
            self.engine.fail(rec.spec.id, now, cause, charge_until=rec.started_s + limit)

    def _estimate_starts(self, now: float) -> None:
        """Give the first queued jobs an expected start where the policy gave none: the
        earliest time a pool they accept frees enough accelerators, by time limits."""
        head = list(self.engine.pending.values())[:_REASONS_FOR]
        missing = [rec for rec in head if rec.expected_start_s is None]
        if not missing:
            self._estimates = {}
            return
        view = self.engine.snapshot(now)
        self._estimates = earliest_starts(view, missing, 3600.0, ACCEPTABLE_SPEED)

    def _reasons(self) -> None:
        """Record why the first queued jobs wait and when they should start, when that
        changed (the API reads both from the database)."""
        if len(self._said) > 4 * _REASONS_FOR:
            self._said = {k: v for k, v in self._said.items() if k in self.engine.pending}
        changed = []
        for rec in list(self.engine.pending.values())[:_REASONS_FOR]:
            at = rec.expected_start_s
            at = at if at is not None else self._estimates.get(rec.spec.id)
            said = (rec.reason, None if at is None else round(at))
            if not _same(self._said.get(rec.spec.id), said):
                changed.append((rec.spec.id, said))
        if not changed:
            return
        rows = [
            {"jid": job_id, "why": reason, "when": None if at is None else wall(at)}
            for job_id, (reason, at) in changed
        ]
        stmt = (  # one executemany (a pipeline on psycopg), not a round trip per job
            sa.update(Job)
            .where(Job.id == sa.bindparam("jid"))
            .values(reason=sa.bindparam("why"), expected_start_at=sa.bindparam("when"))
        )
        with self.svc.tx() as s:
            s.connection().execute(stmt, rows)
        self._said.update(changed)

    # -- crash recovery ------------------------------------------------------------------
    def recover(self, now: float) -> list[str]:
        """After a restart: re-adopt running processes, settle jobs that ended while the
        service was down (charged up to their real end), fail the lost ones with a
        reason, and queue the pending ones again. Returns a line per job handled."""
        records = {r.job_id: r for r in self.dispatcher.reconcile(now=now)}
        with self.svc.tx() as s:
            rows = repos_jobs.jobs_in_states(s, [JobState.PENDING.value, JobState.RUNNING.value])
            jobs = [(spec_of(j), j.command, j.state, j.pool_id, j.started_at) for j in rows]
            watermark = {j.id: _metered_until(s, j.id) for j in rows}
        done: list[str] = []
        for spec, command, state, pool_id, started in jobs:
            self.dispatcher.register(spec.id, command)
            rec = records.get(spec.id)
            if state == JobState.PENDING.value:
                if rec is not None and rec.action == "readopted":
                    # launched just before the crash, its start never recorded: restart it
                    self.dispatcher.stop(spec.id, now)
                self.engine.submit(spec, now)
                self._seen_until = max(self._seen_until, spec.submit_s)
                continue
            if rec is None or pool_id is None:
                done.append(self._lost(spec, now, "lost: no trace of the process after a restart"))
                continue
            start_s = started.timestamp() if started else now
            metered = watermark[spec.id] or start_s
            self.engine.adopt(spec, PoolId(pool_id), spec.accelerators, start_s, metered)
            done.append(f"{spec.id}: {rec.action} ({rec.note})")
            if rec.action != "readopted" and rec.observation is not None:
                end = rec.ended_wall if rec.ended_wall is not None else metered
                obs = Observation(spec.id, max(end, metered), rec.observation.ok,
                                  rec.observation.note)  # fmt: skip
                self.engine.observe(_within_limit(spec, start_s, obs))
        return done

    def _lost(self, spec: JobSpec, now: float, reason: str) -> str:
        change = repos_jobs.Transition(JobState.FAILED, wall(now), reason, reason)
        with self.svc.tx() as s:
            repos_jobs.record_transition(s, spec.id, change)
        return f"{spec.id}: {reason}"


def _chunks(items: Sequence[str], size: int) -> list[Sequence[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _within_limit(spec: JobSpec, start_s: float, obs: Observation) -> Observation:
    """A job that ended while the service was down, past its time limit, timed out at
    its limit (where the scheduler would have stopped it): charged up to there only."""
    limit = spec.time_limit_s
    if limit is None or obs.at <= start_s + limit:
        return obs
    cause = (f"timeout: time limit of {limit:g} s reached while the service was down "
             f"(the process ran {obs.at - start_s:.1f} s; {obs.note})")  # fmt: skip
    return Observation(obs.job_id, start_s + limit, False, cause)


def _metered_until(s: Session, job_id: str) -> float | None:
    rows = repos_ledger.usage_for_job(s, job_id)
    return max((r.end_at.timestamp() for r in rows), default=None)
