"""Linux process facts and signals for the ``local`` dispatcher (``/proc``), and the
environment a job inherits."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path


def proc_stat(pid: int) -> tuple[str, int, int, int] | None:
    """(state, pgrp, session, start time in clock ticks since boot), or None if gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    rest = text[text.rfind(")") + 2 :].split()
    return rest[0], int(rest[2]), int(rest[3]), int(rest[19])


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
    for name in os.listdir("/proc"):
        stat = proc_stat(int(name)) if name.isdigit() else None
        if stat is not None and stat[0] != "Z" and stat[1] == pgid and stat[2] == pgid:
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
