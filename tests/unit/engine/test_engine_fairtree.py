"""The engine with a share tree: the view carries Fair Tree factors and effective shares,
and the Slurm policy starts the light organisation's job first."""

from __future__ import annotations

import pytest

from nacc.domain.ids import JobId
from nacc.domain.lifecycle import JobState
from nacc.engine.engine import Engine, EngineConfig
from nacc.scheduling.fairtree import Path
from nacc.scheduling.policies.registry import builtin_policies
from nacc.sim.dispatcher import SimDispatcher
from nacc.sim.kernel import Kernel
from support.doubles import TableRates, job, pool

RATES = TableRates({"slow": 1.0})
TREE = {"h1": Path("P", "H"), "h2": Path("P", "H"), "h3": Path("P", "H"), "l1": Path("P", "L")}


def _engine(tree: bool) -> Engine:
    config = EngineConfig(usage_half_life_s=1e12, tree=TREE if tree else None)
    eng = Engine([pool("a", "slow", 1)], builtin_policies().create("slurm"),
                 SimDispatcher(Kernel(), RATES), RATES, config)  # fmt: skip
    for project, used in (("h1", 10.0), ("h2", 10.0), ("h3", 10.0), ("l1", 20.0)):
        eng.usage.add(project, 0.0, used)
    # one job each from h1 and l1, l1's submitted later (so FIFO age favours h1)
    eng.submit(job(0, 0, 100, project="h1"), 0)
    eng.submit(job(1, 1, 100, project="l1"), 1)
    return eng


def test_the_view_carries_fair_tree_factors_and_effective_shares() -> None:
    view = _engine(tree=True).snapshot(2.0)
    assert view.fairshare == {"l1": 1.0, "h1": 0.75, "h2": 0.75, "h3": 0.75}
    assert view.shares == pytest.approx({"h1": 1 / 6, "h2": 1 / 6, "h3": 1 / 6, "l1": 0.5})
    assert _engine(tree=False).snapshot(2.0).fairshare is None


def test_slurm_with_a_tree_starts_the_light_organisation_first() -> None:
    with_tree = _engine(tree=True)
    with_tree.tick(2.0)
    assert with_tree.jobs[JobId("j1")].state is JobState.RUNNING  # l1, the light org's
    flat = _engine(tree=False)
    flat.tick(2.0)
    # flat shares (1/2 each between the two known projects): l1 used more, h1 goes first
    assert flat.jobs[JobId("j0")].state is JobState.RUNNING
