"""Failover: what the engine does when a backend stays unreachable, and when it returns.

The router (``nacc.engine.routing``) says which backends are down. Then, after each poll:

- their pools take no new jobs (the engine's snapshot shows them with nothing free);
- jobs launched there that had not started (``starting``: Slurm's queue) are taken off
  (``Router.abandon``) and queued again, uncharged, with ``replanned_backend_down``: the
  policy places them on another pool they accept, or they wait for this one;
- jobs that run there keep running as far as nacc knows (never started twice); they are
  observed again when the backend answers, their charges from the backend's own times;
- a pending job whose every acceptable pool is down waits with ``backend_down``.

When a backend answers again, each job it reports that was taken off but ran anyway is
**adopted** (``ran_while_down``: running on its old pool, charged from the backend's
start, once) if nacc has not started it elsewhere; otherwise the copy is cancelled
(``Router.drop_copy``) and only the run nacc chose is charged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nacc import ports
from nacc.domain.ids import JobId, PoolId
from nacc.domain.lifecycle import JobState
from nacc.domain.reasons import Code, Reason
from nacc.engine.routing import Abandoned, BackendDown
from nacc.scheduling.placement import ACCEPTABLE_SPEED, acceptable

if TYPE_CHECKING:
    from nacc.engine.engine import Engine
    from nacc.engine.records import JobRecord


def after_poll(engine: Engine, now: float) -> int:
    """Re-plan the jobs not yet started on down backends, settle abandoned jobs that ran
    anyway; returns how many jobs changed (the policy decides again)."""
    router = engine.dispatcher
    if not router.down and not router.returned:  # the common case: every backend answers
        engine.down = frozenset()
        return 0
    down = {p: d for d in router.down.values() for p in d.pools}
    engine.down = frozenset(down)
    changed = 0
    if down:
        for rec in list(engine.running.values()):
            if rec.starting and rec.pool_id in down:
                changed += _replan(engine, rec, down[rec.pool_id], now)
    adopted: dict[JobId, bool] = {}
    for obs, gone in router.returned:
        first = obs.job_id not in adopted
        if first:
            adopted[obs.job_id] = _take_back(engine, obs, gone, now)
            changed += 1
        if adopted[obs.job_id] and (obs.ended or not first):
            engine.observe(obs)
    return changed


def _replan(engine: Engine, rec: JobRecord, down: BackendDown, now: float) -> int:
    if not engine.dispatcher.abandon(rec.spec.id, rec.pool_id, rec.count):
        return 0  # its backend cannot forget it: it stays there
    pool = rec.pool_id
    engine._release(rec, now)  # a job whose start was never reported: not charged
    engine.pending[rec.spec.id] = rec
    why = Reason.of(Code.REPLANNED_BACKEND_DOWN, pool=pool, backend=down.name)
    engine._move(rec, JobState.PENDING, now, why)
    return 1


def _take_back(engine: Engine, obs: ports.Observation, gone: Abandoned, now: float) -> bool:
    """Adopt the run a returned backend made of an abandoned job, or drop it."""
    rec = engine.jobs.get(obs.job_id)
    pool = engine.pools.get(gone.pool)
    fits = (pool is not None and gone.count > 0 and gone.pool not in engine.down
            and engine.free[gone.pool] >= gone.count)  # fmt: skip
    if rec is None or rec.state is not JobState.PENDING or pool is None or not fits:
        engine.dispatcher.drop_copy(obs.job_id, gone.backend, now)
        return False
    credit_rate = engine.rates.credit_rate(rec.spec, pool.accel_type) or 0.0
    del engine.pending[rec.spec.id]
    engine.running[rec.spec.id] = rec
    engine.free[pool.id] -= gone.count
    start = min(obs.at, now)
    rec.pool_id, rec.accel_type, rec.count = pool.id, pool.accel_type, gone.count
    rec.started_s = rec.metered_s = start
    rec.credit_rate, rec.starting, rec.expected_start_s = credit_rate, False, None
    if rec.first_start_s is None:
        rec.first_start_s = start
    engine.dispatcher.adopt(rec.spec.id, pool.id)
    engine._watch_limit(rec)
    engine.usage.change_rate(rec.spec.project, start, gone.count * credit_rate / 3600.0)
    engine._move(rec, JobState.RUNNING, now, Reason.of(Code.RAN_WHILE_DOWN, pool=pool.id),
                pool.id)  # fmt: skip
    return True


def explain(engine: Engine) -> None:
    """A pending job every pool of which that it accepts is down waits for them."""
    if not engine.down:
        return
    by_pool: dict[PoolId, BackendDown] = {
        p: d for d in engine.dispatcher.down.values() for p in d.pools
    }
    pools = list(engine.pools.values())
    for rec in engine.pending.values():
        fits = [p for p, _ in acceptable(pools, rec.spec, engine.rates, ACCEPTABLE_SPEED)]
        if fits and all(p in engine.down for p in fits):
            down = by_pool[fits[0]]
            rec.reason = Reason.of(Code.BACKEND_DOWN, pool=fits[0], backend=down.name)
