"""Capacity planning: which accelerators to buy or lease, where and when (issue 4).

``load_planning`` reads a planning file, ``build_problem`` combines it with the existing
fleet and the throughput model, ``plan`` solves the MILP with HiGHS, ``simulate_plan``
replays a trace on each planned year. See ``docs/planning.md``.
"""

from __future__ import annotations

from nacc.planning.load import load_planning
from nacc.planning.model import PlanningFile
from nacc.planning.problem import Problem, build_problem
from nacc.planning.solve import PlanResult, plan

__all__ = ["PlanResult", "PlanningFile", "Problem", "build_problem", "load_planning", "plan"]
