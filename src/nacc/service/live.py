"""The live control loop: the shared driver (``nacc.engine.driver``) on a clock.

The database is the source of truth. Every tick (phases numbered in ``step``): take in
jobs that were submitted since, apply cancellations, step the driver (observe every
backend → stop jobs at their time limits → decide when the policy's cadence says so →
act through the pool's dispatcher), persist each lifecycle event as it happens, meter
running jobs into the ledger every ``meter_s``, and record why pending jobs wait and
when they should start. After a crash, ``recover`` asks each backend that can
(``Recoverable``) what still runs and settles what ended meanwhile.

The dispatchers (one per pool, several backends at once) and the clock are handed in by
the composition root (``nacc.bootstrap``); this module never builds a backend.
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nacc.adapters.store import repos_jobs, repos_ledger
from nacc.adapters.store.tables import Job
from nacc.catalog.throughput import ThroughputModel
from nacc.domain.events import JobEvent
from nacc.domain.ids import JobId, PoolId
from nacc.domain.jobs import JobClass, JobSpec
from nacc.domain.lifecycle import JobState
from nacc.domain.pools import Pool
from nacc.domain.reasons import Code, Reason
from nacc.engine.driver import DEFAULT_LIMIT_S, REQUEST_REFERENCE, Driver, DriverConfig
from nacc.engine.engine import Engine, EngineConfig
from nacc.i18n import render
from nacc.ledger.accounts import USAGE, project, usage_cause, usage_credits
from nacc.ports import Dispatcher, Observation, Outcome, Payload, Recoverable, Recovered
from nacc.scheduling.policy import Policy
from nacc.service.context import Services

log = logging.getLogger("nacc.live")


def wall(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def spec_of(job: Job) -> JobSpec:
    """The engine's view of a stored job (work = its time limit: unknown in advance)."""
    limit = float(job.time_limit_s or DEFAULT_LIMIT_S)
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
        reference_type=REQUEST_REFERENCE,  # as ``nacc.engine.driver.as_requested``
    )


def payload_of(job: Job) -> Payload:
    """What the backend runs for a stored job."""
    return Payload(command=job.command, image=job.image)


def _text(reason: Reason) -> str:
    return render(reason, "en")


class _Persist:
    """EventSink and UsageSink writing through to the store, one transaction each."""

    def __init__(self, svc: Services, rates: ThroughputModel) -> None:
        self.svc, self.rates = svc, rates
        self._accounts: set[str] = set()  # ledger accounts known to exist

    def emit(self, event: JobEvent) -> None:
        started = event.dst is JobState.RUNNING
        change = repos_jobs.Transition(
            dst=event.dst,
            at=wall(event.at),
            cause=_text(event.cause),
            reason=_text(event.cause),
            pool_id=event.pool_id,
            device_ids=list(event.devices) if started else None,
            exit_code=event.exit_code,
        )
        with self.svc.tx() as s:
            repos_jobs.record_transition(s, event.job_id, change)
            if started and event.log is not None:
                repos_jobs.set_log_path(s, event.job_id, event.log)

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


_BEAT_S = 1.0
_INGEST_MARGIN_S = 5.0
_SWEEP_S = 15.0
_REASONS_FOR = 200
_EXPECTED_SLACK_S = 30  # an expected start is rewritten only when it moves more than this


def _same(old: tuple[Reason, int | None] | None, new: tuple[Reason, int | None]) -> bool:
    """Whether a recorded (reason, expected start) still stands for ``new``."""
    if old is None or old[0] != new[0] or (old[1] is None) != (new[1] is None):
        return False
    return old[1] is None or abs(old[1] - (new[1] or 0)) <= _EXPECTED_SLACK_S


class LiveScheduler:
    """Runs the shared engine and driver against a clock in a background thread."""

    def __init__(
        self,
        svc: Services,
        pools: Sequence[Pool],
        dispatchers: Mapping[PoolId, Dispatcher],
        policy: Policy,
        rates: ThroughputModel,
        tick_s: float = 0.5,
        meter_s: float = 5.0,
        clock: Callable[[], float] = time.time,
        config: EngineConfig | None = None,
    ) -> None:
        """``config``: the engine's (restart cost, usage half-life, shares) as the
        simulator is given them; the defaults if None."""
        self.svc, self.rates, self.tick_s, self.meter_s = svc, rates, tick_s, meter_s
        self.clock = clock
        self.persist = _Persist(svc, rates)
        self.engine = Engine(
            pools, policy, dispatchers, rates, config or EngineConfig(), self.persist,
            self.persist,
        )  # fmt: skip
        self.driver = Driver(self.engine, DriverConfig(estimate_starts=_REASONS_FOR))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_meter = 0.0
        self._last_beat = 0.0
        self._last_sweep = 0.0
        self._started = clock()
        self._seen_until = 0.0
        self._said: dict[JobId, tuple[Reason, int | None]] = {}
        self._recovered = False  # recovery took jobs in: the next step decides

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        self._started = self.clock()
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
                self.step(self.clock())
                self._beat(self.clock(), time.monotonic() - began)
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
        # 1. Take in new submissions (and, the first time, what recovery took in).
        changed, self._recovered = self._ingest(now) > 0 or self._recovered, False
        # 2. Cancellations requested through the API (a running job's group is killed).
        changed = self._cancellations(now) > 0 or changed
        # 3. The driver: observe the backends, time limits, decide when due, act.
        self.driver.step(now, changed)
        # 4. Meter running jobs into the ledger.
        if now - self._last_meter >= self.meter_s:
            self.engine.meter_running(now)
            self._last_meter = now
        # 5. Why do pending jobs wait, and when should they start?
        self._reasons()

    def _ingest(self, now: float) -> int:
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
            fresh = [(spec_of(j), payload_of(j)) for j in rows if j.id not in self.engine.jobs]
        for spec, payload in fresh:
            self.engine.submit(spec, now, payload)
            self._seen_until = max(self._seen_until, spec.submit_s)
        return len(fresh)

    def _cancellations(self, now: float) -> int:
        live = [JobState.PENDING.value, JobState.RUNNING.value]
        with self.svc.tx() as s:
            stmt = sa.select(Job.id, Job.reason).where(
                Job.state.in_(live), Job.cancel_requested_at.is_not(None)
            )
            asked = [(row[0], row[1]) for row in s.execute(stmt).all()]
        done = 0
        for job_id, _ in asked:
            if JobId(job_id) in self.engine.jobs:
                why = Reason(Code.CANCELLED)
                self.engine.cancel(JobId(job_id), now, why)
                done += 1
        return done

    def _reasons(self) -> None:
        """Record why the first queued jobs wait and when they should start, when that
        changed (the API reads both from the database)."""
        if len(self._said) > 4 * _REASONS_FOR:
            self._said = {k: v for k, v in self._said.items() if k in self.engine.pending}
        changed = []
        for rec in itertools.islice(self.engine.pending.values(), _REASONS_FOR):
            at = self.driver.expected_start(rec.spec.id)
            said = (rec.reason, None if at is None else round(at))
            if not _same(self._said.get(rec.spec.id), said):
                changed.append((rec.spec.id, said))
        if not changed:
            return
        rows = [
            {"jid": job_id, "why": _text(reason), "when": None if at is None else wall(at)}
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
        """After a restart: ask each backend what still runs (``Recoverable``), re-adopt
        it, settle jobs that ended while the service was down (charged up to their real
        end, never past their limit), fail the lost ones with a reason, and queue the
        pending ones again (a backend stops what it runs for a job recorded as pending:
        launched just before the crash, its start never recorded). One line per job."""
        with self.svc.tx() as s:
            rows = repos_jobs.jobs_in_states(s, [JobState.PENDING.value, JobState.RUNNING.value])
            jobs = [(spec_of(j), payload_of(j), j.state, j.pool_id, j.started_at) for j in rows]
            watermark = {j.id: _metered_until(s, j.id) for j in rows}
        running = [(spec, p, pool, started) for spec, p, st, pool, started in jobs
                   if st == JobState.RUNNING.value]  # fmt: skip
        found = self._ask_backends([(spec.id, pool) for spec, _, pool, _ in running], now)
        done: list[str] = []
        self._recovered = bool(jobs)
        for spec, payload, state, _, _ in jobs:
            if state == JobState.PENDING.value:
                self.engine.submit(spec, now, payload)
                self._seen_until = max(self._seen_until, spec.submit_s)
        for spec, payload, pool_id, started in running:
            rec = found.get(spec.id)
            if rec is None or rec.state == "unknown" or pool_id not in self.engine.pools:
                note = rec.note if rec is not None else "its pool is not in this fleet"
                done.append(self._lost(spec, now, note))
                continue
            start_s = started.timestamp() if started else now
            metered = watermark[spec.id] or start_s
            self.engine.adopt(spec, PoolId(pool_id), spec.accelerators, start_s, metered, payload)
            done.append(f"{spec.id}: {rec.state} ({rec.note})")
            if rec.state == "ended" and rec.observation is not None:
                obs = rec.observation
                obs = Observation(obs.job_id, max(obs.at, metered), obs.outcome, obs.exit_code,
                                  obs.reason)  # fmt: skip
                self.engine.observe(_within_limit(spec, start_s, obs))
        return done

    def _ask_backends(
        self, running: Sequence[tuple[JobId, str | None]], now: float
    ) -> dict[JobId, Recovered]:
        """What each backend knows of the jobs recorded as running on its pools."""
        router = self.engine.dispatcher
        found: dict[JobId, Recovered] = {}
        for backend in router.backends:
            ids = [
                job for job, pool in running if router.by_pool.get(PoolId(pool or "")) is backend
            ]
            if isinstance(backend, Recoverable):
                found.update((r.job_id, r) for r in backend.recover(ids, now))
            else:
                why = "its backend cannot find jobs again after a restart"
                found.update((job, Recovered(job, "unknown", why)) for job in ids)
        return found

    def _lost(self, spec: JobSpec, now: float, note: str) -> str:
        why = _text(Reason(Code.LOST_AFTER_RESTART))
        change = repos_jobs.Transition(JobState.FAILED, wall(now), why, why)
        with self.svc.tx() as s:
            repos_jobs.record_transition(s, spec.id, change)
        return f"{spec.id}: {why}"


def _chunks(items: Sequence[str], size: int) -> list[Sequence[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _within_limit(spec: JobSpec, start_s: float, obs: Observation) -> Observation:
    """A job that ended while the service was down, past its time limit, timed out at
    its limit (where the scheduler would have stopped it): charged up to there only."""
    limit = spec.time_limit_s
    if limit is None or obs.at <= start_s + limit:
        return obs
    why = Reason.of(Code.TIMEOUT_WHILE_DOWN, limit_s=limit, ran_s=round(obs.at - start_s, 1))
    return Observation(obs.job_id, start_s + limit, Outcome.TIMED_OUT, obs.exit_code, why)


def _metered_until(s: Session, job_id: str) -> float | None:
    rows = repos_ledger.usage_for_job(s, job_id)
    return max((r.end_at.timestamp() for r in rows), default=None)
