"""The engine: observe -> snapshot -> plan -> act, one ``tick`` at a time.

The same class runs live (real clock, local/Slurm dispatchers) and in simulation
(virtual clock, simulated dispatcher). It never reads a clock itself: ``now`` is handed in.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from nacc import ports
from nacc.domain import lifecycle
from nacc.domain.events import JobEvent
from nacc.domain.ids import JobId, PoolId
from nacc.domain.jobs import JobSpec
from nacc.domain.lifecycle import JobState
from nacc.domain.pools import Pool
from nacc.domain.reasons import Code, Reason
from nacc.engine import failover
from nacc.engine.outcomes import launch_refusal, outcome_reason
from nacc.engine.records import JobRecord
from nacc.engine.routing import Router
from nacc.ledger.metering import credits_for
from nacc.ledger.usage import DecayedUsage
from nacc.ports.dispatch import IMAGE, PREEMPT
from nacc.scheduling import plan as plans
from nacc.scheduling.fairtree import FairShare, Path, fair_tree
from nacc.scheduling.policy import Policy
from nacc.scheduling.view import ClusterView, PoolView, RateModel


class PlanError(Exception):
    """A policy returned an action the cluster cannot honour (a policy bug)."""


DEFAULT_RESTART_COST_S = 30.0
"""What a preempted job pays on resume where a scenario says nothing (sim and live)."""


@dataclass(frozen=True, slots=True)
class EngineConfig:
    restart_cost_s: float = 0.0
    usage_half_life_s: float = 7 * 86400.0
    shares: Mapping[str, float] | None = None
    # a share tree: project -> (program, organisation), and raw shares by node path
    # (nacc.scheduling.fairtree); projects outside it sit under program and organisation "-"
    tree: Mapping[str, Path] | None = None
    tree_shares: Mapping[tuple[str, ...], float] | None = None


class _NullSink:
    def emit(self, event: JobEvent) -> None:
        return None


class Engine:
    """Owns job records and pool occupancy; asks the policy; tells the dispatcher."""

    def __init__(
        self,
        pools: Iterable[Pool],
        policy: Policy,
        dispatcher: ports.Dispatcher | Mapping[PoolId, ports.Dispatcher],
        rates: RateModel,
        config: EngineConfig | None = None,
        events: ports.EventSink | None = None,
        usage_sink: ports.UsageSink | None = None,
    ) -> None:
        self.pools: dict[PoolId, Pool] = {p.id: p for p in pools}
        self.free: dict[PoolId, int] = {p.id: p.count for p in self.pools.values()}
        self.policy = policy
        self.dispatcher = Router.of(dispatcher, list(self.pools))
        self.rates = rates
        self.config = config or EngineConfig()
        self.events: ports.EventSink = events or _NullSink()
        self.usage_sink = usage_sink
        self.usage = DecayedUsage(self.config.usage_half_life_s)
        self.jobs: dict[JobId, JobRecord] = {}
        self.pending: dict[JobId, JobRecord] = {}
        self.running: dict[JobId, JobRecord] = {}
        # read-only live views for the snapshots (the dicts are never replaced)
        self._views = (MappingProxyType(self.pending), MappingProxyType(self.running))
        self.total = sum(p.count for p in self.pools.values())
        self._projects: dict[str, None] = {}
        self._shares_memo: tuple[int, dict[str, float]] = (-1, {})  # by number of projects
        self.rounds = 0
        self.starts = 0
        self.refused: list[tuple[JobId, Reason]] = []  # plan actions the backends cannot do
        self.launch_refusals = 0  # starts the plan counted on that did not happen
        self._deadlines: list[tuple[float, float, JobId]] = []  # (limit end, start, job)
        self.down: frozenset[PoolId] = frozenset()  # pools whose backend is down (failover)

    # -- inputs -------------------------------------------------------------------------
    def submit(self, spec: JobSpec, now: float, payload: ports.Payload | None = None) -> JobRecord:
        if spec.id in self.jobs:
            raise ValueError(f"job {spec.id} submitted twice")
        rec = JobRecord(spec, JobState.PENDING, queued_since_s=now, remaining_work=spec.work)
        rec.payload = payload
        self.jobs[spec.id] = rec
        self.pending[spec.id] = rec
        self._projects.setdefault(spec.project, None)
        return rec

    def cancel(self, job_id: JobId, now: float, cause: Reason | None = None) -> None:
        cause = cause or Reason(Code.CANCELLED)
        rec = self.jobs[job_id]
        if rec.state is JobState.RUNNING:
            self._stop(rec, now)
        elif rec.state is not JobState.PENDING:
            return
        else:
            del self.pending[job_id]
        self._move(rec, JobState.CANCELLED, now, cause)
        rec.finished_s = now

    def fail(
        self, job_id: JobId, now: float, cause: Reason, charge_until: float | None = None
    ) -> None:
        """Stop a running job and fail it with ``cause`` (time limits);
        what it ran is metered up to ``now``, or ``charge_until`` if earlier (a job is not
        charged past its time limit). A job not running is left alone."""
        rec = self.running.get(job_id)
        if rec is None:
            return
        end = now if charge_until is None else max(rec.metered_s, min(now, charge_until))
        self._stop(rec, now, end)
        rec.finished_s = now
        self._move(rec, JobState.FAILED, now, cause)

    def _stop(self, rec: JobRecord, now: float, metered_to: float | None = None) -> None:
        self.dispatcher.stop(rec.spec.id, now)
        self._release(rec, now if metered_to is None else metered_to)

    def adopt(
        self,
        spec: JobSpec,
        pool_id: PoolId,
        count: int,
        started_s: float,
        metered_s: float,
        payload: ports.Payload | None = None,
        starting: bool = False,
    ) -> JobRecord:
        """Take over a job that is already running (after a restart of the live service):
        it goes straight to RUNNING on ``pool_id``; metering resumes at ``metered_s``
        (``starting``: still in the backend's queue, metered from the start it reports)."""
        rec = self.submit(spec, started_s, payload)
        self.dispatcher.adopt(spec.id, pool_id)
        pool = self.pools[pool_id]
        credit_rate = self.rates.credit_rate(spec, pool.accel_type) or 0.0
        del self.pending[spec.id]
        self.running[spec.id] = rec
        self.free[pool_id] -= count
        rec.pool_id, rec.accel_type, rec.count = pool_id, pool.accel_type, count
        rec.started_s, rec.metered_s, rec.credit_rate = started_s, metered_s, credit_rate
        rec.first_start_s = started_s
        rec.starting = starting
        rec.state = JobState.RUNNING
        self._watch_limit(rec)
        rec.reason = Reason.of(Code.READOPTED, pid="?", pool=pool_id, devices="?")
        self.usage.change_rate(spec.project, metered_s, count * credit_rate / 3600.0)
        return rec

    # -- the loop -----------------------------------------------------------------------
    def tick(self, now: float, decide: bool = True) -> plans.Plan | None:
        """One control cycle: observe, then (if ``decide``) snapshot, plan and act."""
        self.observe_backends(now)
        return self.decide(now) if decide else None

    def observe_backends(self, now: float) -> int:
        """Fold every backend's observations into lifecycle transitions; how many ended."""
        ended = 0
        observed = self.dispatcher.poll(now)
        ended += failover.after_poll(self, now)  # backends down, or back (failover)
        for obs in observed:
            ended += self._finish(obs)
        return ended

    def decide(self, now: float) -> plans.Plan:
        """Snapshot, ask the policy (pure), act on its plan."""
        plan = self.policy.plan(self.snapshot(now))
        self.rounds += 1
        self._apply(plan, now)
        failover.explain(self)
        return plan

    def observe(self, obs: ports.Observation) -> None:
        """Apply one observation now (e.g. a job found finished after a restart)."""
        self._finish(obs)

    def snapshot(self, now: float) -> ClusterView:
        pools = {pid: PoolView(p, 0 if pid in self.down else self.free[pid])
                 for pid, p in self.pools.items()}  # fmt: skip
        usage = self.usage.snapshot(now)
        tree = self._fair_tree(usage)
        return ClusterView(
            now=now,
            pools=pools,
            pending=self._views[0],
            running=self._views[1],
            usage=usage,
            shares=self._shares() if tree is None else dict(tree.effective_share),
            rates=self.rates,
            total_accelerators=self.total,
            restart_cost_s=self.config.restart_cost_s,
            fairshare=None if tree is None else tree.factor,
        )

    def _fair_tree(self, usage: Mapping[str, float]) -> FairShare | None:
        given = self.config.tree
        if given is None:
            return None
        outside = Path("-", "-")
        paths = dict(given)  # the whole tree: its usage counts before its projects submit
        paths.update({p: outside for p in [*self._projects, *usage] if p not in given})
        return fair_tree(paths, usage, self.config.tree_shares)

    def _shares(self) -> dict[str, float]:
        """Flat share targets; the projects known only grow, so they are recomputed only
        when one was added (a view's mappings are read-only to policies)."""
        known, memo = self._shares_memo
        if known == len(self._projects):
            return memo
        given = self.config.shares
        names = list(self._projects)
        raw = {p: (given.get(p, 0.0) if given else 1.0) for p in names}
        total = sum(raw.values()) or 1.0
        shares = {p: v / total for p, v in raw.items()}
        self._shares_memo = (len(names), shares)
        return shares

    # -- acting -------------------------------------------------------------------------
    def _apply(self, plan: plans.Plan, now: float) -> None:
        for action in plan.actions:
            if isinstance(action, plans.Preempt):
                self._preempt(action, now)
        for action in plan.actions:
            if isinstance(action, plans.Start):
                self._start(action, now)
            elif isinstance(action, plans.Reject):
                self._reject(action, now)
        for jid, reason in plan.pending_reasons.items():
            rec = self.pending.get(jid)
            if rec is not None:
                rec.reason = reason
        for jid, at in plan.expected_start.items():
            rec = self.pending.get(jid)
            if rec is not None:
                rec.expected_start_s = at

    def _start(self, action: plans.Start, now: float) -> None:
        rec = self.pending.get(action.job_id)
        pool = self.pools.get(action.pool_id)
        if rec is None or pool is None:
            raise PlanError(f"start of {action.job_id} on {action.pool_id}: unknown or not pending")
        spec = rec.spec
        if spec.gang and action.count != spec.accelerators:
            raise PlanError(
                f"gang job {spec.id} needs {spec.accelerators}, plan gave {action.count}"
            )
        if action.count < 1 or action.count > self.free[pool.id]:
            raise PlanError(f"{pool.id} has {self.free[pool.id]} free, plan asked {action.count}")
        rate = self.rates.rate(spec, pool.accel_type)
        credit_rate = self.rates.credit_rate(spec, pool.accel_type)
        if rate is None or rate <= 0 or credit_rate is None:
            raise PlanError(f"job {spec.id} ({spec.job_class}) cannot run on {pool.accel_type}")
        payload = rec.payload
        if (
            payload is not None
            and payload.image
            and IMAGE in self.dispatcher.unsupported_on(pool.id)
        ):
            why = self.dispatcher.unsupported_on(pool.id)[IMAGE]
            self._refuse_launch(rec, now, Reason.of(Code.LAUNCH_FAILED, message=why))
            return
        del self.pending[spec.id]
        self.running[spec.id] = rec
        self.starts += 1
        self.free[pool.id] -= action.count
        rec.pool_id, rec.accel_type, rec.count = pool.id, pool.accel_type, action.count
        rec.started_s, rec.metered_s, rec.credit_rate = now, now, credit_rate
        rec.expected_start_s = None
        setup = self.config.restart_cost_s if rec.preemptions else 0.0
        if payload is not None:
            payload = payload.at_site(pool.site)  # the datasets' paths at the pool's site
        launch = ports.Launch(spec, pool, action.count, now, rec.remaining_work, setup, payload)
        try:
            launched = self.dispatcher.launch(launch)
        except ports.BackendUnreachable as error:  # not the job's fault: it waits (failover)
            self._undo_start(rec, action.count)
            rec.reason = Reason.of(Code.BACKEND_UNREACHABLE, pool=pool.id, message=str(error))
            self.launch_refusals += 1  # decide again at the next cycle
            return
        except Exception as error:  # refused, or the backend failed: this job, not the step
            self._undo_start(rec, action.count)
            self._refuse_launch(rec, now, launch_refusal(error))
            return
        real = None if launched is None else launched.started_at  # the real start
        start = now if real is None else max(now, real)
        rec.started_s = rec.metered_s = start
        if rec.first_start_s is None:
            rec.first_start_s = start
        rec.starting = launched is not None and launched.starting
        self._watch_limit(rec)
        self.usage.change_rate(spec.project, start, action.count * credit_rate / 3600.0)
        self._move(rec, JobState.RUNNING, start, action.reason, pool.id, launched)

    def _undo_start(self, rec: JobRecord, count: int) -> None:
        del self.running[rec.spec.id]
        self.pending[rec.spec.id] = rec
        self.starts -= 1
        self.free[rec.pool_id] += count

    def _refuse_launch(self, rec: JobRecord, now: float, reason: Reason) -> None:
        """A backend cannot run this job: it fails (never charged); others go on."""
        del self.pending[rec.spec.id]
        rec.finished_s = now
        self.refused.append((rec.spec.id, reason))
        self.launch_refusals += 1
        self._move(rec, JobState.FAILED, now, reason)

    def _preempt(self, action: plans.Preempt, now: float) -> None:
        rec = self.running.get(action.job_id)
        if rec is None:
            raise PlanError(f"preempt of {action.job_id}: not running")
        why_not = self.dispatcher.unsupported_on(rec.pool_id).get(PREEMPT)
        if why_not is not None:  # the backend cannot stop it early: it runs on
            why = Reason.of(Code.PREEMPT_UNSUPPORTED, pool=rec.pool_id, message=why_not)
            self.refused.append((rec.spec.id, why))
            return
        done = self.dispatcher.stop(rec.spec.id, now)
        if done is not None:
            rec.remaining_work = max(0.0, rec.remaining_work - done)
        self._release(rec, now)
        rec.preemptions += 1
        rec.queued_since_s = now
        self.pending[rec.spec.id] = rec
        self._move(rec, JobState.PENDING, now, action.reason)

    def _reject(self, action: plans.Reject, now: float) -> None:
        rec = self.pending.pop(action.job_id, None)
        if rec is None:
            raise PlanError(f"reject of {action.job_id}: not pending")
        rec.finished_s = now
        self._move(rec, JobState.REJECTED, now, action.reason)

    def _finish(self, obs: ports.Observation) -> int:
        rec = self.running.get(obs.job_id)
        if rec is None:
            return 0  # a stale observation (job already stopped)
        if not obs.ended:
            self._began(rec, obs.at)
            return 0
        self._release(rec, obs.at)
        rec.remaining_work = 0.0 if obs.ok else rec.remaining_work
        rec.finished_s = obs.at
        dst = JobState.COMPLETED if obs.ok else JobState.FAILED
        self._move(rec, dst, obs.at, obs.reason or outcome_reason(obs), exit_code=obs.exit_code)
        return 1

    def _began(self, rec: JobRecord, at: float) -> None:
        """The backend says the job really started at ``at``: it is charged, and its
        time limit counts, from there (a launch takes a moment after the decision)."""
        if not rec.starting:
            return
        rec.starting = False
        if at > rec.started_s:
            rec.started_s = rec.metered_s = at
            self._watch_limit(rec)

    def _release(self, rec: JobRecord, now: float) -> None:
        """Free the job's accelerators and meter the stretch it just ran (nothing for
        one whose start was never reported: it never ran, as far as anyone knows)."""
        if rec.starting:
            rec.starting = False
            rec.started_s = rec.metered_s = max(rec.metered_s, now)
        del self.running[rec.spec.id]
        self.free[rec.pool_id] += rec.count
        ran = max(0.0, now - rec.started_s)
        rec.attained_s += ran * rec.count
        rec.attained_by_type[rec.accel_type] = rec.attained_by_type.get(rec.accel_type, 0.0) + ran
        self._meter(rec, now)
        self.usage.change_rate(rec.spec.project, now, -rec.count * rec.credit_rate / 3600.0)

    # -- time limits ------------------------------------------------------------------------
    def _watch_limit(self, rec: JobRecord) -> None:
        limit = rec.spec.time_limit_s
        if limit is not None:
            heapq.heappush(self._deadlines, (rec.started_s + limit, rec.started_s, rec.spec.id))

    def next_deadline(self) -> float | None:
        """When the first running job reaches its time limit (None: no job has one)."""
        heap = self._deadlines
        while heap and not self._still_running(heap[0]):
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def _still_running(self, entry: tuple[float, float, JobId]) -> bool:
        rec = self.running.get(entry[2])
        return rec is not None and rec.started_s == entry[1]

    def enforce_limits(self, now: float) -> int:
        """Stop the running jobs that reached their time limit (like Slurm's TIMEOUT):
        each fails with ``timeout{limit_s, ran_s}``, charged up to its limit, never past
        it. Returns how many were stopped."""
        stopped = 0
        while (at := self.next_deadline()) is not None and at <= now:
            _, started, job_id = heapq.heappop(self._deadlines)
            limit = at - started
            cause = Reason.of(Code.TIMEOUT, limit_s=limit, ran_s=round(now - started, 1))
            self.fail(job_id, now, cause, charge_until=at)
            stopped += 1
        return stopped

    def meter_running(self, now: float) -> None:
        """Meter every running job up to ``now`` (live service: called periodically, so
        a crash loses no more than one interval and re-metering is idempotent by cause)."""
        for rec in list(self.running.values()):
            if not rec.starting:
                self._meter(rec, now)

    def _meter(self, rec: JobRecord, now: float) -> None:
        if now <= rec.metered_s:
            return
        credits = credits_for(rec.count, now - rec.metered_s, rec.credit_rate)
        rec.credits += credits
        rec.credits_by_type[rec.accel_type] = rec.credits_by_type.get(rec.accel_type, 0.0) + credits
        if self.usage_sink is not None:
            pool = self.pools[rec.pool_id]
            self.usage_sink.meter(rec.spec, pool, rec.count, rec.metered_s, now, credits)
        rec.metered_s = now

    def _move(
        self,
        rec: JobRecord,
        dst: JobState,
        now: float,
        cause: Reason,
        pool: str | None = None,
        launched: ports.Launched | None = None,
        exit_code: int | None = None,
    ) -> None:
        lifecycle.check(rec.state, dst)
        src, rec.state = rec.state, dst
        rec.reason = cause
        if type(self.events) is _NullSink:
            return  # nobody listens (the simulator's case): no event is built
        if launched is None:
            self.events.emit(JobEvent(rec.spec.id, now, src, dst, cause, pool, exit_code))
        else:
            self.events.emit(JobEvent(rec.spec.id, now, src, dst, cause, pool, exit_code,
                                      launched.devices, launched.handle, launched.log))  # fmt: skip
