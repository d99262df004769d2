"""What a dispatcher for a remote engine (``slurm``, ``k8s``) keeps of the jobs it runs,
shared by both: the jobs it launched (by nacc id), commands registered for launches that
carry no payload, the engine's pending reasons and the logs of ended jobs as of the last
poll, and the command a launch runs (refused when empty or holding a NUL byte)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar

from nacc.domain.errors import InputError, NaccError
from nacc.domain.ids import JobId
from nacc.domain.reasons import Code, Reason
from nacc.ports import Launch, LaunchRefused

Command = tuple[str | tuple[str, ...], dict[str, str]]


class _Logged(Protocol):
    @property
    def log(self) -> str: ...


J = TypeVar("J", bound=_Logged)


class RemoteJobs(Generic[J]):
    """The book a remote dispatcher keeps; ``J`` is its record of one launched job."""

    def __init__(self) -> None:
        self._jobs: dict[JobId, J] = {}
        self._commands: dict[JobId, Command] = {}
        self._pending: dict[JobId, Reason] = {}
        self._logs: dict[JobId, str] = {}
        self._snapshot: list[dict[str, Any]] | None = None

    @property
    def running_jobs(self) -> list[JobId]:
        return list(self._jobs)

    def pending_reasons(self) -> Mapping[JobId, Reason]:
        """Why each job the engine has not started yet waits, in nacc's codes (last poll)."""
        return dict(self._pending)

    def log_location(self, job_id: JobId) -> str | None:
        job = self._jobs.get(job_id)
        return job.log if job is not None else self._logs.get(job_id)

    def register(self, job_id: JobId, command: str | Sequence[str],
                 env: Mapping[str, str] | None = None) -> None:  # fmt: skip
        """Say what ``job_id`` runs when its launch carries no payload (as ``local``)."""
        cmd = command if isinstance(command, str) else tuple(command)
        if not cmd:
            raise InputError(f"job {job_id}", "empty command")
        self._commands[job_id] = (cmd, dict(env or {}))

    def _command(self, launch: Launch, missing: type[NaccError]) -> Command:
        """What ``launch`` runs and its environment: the payload's, else the registered
        one (``missing`` raised when neither); ``LaunchRefused`` for an empty command or a
        NUL byte in it."""
        if launch.payload is not None:
            command, env = launch.payload.command, dict(launch.payload.env)
        elif launch.spec.id in self._commands:
            command, env = self._commands[launch.spec.id]
        else:
            raise missing(f"job {launch.spec.id}: no payload and no command registered")
        parts = command if isinstance(command, tuple) else (command,)
        if not command or any("\0" in part for part in parts):
            raise LaunchRefused(Reason.of(Code.LAUNCH_FAILED,
                                          message="empty command or a NUL byte in it"))  # fmt: skip
        return command, env
