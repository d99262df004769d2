"""Scenario files: providers, sites and accelerator pools of a fleet, validated at load."""

from __future__ import annotations

from nacc.scenario.load import field_error, load_scenario, scenarios_dir, shipped_scenario_path
from nacc.scenario.model import PoolSpec, Provider, Scenario, Site, scale_counts

__all__ = [
    "PoolSpec",
    "Provider",
    "Scenario",
    "Site",
    "field_error",
    "load_scenario",
    "scale_counts",
    "scenarios_dir",
    "shipped_scenario_path",
]
