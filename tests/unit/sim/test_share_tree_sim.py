"""A scenario's share tree drives the simulator's Fair Tree (docs/simulator.md, "Share
trees"), checked against a tree computed by hand.

Ten P100s; program A (70 shares: organisations H and L, 1 share each) and program B (30).
H's four projects and B's one each keep a backlog; L's one project asks for 3 GPUs, all the
time. By hand: A gets 7 GPUs, split 3.5 / 3.5 between H and L; L needs only 3, so L 3, H 4,
B 3. With flat per-project shares instead (6 projects, 1/6 each = 1.67 GPUs), H's four
projects take 6.67 GPUs: the heavy organisation crowds out the light one, and program B
gets 1.67, not 3.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from nacc.domain.errors import InputError
from nacc.sim import study
from nacc.sim.experiment import SimConfig
from nacc.sim.traces import ReadOptions

FLEET = """\
name: tree-test
providers: [{id: p, kind: other, name: P}]
sites: [{id: s, provider: p, region: r, capital_area: false}]
pools: [{id: gpu, site: s, accelerator: P100, count: 10, node_size: 1, engine: local}]
"""
TREE = """\
share_tree:
  half_life_h: 24
  programs:
    - name: A
      shares: 70
      organisations:
        - {name: H, projects: [h1, h2, h3, h4]}
        - {name: L, shares: 1, projects: [{name: l1, shares: 1}]}
    - name: B
      shares: 30
      organisations: [{name: Z, projects: [b1]}]
"""
HOURS = 60
# usage is in credits, whose rate depends on the job's class: one class for every job, so
# credits are GPU-hours times one rate
ONE_CLASS = (("fine-tuning", 1),)
WINDOW = (10 * 3600.0, 50 * 3600.0)  # every backlog still there


def _trace(path: Path) -> Path:
    t0 = datetime(2026, 1, 1)
    rows = ["timestamp,duration,num_gpus,gpu_time,cluster"]
    backlog = [(p, 100) for p in ("h1", "h2", "h3", "h4")] + [("b1", 200)]
    for project, n in backlog:
        rows += [f"{t0:%Y-%m-%d %H:%M:%S},3600.0,1,3600.0,{project}"] * n
    for hour in range(HOURS):  # l1: three 1-hour jobs every hour
        at = t0 + timedelta(hours=hour)
        rows += [f"{at:%Y-%m-%d %H:%M:%S},3600.0,1,3600.0,l1"] * 3
    path.write_text("\n".join(rows) + "\n")
    return path


def _gpu_hours(tmp_path: Path, tree: bool) -> dict[str, float]:
    scenario = tmp_path / ("tree.yaml" if tree else "flat.yaml")
    scenario.write_text(FLEET + (TREE if tree else ""))
    inp = study.StudyInput(scenario, _trace(tmp_path / "philly.csv"), "philly", ReadOptions(),
                           class_mix=ONE_CLASS)  # fmt: skip
    loaded = study.load(inp)
    summary, run = study.run_policy("slurm", loaded, SimConfig())
    assert summary["preemptions"] == 0 and summary["unfinished"] == 0
    used: dict[str, float] = {}
    for rec in run.jobs:
        start, end = rec.first_start_s, rec.finished_s
        assert start is not None and end is not None
        overlap = max(0.0, min(end, WINDOW[1]) - max(start, WINDOW[0]))
        used[rec.spec.project] = used.get(rec.spec.project, 0.0) + overlap
    total = sum(used.values())
    assert total == pytest.approx(10 * (WINDOW[1] - WINDOW[0]))  # the fleet stays busy
    return {k: v / total for k, v in used.items()}


def test_programs_get_70_30_and_the_light_organisation_its_demand(tmp_path: Path) -> None:
    got = _gpu_hours(tmp_path, tree=True)
    heavy = sum(got[p] for p in ("h1", "h2", "h3", "h4"))
    assert got["b1"] == pytest.approx(0.30, abs=0.04)  # program B: its 30%
    assert got["l1"] == pytest.approx(0.30, abs=0.04)  # L: all it asks for
    assert heavy == pytest.approx(0.40, abs=0.04)  # H: the rest of A's 70%


def test_without_the_tree_the_heavy_organisation_crowds_out_the_light_one(
    tmp_path: Path,
) -> None:
    got = _gpu_hours(tmp_path, tree=False)
    assert got["l1"] < 0.22 and got["b1"] < 0.22  # about 1/6 each
    assert sum(got[p] for p in ("h1", "h2", "h3", "h4")) > 0.55


def test_the_tree_sets_paths_shares_and_half_life(tmp_path: Path) -> None:
    scenario = tmp_path / "tree.yaml"
    scenario.write_text(FLEET + TREE)
    trace = _trace(tmp_path / "philly.csv")
    loaded = study.load(study.StudyInput(scenario, trace, "philly", ReadOptions()))
    assert loaded.tree is not None
    assert loaded.tree.paths["h3"] == ("A", "H") and loaded.tree.paths["b1"] == ("B", "Z")
    assert loaded.tree.shares[("A",)] == 70 and loaded.tree.shares[("A", "L", "l1")] == 1
    assert loaded.tree.half_life_s == 24 * 3600.0


def test_a_program_mix_naming_a_program_outside_the_tree_is_refused(tmp_path: Path) -> None:
    scenario = tmp_path / "tree.yaml"
    scenario.write_text(FLEET + TREE)
    inp = study.StudyInput(scenario, _trace(tmp_path / "philly.csv"), "philly", ReadOptions(),
                           program_mix=(("A", 1), ("C", 1)))  # fmt: skip
    with pytest.raises(InputError) as err:
        study.load(inp)
    said = str(err.value)
    assert f"{scenario}:" in said and "share_tree.programs" in said and "'C'" in said


def test_nacc_simulate_names_a_bad_tree_or_program_mix(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from nacc.cli.main import app

    scenario = tmp_path / "tree.yaml"
    scenario.write_text(FLEET + TREE)
    trace = _trace(tmp_path / "philly.csv")
    args = ["simulate", "--scenario", str(scenario), "--trace", str(trace), "--format",
            "philly", "--policy", "slurm", "--class-mix", "fine-tuning=1"]  # fmt: skip
    got = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "a"),
                                   "--program-mix", "A=1,C=1"])  # fmt: skip
    assert got.exit_code == 2 and f"{scenario}:" in got.output, got.output
    assert "share_tree.programs" in got.output and "'C'" in got.output
    scenario.write_text(FLEET + TREE.replace("shares: 30", "shares: -3"))
    got = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "b")])
    assert got.exit_code == 2 and "share_tree.programs[1].shares" in got.output, got.output
