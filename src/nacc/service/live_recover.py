"""The live scheduler's crash recovery (mixed into ``service.live.LiveScheduler``).

After a restart, ``recover`` asks each backend that can (``Recoverable``) what still runs,
re-adopts it, settles the jobs that ended while the service was down (charged up to their
real end, never past their limit), fails the lost ones with a reason and queues the
pending ones again; the tick's writes then go out as any step's do (``_write``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from nacc.domain.datasets import Used
from nacc.domain.errors import NaccError
from nacc.domain.ids import JobId, PoolId
from nacc.domain.jobs import JobSpec
from nacc.domain.lifecycle import JobState
from nacc.domain.reasons import Code, Reason
from nacc.engine.engine import Engine
from nacc.ports import Observation, Outcome, Recoverable, Recovered
from nacc.ports.store_scheduler import Move, QueuedJob, Waiting
from nacc.service.context import Services
from nacc.service.datasets import datasets_of
from nacc.service.live_specs import payload_of, spec_of
from nacc.service.live_writes import TickBuffer, text, wall

log = logging.getLogger("nacc.live")


class Recovery:
    """What ``LiveScheduler`` does once at start (and again if the store was down)."""

    svc: Services
    engine: Engine
    persist: TickBuffer
    _cancel_asked: set[str]
    _recovered: bool
    _seen_until: float

    def _write(self, waits: list[Waiting]) -> None:
        """The tick's writes in one unit of work (``LiveScheduler._write``)."""
        raise NotImplementedError

    def recover(self, now: float) -> list[str]:
        """After a restart: ask each backend what still runs (``Recoverable``), re-adopt
        it, settle jobs that ended while the service was down (charged up to their real
        end, never past their limit), fail the lost ones with a reason, and queue the
        pending ones again (a backend stops what it runs for a job recorded as pending:
        launched just before the crash, its start never recorded). One line per job."""
        with self.svc.unit() as uow:
            jobs = uow.scheduler.live_jobs()
            self._cancel_asked = set(uow.scheduler.cancel_requests())
            data = datasets_of(uow, [j.id for j in jobs])
        running = [j for j in jobs if j.state is JobState.RUNNING]
        found = self._ask_backends([(JobId(j.id), j.pool_id) for j in running], now)
        self._recovered = bool(jobs)
        for job in jobs:
            if job.state is JobState.PENDING:
                used = data.get(job.id, ())
                spec = spec_of(job, used)
                self.engine.submit(spec, now, payload_of(job, used))
                self._seen_until = max(self._seen_until, spec.submit_s)
        done = [self._recover_one(job, found.get(JobId(job.id)), data.get(job.id, ()), now)
                for job in running]  # fmt: skip
        try:  # the engine holds the jobs now: a write that fails waits for the next tick
            self._write([])
        except Exception:
            log.exception("recovery's writes failed; written with the next tick's")
        return done

    def _recover_one(
        self, job: QueuedJob, rec: Recovered | None, used: Sequence[Used], now: float
    ) -> str:
        spec, pool_id = spec_of(job, used), job.pool_id
        if rec is None or rec.state == "unknown" or pool_id not in self.engine.pools:
            note = rec.note if rec is not None else "its pool is not in this fleet"
            return self._lost(spec, now, note)
        start_s = job.started_at.timestamp() if job.started_at else now
        if rec.started_at is not None:  # the backend's real start (Slurm's), not the decision
            start_s = rec.started_at
        metered = job.metered_until.timestamp() if job.metered_until else start_s
        self.engine.adopt(spec, PoolId(pool_id), spec.accelerators, start_s,
                          max(metered, start_s), payload_of(job, used),
                          starting=rec.queued)  # fmt: skip
        if rec.state == "ended" and rec.observation is not None:
            obs = rec.observation
            obs = Observation(obs.job_id, max(obs.at, metered), obs.outcome, obs.exit_code,
                              obs.reason)  # fmt: skip
            if obs.outcome is Outcome.LOST and self._stopped(job, spec, start_s, obs):
                return f"{spec.id}: stopped before the crash, not recorded ({rec.note})"
            self.engine.observe(_within_limit(spec, start_s, obs))
        return f"{spec.id}: {rec.state} ({rec.note})"

    def _stopped(self, job: QueuedJob, spec: JobSpec, start_s: float, obs: Observation) -> bool:
        """A job that ended without an exit code (a stop leaves none) that the scheduler
        meant to stop, as the store says: a cancel was asked (recorded before the stop),
        or it reached its time limit. Settled as the step that stopped it would have
        (cancelled, or failed for its limit, charged up to the stop or the limit), not
        as lost. False: nothing says it was stopped on purpose."""
        limit = spec.time_limit_s
        if job.id in self._cancel_asked:
            try:  # the backend's stop was made: asked again, it does nothing
                self.engine.cancel(spec.id, obs.at, Reason(Code.CANCELLED))
            except NaccError:
                return False  # it cannot say: settled by the observation
            return True
        if limit is not None and obs.at >= start_s + limit:
            ran = round(obs.at - start_s, 1)
            why = Reason.of(Code.TIMEOUT, limit_s=limit, ran_s=ran)
            self.engine.observe(Observation(obs.job_id, start_s + limit, Outcome.TIMED_OUT,
                                            None, why))  # fmt: skip
            return True
        return False

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
        why = Reason(Code.LOST_AFTER_RESTART)
        self.persist.add(Move(spec.id, wall(now), JobState.RUNNING, JobState.FAILED, why,
                              text(why)))  # fmt: skip
        return f"{spec.id}: {text(why)}"


def _within_limit(spec: JobSpec, start_s: float, obs: Observation) -> Observation:
    """A job that ended while the service was down, past its time limit, timed out at
    its limit (where the scheduler would have stopped it): charged up to there only."""
    limit = spec.time_limit_s
    if limit is None or obs.at <= start_s + limit:
        return obs
    why = Reason.of(Code.TIMEOUT_WHILE_DOWN, limit_s=limit, ran_s=round(obs.at - start_s, 1))
    return Observation(obs.job_id, start_s + limit, Outcome.TIMED_OUT, obs.exit_code, why)
