"""After a restart, the ``local`` dispatcher finds its jobs again on disk (``state.json``
per job): live ones are re-adopted, ended ones reported with their exit code, and jobs
whose process is gone without an exit code are lost. ``LocalDispatcher`` takes these
methods from ``Reconciling``."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path

from nacc.adapters.dispatch.local_devices import Devices
from nacc.adapters.dispatch.local_state import (
    LOST,
    LOST_NOTE,
    Reconciled,
    Run,
    ended_unrecorded,
    read_exit_code,
    recovered,
    run_from_state,
)
from nacc.adapters.dispatch.procs import reap_foreign
from nacc.domain.ids import JobId
from nacc.domain.reasons import Code, Reason
from nacc.ports import Observation, Outcome, Recovered


class Reconciling:
    """``reconcile`` and the ``Recoverable`` capability of the local dispatcher."""

    _workdir: Path
    _runs: dict[JobId, Run]
    _devices: Devices
    _queued: list[Observation]

    def flush(self, timeout_s: float = 30.0) -> None:
        raise NotImplementedError

    def stop(self, job_id: JobId, at: float) -> float | None:
        raise NotImplementedError

    def _is_alive(self, run: Run) -> bool:
        raise NotImplementedError

    def _record_end(self, run: Run, at: float, ended: str, code: int | None, note: str) -> None:
        raise NotImplementedError

    def reconcile(
        self, state_dir: Path | None = None, now: float | None = None
    ) -> list[Reconciled]:
        """After a restart: re-adopt live jobs under ``state_dir`` (default: the workdir),
        and report those that ended meanwhile. Call once, before the first launch."""
        root = self._workdir if state_dir is None else Path(state_dir)
        at = time.time() if now is None else now
        self.flush()  # the ends already asked to be written are on disk
        done: list[Reconciled] = []
        for path in sorted(root.glob("*/state.json")):
            try:
                state = json.loads(path.read_text())
                if state.get("ended") is not None or state.get("job_id") in self._runs:
                    continue
                run = run_from_state(path.parent, state)
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
                note = f"unreadable {path}: {e}"
                done.append(Reconciled(JobId(path.parent.name), "unreadable", note))
                continue
            done.append(self._reconcile_one(run, at))
        return done

    def _reconcile_one(self, run: Run, at: float) -> Reconciled:
        reap_foreign(run.pid, run.proc_start)
        if self._is_alive(run):
            self._runs[run.job_id] = run
            self._devices.hold(run.pool, run.devices)
            note = f"pid {run.pid} still running on {run.pool} devices {list(run.devices)}"
            return Reconciled(run.job_id, "readopted", note)
        found = read_exit_code(run.job_dir)
        if found is None:
            obs = Observation(run.job_id, at, Outcome.LOST, None, LOST)
            self._record_end(run, at, "lost", None, LOST_NOTE)
            self._queued.append(obs)
            return Reconciled(run.job_id, "lost", LOST_NOTE, obs)
        code, wall = found
        note = f"exit code {code} (ended while the service was down)"
        outcome = Outcome.SUCCEEDED if code == 0 else Outcome.FAILED
        why = Reason.of(Code.EXIT_CODE_WHILE_DOWN, exit_code=code)
        obs = Observation(run.job_id, at, outcome, code, why)
        self._record_end(run, at, "exited", code, note)
        self._queued.append(obs)
        return Reconciled(run.job_id, "finished", note, obs, wall)

    def recover(self, job_ids: Sequence[JobId], now: float) -> list[Recovered]:
        """The ``Recoverable`` capability: reconcile the work directory, then say, for
        each of ``job_ids``, whether it still runs (re-adopted) or how it ended, at the
        time its exit code was written; jobs found on disk but not listed come back as
        ``unknown`` (they are stopped: a launch whose start was never recorded)."""
        found = {r.job_id: r for r in self.reconcile(now=now)}
        out: list[Recovered] = []
        for job_id in job_ids:
            rec = found.pop(job_id, None) or ended_unrecorded(self._workdir, job_id)
            out.append(recovered(job_id, rec, now))
        for job_id, rec in found.items():
            if rec.action == "readopted":
                self.stop(job_id, now)
            out.append(Recovered(job_id, "unknown", rec.note))
        return out
