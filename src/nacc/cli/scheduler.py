"""The live scheduler's own process, started by `nacc serve`:
``python -m nacc.cli.scheduler PARENT_PID`` with the settings as JSON in
``NACC_SCHEDULER_SETTINGS`` (the environment, not the command line, where ``ps`` would
show a database password to every user).

A module of its own (not ``multiprocessing``'s spawn, which re-imports the whole ``nacc``
command line, plotting included, in the child) so the scheduler starts in well under a
second and loads only what it runs.
"""

from __future__ import annotations

import os
import sys

from nacc.bootstrap import Settings, run_scheduler

ENV = "NACC_SCHEDULER_SETTINGS"


def main(argv: list[str]) -> None:
    if len(argv) != 1 or not argv[0].isdigit() or ENV not in os.environ:
        raise SystemExit(f"usage: {ENV}=JSON python -m nacc.cli.scheduler PARENT_PID")
    run_scheduler(Settings.from_json(os.environ[ENV]), int(argv[0]))


if __name__ == "__main__":
    main(sys.argv[1:])
