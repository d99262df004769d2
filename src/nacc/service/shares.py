"""Fair share as the scheduler sees it (``nacc shares``, ``GET /shares``), like ``sshare``.

The tree is program -> organisation -> project (``nacc.scheduling.fairtree``, Slurm's Fair
Tree), built from what each project belongs to; usage is each project's metered credits
decayed with the configured half-life to now (an interval counts at its end). Siblings
share equally (raw shares 1 each, Slurm's default).

Operators and program officers see the whole tree. Anyone else sees the programs and
organisations (their sums hide which project used what) and only the projects they are a
PI or member of.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from nacc.domain.errors import InputError
from nacc.scheduling.fairtree import Path, ShareRow, fair_tree
from nacc.service.auth import Principal
from nacc.service.context import Services

DEFAULT_HALF_LIFE_S = 7 * 86400.0  # as the engine's (PriorityDecayHalfLife's default)
HORIZON = 20  # half-lives looked back: older usage weighs < 1e-6 of new
NONE = "-"


@dataclass(frozen=True, slots=True)
class Shares:
    half_life_s: float
    at: datetime
    rows: tuple[ShareRow, ...]


def _privileged(who: Principal) -> bool:
    return who.has("operator") or who.has("program_officer")


def _member(who: Principal, project_id: int) -> bool:
    return any(who.has(role, f"project:{project_id}") for role in ("pi", "member"))


def shares(svc: Services, who: Principal, half_life_s: float = DEFAULT_HALF_LIFE_S,
           now: datetime | None = None) -> Shares:  # fmt: skip
    """The fair-share tree at ``now`` (default: the current time)."""
    if not (math.isfinite(half_life_s) and 60.0 <= half_life_s <= 10 * 365 * 86400.0):
        raise InputError("half_life_s", "expected seconds between 60 and 10 years")
    at = now or datetime.now(UTC)
    since = at - timedelta(seconds=half_life_s * HORIZON)
    with svc.snapshot() as uow:
        projects = uow.reports.projects()
        facts = uow.reports.usage(since, None)
    counts: dict[str, int] = {}
    for p in projects:
        counts[p.project] = counts.get(p.project, 0) + 1
    names = {p.project_id: p.project if p.project and counts[p.project] == 1
             else f"{p.project or 'project'}#{p.project_id}" for p in projects}  # fmt: skip
    paths = {names[p.project_id]: Path(p.program or NONE, p.organisation or NONE)
             for p in projects}  # fmt: skip
    usage: dict[str, float] = {}
    rate = math.log(2) / half_life_s
    for f in facts:
        name = names.get(f.project_id)
        if name is None:
            continue
        age = max(0.0, (at - f.end_at).total_seconds())
        usage[name] = usage.get(name, 0.0) + float(f.credits) * math.exp(-rate * age)
    tree = fair_tree(paths, usage)
    if _privileged(who):
        return Shares(half_life_s, at, tuple(tree.rows))
    mine = {names[p.project_id] for p in projects if _member(who, p.project_id)}
    rows = tuple(r for r in tree.rows if r.project is None or r.project in mine)
    return Shares(half_life_s, at, rows)
