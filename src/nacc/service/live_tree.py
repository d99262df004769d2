"""The live scheduler's fair-share tree (program -> organisation -> project, as
``nacc.scheduling.fairtree``), from the store: opt-in with ``NACC_FAIR_TREE=1``.

Every ``every_s`` (after a step, as the scheduler's other hooks) the tree's paths are read
again, so projects awarded since take their place; the engine then ranks by Fair Tree
(the ``slurm`` policy's factor, the ``nacc`` policy's effective shares). Once, on the first
run, the engine's decayed usage is seeded with what the store metered before the scheduler
started, decayed with the engine's half-life to now, so a restart does not forget who used
the fleet (the engine meters everything after that itself).
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from nacc.engine.engine import Engine
from nacc.scheduling.fairtree import Path
from nacc.service.context import Services

NONE = "-"
HORIZON = 10  # half-lives of history read for the seed (2^-10 of a credit is left)


class Scheduler(Protocol):
    engine: Engine

    def clock(self) -> float: ...


class TreeSync:
    """``after_step`` hook: the engine's share tree kept as the store says."""

    def __init__(self, svc: Services, live: Scheduler, started_s: float,
                 every_s: float = 60.0) -> None:  # fmt: skip
        self.svc, self.live, self.every_s = svc, live, every_s
        self.started_s = started_s
        self._last: float | None = None
        self._seeded = False

    def __call__(self) -> None:
        now = self.live.clock()
        if self._last is not None and now - self._last < self.every_s:
            return
        self._last = now
        engine = self.live.engine
        half_life = engine.config.usage_half_life_s
        started = datetime.fromtimestamp(self.started_s, UTC)
        with self.svc.snapshot() as uow:
            projects = uow.reports.projects()
            facts = [] if self._seeded else uow.reports.usage(
                started - timedelta(seconds=half_life * HORIZON), started)  # fmt: skip
        paths = {str(p.project_id): Path(p.program or NONE, p.organisation or NONE)
                 for p in projects}  # fmt: skip
        if paths != engine.config.tree:
            engine.config = replace(engine.config, tree=paths)
        if not self._seeded:
            rate = math.log(2) / half_life
            for f in facts:
                if f.end_at <= started:  # what the engine has not metered itself
                    age = max(0.0, now - f.end_at.timestamp())
                    engine.usage.add(str(f.project_id), now,
                                     float(f.credits) * math.exp(-rate * age))  # fmt: skip
            self._seeded = True
