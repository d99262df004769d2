"""Process facts (psutil) and signals for the ``local`` dispatcher, and the environment a
job inherits."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path
from typing import NamedTuple

import psutil


class ProcStat(NamedTuple):
    """What identifies a process and its group: ``start`` is in clock ticks since boot
    (what state.json keeps: unlike a start time on the wall clock, no clock step moves it)."""

    zombie: bool
    pgid: int
    session: int
    start: int


_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def proc_stat(pid: int) -> ProcStat | None:
    """The process's status, group, session and start, or None if it is gone."""
    try:
        proc = psutil.Process(pid)
        with proc.oneshot():
            zombie = proc.status() == psutil.STATUS_ZOMBIE
            start = _start_ticks(proc)
        return ProcStat(zombie, os.getpgid(pid), os.getsid(pid), start)
    except (psutil.Error, ProcessLookupError, PermissionError):
        return None


def _start_ticks(proc: psutil.Process) -> int:
    """psutil gives the start as boot time + ticks / rate; the boot time is read again on
    each call, so read it on both sides and retry in the rare case it moved between."""
    while True:
        boot = psutil.boot_time()
        started = proc.create_time()
        if psutil.boot_time() == boot:
            return round((started - boot) * _TICKS_PER_S)
        proc = psutil.Process(proc.pid)  # create_time is cached: ask afresh


def leader_alive(pid: int, start: int) -> bool:
    """Whether ``pid`` still runs, not a zombie, leading its own group, and is the process
    that started at ``start`` (not another that got its pid since)."""
    stat = proc_stat(pid)
    return stat is not None and not stat.zombie and stat.pgid == pid and stat.start == start


def reap_foreign(pid: int, start: int) -> None:
    """Reap ``pid``'s zombie if it is our child (a dispatcher in this process died)."""
    stat = proc_stat(pid)
    if stat is not None and stat.zombie and stat.start == start:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def group_alive(pgid: int) -> bool:
    """Whether any non-zombie process is still in process group (and session) ``pgid``."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error, ProcessLookupError, PermissionError):
            member = os.getpgid(proc.pid) == pgid and os.getsid(proc.pid) == pgid
            if member and proc.status() != psutil.STATUS_ZOMBIE:
                return True
    return False


def signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


_PRIVATE_PREFIXES = ("NACC_", "PG")  # the service's settings (a database URL), libpq's


def inherited_env() -> dict[str, str]:
    """The service's environment less its own settings and database credentials, which a
    job must never see (it could write to the ledger); the job's NACC_* come after."""
    return {k: v for k, v in os.environ.items() if not k.startswith(_PRIVATE_PREFIXES)}
