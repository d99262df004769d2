"""The local dispatcher's end of the pipes to its launcher (``launcher.py``).

``Launches`` keeps the runs the dispatcher asked for by request number and turns the
launcher's answers into what happened to them (``Heard``). ``LauncherLink`` is the pipes:
requests are queued as bytes and written without blocking (what the pipe cannot take now
goes with the next call), answers are read without blocking; ``wait`` blocks for the next
answers (a stop of a job whose launch is not made yet, ``flush``). If the launcher dies,
``replies`` says so (``None``) and the next request starts a new one.
"""

from __future__ import annotations

import itertools
import json
import os
import selectors
import subprocess
import sys
import time
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, NamedTuple

import nacc
from nacc.adapters.dispatch.local_state import Run
from nacc.adapters.dispatch.procs import inherited_env

_CHUNK = 1 << 20


class LauncherLink:
    """One launcher process and the pipes to it."""

    def __init__(self) -> None:
        env = inherited_env()  # it needs none of the service's settings or credentials
        src = str(Path(nacc.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "nacc.adapters.dispatch.launcher"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, close_fds=True,
        )  # fmt: skip
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._in, self._out = self._proc.stdin.fileno(), self._proc.stdout.fileno()
        os.set_blocking(self._in, False)
        os.set_blocking(self._out, False)
        self._sending = bytearray()
        self._heard = b""
        self._base: Mapping[str, str] | None = None
        self.alive = True

    @property
    def pid(self) -> int:
        return self._proc.pid

    # -- requests -----------------------------------------------------------------------
    def launch(
        self,
        seq: int,
        argv: Sequence[str],
        env: Mapping[str, str],
        base: dict[str, str],
        cwd: str | Path,
        job_dir: str | Path,
        uid: int | None,
        state: Mapping[str, Any],
        nice: int = 0,
    ) -> None:
        """Ask for a launch: ``base`` is the inherited environment (sent only when it
        changed), ``env`` the job's own variables on top of it; ``nice``: the job's
        niceness (0: the launcher's)."""
        msg: dict[str, Any] = {"op": "launch", "seq": seq, "argv": list(argv), "env": env,
                               "cwd": str(cwd), "dir": str(job_dir), "uid": uid,
                               "state": state, "nice": nice}  # fmt: skip
        if base != self._base:
            msg["base"] = self._base = base
        self._send(msg)

    def cancel(self, seq: int) -> None:
        self._send({"op": "cancel", "seq": seq})

    def write(self, path: Path, state: Mapping[str, Any]) -> None:
        self._send({"op": "write", "path": str(path), "state": state})

    def ping(self, seq: int) -> None:
        """Answered (``{"seq": seq, "pong": true}``) once every earlier request is done."""
        self._send({"op": "ping", "seq": seq})

    def _send(self, msg: Mapping[str, Any]) -> None:
        self._sending += json.dumps(msg).encode() + b"\n"
        self.push()

    def push(self) -> None:
        """Write what the pipe takes now of the requests not yet sent."""
        while self._sending and self.alive:
            try:
                n = os.write(self._in, self._sending)
            except BlockingIOError:
                return
            except (BrokenPipeError, OSError):
                self.alive = False
                return
            del self._sending[:n]

    # -- answers ------------------------------------------------------------------------
    def replies(self) -> list[dict[str, Any]]:
        """The answers that arrived (none waits); ``alive`` turns false at the end."""
        self.push()
        chunks = []
        while True:
            try:
                chunk = os.read(self._out, _CHUNK)
            except BlockingIOError:
                break
            if not chunk:
                self.alive = False
                break
            chunks.append(chunk)
        if not chunks:
            return []
        *lines, self._heard = (self._heard + b"".join(chunks)).split(b"\n")
        return [json.loads(line) for line in lines]

    @property
    def out_fd(self) -> int:
        """The pipe its answers come down (readable: ``replies`` has some)."""
        return self._out

    def close(self) -> None:
        """Close the pipes: the launcher makes what it was asked, then exits when its
        children have (they run on)."""
        self.alive = False
        for f in (self._proc.stdin, self._proc.stdout):
            if f is not None:
                f.close()


class Heard(NamedTuple):
    """What the launcher said of a run: it ``started`` (pid, start and ``began`` set on
    the run), its launch ``failed`` or was ``cancelled`` (``message``), it ended (then
    ``run.reaped`` is set), or the launcher died and the run, started, is now
    ``orphaned`` (watched through ``/proc`` like a re-adopted one) or, not started,
    ``failed``."""

    run: Run
    kind: Literal["started", "failed", "cancelled", "exited", "orphaned"]
    message: str = ""


GONE = "the launcher process exited before it made this launch"


class Launches:
    """The runs asked of this dispatcher's launchers whose last answer is not in yet.

    ``count`` launchers work side by side (a launch waits on the kernel: the new
    process's exec, the job directory's files); every request about one job goes to the
    same one (by the job id), so a relaunch's files never overtake the last run's."""

    def __init__(self, count: int = 2) -> None:
        if count < 1:
            raise ValueError(f"launchers must be at least 1, got {count}")
        self._links: list[LauncherLink | None] = [None] * count
        self._by_seq: dict[int, Run] = {}
        self._seq = itertools.count(1)
        self._pongs: set[int] = set()

    def _index(self, job_id: str) -> int:
        return zlib.crc32(job_id.encode()) % len(self._links)

    def link(self, job_id: str) -> LauncherLink:
        """The launcher of ``job_id``, started now if there is none (or it died)."""
        i = self._index(job_id)
        link = self._links[i]
        if link is None or not link.alive:
            link = self._links[i] = LauncherLink()
        return link

    def start(self) -> None:
        for i, link in enumerate(self._links):
            if link is None:
                self._links[i] = LauncherLink()

    def next_seq(self) -> int:
        return next(self._seq)

    def asked(self, run: Run) -> None:
        assert run.seq is not None
        self._by_seq[run.seq] = run

    def pending(self, run: Run) -> bool:
        """Whether the launcher has not yet answered ``run``'s launch."""
        return run.seq in self._by_seq and run.pid == 0

    def pump(self) -> list[Heard]:
        heard: list[Heard] = []
        for i, link in enumerate(self._links):
            if link is None:
                continue
            for msg in link.replies():
                self._take(msg, heard)
            if not link.alive:
                heard.extend(self._orphans(i))
        return heard

    def _take(self, msg: dict[str, Any], heard: list[Heard]) -> None:
        if "pong" in msg:
            self._pongs.add(msg["seq"])
            return
        run = self._by_seq.get(msg["seq"])
        if run is None:
            return
        if "pid" in msg:
            run.pid, run.proc_start, run.began = msg["pid"], msg["start"], msg["at"]
            heard.append(Heard(run, "started"))
            return
        del self._by_seq[msg["seq"]]
        if "exited" in msg:
            run.reaped = (msg["exited"], msg["code"], msg["mtime"])
            heard.append(Heard(run, "exited"))
        elif "failed" in msg:
            heard.append(Heard(run, "failed", msg["failed"]))
        elif "cancelled" in msg:
            heard.append(Heard(run, "cancelled"))

    def _orphans(self, i: int) -> list[Heard]:
        """Launcher ``i`` died: its started runs are watched through /proc, the rest failed."""
        heard = []
        for seq, run in list(self._by_seq.items()):
            if self._index(run.job_id) != i:
                continue
            if run.pid:
                run.seq = None
                heard.append(Heard(run, "orphaned"))
            else:
                heard.append(Heard(run, "failed", GONE))
            del self._by_seq[seq]
        self._links[i] = None
        return heard

    def close(self) -> None:
        """Close every launcher's pipes (each exits once its children have; the jobs run
        on, as they do when the service stops)."""
        for i, link in enumerate(self._links):
            if link is not None:
                link.close()
                self._links[i] = None

    def flush(self, timeout_s: float) -> list[Heard]:
        """Wait until the launchers did everything asked before (at most ``timeout_s``)."""
        pings = set()
        for link in self._links:
            if link is not None and link.alive:
                seq = self.next_seq()
                link.ping(seq)
                pings.add(seq)
        heard = self.until(lambda: pings <= self._pongs, timeout_s)
        self._pongs -= pings
        return heard

    def wait(self, timeout_s: float) -> None:
        """Block until some launcher may have answered, at most ``timeout_s``."""
        with selectors.DefaultSelector() as sel:
            for link in self._links:
                if link is not None and link.alive:
                    link.push()
                    sel.register(link.out_fd, selectors.EVENT_READ)
            if sel.get_map():
                sel.select(timeout_s)

    def until(self, done: Any, timeout_s: float) -> list[Heard]:
        """Pump until ``done()`` (or no launcher is left, or ``timeout_s`` passed)."""
        heard = self.pump()
        deadline = time.monotonic() + timeout_s
        while not done() and any(self._links) and time.monotonic() < deadline:
            self.wait(max(0.0, deadline - time.monotonic()))
            heard += self.pump()
        return heard
