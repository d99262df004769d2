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
import subprocess
import sys
import threading

from nacc.bootstrap import Settings, run_scheduler
from nacc.domain.errors import InputError

ENV = "NACC_SCHEDULER_SETTINGS"


def main(argv: list[str]) -> None:
    if len(argv) != 1 or not argv[0].isdigit() or ENV not in os.environ:
        raise SystemExit(f"usage: {ENV}=JSON python -m nacc.cli.scheduler PARENT_PID")
    try:
        settings = Settings.from_json(os.environ.pop(ENV), ENV)  # not passed on to jobs
    except InputError as error:
        raise SystemExit(f"nacc scheduler: {error}") from None
    run_scheduler(settings, int(argv[0]))


RESTART_S = 5.0


class Supervisor:
    """The scheduler process of a ``nacc serve``, started again ``RESTART_S`` after it
    exits while the server runs (a scheduler that lost its database lock comes back as
    a standby; one that crashed comes back and re-adopts its jobs)."""

    def __init__(self, settings: Settings) -> None:
        self._argv = [sys.executable, "-m", "nacc.cli.scheduler", str(os.getpid())]
        self._env = {**os.environ, ENV: settings.to_json()}
        self._stopping = threading.Event()
        self._guard = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._watcher = threading.Thread(target=self._watch, name="nacc-supervisor", daemon=True)

    def start(self) -> None:
        self._spawn()
        self._watcher.start()

    def _spawn(self) -> None:
        with self._guard:
            if not self._stopping.is_set():
                self._proc = subprocess.Popen(self._argv, env=self._env)

    def _watch(self) -> None:
        while not self._stopping.is_set():
            proc = self._proc
            code = proc.wait() if proc is not None else None
            if self._stopping.wait(0) or code is None:
                return
            print(f"nacc: the scheduler process exited ({code}); starting it again in "
                  f"{RESTART_S:g} s", file=sys.stderr, flush=True)  # fmt: skip
            if self._stopping.wait(RESTART_S):
                return
            self._spawn()

    def stop(self) -> None:
        self._stopping.set()
        with self._guard:
            proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    main(sys.argv[1:])
