"""The ``local`` dispatcher: jobs run as real subprocesses on this machine.

Each job gets accelerator ids through an environment variable (``CUDA_VISIBLE_DEVICES``
style), runs in its own session/process group under a tiny ``sh`` wrapper that writes the
command's exit code to ``<workdir>/<job>/exit_code``, logs stdout and stderr to
``output.log`` beside it, and is described by an atomically written ``state.json``, so a
restarted service can re-adopt or reconcile it (``reconcile``). Linux only (``/proc``).
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from nacc.adapters.dispatch.contain import Containment, unreachable
from nacc.adapters.dispatch.device_env import device_variables
from nacc.adapters.dispatch.local_devices import Devices
from nacc.adapters.dispatch.local_devices import DispatchError as DispatchError
from nacc.adapters.dispatch.local_launch import Heard, Launches
from nacc.adapters.dispatch.local_recover import Reconciling
from nacc.adapters.dispatch.local_state import (
    Command,
    Run,
    by_exit_file,
    by_reaped,
    cwd_for,
    ended_unrecorded,
    payload_command,
    wall_now,
    write_json,
)
from nacc.adapters.dispatch.procs import (
    boot_id,
    group_alive,
    inherited_env,
    leader_alive,
    reap_foreign,
    signal_group,
)
from nacc.domain.errors import InputError, UnknownName
from nacc.domain.ids import JobId
from nacc.domain.reasons import Code, Reason
from nacc.ports import Launch, Launched, Observation, Outcome
from nacc.ports.dispatch import IMAGE

_STEP_S = 0.02
_DRAIN_S = 0.2
"""How long a poll waits for the wrappers of jobs that ended to finish their logs."""
_log = logging.getLogger(__name__)


class LocalDispatcher(Reconciling):
    """Runs jobs as local processes, handing out device ids per pool.

    ``devices`` maps a pool id to the local device ids it may hand out, e.g.
    ``{"local-h100": ["0", "1", "2", "3"]}``. Register each job's command with
    ``register`` before the engine launches it.
    """

    unsupported: Mapping[str, str] = {
        IMAGE: "jobs run as local processes on the host; no container runtime",
        "checkpoint": "local processes are killed; they restart from the beginning unless "
        "the job checkpoints itself",
        "multi-node": "one machine only",
        "progress": "stop() cannot tell how much work a real process did; it returns None",
    }

    def __init__(
        self,
        devices: Mapping[str, Sequence[str]],
        workdir: Path,
        env_var: str = "CUDA_VISIBLE_DEVICES",
        grace_s: float = 5.0,
        containment: Containment | None = None,
        launchers: int = 2,
    ) -> None:
        """``containment``: the walls around each job (default: ``Containment()``, on
        where the service runs as root; see ``nacc.adapters.dispatch.contain``);
        ``launchers``: how many launcher processes start jobs side by side."""
        self._contain = Containment() if containment is None else containment
        blocked = unreachable(Path(workdir)) if self._contain.active else None
        if blocked is not None:  # relative paths from the job's cwd still work
            _log.warning(
                "jobs run as their own accounts but %s is closed to other accounts: they "
                "cannot reach %s by its absolute path (HOME, NACC_JOB_DIR); chmod o+x it "
                "or choose another NACC_WORKDIR", blocked, workdir)  # fmt: skip
        if self._contain.active:  # jobs may pass through, not list who else runs here
            Path(workdir).mkdir(parents=True, exist_ok=True)
            os.chmod(workdir, 0o711)
        self._devices = Devices(devices)
        self._workdir = Path(workdir)
        self._root = str(self._workdir)  # paths of a launch built as text: cheaper than Path's
        self._env_var = env_var
        self._grace_s = grace_s
        self._commands: dict[JobId, Command] = {}
        self._runs: dict[JobId, Run] = {}
        self._queued: list[Observation] = []
        self._heard: list[Heard] = []  # starts and failed launches, for the next poll
        self._env: dict[str, str] | None = None  # what jobs inherit, as of the last poll
        self._boot = boot_id()
        self._launches = Launches(launchers)
        self._launches.start()  # early, while this process is small

    @property
    def running_jobs(self) -> list[JobId]:
        """Jobs this dispatcher runs or watches now (launched or re-adopted)."""
        return list(self._runs)

    def free_devices(self, pool: str) -> list[str]:
        return self._devices.free(pool)

    def log_path(self, job_id: JobId) -> Path:
        return Path(self.log_location(job_id))

    def log_location(self, job_id: JobId) -> str:
        return f"{self._root}/{job_id}/output.log"

    def register(
        self, job_id: JobId, command: Sequence[str] | str, env: Mapping[str, str] | None = None
    ) -> None:
        """Say what ``job_id`` runs: an argv, or a string run by ``sh -c``. Kept until the
        job ends, so a preempted job relaunches with the same command."""
        if not job_id or job_id in (".", "..") or "/" in job_id or "\0" in job_id:
            raise InputError(f"job id {job_id!r}", "must be a plain file name (no '/', not '.')")
        argv = ("sh", "-c", command) if isinstance(command, str) else tuple(command)
        if not argv:
            raise InputError(f"job {job_id}", "empty command")
        self._commands[job_id] = (argv, dict(env or {}))

    def unregister(self, job_id: JobId) -> None:
        self._commands.pop(job_id, None)

    def close(self) -> None:
        """Let the launcher processes go (``Closable``): the live scheduler calls this when
        it stops; running jobs keep running and are adopted by the next start."""
        self._launches.close()

    def launch(self, launch: Launch) -> Launched:
        """Ask the launcher to start the job (its payload's command, or the one
        ``register`` gave) and return at once: the job is starting; ``poll`` reports
        its real start (``Outcome.STARTED``, when the process began) or the launch's
        failure (``Outcome.FAILED``, ``launch_failed{message}``: a working directory
        that is not there, a program not found). A payload that cannot run anywhere (a
        NUL byte, an image) is refused here (``LaunchRefused``), nothing left behind."""
        job_id = launch.spec.id
        if job_id in self._runs:
            raise DispatchError(f"job {job_id} is already running")
        command = self._command(launch)
        devices = self._devices.take(launch.pool.id, launch.count)
        try:
            run = self._ask(launch, command, devices)
        except BaseException:
            self._devices.release(launch.pool.id, devices)
            raise
        self._runs[job_id] = run
        return Launched("", devices, self.log_location(job_id), starting=True)

    def _command(self, launch: Launch) -> Command:
        payload = launch.payload
        if payload is None:
            command = self._commands.get(launch.spec.id)
            if command is None:
                raise DispatchError(f"job {launch.spec.id}: no payload and no command registered")
            return command
        return payload_command(payload, self.unsupported[IMAGE])

    def _ask(self, launch: Launch, command: Command, devices: tuple[str, ...]) -> Run:
        where = f"{self._root}/{launch.spec.id}"
        job_dir, work = Path(where), f"{where}/work"
        uid = self._contain.account(launch.spec.project)
        argv = self._contain.argv(command[0], f"{where}/exit_code", uid)
        env = {**command[1], **self._job_env(launch, devices, work)}
        if uid is not None:
            env.update(HOME=work, USER=f"nacc-{uid}", LOGNAME=f"nacc-{uid}")
        seq = self._launches.next_seq()
        run = Run(launch.spec.id, launch.pool.id, devices, 0, 0, self._boot, launch.at,
                  job_dir, seq)  # fmt: skip
        if self._env is None:  # read once per poll (a scheduler tick), not per launch
            self._env = inherited_env()
        self._launches.link(launch.spec.id).launch(seq, argv, env, self._env,
                                                   cwd_for(launch, work), where, uid,
                                                   run.state(), self._contain.nice)  # fmt: skip
        self._launches.asked(run)
        return run

    def _job_env(self, launch: Launch, devices: tuple[str, ...], work: str) -> dict[str, str]:
        pool = self._devices.ids(launch.pool.id)
        return {
            **device_variables(launch.pool.accel_type, pool, devices, self._env_var),
            "NACC_JOB_ID": launch.spec.id,
            "NACC_ACCELERATOR_TYPE": launch.pool.accel_type,
            "NACC_POOL": launch.pool.id,
            "NACC_JOB_DIR": work,
            "PYTHONUNBUFFERED": "1",
        }

    def poll(self, now: float) -> Sequence[Observation]:
        """Report jobs that started (``STARTED``, at the time their process began) or
        ended since the last poll, each job's start before its end (and any queued by
        ``reconcile``)."""
        self._hear(self._launches.pump())
        self._env = None
        seen, self._queued = self._queued, []
        for heard in self._heard:
            run = heard.run
            at = min(now, max(run.started_at, run.began or now))
            if heard.kind == "started":
                seen.append(Observation(run.job_id, at, Outcome.STARTED))
            else:
                why = Reason.of(Code.LAUNCH_FAILED, message=heard.message)
                seen.append(Observation(run.job_id, at, Outcome.FAILED, None, why))
        self._heard = []
        ends = [(run, end) for run in list(self._runs.values()) if (end := self._exit(run))]
        draining = [run for run, _ in ends if self._draining(run)]
        if draining:  # their logs are drained in a moment: wait for that, briefly (they
            self._hear(self._launches.until(  # ended at their exit codes' times anyway)
                lambda: all(r.reaped is not None for r in draining), _DRAIN_S))  # fmt: skip
        waited = {run.job_id for run in draining}
        for run, end in ends:
            job_id, ended = run.job_id, self._exit(run) if run.job_id in waited else end
            assert ended is not None
            del self._runs[job_id]
            self._commands.pop(job_id, None)
            if not self._draining(run) and group_alive(run.pid):  # leftovers would hold
                signal_group(run.pid, signal.SIGKILL)  # the devices
            self._release(run)
            obs = ended(job_id, wall_now(now), run.started_at)
            note = str(obs.reason or obs.outcome)
            self._record_end(run, obs.at, "lost" if obs.outcome is Outcome.LOST else "exited",
                             obs.exit_code, note)  # fmt: skip
            seen.append(obs)
        return seen

    def _hear(self, heard: list[Heard]) -> None:
        """Take in the launcher's answers about runs this dispatcher still has."""
        for h in heard:
            if self._runs.get(h.run.job_id) is not h.run:
                continue  # stopped meanwhile
            if h.kind == "started":
                self._heard.append(h)
            elif h.kind in ("failed", "cancelled"):
                del self._runs[h.run.job_id]
                self._release(h.run)
                self._heard.append(h)

    def flush(self, timeout_s: float = 30.0) -> None:
        """Wait until the launcher has done what it was asked so far: launches made
        (their starts or failures then come with the next ``poll``), ends written to
        ``state.json``."""
        self._hear(self._launches.flush(timeout_s))

    def _exit(self, run: Run) -> Callable[[JobId, float, float], Observation] | None:
        """None while running; else a function of (job, now, start) giving how it ended,
        at the time the exit code was written where known (not when it was noticed)."""
        if run.seq is not None:  # the launcher's child: it says when it ended
            if run.pid == 0:
                return None  # not started yet
            if run.reaped is None:
                if not os.path.exists(os.path.join(run.job_dir, "exit_code")):
                    return None
                # the command ended (its wrapper wrote the code): the job ended then, even
                # while the wrapper still drains the log, so no meter tick charges past it
                if not self._contain.active:  # what it left may hold the log pipe (no
                    signal_group(run.pid, signal.SIGKILL)  # namespace dies with it): end it
                return by_exit_file(run.job_dir, None)
            return by_reaped(*run.reaped)
        reap_foreign(run.pid, run.proc_start)
        if self._is_alive(run):
            return None
        return by_exit_file(run.job_dir, None)

    def _draining(self, run: Run) -> bool:
        """A walled-in job whose wrapper wrote its exit code but was not reaped yet: it
        kills what the job left and ends once its log is drained (killing it now could
        cut the log's last lines); the launcher reaps it."""
        return self._contain.active and run.seq is not None and run.reaped is None

    def _is_alive(self, run: Run) -> bool:
        """The recorded process still runs: same pid, group, start time and boot."""
        return run.boot_id == self._boot and leader_alive(run.pid, run.proc_start)

    def stop(self, job_id: JobId, at: float) -> float | None:
        """Kill the job's process group (SIGTERM, SIGKILL after the grace); no progress
        known. A launch not made yet is cancelled (one being made is waited for); a job
        that already ended on disk (``state.json``) is left as it is."""
        run = self._runs.pop(job_id, None)
        queued = [o for o in self._queued if o.job_id == job_id]
        self._queued = [o for o in self._queued if o.job_id != job_id]
        self._heard = [h for h in self._heard if h.run.job_id != job_id]
        if run is None:  # a stop asked again (a restart settles a stop not recorded)
            if queued or ended_unrecorded(self._workdir, job_id) is not None:
                return None
            raise UnknownName("running local job", job_id, list(self._runs))
        if self._launches.pending(run):
            assert run.seq is not None
            self._launches.link(run.job_id).cancel(run.seq)
            self._hear(self._launches.until(lambda: not self._launches.pending(run), 30.0))
            if run.pid == 0:  # cancelled, or its launch failed: nothing ran
                self._release(run)
                return None
        self._terminate(run, self._grace_s)
        self._release(run)
        self._record_end(run, at, "stopped", None, "stopped by the dispatcher")
        return None

    def _terminate(self, run: Run, grace_s: float) -> None:
        if run.seq is None and not self._is_alive(run) and not group_alive(run.pid):
            return  # never signal a group whose leader may have been replaced
        if run.reaped is not None and not group_alive(run.pid):
            return  # ended and reaped, nothing of it left: its pgid may be reused
        signal_group(run.pid, signal.SIGTERM)
        if self._wait_group(run, grace_s):
            return
        signal_group(run.pid, signal.SIGKILL)
        self._wait_group(run, max(1.0, grace_s))

    def _wait_group(self, run: Run, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while True:
            if run.seq is not None:
                self._hear(self._launches.pump())  # the launcher reaps its children
            else:
                reap_foreign(run.pid, run.proc_start)
            if not group_alive(run.pid):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(_STEP_S)

    def _release(self, run: Run) -> None:
        self._devices.release(run.pool, run.devices)

    def _record_end(self, run: Run, at: float, ended: str, code: int | None, note: str) -> None:
        """Write the end into ``state.json``: by the launcher, after what it was asked
        before (off this thread), for a run it launched; here for one found on disk."""
        state = {**run.state(), "ended": ended, "ended_at": at, "exit_code": code, "note": note}
        if run.seq is not None or run.began:
            self._launches.link(run.job_id).write(run.job_dir / "state.json", state)
        else:
            write_json(run.job_dir / "state.json", state)
