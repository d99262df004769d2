"""A remote backend's poll off the scheduler's step (``BackgroundPoll``).

A poll of a backend that does not answer (slurmrestd while slurmctld is down: it accepts
the connection and says nothing) waits for the client's timeouts, ~40 s with the Slurm
defaults. Wrapped in ``BackgroundPoll``, a dispatcher's ``poll`` runs in a thread of its
own; the scheduler's step waits for it at most ``wait_s`` and, when it has not answered by
then, gets ``ports.BackendUnreachable`` (the router counts a failed poll, towards down) and
goes on with the other backends. The poll keeps running; its answer (or its error) is
what the next ``poll`` returns, and a new poll starts only once it has been taken. While a
poll has not answered in time, the next calls do not wait at all (``wait_s`` again once
one answers), so a backend that hangs costs the step nothing.

One call at a time reaches the wrapped dispatcher (its state is not shared between
threads otherwise): a ``launch`` or ``stop`` made while a poll is still out waits up to
the same bound for it, then raises ``BackendUnreachable`` (the router queues the stop, the
engine places the launch again); an ``abandon`` is kept and made right after that poll;
``pending_reasons`` are those of the last poll. Everything else the wrapped dispatcher
has (``register``, ``abandon`` only where it has it, its settings) is passed on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from nacc.domain.ids import JobId
from nacc.domain.reasons import Reason
from nacc.ports import (
    BackendUnreachable,
    Closable,
    Dispatcher,
    Launch,
    Launched,
    Observation,
    Recoverable,
    Recovered,
)

WAIT_S = 2.0
"""How long a step waits for a backend's poll by default (a healthy one answers in ms)."""

_Result = list[Observation] | BaseException


class BackgroundPoll:
    """``inner`` with its ``poll`` in a thread of its own (see the module docstring)."""

    def __init__(self, inner: Dispatcher, wait_s: float = WAIT_S) -> None:
        self.inner, self.wait_s = inner, wait_s
        self.unsupported = inner.unsupported
        self._lock = threading.Lock()  # one call into ``inner`` at a time
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._result: _Result | None = None
        self._began = 0.0
        self._late = False  # the last poll did not answer within ``wait_s``
        self._later: list[JobId] = []  # abandons asked while a poll held ``inner``
        self._reasons: dict[JobId, Reason] = {}
        self.started = 0  # polls started (tests)

    @property
    def name(self) -> str:
        name = getattr(self.inner, "name", "")
        return name if isinstance(name, str) else ""

    def _wait(self) -> float:
        return 0.0 if self._late else self.wait_s

    # -- the poll -------------------------------------------------------------------------
    def poll(self, now: float) -> Sequence[Observation]:
        if self._thread is None:
            self._start(now)
        if not self._done.wait(self._wait()):
            self._late = True
            waited = time.monotonic() - self._began
            raise BackendUnreachable(f"{self.name or 'backend'}: no answer to a poll for "
                                     f"{waited:.1f} s (still waiting for it, off the "
                                     "scheduler's step)")  # fmt: skip
        result, self._result, self._thread = self._result, None, None
        if isinstance(result, BaseException):
            raise result
        self._late = False
        return result or []

    def _start(self, now: float) -> None:
        self._done.clear()
        self._began = time.monotonic()
        self.started += 1
        self._thread = threading.Thread(target=self._run, args=(now,), daemon=True,
                                        name=f"nacc-poll {self.name}")  # fmt: skip
        self._thread.start()

    def _run(self, now: float) -> None:
        result: _Result
        try:
            with self._lock:
                try:
                    result = list(self.inner.poll(now))
                    said = getattr(self.inner, "pending_reasons", None)
                    if callable(said):
                        self._reasons = dict(said())
                finally:
                    self._abandon_kept()
        except BaseException as error:  # handed to the step that takes the result
            result = error
        self._result = result
        self._done.set()

    def _abandon_kept(self) -> None:
        forget = getattr(self.inner, "abandon", None)
        while self._later:
            job_id = self._later.pop(0)
            if callable(forget):
                forget(job_id)

    # -- the other calls ------------------------------------------------------------------
    def _locked(self, what: str, call: Callable[[], Any]) -> Any:
        if not self._lock.acquire(timeout=self._wait()):
            raise BackendUnreachable(f"{self.name or 'backend'}: {what} not sent: a poll "
                                     "it has not answered yet is still out")  # fmt: skip
        try:
            self._abandon_kept()
            return call()
        finally:
            self._lock.release()

    def launch(self, launch: Launch) -> Launched | None:
        out: Launched | None = self._locked("launch", lambda: self.inner.launch(launch))
        return out

    def stop(self, job_id: JobId, at: float) -> float | None:
        out: float | None = self._locked("stop", lambda: self.inner.stop(job_id, at))
        return out

    def _abandon(self, job_id: JobId) -> None:
        if self._lock.acquire(blocking=False):
            try:
                self._abandon_kept()
                self.inner.abandon(job_id)  # type: ignore[attr-defined]
            finally:
                self._lock.release()
        else:
            self._later.append(job_id)  # made right after the poll that holds it

    def pending_reasons(self) -> Mapping[JobId, Reason]:
        return dict(self._reasons)

    def recover(self, job_ids: Sequence[JobId], now: float) -> Sequence[Recovered]:
        """At start-up, before any poll (``ports.Recoverable``; spelled out, not passed on
        by ``__getattr__``: protocol checks may not see that)."""
        if isinstance(self.inner, Recoverable):
            return self.inner.recover(job_ids, now)
        why = "its backend cannot find jobs again after a restart"
        return [Recovered(job, "unknown", why) for job in job_ids]

    def close(self) -> None:
        if isinstance(self.inner, Closable):
            self.inner.close()

    def __getattr__(self, name: str) -> Any:
        """What else ``inner`` has: ``abandon`` (kept while a poll is out), the rest
        passed on (``register``, its settings)."""
        if name.startswith("__") or name == "inner":
            raise AttributeError(name)
        found = getattr(self.inner, name)
        if name == "abandon" and callable(found):
            return self._abandon
        return found
