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


@dataclass(slots=True)
class GavelState:
    """Gavel's mutable bookkeeping (``_allocation``, ``_job_time_so_far``, ...). ``table``
    holds, per row, the allocation, the time per type and the deficit per type (``k``
    columns each) and whether the job had an allocation (1.0 or 0.0), so that a change of
    the job set moves one array."""

    reset_s: float = 0.0
    half: float = 180.0
    types: tuple[str, ...] = ()
    ids: list[JobId] = field(default_factory=list)
    row: dict[JobId, int] = field(default_factory=dict)
    table: FloatArray = field(default_factory=lambda: np.zeros((0, 1)))
    worker_time: list[float] = field(default_factory=list)
    job_ids: frozenset[JobId] = frozenset()  # the jobs of the last solve
    lp_types: tuple[str, ...] = ()  # the types of the last solve
    lp: LpResult | None = None
    placed: list[Placed] = field(default_factory=list)
    placed_s: float = 0.0
    round_end: float | None = None
    speed: dict[str, float] = field(default_factory=dict)

    @property
    def x(self) -> FloatArray:
        return self.table[:, : len(self.types)]

    @property
    def job_time(self) -> FloatArray:
        k = len(self.types)
        return self.table[:, k : 2 * k]

    @property
    def deficit(self) -> FloatArray:
        k = len(self.types)
        return self.table[:, 2 * k : 3 * k]

    @property
    def in_alloc(self) -> BoolArray:
        flags: BoolArray = self.table[:, 3 * len(self.types)] > 0.0
        return flags

    def _fill(self, k: int) -> FloatArray:
        """A new row: no allocation, half a round on every type, no deficit."""
        return np.concatenate([np.zeros(k), np.full(k, self.half), np.zeros(k + 1)])

    @property
    def alloc(self) -> dict[JobId, dict[str, float]]:
        """The allocation of each live job of the last solve (a copy, for diagnostics)."""
        x, flags = self.x.tolist(), self.in_alloc.tolist()
        return {
            jid: dict(zip(self.types, x[i], strict=True))
            for i, jid in enumerate(self.ids)
            if flags[i]
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
        worker, row = self.worker_time, self.row
        stayed = max(0.0, now - start)
        rows: list[int] = []
        cols: list[int] = []
        for jid, c, end in self.placed:
            if jid in live:
                rows.append(row[jid])
                cols.append(c)
                worker[c] += stayed
            else:
                worker[c] += max(0.0, min(end, now) - start)
        if rows:  # one (row, type) each: the same sums as one at a time
            self.table[rows, np.array(cols, dtype=np.intp) + len(self.types)] += stayed
        self.placed = []

    def retype(self, types: tuple[str, ...]) -> None:
        """New columns (the fleet's types changed): a type new to a row starts at half a
        round, no deficit, no allocation, no time on it (as the dictionaries' defaults)."""
        if types == self.types:
            return
        old, k0, k = {t: c for c, t in enumerate(self.types)}, len(self.types), len(types)
        table = np.tile(self._fill(k), (len(self.ids), 1))
        for c, t in enumerate(types):
            src = old.get(t)
            if src is not None:
                for block in range(3):
                    table[:, block * k + c] = self.table[:, block * k0 + src]
        table[:, 3 * k] = self.table[:, 3 * k0]
        self.worker_time = [self.worker_time[old[t]] if t in old else 0.0 for t in types]
        self.table, self.types = table, types

    def rerow(self, ids: list[JobId]) -> list[JobId]:
        """Rows for ``ids`` (the live jobs now, in order): jobs that left are dropped, new
        ones start at half a round on every type. Returns the new jobs, in order."""
        old_row = self.row
        src = [old_row.get(jid, -1) for jid in ids]
        fresh = [jid for jid, s in zip(ids, src, strict=True) if s < 0]
        index = np.array(src, dtype=np.intp)
        table = np.empty((len(ids), self.table.shape[1]))
        if fresh:
            keep = index >= 0
            table[keep] = self.table[index[keep]]
            table[~keep] = self._fill(len(self.types))
        else:
            table[:] = self.table[index]
        self.table, self.ids = table, ids
        self.row = {jid: i for i, jid in enumerate(ids)}
        return fresh

    def reset(self, now: float, lp: LpResult) -> None:
        """Gavel's _reset_time_run_so_far (the deficits take what each job was allotted
        minus what it received), then the new allocation ``lp`` for the rows."""
        k, n = len(self.types), len(self.ids)
        elapsed = now - self.reset_s
        received = self.job_time - self.half
        self.table[:, 2 * k : 3 * k] = self.deficit + self.x * elapsed - received
        self.table[:, :k] = np.asarray(lp.x, dtype=float).reshape(n, k)
        self.table[:, k : 2 * k] = self.half
        self.table[:, 3 * k] = 1.0
        self.lp = lp
        self.worker_time = [self.half * n] * k
        self.reset_s, self.job_ids, self.lp_types = now, frozenset(self.ids), self.types
