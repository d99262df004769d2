"""Gavel's bookkeeping between rounds, as arrays with one row per live job.

The rows are the live jobs of the last call in Gavel's job order (``gavel_mechanism._jobs``);
the columns the accelerator types in scenario order. Per row: the allocation ``x`` (zero for
a job that arrived after the last solve, ``in_alloc`` false), the time run per type since
the last reset (``job_time``, seeded with half a round) and the deficit carried over resets;
per column, every job's time on the type (``worker_time``). The rows are rebuilt only when
the job set changes; every value is computed with the same floating-point operations, in
the same order, as Gavel's per-job dictionaries (``Scheduler._job_time_so_far``, ...), so
the decisions are the same to the last bit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from nacc.domain.ids import JobId
from nacc.scheduling.policies.gavel_lp import LpResult

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Placed = tuple[JobId, int, float]  # job, type column, predicted end


def _empty(k: int) -> FloatArray:
    return np.zeros((0, k))


@dataclass(slots=True)
class GavelState:
    """Gavel's mutable bookkeeping (``_allocation``, ``_job_time_so_far``, ...)."""

    reset_s: float = 0.0
    half: float = 180.0
    types: tuple[str, ...] = ()
    ids: list[JobId] = field(default_factory=list)
    row: dict[JobId, int] = field(default_factory=dict)
    x: FloatArray = field(default_factory=lambda: _empty(0))
    in_alloc: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    job_time: FloatArray = field(default_factory=lambda: _empty(0))
    deficit: FloatArray = field(default_factory=lambda: _empty(0))
    worker_time: list[float] = field(default_factory=list)
    job_ids: frozenset[JobId] = frozenset()  # the jobs of the last solve
    lp_types: tuple[str, ...] = ()  # the types of the last solve
    lp: LpResult | None = None
    placed: list[Placed] = field(default_factory=list)
    placed_s: float = 0.0
    round_end: float | None = None
    speed: dict[str, float] = field(default_factory=dict)

    @property
    def alloc(self) -> dict[JobId, dict[str, float]]:
        """The allocation of each live job of the last solve (a copy, for diagnostics)."""
        return {
            jid: dict(zip(self.types, map(float, self.x[i]), strict=True))
            for i, jid in enumerate(self.ids)
            if self.in_alloc[i]
        }

    def close_round(self, now: float, live: Mapping[JobId, object]) -> None:
        """Gavel's simulator when its micro-tasks finish: each job placed last call adds
        its run time (until now, or until its predicted completion if it has gone) to its
        own time and to its type's total."""
        if not self.placed:
            return
        # Gavel's current_round_start_time: the end of the last round that ran jobs, so a
        # round that follows an empty stretch is charged that stretch too (as in Gavel's
        # simulator). The first round counts from when it was placed.
        start = self.round_end if self.round_end is not None else self.placed_s
        self.round_end = now
        worker, job_time, row = self.worker_time, self.job_time, self.row
        for jid, c, end in self.placed:
            if jid in live:
                ran = max(0.0, now - start)
                job_time[row[jid], c] += ran
            else:
                ran = max(0.0, min(end, now) - start)
            worker[c] += ran
        self.placed = []

    def retype(self, types: tuple[str, ...]) -> None:
        """New columns (the fleet's types changed): a type new to a row starts at half a
        round, no deficit, no allocation, no time on it (as the dictionaries' defaults)."""
        if types == self.types:
            return
        n = len(self.ids)
        old = {t: c for c, t in enumerate(self.types)}
        cols = [old.get(t, -1) for t in types]

        def take(a: FloatArray, fill: float) -> FloatArray:
            out = np.full((n, len(types)), fill)
            for c, src in enumerate(cols):
                if src >= 0:
                    out[:, c] = a[:, src]
            return out

        self.x = take(self.x, 0.0)
        self.job_time = take(self.job_time, self.half)
        self.deficit = take(self.deficit, 0.0)
        self.worker_time = [self.worker_time[s] if s >= 0 else 0.0 for s in cols]
        self.types = types

    def rerow(self, ids: list[JobId]) -> list[JobId]:
        """Rows for ``ids`` (the live jobs now, in order): jobs that left are dropped, new
        ones start at half a round on every type. Returns the new jobs, in order."""
        old_row = self.row
        src = [old_row.get(jid, -1) for jid in ids]
        fresh = [jid for jid, s in zip(ids, src, strict=True) if s < 0]
        index = np.array(src, dtype=np.intp)
        keep = index >= 0
        k = len(self.types)

        def take(a: FloatArray, fill: float) -> FloatArray:
            out = np.full((len(ids), k), fill)
            out[keep] = a[index[keep]]
            return out

        self.x = take(self.x, 0.0)
        self.job_time = take(self.job_time, self.half)
        self.deficit = take(self.deficit, 0.0)
        in_alloc = np.zeros(len(ids), dtype=bool)
        in_alloc[keep] = self.in_alloc[index[keep]]
        self.in_alloc = in_alloc
        self.ids = ids
        self.row = {jid: i for i, jid in enumerate(ids)}
        return fresh

    def reset(self, now: float, lp: LpResult) -> None:
        """Gavel's _reset_time_run_so_far (the deficits take what each job was allotted
        minus what it received), then the new allocation ``lp`` for the rows."""
        elapsed = now - self.reset_s
        received = self.job_time - self.half
        self.deficit = self.deficit + self.x * elapsed - received
        self.lp = lp
        self.x = np.array(lp.x, dtype=float).reshape(len(self.ids), len(self.types))
        self.in_alloc = np.ones(len(self.ids), dtype=bool)
        self.job_time = np.full((len(self.ids), len(self.types)), self.half)
        self.worker_time = [self.half * len(self.ids)] * len(self.types)
        self.reset_s, self.job_ids, self.lp_types = now, frozenset(self.ids), self.types
