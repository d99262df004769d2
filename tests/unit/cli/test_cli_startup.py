"""`nacc` starts without the planner: its commands import what they need when they run,
so a client command (and every test that runs `nacc` as a process) does not pay for
numpy, matplotlib and HiGHS."""

from __future__ import annotations

import inspect
import subprocess
import sys

from nacc.cli import plan as plan_cli
from nacc.planning import simulate, solve

HEAVY = ("nacc.planning", "nacc.sim", "numpy", "matplotlib", "highspy", "sqlalchemy", "fastapi")


def test_importing_the_cli_leaves_the_heavy_modules_unloaded() -> None:
    probe = ("import sys, nacc.cli.main\n"
             f"print(*sorted(m for m in sys.modules if any(m == h or m.startswith(h + '.')\n"
             f"                                            for h in {HEAVY!r})))")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)  # fmt: skip
    assert done.stdout.split() == [], done.stdout


def test_the_plan_options_default_to_the_planners_own_values() -> None:
    defaults = {name: p.default for name, p in
                inspect.signature(plan_cli.plan_command).parameters.items()}  # fmt: skip
    assert defaults["sim_jobs"] == simulate.DEFAULT_JOBS
    assert defaults["sim_fraction"] == simulate.DEFAULT_FRACTION
    assert defaults["time_limit"] == solve.TIME_LIMIT_S
    assert defaults["mip_gap"] == solve.MIP_GAP
