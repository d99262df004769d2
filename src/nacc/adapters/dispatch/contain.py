"""How the local dispatcher walls a job in: its own account, PID and network namespace,
a private work directory, and a cap on its output.

Where ``make install`` built it (a C compiler was there), one small program,
``nacc-wall`` (``wall/nacc-wall.c``, compiled into the venv's ``bin``), does it all;
the job's process tree is::

    nacc-wall --pid --uid U EXIT_FILE CAP -- COMMAND   (the launcher's child; its group)
      nacc-wall    (root, PID 1 of the job's namespaces; keeps the log, writes exit_code)
        COMMAND    (the job, as account U, groups cleared, no_new_privs)

Without it (logged once) the same walls are built from util-linux and the shell, some
eight processes for each job (``CONTAINED`` below)::

    unshare --pid --fork --mount-proc [--net]     (the service's child; its process group)
      sh WRAPPER      (root, PID 1 of the job's namespace; writes exit_code, caps the log)
        setpriv --reuid U --regid U --clear-groups -- COMMAND   (the job, as account U)

Both give the same guarantees:

* **PID namespace, not a cgroup**: this machine kind has no systemd and no writable
  unified cgroup. When the namespace's PID 1 ends, the kernel kills everything left in it,
  ``setsid`` and double-forked children included, so cancel and the time limit reach the
  whole tree; the job's ``/proc`` shows only its own processes. A stop signals the
  group (the job is in it); ``nacc-wall``'s PID 1 passes a signal on to a job that left
  the group, and dies with its outer process (``PR_SET_PDEATHSIG``).
* **Account**: one uid per project (``uid_base`` + the project's number; no passwd entry is
  needed), so a job cannot read another project's work directory (0700), the service's
  files (the SQLite database is 0600) or signal the service. The exit code and the log are
  written by PID 1 as root into the job's directory, which the job cannot write: it cannot
  forge its end time or swap its log for a link. When the job's command ends, PID 1 writes
  its exit code (``sh``'s ``$?``: 128 + the signal if killed) to ``exit_code.tmp`` and
  renames it to ``exit_code`` (its mtime is the real end), then kills every other process
  of the namespace (a daemon must not hold the log open and keep the job running).
* **Network**: by default the job gets an empty network namespace (no route, not even to
  the database on loopback). ``network=True`` keeps the host's network.
* **Output cap**: the job's stdout and stderr go through a pipe to PID 1, which writes each
  read to the log at once (the log of a running job is live, ``nacc logs``); past the cap
  the rest is read and dropped (the job keeps running) and a note is appended. In the
  shell chain the reader is ``stdbuf -o0 head -c CAP`` (``stdbuf``: ``head`` would hold
  a file's output in stdio's buffer until 4 KiB or its end).

No resource limits (``setrlimit``) are set by either: a job has what the service has.
Containment needs root (namespaces, changing uid); without it (a developer running the
service as themself) jobs run as the service's user, only capped, and
``Containment.active`` says so.
"""

from __future__ import annotations

import errno
import functools
import logging
import os
import shutil
import stat
import sys
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_LOG_CAP = 1 << 30
"""Bytes of output kept per job run (1 GiB)."""

UID_BASE = 2_000_000
"""Job accounts are ``UID_BASE + n`` (n from the project): far above any real account."""

_UID_SPAN = 1_000_000

WALL = "nacc-wall"
"""The wall program's file name, beside the venv's ``python`` (``make install``)."""

_log = logging.getLogger(__name__)

# $1 exit-code file, $2 log cap in bytes, $3 uid ("-": run as the service's user), the rest
# the job's argv. PID 1 of the namespace (root) runs the job as $3 through a pipe whose
# reader keeps $2 bytes, writes the exit code atomically when the job's command ends (its
# mtime is the real end), kills whatever the job left behind (every process of $3 in the
# namespace: a daemon must not hold the log pipe open and keep the job running), then waits
# for the reader. The reader ignores SIGTERM so a cancel reaches the job, not its log.
CONTAINED = r"""f=$1; cap=$2; id=$3; shift 3
as() { setpriv --reuid="$id" --regid="$id" --clear-groups -- "$@"; }
{ if [ "$id" = - ]; then "$@"; else as "$@"; fi
  c=$?; echo "$c" > "$f.tmp" && mv -f "$f.tmp" "$f"
  if [ "$id" != - ]; then as kill -KILL -1 2>/dev/null; fi; } 2>&1 </dev/null | {
  trap '' TERM; stdbuf -o0 head -c "$cap"
  if [ "$(head -c 1 | wc -c)" -gt 0 ]; then
    cat >/dev/null; printf '\n[nacc] output truncated: the log keeps the first %s bytes\n' "$cap"
  fi; }
exit 0"""


DEFAULT_NICE = 0


@dataclass(frozen=True, slots=True)
class Containment:
    """Settings of the walls around local jobs (see the module docstring)."""

    enabled: bool = True
    network: bool = False
    log_cap_bytes: int = DEFAULT_LOG_CAP
    uid_base: int = UID_BASE
    wall: bool = True
    """Use ``nacc-wall`` where it was built; False: the shell chain (as without it)."""
    nice: int = DEFAULT_NICE
    """The niceness jobs run at (0-19; 0, the default: the launcher's own). Above 0 they
    run below the service, so a tenant's CPU-bound job cannot take the cores its
    scheduler and API need (``NACC_JOB_NICE``; docs/dispatch.md, *Containment*)."""

    def __post_init__(self) -> None:
        if self.log_cap_bytes < 1:
            raise ValueError(f"log_cap_bytes must be positive, got {self.log_cap_bytes}")
        if not 0 <= self.nice <= 19:
            raise ValueError(f"nice must be 0-19, got {self.nice}")

    @property
    def active(self) -> bool:
        """Whether jobs really run walled in: enabled, as root, with the tools present."""
        if not self.enabled or os.geteuid() != 0:
            return False
        return self.program() is not None or _tools_present()

    def program(self) -> Path | None:
        """The ``nacc-wall`` program these walls use, or None (the shell chain)."""
        return wall_program() if self.wall else None

    def account(self, project: str) -> int | None:
        """The uid (and gid) a job of ``project`` runs as; None when not contained."""
        if not self.active:
            return None
        n = int(project) if project.isdigit() else zlib.crc32(project.encode())
        return self.uid_base + n % _UID_SPAN

    def argv(self, command: Sequence[str], exit_file: str | Path, uid: int | None) -> list[str]:
        """The full argv that runs ``command`` walled in (or only capped, when inactive)."""
        wall = self.program()
        if wall is not None:
            walls = ["--pid", *(["--host-net"] if self.network else [])] if self.active else []
            account = [] if uid is None else ["--uid", str(uid)]
            return [str(wall), *walls, *account, str(exit_file), str(self.log_cap_bytes), "--",
                    *command]  # fmt: skip
        who = "-" if uid is None else str(uid)
        inner = ["sh", "-c", CONTAINED, "nacc-job", str(exit_file), str(self.log_cap_bytes),
                 who, *command]  # fmt: skip
        if not self.active:
            return inner
        chain = ["--pid", "--fork", "--mount-proc"] + ([] if self.network else ["--net"])
        return ["unshare", *chain, "--", *inner]

    def prepare(self, job_dir: Path, uid: int | None) -> Path:
        """Make the job's directories: ``job_dir`` (the service's, 0711: the job may pass
        but not list or write) and ``job_dir/work`` (the job's own, 0700). Returns work."""
        job_dir.mkdir(parents=True, exist_ok=True)
        work = job_dir / "work"
        work.mkdir(exist_ok=True)
        if uid is not None:
            os.chmod(job_dir, 0o711)
            os.chown(work, uid, uid)
            os.chmod(work, 0o700)
        return work


def unreachable(workdir: Path) -> Path | None:
    """The first folder on the way to ``workdir`` that other accounts cannot pass
    (no ``o+x``), or None: contained jobs must reach their own directory in it."""
    path = workdir.resolve()
    for folder in [*reversed(path.parents), path]:
        try:
            mode = folder.stat().st_mode
        except FileNotFoundError:
            return None  # made by the service (0755) when first needed
        if not mode & stat.S_IXOTH:
            return folder
    return None


@functools.cache  # looked for once per process (and the fallback said once)
def wall_program() -> Path | None:
    """``nacc-wall`` beside this interpreter (the venv's ``bin``), or None."""
    path = Path(sys.executable).parent / WALL
    if os.access(path, os.X_OK):
        return path
    _log.warning(
        "%s not found (make install builds it where a C compiler is): jobs are walled in "
        "by the shell chain (unshare, sh, setpriv, head), some eight processes per job",
        path,
    )
    return None


@functools.cache  # PATH is searched once per process, not at every launch and poll
def _tools_present() -> bool:
    tools = ("unshare", "setpriv", "stdbuf", "head", "wc", "kill")
    return all(shutil.which(tool) for tool in tools)


def read_tail(job_dir: Path, name: str, tail_bytes: int) -> bytes:
    """The last ``tail_bytes`` of ``job_dir/name``, refusing links and anything that is
    not a regular file inside ``job_dir`` (a job must not point the reader elsewhere)."""
    path = job_dir / name
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return b""
    except OSError as error:
        if error.errno == errno.ELOOP:  # O_NOFOLLOW met a link
            raise PermissionError(
                f"{path} is a link; logs are read only from the job's directory"
            ) from None
        raise
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode) or not _inside(path, job_dir):
            raise PermissionError(f"{path} is not a regular file in the job's directory")
        f.seek(max(0, st.st_size - tail_bytes))
        return f.read(tail_bytes)


def _inside(path: Path, root: Path) -> bool:
    return path.parent.resolve() == root.resolve()
