"""Datasets in scenario YAML: checked sites and residency (errors name the file, line and
field), and a simulation keeping the jobs of a domestic dataset's projects at home."""

from __future__ import annotations

from pathlib import Path

import pytest

from nacc.domain.errors import InputError
from nacc.scenario import load_scenario
from nacc.scenario.datasets import with_datasets
from nacc.scheduling.policies.registry import builtin_policies
from nacc.sim.experiment import SimConfig, simulate
from support.doubles import TableRates, job

FLEET = """\
name: home-and-abroad
providers: [{id: p, kind: public, name: P}]
sites:
  - {id: abroad, provider: p, region: Virginia, capital_area: false, country: US}
  - {id: home, provider: p, region: Daejeon, capital_area: false}
pools:
  - {id: abroad-h100, site: abroad, accelerator: H100-SXM, count: 8, node_size: 8, engine: local}
  - {id: home-h100, site: home, accelerator: H100-SXM, count: 8, node_size: 8, engine: local}
datasets:
  - name: kor-med
    residency: domestic
    sites: [{site}]
    projects: [med]
"""


def _write(tmp_path: Path, site: str = "home") -> Path:
    path = tmp_path / "fleet.yaml"
    path.write_text(FLEET.replace("{site}", site))
    return path


@pytest.mark.parametrize(
    ("site", "problem"),
    [("abroad", "kor-med is domestic-only data; abroad is not a domestic site"),
     ("mars", "unknown site 'mars'")],
)  # fmt: skip
def test_bad_dataset_sites_name_line_and_field(tmp_path: Path, site: str, problem: str) -> None:
    with pytest.raises(InputError) as bad:
        load_scenario(_write(tmp_path, site))
    assert "fleet.yaml:12" in str(bad.value) and "datasets[0].sites[0]" in str(bad.value)
    assert problem in str(bad.value)


def test_a_domestic_datasets_jobs_run_only_at_home(tmp_path: Path) -> None:
    scenario = load_scenario(_write(tmp_path))
    pools = scenario.domain_pools()
    assert [p.domestic_site for p in pools] == [False, True]
    jobs = [job(i, float(i), 600, gpus=4, project="med" if i % 2 else "web") for i in range(12)]
    jobs = with_datasets(jobs, scenario.datasets)
    assert [j.domestic_only for j in jobs] == [bool(i % 2) for i in range(12)]
    assert jobs[1].data_sites == {"home"}
    rates = TableRates({"H100-SXM": 1.0})
    for name in ("fifo", "nacc"):
        run = simulate(jobs, pools, builtin_policies().create(name), rates, SimConfig())
        ran = {r.spec.project: set() for r in run.jobs}  # type: dict[str, set[str]]
        for r in run.jobs:
            ran[r.spec.project].add(r.pool_id)
        assert ran["med"] == {"home-h100"}, (name, ran)
        assert "abroad-h100" in ran["web"], (name, ran)  # the others may go abroad
