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

The policy keeps Gavel's bookkeeping between calls (``gavel_state``: the allocation, the
reset time, each job's time per type, each type's total, the deficits and the jobs placed
last round) as arrays with a row per live job, rebuilt only when the job set changes; it
reads only the views it is given, so a run is deterministic. See ``docs/gavel.md`` for
what follows Gavel and where nacc differs.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from nacc.domain.ids import JobId
from nacc.domain.reasons import Code, Reason
from nacc.scheduling.placement import fleet_key, no_pool_reason
from nacc.scheduling.plan import Action, Plan, Reject
from nacc.scheduling.policies.gavel_lp import LpSolver
from nacc.scheduling.policies.gavel_mechanism import (
    Emitter,
    Fleet,
    JobInfo,
    _add_speed,
    _fleet,
    _info,
    _place,
    _solve,
)
from nacc.scheduling.policies.gavel_state import FloatArray, GavelState
from nacc.scheduling.view import ClusterView

__all__ = ["NEW_JOB_PRIORITY", "GavelPolicy", "GavelState", "make_gavel"]

NEW_JOB_PRIORITY = 1e9  # Gavel: allocation * 1e9 when a job has no recorded time yet


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
        # per job, pure functions of the job and the fleet (its throughput row, its place
        # in Gavel's job order, its pool options): kept for the jobs of the last call
        self._fleet_key: tuple[object, ...] = ()
        self._info: dict[JobId, JobInfo] = {}
        self._dead: list[JobId] = []  # jobs no pool can hold, in Gavel's order
        self._thr: FloatArray = np.zeros((0, 0))  # throughputs of the state's rows
        self._gang: list[int] = []  # gang size of the state's rows
        self._emit = Emitter(self.name)
        self._lp = LpSolver()

    @property
    def state(self) -> GavelState | None:
        """The bookkeeping after the last ``plan`` (read-only use: tests, diagnostics)."""
        return self._state

    def plan(self, view: ClusterView) -> Plan:
        fleet = _fleet(view)
        state = self._state or GavelState(reset_s=view.now, half=self._half_round)
        self._state = state
        self._sync(view, fleet, state)
        actions: list[Action] = [
            Reject(jid, no_pool_reason(view.pending[jid].spec))
            for jid in self._dead
            if jid in view.pending
        ]
        if self._needs_reset(state, view):
            state.reset(view.now, _solve(state.ids, self._info, self._thr, fleet, self._lp))
        selected = self._select(state, fleet)
        # Gavel's helper lets a job without an allocation take its slots; placement then
        # drops it, so those accelerators stay idle for the round.
        in_alloc, ids = state.in_alloc.tolist(), state.ids
        chosen = {ids[r]: c for r, c in selected.items() if in_alloc[r]}
        placed, unplaced, state.placed = _place(chosen, view, self._info, fleet)
        state.placed_s = view.now
        actions += self._emit(view, ids, chosen, placed, fleet)
        reasons = self._reasons(state, view, chosen, unplaced, fleet)
        return Plan(tuple(actions), reasons)

    # -- the job table (Gavel's job order, _job_time_so_far / _worker_time_so_far) --------

    def _sync(self, view: ClusterView, fleet: Fleet, state: GavelState) -> None:
        """Close the round that just ended (``GavelState.close_round``), then bring the
        rows up to date: the live jobs (those some pool can hold) in Gavel's order; jobs
        that left are dropped, new ones start at half a round."""
        key = fleet_key(view)
        fleet_changed = key != self._fleet_key
        pending, running = view.pending, view.running
        info = self._info
        same = (
            not fleet_changed
            and len(pending) + len(running) == len(info)
            and all(j in info for j in pending)
            and all(j in info for j in running)
        )
        if same:
            state.close_round(view.now, state.row)
            return
        if fleet_changed:
            self._fleet_key, info = key, {}
        merged = {**pending, **running}
        fresh_info = {
            jid: info.get(jid) or _info(view, job.spec, fleet) for jid, job in merged.items()
        }
        order = sorted(merged, key=lambda j: fresh_info[j].key)
        self._info = {jid: fresh_info[jid] for jid in order}
        ids = [jid for jid in order if fresh_info[jid].row]
        self._dead = [jid for jid in order if not fresh_info[jid].row]
        state.close_round(view.now, dict.fromkeys(ids))
        state.retype(tuple(fleet.types))
        for jid in state.rerow(ids):
            _add_speed(state.speed, fresh_info[jid].row)
        k = len(fleet.types)
        self._thr = np.array([fresh_info[j].rates for j in ids], dtype=float).reshape(len(ids), k)
        self._gang = [fresh_info[j].gang for j in ids]

    def _needs_reset(self, state: GavelState, view: ClusterView) -> bool:
        if state.lp is None or state.lp_types != state.types:
            return True
        if len(state.ids) == len(state.job_ids) and all(j in state.job_ids for j in state.ids):
            return False
        if view.now - state.reset_s >= self.reset_interval_s:
            return True
        if self.reset_after_zero and state.reset_s == 0.0:
            return True  # Gavel's `_last_reset_time == 0` test
        # Nothing runs and nothing could run without a new allocation: Gavel's simulator
        # would jump to the next arrival (or, at the end of the trace, force a reset).
        return not view.running and not bool(state.in_alloc.any())

    # -- mechanism ---------------------------------------------------------------------------

    def _priorities(self, state: GavelState) -> FloatArray:
        """Gavel's X / fraction per row and type; 0 without an allocation; X * 1e9 while
        the type's total is 0 (the same arithmetic as per (job, type) in Python)."""
        x = state.x
        total = np.array(state.worker_time, dtype=float)
        if min(state.worker_time, default=1.0) > 0.0:
            p: FloatArray = np.where(x <= 0.0, 0.0, x / (state.job_time / total))
            return p
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = x / (state.job_time / total)
            p = np.where(x <= 0.0, 0.0, np.where(total <= 0.0, x * NEW_JOB_PRIORITY, ratio))
        return p

    def _select(self, state: GavelState, fleet: Fleet) -> dict[int, int]:
        """Per-type queues sorted by (priority, deficit, allocation) descending (stable:
        Gavel's job order among equals), fastest type first; every job that can run on the
        type is listed, with or without an allocation. Greedy: each job takes the first
        type in the queue where its gang still fits. Returns row -> type column, in the
        order chosen."""
        n, types = len(state.ids), fleet.types
        if not n:
            return {}
        k = len(types)
        speed = state.speed
        by_speed = sorted(range(k), key=lambda c: (-speed.get(types[c], 0.0), types[c]))
        rank = np.empty(k, dtype=np.intp)
        rank[by_speed] = np.arange(k)
        # one sort of every (type, row) pair, column-major: by the type's place in the
        # walk, then (priority, deficit, allocation) descending, then row (stable)
        p = self._priorities(state)
        order = np.lexsort(
            (-state.x.T.ravel(), -state.deficit.T.ravel(), -p.T.ravel(), np.repeat(rank, n))
        )
        order = order[self._thr.T.ravel()[order] > 0]  # only where the job can run
        gang = self._gang
        left = [fleet.capacity(t) for t in types]
        chosen: dict[int, int] = {}
        for c, r in zip((order // n).tolist(), (order % n).tolist(), strict=True):
            g = gang[r]
            if g > left[c] or r in chosen:
                continue
            chosen[r] = c
            left[c] -= g
        return chosen

    def _reasons(
        self,
        state: GavelState,
        view: ClusterView,
        chosen: Mapping[JobId, int],
        unplaced: Mapping[JobId, str],
        fleet: Fleet,
    ) -> dict[JobId, Reason]:
        out: dict[JobId, Reason] = {}
        policy, types, row = self.name, fleet.types, state.row
        p: FloatArray | None = None
        for jid in view.pending:
            r = row.get(jid)
            if r is None or (jid in chosen and jid not in unplaced):
                continue
            if jid in unplaced:
                out[jid] = Reason.of(Code.WAITING_FOR_ROOM, policy=policy, accel_type=unplaced[jid])
            elif not state.in_alloc[r]:
                out[jid] = Reason.of(Code.WAITING_FOR_ROUND, policy=policy,
                                     interval_s=self.reset_interval_s)  # fmt: skip
            else:
                xs = state.x[r].tolist()
                c = max(range(len(types)), key=lambda k: (xs[k], types[k]))
                p = self._priorities(state) if p is None else p
                out[jid] = Reason.of(
                    Code.WAITING_BELOW_CUTOFF,
                    policy=policy,
                    accel_type=types[c],
                    allocation=round(xs[c], 2),
                    priority=float(f"{float(p[r, c]):.3g}"),
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
