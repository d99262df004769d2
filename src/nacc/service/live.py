"""The live control loop: the shared driver (``nacc.engine.driver``) on a clock.

The database is the source of truth. Every tick (phases numbered in ``step``): take in
jobs that were submitted since, apply cancellations, step the driver (observe every
backend → stop jobs at their time limits → decide when the policy's cadence says so →
act through the pool's dispatcher), meter running jobs into the ledger every
``meter_s``, and write the tick — every lifecycle event, metered charge and why pending
jobs wait and when they should start — in one unit of work of a few statements
(``nacc.ports.store_scheduler``; ``live_writes`` gathers it while the engine runs).
After a crash, ``recover`` asks each backend that can (``Recoverable``) what still runs
and settles what ended meanwhile.

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

from nacc.catalog.throughput import ThroughputModel
from nacc.domain.datasets import Used
from nacc.domain.ids import JobId, PoolId
from nacc.domain.jobs import JobClass
from nacc.domain.lifecycle import JobState
from nacc.domain.pools import Pool
from nacc.domain.reasons import Code, Reason
from nacc.domain.reservations import Block
from nacc.engine.driver import Driver, DriverConfig
from nacc.engine.engine import Engine, EngineConfig
from nacc.engine.routing import backend_name
from nacc.ports import Dispatcher
from nacc.ports.store_jobs_data import BackendState
from nacc.ports.store_scheduler import LIVE_SCHEDULER, Beat, QueuedJob, SchedulerRepo, Waiting
from nacc.scheduling.blocks import Blocked
from nacc.scheduling.policy import Policy
from nacc.service.context import Services
from nacc.service.datasets import datasets_of
from nacc.service.live_recover import Recovery
from nacc.service.live_specs import payload_of, spec_of
from nacc.service.live_writes import TickBuffer, text, wall
from nacc.service.reservations import blocks_now, settle_ended

log = logging.getLogger("nacc.live")

__all__ = ["LiveScheduler", "payload_of", "spec_of", "wall"]


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


class LiveScheduler(Recovery):
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
        backend_down_s: float | None = None,
        busy_tick_s: float = 0.1,
    ) -> None:
        """``config``: the engine's (restart cost, usage half-life, shares) as the
        simulator is given them; the defaults if None. ``backend_down_s``: a backend
        whose polls fail for that long is down (failover, ``nacc.engine.failover``);
        None: never. ``busy_tick_s``: the wait after a step that moved jobs (``pause_s``;
        at most ``tick_s``)."""
        self.svc, self.rates, self.tick_s, self.meter_s = svc, rates, tick_s, meter_s
        if not busy_tick_s > 0:
            raise ValueError(f"busy_tick_s must be > 0 seconds, got {busy_tick_s!r}")
        self.busy_tick_s = min(busy_tick_s, tick_s)
        self._moved = 0  # jobs the last step moved (launched, ended, ...)
        self.clock = clock
        self.persist = TickBuffer()
        self.blocks = Blocked(policy, [])  # capacity blocks, re-read every step
        self.engine = Engine(
            pools, self.blocks, dispatchers, rates, config or EngineConfig(), self.persist,
            self.persist,
        )  # fmt: skip
        self.engine.dispatcher.down_after_s = backend_down_s
        self.driver = Driver(self.engine, DriverConfig(estimate_starts=_REASONS_FOR))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_meter = 0.0
        self._last_beat = 0.0
        self._last_sweep = 0.0
        self._read_at = -float("inf")  # the last read of what the API recorded
        self._hooks_at = -float("inf")  # the last run of the ``after_step`` hooks
        self._started = clock()
        self._seen_until = 0.0
        self._said: dict[JobId, tuple[Reason, int | None]] = {}
        self._down_said: set[str] = set()  # backends whose going down was logged
        self._backend_said: set[JobId] = set()  # jobs whose row shows a backend's reason
        self._recovered = False  # recovery took jobs in: the next step decides
        self._unrecovered = False  # recovery could not read the store: retried first
        self._cancel_asked: set[str] = set()  # live jobs with a cancel asked, at recovery
        self.after_step: list[Callable[[], object]] = []  # e.g. settling evaluations
        self._settled: set[str] = set()  # ended use_plus_idle blocks whose fee is posted
        self._rates = {(p.accel_type, c.value): r for p in pools for c in JobClass
                       if (r := rates.class_credit_rate(c, p.accel_type)) is not None}  # fmt: skip

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        self._started = self.clock()
        self._try_recover(self._started)
        self._thread = threading.Thread(target=self._run, name="nacc-live", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            if self._thread.is_alive():
                return  # a step is stuck: leave its dispatchers to it
        for hook in self.after_step:  # e.g. a push of Slurm limits in its own thread
            close = getattr(hook, "close", None)
            if callable(close):
                close()
        self.engine.dispatcher.close()  # e.g. the local launcher processes

    def _run(self) -> None:
        while not self._stop.is_set():
            began = time.monotonic()
            try:
                if self._unrecovered:
                    self._try_recover(self.clock())
                else:
                    self.loop_step(self.clock())
                    self._beat(self.clock(), time.monotonic() - began)
            except Exception:  # keep serving; the error is in the log with its traceback
                log.exception("live scheduler step failed")  # its writes wait for the next
            self._stop.wait(self.pause_s())

    def pause_s(self) -> float:
        """How long the loop waits after a step: ``busy_tick_s`` after one that moved jobs
        (launches asked, ends heard: the starts and next ends follow within moments, and
        a step taken sooner has fewer of them to decide and write), else ``tick_s``. A
        step's cost follows the jobs it moves, so while a queue drains many short steps
        each cost what their share of the work costs, not one long step every tick."""
        return self.busy_tick_s if self._moved else self.tick_s

    def loop_step(self, now: float) -> None:
        """One step of the loop: a whole ``step`` once a tick (and after a step that moved
        nothing), and in between, after a step that moved jobs, a short one that only
        observes, decides and writes: what the API recorded (submissions, cancel
        requests, capacity blocks) and why pending jobs wait are read and written once a
        tick, as before the short steps."""
        self.step(now, read=not self._moved or now - self._read_at >= self.tick_s)

    def _try_recover(self, now: float) -> None:
        """Recover, or (the store unreachable) say so and try again at the next tick:
        nothing is scheduled before the jobs that ran are known again."""
        try:
            for line in self.recover(now):  # each job Slurm & co. and the store disagreed on
                log.info("recovered %s", line)
            self._unrecovered = False
        except Exception:
            log.exception("recovery failed; tried again at the next tick")
            self._unrecovered = True

    def _beat(self, now: float, step_s: float) -> None:
        """Say, at most once a second, that this scheduler is alive and how it goes."""
        if step_s > 5 * self.tick_s:
            log.warning("scheduler step took %.2f s (tick every %.2f s)", step_s, self.tick_s)
        if now - self._last_beat < _BEAT_S:
            return
        beat = Beat(
            name=LIVE_SCHEDULER,
            host=socket.gethostname(),
            pid=os.getpid(),
            started_at=wall(self._started),
            beat_at=wall(now),
            interval_s=self.tick_s,
            step_s=step_s,
            pending=len(self.engine.pending),
            running=len(self.engine.running),
            backends=self._backends(),
        )
        with self.svc.unit() as uow:
            uow.scheduler.record_beat(beat)
        self._last_beat = now

    def _backends(self) -> tuple[BackendState, ...]:
        router = self.engine.dispatcher
        out = []
        for index, backend in enumerate(router.backends):
            pools = router.pools_of(backend)
            down = router.down.get(index)
            name = backend_name(backend, pools)
            if down is None:
                out.append(BackendState(name, pools, True))
            else:
                out.append(BackendState(name, pools, False, wall(down.since), down.error))
        return tuple(out)

    # -- one step ---------------------------------------------------------------------------
    def step(self, now: float, read: bool = True) -> None:
        """One step (phases below); a short one (``read`` False: ``loop_step``) skips
        phases 1 and 2 and the pending reasons of 5."""
        self._moved = 0
        changed = read and self._read(now)
        # 3. The driver: observe the backends, time limits, decide when due, act.
        self.driver.step(now, changed)
        router = self.engine.dispatcher
        for fault in router.faults:  # the other backends were still heard
            log.warning("backend of pools %s failed to poll: %s", ", ".join(fault.pools),
                        fault.error)  # fmt: skip
        for down in router.down.values():
            if down.name not in self._down_said:
                self._down_said.add(down.name)
                log.warning("backend %s is down: no answer for %.0f s (%s); its jobs not yet "
                            "started are planned again", down.name, now - down.since,
                            down.error)  # fmt: skip
        for back in router.came_back:
            self._down_said.discard(back.name)
            log.warning("backend %s answers again (down for %.0f s)", back.name,
                        now - back.since)  # fmt: skip
        # 4. Meter running jobs into the ledger.
        if now - self._last_meter >= self.meter_s:
            self.engine.meter_running(now)
            self._last_meter = now
        # 5. Write the tick (moves, charges, why pending jobs wait) in one unit of work.
        self._write(self._reasons() if read else [])
        # 6. What reads the written tick (challenge evaluations: nacc.service.challenge_runs):
        # after a step that moved jobs, else once a tick (short steps come in between).
        if self._moved or now - self._hooks_at >= self.tick_s:
            self._hooks_at = now
            for hook in self.after_step:
                hook()

    def _read(self, now: float) -> bool:
        """1. Take in new submissions, cancel requests and capacity blocks (one read);
        2. cancel what was asked (a running job's group is killed). Whether jobs came or
        left (the policy decides again)."""
        self._read_at = now
        with self.svc.unit() as uow:
            fresh = self._queued(uow.scheduler, now)
            asked = uow.scheduler.cancel_requests()
            blocks, ended = blocks_now(uow, now)
            data = datasets_of(uow, [j.id for j in fresh if JobId(j.id) not in self.engine.jobs])
        changed, self._recovered = self._ingest(fresh, now, data) > 0 or self._recovered, False
        if blocks != self.blocks.blocks:  # booked or cancelled: decide again
            self.blocks.blocks, changed = blocks, True
            self.persist.blocks = blocks  # capacity blocks paid their jobs' use
        self._settle(ended, now)
        return self._cancellations(asked, now) > 0 or changed

    def _settle(self, ended: Sequence[Block], now: float) -> None:
        """Post the idle fee of each ended ``use_plus_idle`` block not settled yet
        (``service.block_ledger``; once per block, by cause, whichever process looks)."""
        for block in ended:
            if block.id in self._settled or block.pool_id not in self.engine.pools:
                continue
            kind = self.engine.pools[block.pool_id].accel_type
            with self.svc.unit() as uow:
                settle_ended(uow, block, self._rates, kind, now)
            self._settled.add(block.id)

    def _queued(self, repo: SchedulerRepo, now: float) -> list[QueuedJob]:
        """Jobs submitted since the last look (a high-water mark on submit time, with a
        margin for transactions that committed late) and, every ``_SWEEP_S``, any pending
        job not yet taken in whatever its submit time (one that committed later than the
        margin, e.g. after waiting for its project's lock)."""
        since = None
        if now - self._last_sweep >= _SWEEP_S:
            self._last_sweep = now
        else:
            since = wall(self._seen_until - _INGEST_MARGIN_S)
        return repo.queued(since, self.engine.jobs)

    def _ingest(
        self, fresh: Sequence[QueuedJob], now: float, data: Mapping[str, Sequence[Used]]
    ) -> int:
        for job in fresh:
            if JobId(job.id) in self.engine.jobs:
                continue
            used = data.get(job.id, ())
            spec = spec_of(job, used)
            self.engine.submit(spec, now, payload_of(job, used))
            self._seen_until = max(self._seen_until, spec.submit_s)
        return len(fresh)

    def _cancellations(self, asked: Sequence[str], now: float) -> int:
        done = 0
        for job_id in asked:
            rec = self.engine.jobs.get(JobId(job_id))
            if rec is not None and rec.state in _LIVE:
                self.engine.cancel(JobId(job_id), now, Reason(Code.CANCELLED))
                done += 1
        return done

    def _reasons(self) -> list[Waiting]:
        """Why the first queued jobs wait and when they should start, where that changed
        (the API reads both from the database)."""
        if len(self._said) > 4 * _REASONS_FOR:
            self._said = {k: v for k, v in self._said.items() if k in self.engine.pending}
        changed: list[Waiting] = []
        for rec in itertools.islice(self.engine.pending.values(), _REASONS_FOR):
            at = self.driver.expected_start(rec.spec.id)
            said = (rec.reason, None if at is None else round(at))
            if not _same(self._said.get(rec.spec.id), said):
                when = None if at is None else wall(at)
                changed.append(Waiting(rec.spec.id, rec.reason, text(rec.reason), when))
        return changed + self._backend_waits()

    def _backend_waits(self) -> list[Waiting]:
        """Jobs placed on a backend that has not started them (Slurm's queue): its reason
        while it waits, the placement's again once it runs (the API reads both)."""
        changed: list[Waiting] = []
        waiting = self.engine.dispatcher.waiting()
        for job_id in waiting.keys() | self._backend_said:
            rec = self.engine.running.get(job_id)
            why = waiting.get(job_id) if rec is not None and rec.starting else None
            if why is None:
                self._backend_said.discard(job_id)
                if rec is not None:
                    changed.append(Waiting(job_id, rec.reason, text(rec.reason), None, True))
            elif not _same(self._said.get(job_id), (why, None)):
                self._backend_said.add(job_id)
                changed.append(Waiting(job_id, why, text(why), None, True))
        return changed

    def _write(self, waits: list[Waiting]) -> None:
        """The tick's writes in one unit of work; kept for the next tick if it fails."""
        tick = self.persist.writes(waits)
        if not tick:
            return
        with self.svc.unit() as uow:
            done = uow.scheduler.write(tick)
        self.persist.clear(tick)
        self._moved = len(tick.moves)
        for w in waits:
            at = w.expected_start_at
            self._said[JobId(w.job_id)] = (w.reason, None if at is None else round(at.timestamp()))
        for move, why in done.refused:
            log.warning("not recorded: %s %s -> %s (%s)", move.job_id, move.src, move.dst, why)


_LIVE = (JobState.PENDING, JobState.RUNNING)
