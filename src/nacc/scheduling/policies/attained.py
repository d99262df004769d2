"""nacc's duration-agnostic mode: attained service, heterogeneity-aware, with migration.

Used by the ``nacc`` policy when jobs carry no time limit (``policies/nacc.py``), so
ordering by requested cost would order by nothing. Each call:

1. **Order** every job, running and pending, Tiresias-style (Gu et al., NSDI'19 §3):
   discretised queues by attained service — accelerator-seconds counted at the job's
   speed relative to its best type (an hour on a type that runs it at 40% counts 0.4 h),
   times its project's fair-share pressure 2^(U/S - 1) (U: its share of decayed usage,
   S: its share target; 1 at its share, capped both ways) — first-come first-served
   within a queue; a job that has waited ``starve_factor`` x its run time goes back to
   the top queue (Tiresias' PROMOTE).
2. **Active set**: walk the order and take jobs while some acceptable pool has room;
   the rest wait (work-conserving: a gang that does not fit lets later jobs past, the
   backfill). A job (re)started less than ``max(min_run_s, 2 x restart cost)`` ago
   stays, so preemption is paid for by the time run between restarts.
3. **Place** heterogeneity-aware (as Gavel's LP does, but greedy): the active jobs that
   gain most from fast types (rate on their best / on their slowest acceptable pool)
   take the fastest pools first; so the fast types go to the jobs that speed up most.
4. **Migrate**: a running job given a pool faster by ``move_gain`` moves there (a
   ``Preempt`` and a ``Start``) when the time saved, estimated from its attained
   service (with heavy-tailed run times, a job expected to run as long again as it has
   run), exceeds the restart cost; otherwise it stays where it is.
5. **Exchange**: the placement that loses least now maximises the sum of normalised
   rates (``policies.exchange``); a new job whose better pools are full swaps with the
   running job that loses least by moving (``policies.residents``), and the full plan
   improves the whole placement. A job may move down so that one that loses more on
   the slower pool runs on the faster one.
The policy asks to be called again when the next running job crosses a queue threshold,
a protected job's protection ends or a waiting job is promoted (``next_wake``), so it
needs no fixed rounds.
"""

from __future__ import annotations

import bisect

from nacc.domain.ids import JobId, PoolId
from nacc.domain.jobs import JobSpec
from nacc.domain.reasons import Code, Reason
from nacc.scheduling.placement import CandidateCache, by_speed, first_fit, fleet_key
from nacc.scheduling.plan import Action, Plan, Preempt, Reject, Start
from nacc.scheduling.policies.attained_jobs import AttainedConfig, Job, Static
from nacc.scheduling.policies.residents import Residents, improve_all, swap_in
from nacc.scheduling.view import ClusterView, PendingJob, RunningJob

_REASONS_FOR = 50
_RESCAN = 64  # calls between full re-reads of which running jobs are off their best type


class AttainedService:
    """State kept between calls: each job's static features and attained service (memo
    per job, the latter keyed by its preemption count, as it changes only when the job
    stops), and the next wake."""

    def __init__(self, name: str, config: AttainedConfig) -> None:
        self.name = name
        self.cfg = config
        self._cands = CandidateCache(config.min_relative_speed)
        self._static: dict[JobId, Static] = {}
        self._served: dict[JobId, tuple[int, float]] = {}
        self._fleet: tuple[object, ...] = ()
        self._type: dict[PoolId, str] = {}
        self._types: frozenset[str] = frozenset()
        # running jobs off their best type: pool, and the types worth moving up to
        self._off: dict[JobId, tuple[PoolId, frozenset[str]]] = {}
        self._calls = 0
        # running jobs by pool, per other pool they could move to, by what moving costs
        self._resident = Residents()
        self._protect = config.min_run_s  # this call's _protect_s
        self.wake: float | None = None
        self._reasons = (
            Reason.of(Code.START_LEAST_SERVICE, policy=name),
            Reason.of(Code.PREEMPTED_BY_LESS_SERVICE, policy=name),
            Reason.of(Code.WAITING_FOR_SHARE, policy=name),
        )

    def plan(self, view: ClusterView) -> Plan:
        self.wake = None
        self._housekeep(view)
        self._protect = self._protect_s(view)
        easy = self._room_for_all(view)
        if easy is not None:
            return easy
        jobs, actions = self._jobs(view)
        jobs.sort(key=lambda j: (j.queue, j.st.spec.submit_s))
        active = self._active(view, jobs)
        placed = self._place(view, active)
        return self._diff(view, jobs, placed, actions)

    def _housekeep(self, view: ClusterView) -> None:
        fleet = fleet_key(view)
        if fleet != self._fleet:
            self._fleet, self._static, self._served = fleet, {}, {}
            self._type = {pid: pv.pool.accel_type for pid, pv in view.pools.items()}
            self._types = frozenset(self._type.values())
            self._off, self._calls = {}, 0
            self._resident.clear()
        self._calls += 1
        if self._calls % 512 == 0:  # forget jobs that have left
            live = view.pending.keys() | view.running.keys()
            self._static = {j: v for j, v in self._static.items() if j in live}
            self._served = {j: v for j, v in self._served.items() if j in live}

    def _static_of(self, view: ClusterView, jid: JobId, spec: JobSpec) -> Static | None:
        st = self._static.get(jid)
        if st is None:
            pools = self._cands.get(view, spec)
            if not pools:
                return None
            rate_of = {view.pools[p].pool.accel_type: r for p, r in pools}
            best = max(rate_of.values())
            st = Static(spec, spec.accelerators, pools, rate_of, best,
                         best / min(rate_of.values()), by_speed(pools),
                         {p: r / best for p, r in pools})  # fmt: skip
            self._static[jid] = st
        return st

    # 1. Order -----------------------------------------------------------------------
    def _jobs(self, view: ClusterView) -> tuple[list[Job], list[Action]]:
        total = sum(view.usage.values())
        pressure: dict[str, float] = {}
        jobs: list[Job] = []
        rejects: list[Action] = []
        for jid, p in view.pending.items():
            job = self._job(view, jid, p, None, pressure, total)
            if job is None:
                rejects.append(Reject(jid, Reason(Code.REJECTED_NO_POOL)))
            else:
                jobs.append(job)
        for jid, r in view.running.items():
            job = self._job(view, jid, r, r, pressure, total)
            if job is not None:
                jobs.append(job)
        return jobs, rejects

    def _service(self, view: ClusterView, jid: JobId, p: PendingJob, st: Static) -> float:
        """Attained accelerator-seconds at the job's best type's speed, up to its last stop."""
        memo = self._served.get(jid)
        if memo is not None and memo[0] == p.preemptions:
            return memo[1]
        wall = 0.0
        for accel, secs in p.attained_by_type.items():
            rt = st.rate_of.get(accel)
            if rt is None:
                rt = view.rates.rate(st.spec, accel) or 0.0
            wall += secs * rt / st.best
        served = wall * st.need
        self._served[jid] = (p.preemptions, served)
        return served

    def _job(self, view: ClusterView, jid: JobId, p: PendingJob, r: RunningJob | None,
             pressure: dict[str, float], total: float) -> Job | None:  # fmt: skip
        spec = p.spec
        st = self._static.get(jid) or self._static_of(view, jid, spec)
        if st is None:
            return None
        service = self._service(view, jid, p, st) if p.preemptions else 0.0
        now = view.now
        fs = pressure.get(spec.project)
        if fs is None:
            fs = pressure[spec.project] = self._pressure(view, spec.project, total)
        if r is not None:
            accel = self._type[r.pool_id]
            rate_now = st.rate_of.get(accel) or view.rates.rate(spec, accel) or 0.0
            speed = st.need * rate_now / st.best
            service += (now - r.started_s) * speed
            service *= fs
            queue = bisect.bisect_right(self.cfg.thresholds_s, service)
            protected = now - r.started_s < self._protect
            return Job(jid, st, service, queue, r, rate_now, speed * fs, protected)
        service *= fs
        queue = bisect.bisect_right(self.cfg.thresholds_s, service)
        if queue and now - p.queued_since_s > (self.cfg.starve_factor * service / (fs * st.need)):
            queue = 0  # starved: back to the top queue
        return Job(jid, st, service, queue, None, 0.0, 0.0, False)

    def _pressure(self, view: ClusterView, project: str, total: float) -> float:
        share = view.shares.get(project, 0.0)
        if share <= 0 or total <= 0:
            return 1.0
        # 1 for a project using exactly its share: the queue thresholds are absolute.
        used = view.usage.get(project, 0.0) / total
        cap = self.cfg.max_fairshare_pressure
        return float(min(cap, max(1.0 / cap, 2.0 ** (used / share - 1.0))))

    # 2. Active set ------------------------------------------------------------------
    def _protect_s(self, view: ClusterView) -> float:
        return max(self.cfg.min_run_s, 2.0 * view.restart_cost_s)

    def _active(self, view: ClusterView, jobs: list[Job]) -> list[Job]:
        room = {pid: pv.pool.count for pid, pv in view.pools.items()}
        active: list[Job] = []
        for job in jobs:
            if job.protected:
                assert job.running is not None
                room[job.running.pool_id] -= job.st.need
                active.append(job)
        left = sum(room.values())
        for job in jobs:
            if left <= 0:
                break
            if job.protected:
                continue
            need, r = job.st.need, job.running
            pid = r.pool_id if r is not None and room[r.pool_id] >= need else None
            if pid is None:
                pid = max((p for p, _ in job.st.pools if room[p] >= need),
                          key=lambda p: room[p], default=None)  # fmt: skip
            if pid is not None:
                room[pid] -= need
                left -= need
                active.append(job)
        return active

    # 3.-4. Place and migrate --------------------------------------------------------
    def _place(self, view: ClusterView, active: list[Job], room: dict[PoolId, int] | None = None,
               exchange: bool = True) -> dict[JobId, PoolId]:  # fmt: skip
        """Fastest pools to the jobs that gain most; a running job keeps its place unless
        a move up is worth its restart. Then (``exchange``) the exchanges that raise the
        sum of normalised rates (``policies.exchange``), which may move a job down.
        ``room``: what is there for ``active`` (default: the whole fleet)."""
        if room is None:
            room = {pid: pv.pool.count for pid, pv in view.pools.items()}
        placed: dict[JobId, PoolId] = {}
        rest: list[Job] = []
        for job in active:
            r = job.running
            if r is not None:
                room[r.pool_id] -= job.st.need  # its own place, until it moves up
                if job.protected or job.rate_now >= job.st.best:
                    placed[job.jid] = r.pool_id
                    continue
            rest.append(job)
        rest.sort(key=lambda j: -j.st.gain)  # stable: ties keep the priority order
        for job in rest:
            need, r = job.st.need, job.running
            pid, rate = first_fit(job.st.fastest, need, room)
            if r is not None:
                if pid is None or not self._worth_moving(view, job, rate):
                    placed[job.jid] = r.pool_id
                    continue
                room[r.pool_id] += need  # moves up: its old place is free for others
            if pid is not None:
                room[pid] -= need
                placed[job.jid] = pid
        if exchange and self.cfg.exchange:
            improve_all(active, placed, room, lambda j: self._stay(view, j))
        return placed

    def _worth_moving(self, view: ClusterView, job: Job, rate: float) -> bool:
        if job.rate_now <= 0 or rate < self.cfg.move_gain * job.rate_now:
            return False
        # Expected remaining work (best-type seconds): as much again as it has attained.
        st = job.st
        ahead = max(job.service / st.need, self.cfg.min_run_s) * st.best
        saved = ahead / job.rate_now - ahead / rate
        return saved > 2.0 * view.restart_cost_s

    def _up_types(self, st: Static, pool_id: PoolId) -> frozenset[str]:
        """The types a job running on ``pool_id`` would move up to (``move_gain`` faster)."""
        floor = st.rate_of.get(self._type[pool_id], 0.0) * self.cfg.move_gain
        return frozenset(t for t in self._types if st.rate_of.get(t, 0.0) >= floor)

    def _off_best(self, view: ClusterView) -> dict[JobId, tuple[PoolId, frozenset[str]]]:
        """Running jobs off their best type (those that may move up), with their pool and
        the types worth moving up to: kept from this policy's own starts, re-read from
        the whole view every ``_RESCAN`` calls (jobs another party started, e.g. a
        capacity block's, are found then). Entries of jobs that stopped or moved since
        are still in it: the caller checks each against the view."""
        off = self._off
        if self._calls % _RESCAN == 1 or _RESCAN == 1:
            off.clear()
            for jid, r in view.running.items():
                st = self._static_of(view, jid, r.spec)
                if st is not None and st.rate_of.get(self._type[r.pool_id], 0.0) < st.best:
                    off[jid] = (r.pool_id, self._up_types(st, r.pool_id))
        return off

    def _residents(self, view: ClusterView) -> Residents:
        if self._calls % _RESCAN == 1 or _RESCAN == 1:
            self._resident.clear()
            for jid, r in view.running.items():
                st = self._static_of(view, jid, r.spec)
                if st is not None:
                    self._resident.add(jid, st.norm, r.pool_id, st.need)
        return self._resident

    def _swap_in(self, view: ClusterView, jobs: list[Job], placed: dict[JobId, PoolId],
                 free: dict[PoolId, int], pressure: dict[str, float],
                 total: float) -> None:  # fmt: skip
        def partner(jid: JobId, r: RunningJob) -> Job | None:
            return self._job(view, jid, r, r, pressure, total)

        swap_in(self._residents(view), view, jobs, placed, free, self._protect,
                self.cfg.stay_bonus, partner, lambda j: self._stay(view, j))  # fmt: skip

    def _stay(self, view: ClusterView, job: Job) -> float:
        """What staying is worth to a running job over moving (normalised rate): the
        restart over the time it is expected to run on, plus ``stay_bonus``."""
        ahead = max(job.service / job.st.need, self.cfg.min_run_s)
        return self.cfg.stay_bonus + 2.0 * view.restart_cost_s / ahead

    def _room_for_all(self, view: ClusterView) -> Plan | None:
        """The common case, cheaply: every waiting job fits in the free accelerators, so
        nobody is preempted; only the waiting jobs and the running jobs off their best
        type are placed (the latter may move up). None: the full plan is needed."""
        free = {pid: pv.free for pid, pv in view.pools.items()}
        left = sum(free.values())
        if not left:
            return None if view.pending else Plan()
        total = sum(view.usage.values())
        pressure: dict[str, float] = {}
        jobs: list[Job] = []
        actions: list[Action] = []
        for jid, p in view.pending.items():
            job = self._job(view, jid, p, None, pressure, total)
            if job is None:
                actions.append(Reject(jid, Reason(Code.REJECTED_NO_POOL)))
                continue
            left -= job.st.need
            if left < 0:
                return None
            jobs.append(job)
        waiting = len(jobs)
        # A running job can only move up to a pool with room that runs it faster.
        open_types = {self._type[p] for p, n in free.items() if n > 0}
        off, running = self._off_best(view), view.running
        for jid, (pid, up) in list(off.items()):
            r = running.get(jid)
            if r is None or r.pool_id != pid:
                del off[jid]  # stopped or moved since
                continue
            if up.isdisjoint(open_types):
                continue
            job = self._job(view, jid, r, r, pressure, total)
            if job is not None:
                free[pid] += job.st.need  # _place takes its own place back
                jobs.append(job)
        if not jobs:
            return Plan(tuple(actions))
        jobs.sort(key=lambda j: (j.queue, j.st.spec.submit_s))
        placed = self._place(view, jobs, free, exchange=False)
        if self.cfg.exchange:
            self._swap_in(view, jobs, placed, free, pressure, total)
        if sum(1 for j in jobs if j.running is None and j.jid in placed) < waiting:
            return None  # a gang does not fit in one pool: the full plan decides
        return self._diff(view, jobs, placed, actions)

    def _diff(self, view: ClusterView, jobs: list[Job], placed: dict[JobId, PoolId],
              actions: list[Action]) -> Plan:  # fmt: skip
        started, preempted, waiting = self._reasons
        starts: list[Action] = []
        reasons: dict[JobId, Reason] = {}
        for job in jobs:
            pid = placed.get(job.jid)
            r = job.running
            if r is not None:
                if pid is None:
                    actions.append(Preempt(job.jid, preempted))
                elif pid != r.pool_id:
                    accel = view.pools[pid].pool.accel_type
                    actions.append(
                        Preempt(
                            job.jid,
                            Reason.of(
                                Code.PREEMPTED_TO_MOVE, policy=self.name, pool=pid, accel_type=accel
                            ),
                        )
                    )
                    starts.append(Start(job.jid, pid, job.st.need, started))
            elif pid is not None:
                starts.append(Start(job.jid, pid, job.st.need, started))
            elif len(reasons) < _REASONS_FOR:
                reasons[job.jid] = waiting
        actions.extend(starts)
        for a in starts:
            assert isinstance(a, Start)
            st = self._static[a.job_id]
            if st.rate_of.get(self._type[a.pool_id], 0.0) < st.best:
                self._off[a.job_id] = (a.pool_id, self._up_types(st, a.pool_id))
            else:
                self._off.pop(a.job_id, None)
            if self.cfg.exchange:
                self._resident.add(a.job_id, st.norm, a.pool_id, st.need)
        self.wake = self._next_wake(view, jobs, placed)
        return Plan(tuple(actions), reasons)

    def _next_wake(self, view: ClusterView, jobs: list[Job],
                   placed: dict[JobId, PoolId]) -> float | None:  # fmt: skip
        """When the order can next change though nothing arrives or ends: a running
        job crosses a queue threshold or its protection ends (if anyone waits)."""
        if len(placed) == len(jobs):
            return None  # nobody waits: nothing to preempt for
        protect = max(self.cfg.min_run_s, 2.0 * view.restart_cost_s)
        soonest = float("inf")
        for job in jobs:
            pid = placed.get(job.jid)
            if pid is None:
                continue
            r = job.running
            if r is None or pid != r.pool_id:
                soonest = min(soonest, view.now + protect)
                continue
            if r.started_s + protect > view.now:
                soonest = min(soonest, r.started_s + protect)
            i = bisect.bisect_right(self.cfg.thresholds_s, job.service)
            if i < len(self.cfg.thresholds_s) and job.speed > 0:
                soonest = min(soonest, view.now + (self.cfg.thresholds_s[i] - job.service)
                              / job.speed)  # fmt: skip
        if soonest == float("inf"):
            return None
        # Fair-share pressure moves the crossing as usage decays: not sooner than a
        # minimum run, or the wakes could close in on it without end.
        return max(soonest, view.now + self.cfg.min_run_s)
