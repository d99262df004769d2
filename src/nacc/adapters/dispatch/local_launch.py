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
        cwd: Path,
        job_dir: Path,
        uid: int | None,
        state: Mapping[str, Any],
    ) -> None:
        """Ask for a launch: ``base`` is the inherited environment (sent only when it
        changed), ``env`` the job's own variables on top of it."""
        msg: dict[str, Any] = {"op": "launch", "seq": seq, "argv": list(argv), "env": env,
                               "cwd": str(cwd), "dir": str(job_dir), "uid": uid,
                               "state": state}  # fmt: skip
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

    def wait(self, timeout_s: float) -> None:
        """Block until an answer may be read (or the launcher ended), at most ``timeout_s``."""
        self.push()
        with selectors.DefaultSelector() as sel:
            sel.register(self._out, selectors.EVENT_READ)
            if self._sending:
                sel.register(self._in, selectors.EVENT_WRITE)
            sel.select(timeout_s)

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
    """The runs asked of this dispatcher's launcher whose last answer is not in yet."""

    def __init__(self) -> None:
        self._link: LauncherLink | None = None
        self._by_seq: dict[int, Run] = {}
        self._seq = itertools.count(1)
        self._pongs: set[int] = set()

    def link(self) -> LauncherLink:
        """The launcher, started now if there is none (or it died)."""
        if self._link is None or not self._link.alive:
            self._link = LauncherLink()
        return self._link

    def next_seq(self) -> int:
        return next(self._seq)

    def asked(self, run: Run) -> None:
        assert run.seq is not None
        self._by_seq[run.seq] = run

    def pending(self, run: Run) -> bool:
        """Whether the launcher has not yet answered ``run``'s launch."""
        return run.seq in self._by_seq and run.pid == 0

    def pump(self) -> list[Heard]:
        if self._link is None:
            return []
        heard: list[Heard] = []
        for msg in self._link.replies():
            if "pong" in msg:
                self._pongs.add(msg["seq"])
                continue
            run = self._by_seq.get(msg["seq"])
            if run is None:
                continue
            if "pid" in msg:
                run.pid, run.proc_start, run.began = msg["pid"], msg["start"], msg["at"]
                heard.append(Heard(run, "started"))
                continue
            del self._by_seq[msg["seq"]]
            if "exited" in msg:
                run.reaped = (msg["exited"], msg["code"], msg["mtime"])
                heard.append(Heard(run, "exited"))
            elif "failed" in msg:
                heard.append(Heard(run, "failed", msg["failed"]))
            elif "cancelled" in msg:
                heard.append(Heard(run, "cancelled"))
        if not self._link.alive:
            heard.extend(self._orphans())
        return heard

    def _orphans(self) -> list[Heard]:
        """The launcher died: started runs are watched through /proc, the rest failed."""
        heard = []
        for run in self._by_seq.values():
            if run.pid:
                run.seq = None
                heard.append(Heard(run, "orphaned"))
            else:
                heard.append(Heard(run, "failed", GONE))
        self._by_seq.clear()
        self._link = None
        return heard

    def flush(self, timeout_s: float) -> list[Heard]:
        """Wait until the launcher did everything asked before (at most ``timeout_s``)."""
        if self._link is None:
            return []
        seq = self.next_seq()
        self._link.ping(seq)
        heard = self.until(lambda: seq in self._pongs, timeout_s)
        self._pongs.discard(seq)
        return heard

    def wait(self, timeout_s: float) -> None:
        if self._link is not None:
            self._link.wait(timeout_s)

    def until(self, done: Any, timeout_s: float) -> list[Heard]:
        """Pump until ``done()`` (or the launcher died, or ``timeout_s`` passed)."""
        heard = self.pump()
        deadline = time.monotonic() + timeout_s
        while not done() and self._link is not None and time.monotonic() < deadline:
            self.wait(max(0.0, deadline - time.monotonic()))
            heard += self.pump()
        return heard
