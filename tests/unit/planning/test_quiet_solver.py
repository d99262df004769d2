"""HiGHS prints nothing: not its banner, not its log (a fresh interpreter, since HiGHS
prints its banner once per process)."""

from __future__ import annotations

import subprocess
import sys

SOLVES = """
import numpy as np
from nacc.planning.milp import Program, solve
from nacc.scheduling.policies.gavel_lp import solve_max_min

prog = Program()
x = prog.var("x", cost=3.0, integer=True)
prog.row("need", "demand", {x: 1.0}, lower=4.5)
assert solve(prog).x == [5.0] and solve(prog, relax=True).duals == [3.0]
one = np.ones(1)
assert solve_max_min(np.ones((1, 1)), one, one, one).ok
print("solved")
"""


def test_planner_and_gavel_lp_solves_print_no_highs_banner() -> None:
    done = subprocess.run([sys.executable, "-c", SOLVES], capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == "solved\n" and "HiGHS" not in done.stderr
