"""Gavel (Narayanan et al., OSDI'20): heterogeneity-aware max-min fairness in rounds.

Each round (``round_s``, 360 s as in Gavel's scheduler) the policy

1. builds the throughput matrix ``T[job, type]`` from the rate model, aggregating pools of
   one accelerator type into one capacity, as Gavel's ``cluster_spec`` does;
2. re-solves the max-min fairness LP (``gavel_lp``) when the job set has changed and at
   least ``reset_interval_s`` (Gavel's ``minimum_time_between_allocation_resets``, 1920 s)
   has passed since the last solve, or when nothing runs and nothing could run without a
   new allocation; at that moment it also resets the time accounting, as
   ``Scheduler._reset_time_run_so_far`` does;
3. ranks (job, type) pairs by Gavel's priority ``X[j, w] / fraction[j, w]``, where
   ``fraction`` is the job's run time on ``w`` since the reset over all jobs' run time on
   ``w`` (both seeded with half a round), ties broken by deficit then allocation;
4. walks the per-type queues, fastest type first, giving each job at most one type while
   its gang fits (``Scheduler._schedule_jobs_on_workers_helper``); a job without an
   allocation takes its slots but is not started, as in Gavel;
5. places the chosen gangs in pools: running jobs keep their pool when possible, the others
   go largest-first to the pool of the type with the most room.

The policy keeps Gavel's bookkeeping between calls (the allocation, the reset time, each
job's time per type, each type's total, the deficits and the jobs placed last round); it
reads only the views it is given, so a run is deterministic. See ``docs/gavel.md`` for what
follows Gavel and where nacc differs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from nacc.domain.ids import JobId
from nacc.domain.reasons import Code, Reason
from nacc.scheduling.placement import fleet_key, no_pool_reason
from nacc.scheduling.plan import Action, Plan, Reject
from nacc.scheduling.policies.gavel_lp import LpResult
from nacc.scheduling.policies.gavel_mechanism import (
    Entry,
    Fleet,
    _add_speed,
    _emit,
    _fleet,
    _jobs,
    _place,
    _predicted_end,
    _rates,
    _select,
    _solve,
)
from nacc.scheduling.view import ClusterView, PendingJob

NEW_JOB_PRIORITY = 1e9  # Gavel: allocation * 1e9 when a job has no recorded time yet


@dataclass(slots=True)
class GavelState:
    """Gavel's mutable bookkeeping (``_allocation``, ``_job_time_so_far``, ...)."""

    reset_s: float = 0.0
    job_ids: frozenset[JobId] = frozenset()
    types: tuple[str, ...] = ()
    alloc: dict[JobId, dict[str, float]] = field(default_factory=dict)
    lp: LpResult | None = None
    job_time: dict[JobId, dict[str, float]] = field(default_factory=dict)
    worker_time: dict[str, float] = field(default_factory=dict)
    deficit: dict[JobId, dict[str, float]] = field(default_factory=dict)
    placed: dict[JobId, tuple[str, float]] = field(default_factory=dict)
    placed_s: float = 0.0
    round_end: float | None = None
    speed: dict[str, float] = field(default_factory=dict)


class GavelPolicy:
    """Gavel's MaxMinFairness_Perf policy with its round-based priority mechanism."""

    name = "gavel"
    on_events = False
    rounds_when_idle = True

    def __init__(
        self,
        round_s: float = 360.0,
        reset_interval_s: float = 1920.0,
        reset_after_zero: bool = False,
    ) -> None:
        """``reset_after_zero``: as Gavel's simulator, allow a reset at any time while the
        last one was at t = 0 (Gavel tests ``_last_reset_time == 0``), so with a trace that
        starts at 0 the second allocation follows the first change of the job set."""
        if round_s <= 0:
            raise ValueError(f"gavel: round_s must be > 0, got {round_s}")
        if reset_interval_s < 0:
            raise ValueError(f"gavel: reset_interval_s must be >= 0, got {reset_interval_s}")
        self.round_s: float | None = round_s
        self.reset_interval_s = reset_interval_s
        self.reset_after_zero = reset_after_zero
        self._half_round = round_s / 2.0
        self._state: GavelState | None = None
        # per job, pure functions of the job and the fleet: its throughput row and its
        # place in Gavel's job order (kept for the jobs of the last call)
        self._fleet_key: tuple[object, ...] = ()
        self._thr: dict[JobId, dict[str, float]] = {}
        self._order: dict[JobId, tuple[float, tuple[str, int, str]]] = {}

    @property
    def state(self) -> GavelState | None:
        """The bookkeeping after the last ``plan`` (read-only use: tests, diagnostics)."""
        return self._state

    def plan(self, view: ClusterView) -> Plan:
        fleet = _fleet(view)
        key = fleet_key(view)
        if key != self._fleet_key:
            self._fleet_key, self._thr, self._order = key, {}, {}
        jobs = _jobs(view, self._order)
        memo = self._thr
        thr = {}
        for jid, job in jobs.items():
            row = memo.get(jid)
            thr[jid] = row if row is not None else _rates(view, job.spec, fleet)
        self._thr = thr
        actions: list[Action] = []
        reasons: dict[JobId, Reason] = {}
        for jid, row in thr.items():
            if not row and jid in view.pending:
                actions.append(Reject(jid, no_pool_reason(view.pending[jid].spec)))
        live = {jid: job for jid, job in jobs.items() if thr[jid]}
        state = self._account(live, thr, view.now, fleet)
        if self._needs_reset(state, view, live, fleet):
            state = self._reset(state, view.now, live, thr, fleet)
        queue = self._queue(state, live, thr, fleet)
        selected = _select(queue, live, fleet)
        # Gavel's helper lets a job without an allocation take its slots; placement then
        # drops it, so those accelerators stay idle for the round.
        chosen = {jid: t for jid, t in selected.items() if jid in state.alloc}
        placed, unplaced = _place(chosen, view, live, fleet)
        state.placed = {
            jid: (chosen[jid], _predicted_end(view, live[jid], thr[jid], chosen[jid]))
            for jid in placed
        }
        state.placed_s = view.now
        actions += _emit(view, live, chosen, placed, self.name)
        reasons.update(self._reasons(state, view, chosen, unplaced, live))
        return Plan(tuple(actions), reasons)

    # -- bookkeeping (Gavel's _job_time_so_far / _worker_time_so_far) --------------------

    def _account(
        self,
        jobs: Mapping[JobId, PendingJob],
        thr: Mapping[JobId, dict[str, float]],
        now: float,
        fleet: Fleet,
    ) -> GavelState:
        """Close the round that just ended, as Gavel's simulator does when its micro-tasks
        finish: each job placed last call adds its run time (until now, or until its
        predicted completion if it has gone) to its own time and to its type's total.
        Then jobs that left are dropped and new ones start at half a round."""
        state = self._state or GavelState(reset_s=now)
        if state.placed:
            # Gavel's current_round_start_time: the end of the last round that ran jobs, so
            # a round that follows an empty stretch is charged that stretch too (as in
            # Gavel's simulator). The first round counts from when it was placed.
            start = state.round_end if state.round_end is not None else state.placed_s
            state.round_end = now
            for jid, (t, end) in state.placed.items():
                ran = max(0.0, (now if jid in jobs else min(end, now)) - start)
                if jid in state.job_time:
                    row = state.job_time[jid]
                    row[t] = row.get(t, self._half_round) + ran
                state.worker_time[t] = state.worker_time.get(t, 0.0) + ran
            state.placed = {}
        for gone in [j for j in state.job_time if j not in jobs]:
            del state.job_time[gone]
            state.deficit.pop(gone, None)
        for jid in jobs:
            if jid not in state.job_time:
                state.job_time[jid] = dict.fromkeys(fleet.types, self._half_round)
                _add_speed(state.speed, thr[jid])
        self._state = state
        return state

    def _needs_reset(
        self, state: GavelState, view: ClusterView, jobs: Mapping[JobId, PendingJob], fleet: Fleet
    ) -> bool:
        if state.lp is None or state.types != tuple(fleet.types):
            return True
        if frozenset(jobs) == state.job_ids:
            return False
        if view.now - state.reset_s >= self.reset_interval_s:
            return True
        if self.reset_after_zero and state.reset_s == 0.0:
            return True  # Gavel's `_last_reset_time == 0` test
        # Nothing runs and nothing could run without a new allocation: Gavel's simulator
        # would jump to the next arrival (or, at the end of the trace, force a reset).
        return not view.running and not any(jid in state.alloc for jid in jobs)

    def _reset(
        self,
        state: GavelState,
        now: float,
        jobs: Mapping[JobId, PendingJob],
        thr: Mapping[JobId, dict[str, float]],
        fleet: Fleet,
    ) -> GavelState:
        """Gavel's _reset_time_run_so_far followed by a new allocation."""
        elapsed = now - state.reset_s
        for jid, times in state.job_time.items():
            x_row = state.alloc.get(jid, {})
            d = state.deficit.setdefault(jid, {})
            for t in fleet.types:
                received = times.get(t, self._half_round) - self._half_round
                d[t] = d.get(t, 0.0) + x_row.get(t, 0.0) * elapsed - received
        order = list(jobs)
        state.lp = _solve(order, jobs, thr, fleet)
        state.alloc = {
            jid: {t: float(state.lp.x[i, k]) for k, t in enumerate(fleet.types)}
            for i, jid in enumerate(order)
        }
        state.job_time = {jid: dict.fromkeys(fleet.types, self._half_round) for jid in jobs}
        state.worker_time = {t: self._half_round * len(jobs) for t in fleet.types}
        state.reset_s, state.job_ids, state.types = now, frozenset(jobs), tuple(fleet.types)
        return state

    # -- mechanism ---------------------------------------------------------------------------

    def _priority(self, state: GavelState, jid: JobId, t: str) -> float:
        """Gavel's X / fraction; 0 without an allocation; X * 1e9 while the total is 0."""
        x = state.alloc.get(jid, {}).get(t, 0.0)
        if x <= 0.0:
            return 0.0
        total = state.worker_time.get(t, 0.0)
        if total <= 0.0:
            return x * NEW_JOB_PRIORITY
        return x / (state.job_time[jid].get(t, self._half_round) / total)

    def _queue(
        self,
        state: GavelState,
        jobs: Mapping[JobId, PendingJob],
        thr: Mapping[JobId, dict[str, float]],
        fleet: Fleet,
    ) -> list[Entry]:
        """Per-type queues sorted by (priority, deficit, allocation), fastest type first.

        Every job that can run on the type is listed, with or without an allocation."""
        queue: list[Entry] = []
        alloc, deficit, job_time = state.alloc, state.deficit, state.job_time
        half = self._half_round
        none: dict[str, float] = {}
        for t in sorted(fleet.types, key=lambda k: (-state.speed.get(k, 0.0), k)):
            total = state.worker_time.get(t, 0.0)
            keyed = []
            for jid in jobs:
                if t not in thr[jid]:
                    continue
                # _priority, inlined (the same arithmetic)
                x = alloc.get(jid, none).get(t, 0.0)
                if x <= 0.0:
                    p = 0.0
                elif total <= 0.0:
                    p = x * NEW_JOB_PRIORITY
                else:
                    p = x / (job_time[jid].get(t, half) / total)
                d = deficit.get(jid, none).get(t, 0.0)
                keyed.append(((p, d, x), (jid, t, p)))
            keyed.sort(key=lambda e: e[0], reverse=True)
            queue += [e[1] for e in keyed]
        return queue

    def _reasons(
        self,
        state: GavelState,
        view: ClusterView,
        chosen: Mapping[JobId, str],
        unplaced: Mapping[JobId, str],
        jobs: Mapping[JobId, PendingJob],
    ) -> dict[JobId, Reason]:
        out: dict[JobId, Reason] = {}
        policy = self.name
        for jid in view.pending:
            if jid not in jobs or (jid in chosen and jid not in unplaced):
                continue
            if jid in unplaced:
                out[jid] = Reason.of(Code.WAITING_FOR_ROOM, policy=policy, accel_type=unplaced[jid])
            elif jid not in state.alloc:
                out[jid] = Reason.of(Code.WAITING_FOR_ROUND, policy=policy,
                                     interval_s=self.reset_interval_s)  # fmt: skip
            else:
                t = max(state.alloc[jid], key=lambda k: (state.alloc[jid][k], k))
                out[jid] = Reason.of(
                    Code.WAITING_BELOW_CUTOFF,
                    policy=policy,
                    accel_type=t,
                    allocation=round(state.alloc[jid][t], 2),
                    priority=float(f"{self._priority(state, jid, t):.3g}"),
                )
        return out


def make_gavel(**options: object) -> GavelPolicy:
    """Factory for the registry: ``round_s`` and ``reset_interval_s`` (seconds), and
    ``reset_after_zero`` (a bool, or a number: non-zero is true)."""
    known = {"round_s", "reset_interval_s", "reset_after_zero"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise ValueError(f"gavel: unknown options {unknown}; known: {sorted(known)}")
    values: dict[str, float] = {}
    for key, value in options.items():
        if key == "reset_after_zero" and isinstance(value, bool):
            value = float(value)
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ValueError(f"gavel: option {key} must be a number, got {value!r}")
        values[key] = float(value)
    return GavelPolicy(
        round_s=values.get("round_s", 360.0),
        reset_interval_s=values.get("reset_interval_s", 1920.0),
        reset_after_zero=values.get("reset_after_zero", 0.0) != 0.0,
    )
