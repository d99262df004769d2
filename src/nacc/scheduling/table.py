"""Columnar snapshot of the pending queue for vectorised policies.

Policies keep a ``JobTable``: a memo of each job's static features (size, time limit,
best rate, project, candidate pools), which are pure functions of the job and the
fleet, stored in a growing numpy array (one slot per job). ``columns(view)`` gathers
the pending jobs' rows, in queue order, with one dict lookup per job and numpy fancy
indexing, so a policy can score thousands of jobs per call cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from nacc.domain.ids import JobId, PoolId
from nacc.scheduling.placement import (
    JobShape,
    best_rate,
    candidates,
    choose_pool,
    fleet_key,
    shape_of,
)
from nacc.scheduling.view import ClusterView

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
_SUBMIT, _SIZE, _LIMIT, _BEST, _PROJECT, _SHAPE = range(6)


@dataclass(frozen=True, slots=True)
class Shape:
    """Jobs of one ``placement.JobShape`` share their candidate pools (pool id, rate)."""

    need: int
    pools: tuple[tuple[PoolId, float], ...]


@dataclass(frozen=True, slots=True)
class Columns:
    ids: list[JobId]
    submit: Floats
    size: Floats
    limit: Floats
    best_rate: Floats
    project: Ints
    shape: Ints
    shapes: list[Shape]
    projects: list[str]


class JobTable:
    """Per-policy memo of static job features, reset when the fleet changes."""

    def __init__(self, default_limit_s: float, min_relative_speed: float = 0.0) -> None:
        self._default_limit = default_limit_s
        self._min_speed = min_relative_speed
        self._reset(())

    def _reset(self, fleet: tuple[object, ...]) -> None:
        self._fleet = fleet
        self._slot: dict[JobId, int] = {}
        self._data: Floats = np.zeros((1024, 6), dtype=np.float64)
        self._shapes: list[Shape] = []
        self._shape_ix: dict[JobShape, int] = {}
        self._projects: list[str] = []
        self._project_ix: dict[str, int] = {}

    def _add(self, view: ClusterView, jid: JobId) -> int:
        spec = view.pending[jid].spec
        key = shape_of(spec)
        six = self._shape_ix.get(key)
        if six is None:
            six = self._shape_ix[key] = len(self._shapes)
            self._shapes.append(
                Shape(spec.accelerators, tuple(candidates(view, spec, self._min_speed)))
            )
        pix = self._project_ix.setdefault(spec.project, len(self._projects))
        if pix == len(self._projects):
            self._projects.append(spec.project)
        slot = len(self._slot)
        if slot >= len(self._data):
            self._data = np.concatenate([self._data, np.zeros_like(self._data)])
        best = best_rate(self._shapes[six].pools)
        limit = spec.time_limit_s or self._default_limit
        self._data[slot] = (spec.submit_s, spec.accelerators, limit, best, pix, six)
        self._slot[jid] = slot
        return slot

    def columns(self, view: ClusterView) -> Columns:
        fleet = fleet_key(view)
        if fleet != self._fleet:
            self._reset(fleet)
        slot = self._slot
        ids = list(view.pending)
        try:  # every job seen before (the common case): one pass in C
            index = np.fromiter(map(slot.__getitem__, ids), dtype=np.int64, count=len(ids))
        except KeyError:
            index = np.array(
                [s if (s := slot.get(j)) is not None else self._add(view, j) for j in ids],
                dtype=np.int64,
            )
        rows = self._data[index]
        return Columns(
            ids=ids,
            submit=rows[:, _SUBMIT],
            size=rows[:, _SIZE],
            limit=rows[:, _LIMIT],
            best_rate=rows[:, _BEST],
            project=rows[:, _PROJECT].astype(np.int64),
            shape=rows[:, _SHAPE].astype(np.int64),
            shapes=self._shapes,
            projects=self._projects,
        )


def fits_now(shapes: list[Shape], free: dict[PoolId, int]) -> npt.NDArray[np.bool_]:
    """Per shape: does some candidate pool have room for the whole gang right now?"""
    return np.array([choose_pool(s.pools, s.need, free) is not None for s in shapes], dtype=bool)
