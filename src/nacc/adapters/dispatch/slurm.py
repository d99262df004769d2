"""The ``slurm`` dispatcher: nacc jobs run as Slurm batch jobs, through slurmrestd.

A pool maps to a Slurm partition and a GRES type (``gpu:<type>:<count>``, the type being
the pool's accelerator type in lower case unless the URL says otherwise). A nacc job
becomes one Slurm job named ``<tag>.<job id>`` whose comment ``nacc:<tag>:<job id>``
carries the nacc id, so a job is found again after a restart and never submitted twice
(a launch first looks for a live Slurm job with its id). Its time limit becomes Slurm's
(rounded up to whole minutes), its command the batch script, its environment only what
the payload gives plus ``NACC_*`` (never the service's own), its output
``<workdir>/<tag>/<job id>/slurm-<slurm id>.out``.

``poll`` makes one ``GET /jobs`` call per cycle for all jobs, whatever their number:
ends (state, exit code, Slurm's start and end times) become observations, a job seen
running for the first time a ``STARTED`` one at Slurm's ``start_time`` (also when it
started and ended between two polls), and a pending job's Slurm reason is kept for
``pending_reasons``. A launch is ``starting`` until then, so nacc charges a job for
Slurm's interval [start_time, end_time] (no earlier than the submit: Slurm's times are
whole seconds), never for the time it waited in Slurm's queue; ``slurm_accounting``
checks that against slurmdbd. ``stop`` cancels (``DELETE /job/{id}``).

URL: ``slurm://HOST:PORT?user=root&partition=P&tag=nacc&workdir=/abs/dir`` plus, per pool,
``partition.<pool>=P`` and ``gres.<pool>=TYPE``; ``accounts=1`` submits each job under its
project's Slurm account (``slurm_accounts``: awards enforced as association limits,
pushed by the live service through ``sync_limits``). Capacity blocks on its pools become
Slurm reservations (``reserve``, ``slurm_reservations``) that their projects' jobs run in.
The JWT comes from the file ``token_file=/abs/path`` (read again when it changes) when
given, else ``$SLURM_JWT`` when set (fixed for the process's life), else from
``scontrol token`` (renewed; see ``slurm_rest``).
"""

from __future__ import annotations

import math
import os
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from nacc.adapters.dispatch.remote import RemoteJobs
from nacc.adapters.dispatch.slurm_accounts import SlurmAccounts
from nacc.adapters.dispatch.slurm_config import SlurmConfig, parse_url
from nacc.adapters.dispatch.slurm_reservations import SlurmReservations
from nacc.adapters.dispatch.slurm_rest import FileToken, SlurmError, SlurmRest
from nacc.adapters.dispatch.slurm_states import ACTIVE, STARTED, ended, pending_reason, when
from nacc.domain.errors import NaccError, UnknownName
from nacc.domain.ids import JobId
from nacc.domain.pools import Pool
from nacc.domain.reasons import Code, Reason
from nacc.domain.reservations import Block
from nacc.ports import (
    BackendUnreachable,
    Launch,
    Launched,
    LaunchRefused,
    Observation,
    Outcome,
    Recovered,
)
from nacc.ports.dispatch import CHECKPOINT, IMAGE, MULTI_NODE, PROGRESS

__all__ = ["SlurmConfig", "SlurmDispatchError", "SlurmDispatcher", "parse_url"]

_PATH = "/usr/local/bin:/usr/bin:/bin"


class SlurmDispatchError(NaccError):
    """The Slurm dispatcher was asked for something it cannot do (the message says why)."""

    code = Code.DISPATCH_ERROR


@dataclass(slots=True)
class _Job:
    slurm_id: int
    log: str
    launched_at: float
    started: bool = False

    def clamp(self, obs: Observation) -> Observation:
        """Slurm's times have whole seconds: never before nacc launched the job."""
        if obs.at >= self.launched_at:
            return obs
        return Observation(obs.job_id, self.launched_at, obs.outcome, obs.exit_code, obs.reason)


def _ran(record: Mapping[str, Any]) -> bool:
    """Whether a Slurm job runs or ran (a pending job's ``start_time`` is an estimate; a
    job cancelled while pending has its start equal to its end)."""
    state = record.get("job_state")
    if state in STARTED or state in ACTIVE:
        return state in STARTED
    return when(record, "end_time", 0.0) > when(record, "start_time", 0.0) > 0


class SlurmDispatcher(RemoteJobs["_Job"]):
    """Runs nacc jobs as Slurm jobs via slurmrestd (see the module docstring)."""

    unsupported: Mapping[str, str] = {
        IMAGE: "container images are not passed to Slurm by this adapter (no pyxis/enroot)",
        CHECKPOINT: "a cancelled Slurm job restarts from the beginning unless it checkpoints "
        "itself",
        MULTI_NODE: "a job gets its GPUs on one node (gres per node); multi-node is not mapped",
        PROGRESS: "stop() cannot tell how much work a Slurm job did; it returns None",
    }

    def __init__(self, config: SlurmConfig, client: SlurmRest | None = None) -> None:
        self.config = config
        token: FileToken | str | None = os.environ.get("SLURM_JWT") or None
        if config.token_file is not None:  # the URL's file wins over the environment
            token = FileToken(config.token_file)
        self.client = client or SlurmRest(config.base_url, config.user, token,
                                          config.timeout_s, config.attempts)  # fmt: skip
        super().__init__()
        self._cancelled: set[int] = set()
        self._abandoned: dict[JobId, _Job] = {}
        self.accounts = SlurmAccounts(config.tag, config.user)
        self.reservations = SlurmReservations(config.tag, config.user, config.accounts)

    def reserve(self, blocks: Sequence[Block], pools: Sequence[Pool], now: float) -> None:
        """Blocks as Slurm reservations (``slurm_reservations``, ``Reserving``)."""
        sizes = {p.id: p.node_size for p in pools}
        wanted = self.reservations.wanted(blocks, sizes, self._partition, now)
        if self.config.accounts:  # a reservation's accounts must exist in Slurm
            for project in sorted({p for w in wanted for p in w.block.projects}):
                self.accounts.ensure(project)
        self.reservations.sync(wanted, self.client.reservations())

    def _partition(self, pool: str) -> str | None:
        return self.config.partitions.get(pool, self.config.partition)

    # -- awards as association limits (``AccountLimits``) -----------------------------
    @property
    def enforces_limits(self) -> bool:
        return self.config.accounts

    def sync_limits(self, available: Mapping[str, Decimal], rate: float) -> int:
        """Each project's credits as its account's ``GrpTRESMins`` (``slurm_accounts``);
        nothing without ``accounts=1``. How many limits were set."""
        if not self.config.accounts:
            return 0
        return len(self.accounts.sync(available, rate))

    @property
    def name(self) -> str:
        """slurmrestd's address, as ``/healthz`` and ``/metrics`` name this backend."""
        return "slurm://" + self.config.base_url.removeprefix("http://")

    # -- what it runs ---------------------------------------------------------------------
    def slurm_id(self, job_id: JobId) -> int | None:
        job = self._jobs.get(job_id)
        return None if job is None else job.slurm_id

    # -- launch -------------------------------------------------------------------------
    def comment(self, job_id: JobId) -> str:
        return f"nacc:{self.config.tag}:{job_id}"

    def launch(self, launch: Launch) -> Launched:
        """Submit the job, unless Slurm already runs one with its nacc id (adopted)."""
        job_id = launch.spec.id
        if job_id in self._jobs:
            raise SlurmDispatchError(f"job {job_id} is already running in Slurm")
        self._abandoned.pop(job_id, None)  # launched here again: a live copy is adopted
        try:
            return self._launch(launch)
        except SlurmError as error:
            if not error.sent or error.status is None:  # no answer: the backend's fault
                raise BackendUnreachable(str(error)) from error
            raise

    def _launch(self, launch: Launch) -> Launched:
        job_id = launch.spec.id
        live = self._live_record(job_id)
        if live is not None:  # launched before a crash, or by a retried request
            sid = int(live["job_id"])
            log = str(live.get("standard_output") or "").replace("%j", str(sid))
            started = live.get("job_state") in STARTED
            if started:  # running already: charged from Slurm's start
                at = max(launch.at, when(live, "start_time", launch.at))
                return self._track(job_id, _Job(sid, log, launch.at, True), at)
            return self._track(job_id, _Job(sid, log, launch.at))
        script, job, out = self._request(launch)
        try:
            sid = self.client.submit(script, job)
        except SlurmError as error:
            if not error.sent or error.status is None:
                raise  # slurmrestd unreachable: the backend's fault, not the job's (above)
            raise LaunchRefused(Reason.of(Code.LAUNCH_FAILED, message=str(error))) from error
        return self._track(job_id, _Job(sid, out.replace("%j", str(sid)), launch.at))

    def _track(self, job_id: JobId, job: _Job, started_at: float | None = None) -> Launched:
        """A job Slurm has not started yet is ``starting``: nacc charges it from the
        ``STARTED`` observation at Slurm's start time, not from the submit."""
        self._jobs[job_id] = job
        self._logs[job_id] = job.log
        return Launched(str(job.slurm_id), (), job.log, starting=not job.started,
                        started_at=started_at)  # fmt: skip

    def _live_record(self, job_id: JobId) -> dict[str, Any] | None:
        if self._snapshot is None:
            self._snapshot = self.client.jobs()
        comment = self.comment(job_id)
        for record in self._snapshot:
            if (record.get("comment") == comment and record.get("job_state") in ACTIVE
                    and int(record["job_id"]) not in self._cancelled):  # fmt: skip
                return record
        return None

    def _request(self, launch: Launch) -> tuple[str, dict[str, Any], str]:
        spec, pool = launch.spec, launch.pool
        if launch.payload is not None and launch.payload.image:
            raise LaunchRefused(Reason.of(Code.LAUNCH_FAILED, message=self.unsupported[IMAGE]))
        command, env = self._command(launch, SlurmDispatchError)
        workdir = launch.payload.workdir if launch.payload is not None else None
        body = command if isinstance(command, str) else "exec " + shlex.join(command)
        job_dir = self.config.workdir / self.config.tag / spec.id
        try:
            job_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise LaunchRefused(Reason.of(Code.LAUNCH_FAILED, message=f"{job_dir}: {e}")) from e
        out = str(job_dir / "slurm-%j.out")
        gres_type = self.config.gres_types.get(pool.id, pool.accel_type.lower())
        environment = {"PATH": _PATH, **env, "NACC_JOB_ID": spec.id, "NACC_POOL": pool.id,
                       "NACC_ACCELERATOR_TYPE": pool.accel_type,
                       "NACC_JOB_DIR": str(job_dir), "PYTHONUNBUFFERED": "1"}  # fmt: skip
        job: dict[str, Any] = {
            "name": f"{self.config.tag}.{spec.id}",
            "comment": self.comment(spec.id),
            "gres": f"gpu:{gres_type}:{launch.count}",
            "environment": environment,
            "current_working_directory": workdir or str(job_dir),
            "standard_output": out,
            "standard_error": out,
        }
        if self.config.accounts:
            job["account"] = self.accounts.ensure(spec.project)  # sacctmgr fails: unreachable
        partition = self._partition(pool.id)
        if partition:
            job["partition"] = partition
        reservation = self.reservations.for_job(spec.project, pool.id, launch.at)
        if reservation:
            job["reservation"] = reservation
        if spec.time_limit_s is not None:
            job["time_limit"] = max(1, math.ceil(spec.time_limit_s / 60.0))
        return f"#!/bin/sh\n{body}\n", job, out

    # -- watching -----------------------------------------------------------------------
    def poll(self, now: float) -> Sequence[Observation]:
        """One ``GET /jobs`` for every job: ends, first starts, pending reasons."""
        records = self.client.jobs()
        self._snapshot = records
        by_id = {int(r["job_id"]): r for r in records if "job_id" in r}
        self._settle_abandoned(by_id)
        seen: list[Observation] = []
        for job_id, job in list(self._jobs.items()):
            record = by_id.get(job.slurm_id)
            if record is None:  # purged, or a slurmctld that lost its state
                del self._jobs[job_id]
                self._pending.pop(job_id, None)
                seen.append(Observation(job_id, now, Outcome.LOST, None, Reason(Code.LOST)))
                continue
            end = ended(job_id, record, now)
            if end is not None:
                del self._jobs[job_id]
                self._pending.pop(job_id, None)
                if not job.started and when(record, "start_time", 0.0):  # ran between polls
                    at = when(record, "start_time", now)
                    seen.append(job.clamp(Observation(job_id, at, Outcome.STARTED)))
                seen.append(job.clamp(end))
                continue
            state = record.get("job_state")
            if state == "PENDING":
                self._pending[job_id] = pending_reason(str(record.get("state_reason") or ""))
            elif state in STARTED:
                self._pending.pop(job_id, None)
                if not job.started:
                    job.started = True
                    at = when(record, "start_time", now)
                    seen.append(job.clamp(Observation(job_id, at, Outcome.STARTED)))
        return seen

    def abandon(self, job_id: JobId) -> None:
        """Forget a job nacc planned elsewhere while slurmrestd did not answer: at the
        next poll that answers it is cancelled if it still waits, or, if it started
        anyway, tracked again (its start and end reported as for any job)."""
        job = self._jobs.pop(job_id, None)
        self._pending.pop(job_id, None)
        if job is not None:
            self._abandoned[job_id] = job

    def _settle_abandoned(self, by_id: Mapping[int, Mapping[str, Any]]) -> None:
        for job_id, job in list(self._abandoned.items()):
            record = by_id.get(job.slurm_id)
            if record is not None and _ran(record):
                del self._abandoned[job_id]
                job.started = False  # reported from Slurm's start by this poll
                self._jobs[job_id] = job
            elif record is not None and record.get("job_state") in ACTIVE:
                try:
                    self.client.cancel(job.slurm_id)
                except SlurmError:
                    continue  # asked again at the next poll
                self._cancelled.add(job.slurm_id)
                del self._abandoned[job_id]
            else:  # gone, or ended without running
                del self._abandoned[job_id]

    def stop(self, job_id: JobId, at: float) -> float | None:
        """Cancel the Slurm job; its end is never reported. No progress known (None)."""
        job = self._jobs.pop(job_id, None)
        if job is None:
            raise UnknownName("running Slurm job", job_id, list(self._jobs))
        try:
            self.client.cancel(job.slurm_id)
        except BaseException as error:
            self._jobs[job_id] = job
            if isinstance(error, SlurmError) and error.status is None:  # no answer
                raise BackendUnreachable(str(error)) from error  # the router owes it
            raise
        self._cancelled.add(job.slurm_id)
        self._pending.pop(job_id, None)
        return None

    def recover(self, job_ids: Sequence[JobId], now: float) -> list[Recovered]:
        """After a restart: each listed job still in Slurm is adopted (running) or reported
        ended, with Slurm's end time; live Slurm jobs with this tag that are not listed are
        cancelled (a launch whose start the service never recorded) and reported unknown."""
        records = self.client.jobs()
        self._snapshot = records
        prefix = f"nacc:{self.config.tag}:"
        latest: dict[JobId, dict[str, Any]] = {}
        for record in sorted(records, key=lambda r: int(r.get("job_id", 0))):
            comment = str(record.get("comment") or "")
            if comment.startswith(prefix):
                latest[JobId(comment.removeprefix(prefix))] = record
        out: list[Recovered] = []
        for job_id in job_ids:
            found = latest.pop(job_id, None)
            if found is None:
                out.append(Recovered(job_id, "unknown", "Slurm has no job with this nacc id"))
                continue
            sid, state = int(found["job_id"]), str(found.get("job_state"))
            log = str(found.get("standard_output") or "").replace("%j", str(sid))
            end = ended(job_id, found, now)
            note = f"Slurm job {sid} {state}"
            began = when(found, "start_time", 0.0) or None  # ended: a start equal to its end
            if end is None:
                began = began if state in STARTED else None  # pending: an estimate
                job = _Job(sid, log, began or now, began is not None)
                self._track(job_id, job)
                out.append(Recovered(job_id, "running", note, started_at=began,
                                     queued=began is None))  # fmt: skip
            else:
                self._logs[job_id] = log
                out.append(Recovered(job_id, "ended", note, end, started_at=began))
        for job_id, record in latest.items():
            if record.get("job_state") in ACTIVE:
                sid = int(record["job_id"])
                self.client.cancel(sid)
                self._cancelled.add(sid)
                note = f"Slurm job {sid} was not recorded as running; cancelled"
                out.append(Recovered(job_id, "unknown", note))
        return out
