"""What the local dispatcher keeps on disk per job (``state.json``, ``exit_code``) and
how it reads an end back from there: the observation of an exit, a recovery record."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from nacc.domain.ids import JobId
from nacc.domain.reasons import Code, Reason
from nacc.ports import Launch, LaunchRefused, Observation, Outcome, Payload, Recovered

LOST_NOTE = "lost: process gone while the service was down"
LOST = Reason(Code.LOST_WHILE_DOWN)
NO_EXIT_CODE = Reason(Code.LOST)


@dataclass(frozen=True, slots=True)
class Reconciled:
    """What ``reconcile`` did with one job found on disk.

    ``observation`` is also queued for the next ``poll`` (the engine's one path for job
    ends), so a caller should log this record, not apply it. ``ended_wall`` is the wall
    time the exit code was written, where known (for precise metering).
    """

    job_id: JobId
    action: Literal["readopted", "finished", "lost", "unreadable"]
    note: str
    observation: Observation | None = None
    ended_wall: float | None = None


Command = tuple[tuple[str, ...], Mapping[str, str]]  # argv, extra environment


@dataclass(slots=True)
class Run:
    """One run of a job. ``seq``: the launch request made to this dispatcher's launcher
    (its child: the launcher reports its start and its end), None for a run found on
    disk (watched through ``/proc`` and its exit-code file). ``pid`` is 0 until the
    launcher said it started; ``began`` is then the wall time it did; ``reaped`` is
    (exit status, code in ``exit_code``, that file's mtime) once the launcher reaped it."""

    job_id: JobId
    pool: str
    devices: tuple[str, ...]
    pid: int
    proc_start: int
    boot_id: str
    started_at: float
    job_dir: Path
    seq: int | None = None
    began: float = 0.0
    reaped: tuple[int, int | None, float | None] | None = field(default=None, repr=False)

    def state(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id, "pool": self.pool, "devices": list(self.devices),
            "pid": self.pid, "pgid": self.pid, "proc_start": self.proc_start,
            "boot_id": self.boot_id, "started_at": self.started_at,
            "exit_code": None, "ended": None, "ended_at": None, "note": "",
        }  # fmt: skip


# -- files ---------------------------------------------------------------------------------
def write_json(path: Path, data: Mapping[str, Any]) -> None:
    """Write atomically: a reader sees the old file or the new one, never half of one.

    Not fsync'ed: the file describes processes of this machine, read back after the
    service restarts (they run on), where the page cache has it; after a machine crash
    those processes are gone whatever the file says (another boot id). An fsync was the
    largest cost of a launch (two per job, ~9 ms each on a busy disk: bench/live_drain.py).
    """
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w") as f:
        json.dump(data, f, indent=1)
    os.replace(tmp, path)


def read_exit_code(job_dir: Path) -> tuple[int, float] | None:
    """(exit code, wall time written) from the wrapper's file, or None if absent."""
    path = job_dir / "exit_code"
    try:
        return int(path.read_text().strip()), path.stat().st_mtime
    except (OSError, ValueError):
        return None


def cwd_for(launch: Launch, work: str | Path) -> str:
    """Where the job runs: its payload's working directory, else ``work``."""
    workdir = launch.payload.workdir if launch.payload is not None else None
    return str(workdir) if workdir else str(work)


def payload_command(payload: Payload, no_image: str) -> Command:
    """What a payload runs (an argv, or a string run by ``sh -c``) and its environment;
    ``LaunchRefused`` for one that cannot run anywhere: an image (``no_image`` says why),
    an empty command, a NUL byte."""
    if payload.image:
        raise LaunchRefused(Reason.of(Code.LAUNCH_FAILED, message=no_image))
    cmd = payload.command
    argv = ("sh", "-c", cmd) if isinstance(cmd, str) else tuple(cmd)
    if not argv or any("\0" in a for a in argv):
        raise LaunchRefused(Reason.of(Code.LAUNCH_FAILED,
                                      message="empty command or a NUL byte in it"))  # fmt: skip
    return argv, dict(payload.env)


def by_exit_file(job_dir: Path, rc: int | None) -> Callable[[JobId, float, float], Observation]:
    """How a job ended by its exit-code file (``rc``: the exit status if we reaped it)."""
    return by_exit(read_exit_code(job_dir), rc)


def by_exit(
    found: tuple[int, float] | None, rc: int | None
) -> Callable[[JobId, float, float], Observation]:
    """How a job ended by what its exit-code file held (code, mtime) and its exit status."""

    def observe(job: JobId, now: float, start: float) -> Observation:
        if found is None and rc is None:
            return Observation(job, now, Outcome.LOST, None, NO_EXIT_CODE)
        code = found[0] if found is not None else rc
        at = min(now, max(start, found[1])) if found is not None else now
        outcome = Outcome.SUCCEEDED if code == 0 else Outcome.FAILED
        reason = None if code == 0 else Reason.of(Code.EXIT_CODE, exit_code=code or 0)
        return Observation(job, at, outcome, code, reason)

    return observe


def by_reaped(
    rc: int, code: int | None, mtime: float | None
) -> Callable[[JobId, float, float], Observation]:
    """How a job ended that the launcher reaped: its exit status ``rc`` and what its
    exit-code file held then (a wrapper killed by a signal wrote none)."""
    if rc < 0:
        why = Reason.of(Code.KILLED_BY_SIGNAL, signal=-rc, name=signal.Signals(-rc).name)
        return lambda job, now, start: Observation(job, now, Outcome.FAILED, None, why)
    return by_exit(None if code is None or mtime is None else (code, mtime), rc)


def run_from_state(job_dir: Path, d: Mapping[str, Any]) -> Run:
    """Rebuild a run from ``state.json`` (KeyError/TypeError/ValueError if malformed)."""
    if int(d["pgid"]) != int(d["pid"]):
        raise ValueError("pgid differs from pid")
    return Run(
        JobId(str(d["job_id"])), str(d["pool"]), tuple(str(x) for x in d["devices"]),
        int(d["pid"]), int(d["proc_start"]), str(d["boot_id"]), float(d["started_at"]),
        job_dir,
    )  # fmt: skip


def recovered(job_id: JobId, rec: Reconciled | None, now: float) -> Recovered:
    if rec is None:
        return Recovered(job_id, "unknown", "no trace of the job's process")
    if rec.action == "readopted":
        return Recovered(job_id, "running", rec.note)
    obs = rec.observation
    if obs is None:
        return Recovered(job_id, "unknown", rec.note)
    if rec.ended_wall is not None:  # when it really ended, not when we looked
        obs = Observation(obs.job_id, min(now, rec.ended_wall), obs.outcome, obs.exit_code,
                          obs.reason)  # fmt: skip
    return Recovered(job_id, "ended", rec.note, obs)


def ended_unrecorded(workdir: Path, job_id: JobId) -> Reconciled | None:
    """A job the service still records as running that this dispatcher had already
    stopped or seen end (``state.json`` says so): the service went down (or could not
    reach its database) before it wrote that down. It ended when the file says; how, by
    the exit code written there (none: stopped or lost, a failure). None: no such end."""
    try:
        state = json.loads((workdir / job_id / "state.json").read_text())
        ended_at = float(state["ended_at"]) if state.get("ended") is not None else None
        code = state.get("exit_code")
        code = int(code) if code is not None and state["ended"] == "exited" else None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if ended_at is None:
        return None
    note = f"{state['ended']} at {ended_at:.1f} before the service went down"
    if code is None:
        obs = Observation(job_id, ended_at, Outcome.LOST, None, LOST)
    else:
        outcome = Outcome.SUCCEEDED if code == 0 else Outcome.FAILED
        why = None if code == 0 else Reason.of(Code.EXIT_CODE, exit_code=code)
        obs = Observation(job_id, ended_at, outcome, code, why)
    return Reconciled(job_id, "finished", note, obs, ended_at)


WALL_CLOCK_S = 600.0
"""A step's ``now`` at most this long before the wall clock is on the wall clock."""


def wall_now(now: float) -> float:
    """The latest time an end seen now can have: the wall clock where ``now`` is on it
    (a step's ``now`` is when it began; an exit code written later in a long step is
    not moved back to it: that undercharged), else ``now`` (a test's virtual clock)."""
    wall = time.time()
    return wall if now <= wall <= now + WALL_CLOCK_S else now
