"""`nacc sweep` as documented (docs/simulator.md, "Sweeps"): a grid run serially and on a
local two-CPU Ray gives the same cells; a rerun skips finished cells; bad files are named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nacc.cli.main import app

ROOT = Path(__file__).resolve().parents[3]
GRID = f"""\
name: small
scenarios: [{ROOT / "scenarios/gavel-108.yaml"}]
trace: {{path: {ROOT / "data/traces/philly.csv.gz"}, format: philly, jobs: 150}}
policies: [fifo, slurm]
loads: [2, 8]
seeds: [0, 3]
out: out
"""


def _sweep(folder: Path, *args: str) -> str:
    got = CliRunner().invoke(app, ["sweep", str(folder / "sweep.yaml"), *args])
    assert got.exit_code == 0, got.output
    return got.output


def _cells(out: Path) -> dict[str, dict[str, object]]:
    found = {}
    for path in sorted((out / "cells").glob("*.json")):
        data = json.loads(path.read_text())
        data["summary"].pop("wall_s")  # the only field that depends on the machine
        found[path.stem] = data
    return found


@pytest.fixture
def grid(tmp_path: Path) -> Path:
    (tmp_path / "sweep.yaml").write_text(GRID)
    return tmp_path


def test_serial_sweep_writes_cells_table_plots_and_resumes(grid: Path) -> None:
    said = _sweep(grid, "--serial")
    assert "8 cells, 0 already done, 8 to run (serial)" in said
    out = grid / "out"
    cells = _cells(out)
    assert len(cells) == 8 and "gavel-108__slurm__load8__seed3" in cells
    rows = (out / "results.csv").read_text().splitlines()
    assert rows[0].startswith("scenario,policy,load,seed,window_start") and len(rows) == 9
    for png in ("wait_vs_load", "wait_by_size", "jct_cdf"):
        assert (out / f"gavel-108_{png}.png").stat().st_size > 1000
    # seeds are different windows of the trace, loads compress the arrivals
    assert cells["gavel-108__fifo__load2__seed0"]["window_start"] == 0
    assert cells["gavel-108__fifo__load2__seed3"]["window_start"] > 0
    for policy in ("fifo", "slurm"):
        for seed in (0, 3):
            low = cells[f"gavel-108__{policy}__load2__seed{seed}"]["summary"]
            high = cells[f"gavel-108__{policy}__load8__seed{seed}"]["summary"]
            assert high["completed"] == low["completed"] == 150  # type: ignore[index]
            assert high != low
    # a rerun runs nothing; a lost cell is run again, alone
    assert "8 already done, 0 to run" in _sweep(grid, "--serial")
    (out / "cells" / "gavel-108__slurm__load2__seed0.json").unlink()
    assert "7 already done, 1 to run" in _sweep(grid, "--serial")
    assert _cells(out) == cells
    # another job count is another cell: nothing is reused
    (grid / "sweep.yaml").write_text(GRID.replace("jobs: 150", "jobs: 100"))
    assert "8 cells, 0 already done, 8 to run" in _sweep(grid, "--serial")


@pytest.mark.slow  # starts a local Ray (3 s idle, up to a minute on a busy machine)
def test_ray_on_two_cpus_gives_the_serial_cells(
    grid: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    said = _sweep(grid, "--cpus", "2", "--out", str(tmp_path / "ray"))
    assert "8 to run (local Ray)" in said and "on 2 CPUs, 1 node(s)" in said
    _sweep(grid, "--serial", "--out", str(tmp_path / "serial"))
    assert _cells(tmp_path / "ray") == _cells(tmp_path / "serial")


@pytest.mark.parametrize(("edit", "said"), [
    (("policies: [fifo, slurm]", "policies: [fifo, nope]"), "policies"),
    (("loads: [2, 8]", "loads: [2, -1]"), "loads: expected a non-empty list of numbers >= 0"),
    (("out: out", "colour: red"), "colour: unknown key; allowed: name, scenarios"),
    (("jobs: 150", "jobs: 0"), "trace.jobs: expected a job count"),
    (("out: out", "program_mix: {llm: -1}"), "program_mix: expected a whole weight"),
    (("loads: [2, 8]", "loads: [2, 8"), "sweep.yaml:"),
])  # fmt: skip
def test_bad_sweep_files_name_file_and_key(grid: Path, edit: tuple[str, str], said: str) -> None:
    (grid / "sweep.yaml").write_text(GRID.replace(*edit))
    got = CliRunner().invoke(app, ["sweep", str(grid / "sweep.yaml"), "--serial"])
    assert got.exit_code == 2
    assert said in got.output and "sweep.yaml" in got.output, got.output
    assert not (grid / "out").exists()


def test_a_program_mix_gives_per_program_waits_columns_and_plot(grid: Path) -> None:
    (grid / "sweep.yaml").write_text(GRID + "program_mix: {llm: 1, academia: 1}\n")
    said = _sweep(grid, "--serial")
    assert "p50 / p95 wait by program" in said and "academia" in said
    out = grid / "out"
    cells = _cells(out)
    one = cells["gavel-108__slurm__load8__seed3"]["wait_by_program"]
    assert set(one) == {"llm", "academia"}  # type: ignore[arg-type]
    assert sum(v["jobs"] for v in one.values()) == 150  # type: ignore[attr-defined]
    header = (out / "results.csv").read_text().splitlines()[0].split(",")
    assert header[-4:] == ["p50_wait_s.academia", "p95_wait_s.academia", "p50_wait_s.llm",
                           "p95_wait_s.llm"]  # fmt: skip
    assert "offered_utilization" in header
    assert (out / "gavel-108_wait_by_program.png").stat().st_size > 1000
    # without programs in the trace or a mix, there is no per-program plot
    (grid / "sweep.yaml").write_text(GRID)
    _sweep(grid, "--serial", "--out", str(grid / "plain"))
    assert not (grid / "plain" / "gavel-108_wait_by_program.png").exists()


def test_a_changed_scenario_reruns_its_cells(grid: Path, tmp_path: Path) -> None:
    scenario = tmp_path / "fleet.yaml"
    scenario.write_text((ROOT / "scenarios/gavel-108.yaml").read_text())
    text = GRID.replace(str(ROOT / "scenarios/gavel-108.yaml"), str(scenario))
    (grid / "sweep.yaml").write_text(text.replace("seeds: [0, 3]", "seeds: [0]"))
    assert "4 to run" in _sweep(grid, "--serial")
    assert "4 already done, 0 to run" in _sweep(grid, "--serial")
    scenario.write_text(scenario.read_text().replace("restart_cost_s: 0", "restart_cost_s: 60"))
    assert "0 already done, 4 to run" in _sweep(grid, "--serial")


def test_a_program_mix_outside_the_scenarios_share_tree_is_refused(
    grid: Path, tmp_path: Path
) -> None:
    scenario = tmp_path / "tree.yaml"
    tree = "share_tree:\n  programs: [{name: llm, shares: 70}, {name: academia, shares: 30}]\n"
    scenario.write_text((ROOT / "scenarios/gavel-108.yaml").read_text() + tree)
    text = GRID.replace(str(ROOT / "scenarios/gavel-108.yaml"), str(scenario))
    (grid / "sweep.yaml").write_text(text + "program_mix: {llm: 2, startups: 1}\n")
    got = CliRunner().invoke(app, ["sweep", str(grid / "sweep.yaml"), "--serial"])
    assert got.exit_code == 2
    assert f"{scenario}:" in got.output and "share_tree.programs" in got.output, got.output
    assert "'startups'" in got.output
    assert not (grid / "out").exists()
