"""The dispatch port: what the engine asks of a backend (simulated, local, Slurm, Kubernetes).

A backend has a small required interface (``launch``, ``stop``, ``poll``) and declares
what it cannot do in ``unsupported`` (capability name -> reason), SkyPilot style; the
engine checks that before asking. Optional capabilities are separate protocols a backend
may also implement (``LogSource``, ``Recoverable``, ``AccountLimits``,
``Reserving``), checked with ``isinstance``.

A launch carries the job's payload (command, working directory, environment, image,
resources); an observation carries a structured outcome with the time it really
happened, the exit code and a coded reason, never free text to parse.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, runtime_checkable

from nacc.domain.datasets import Used, env_for
from nacc.domain.ids import JobId
from nacc.domain.jobs import JobSpec
from nacc.domain.pools import Pool
from nacc.domain.reasons import Reason
from nacc.domain.reservations import Block

# Capability names a backend may list in ``unsupported``.
PREEMPT = "preempt"  # stop a running job before it ends (and launch it again later)
PROGRESS = "progress"  # stop() reports the work a job did
CHECKPOINT = "checkpoint"  # a stopped job resumes where it was
IMAGE = "image"  # run a container image
MULTI_NODE = "multi-node"  # one job across several nodes


class Outcome(StrEnum):
    """What a backend saw happen to a job."""

    STARTED = "started"  # it really began running (after a queued launch)
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # ran and failed (exit code, signal)
    TIMED_OUT = "timed_out"  # the backend stopped it at its time limit
    LOST = "lost"  # gone without a trace of how it ended


ENDED = frozenset({Outcome.SUCCEEDED, Outcome.FAILED, Outcome.TIMED_OUT, Outcome.LOST})


@dataclass(frozen=True, slots=True)
class Observation:
    """Something a dispatcher saw happen to a job it runs, at ``at`` (backend time)."""

    job_id: JobId
    at: float
    outcome: Outcome
    exit_code: int | None = None
    reason: Reason | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.SUCCEEDED

    @property
    def ended(self) -> bool:
        return self.outcome in ENDED


@dataclass(frozen=True, slots=True)
class Payload:
    """What to run: ``command`` (a shell string or an argv), where, with what.
    ``datasets``: those it uses; ``at_site`` adds their paths to ``env`` for the site
    it runs at (``nacc.domain.datasets.env_for``), as the engine does at each launch."""

    command: str | tuple[str, ...]
    workdir: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    image: str | None = None
    resources: Mapping[str, int] = field(default_factory=dict)
    datasets: tuple[Used, ...] = ()

    def at_site(self, site: str) -> Payload:
        if not self.datasets:
            return self
        env = {**self.env, **env_for(self.datasets, site)}
        return Payload(self.command, self.workdir, env, self.image, self.resources,
                       self.datasets)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Launch:
    """Everything a dispatcher needs to run one job on one pool."""

    spec: JobSpec
    pool: Pool
    count: int
    at: float
    remaining_work: float
    setup_s: float
    payload: Payload | None = None


@dataclass(frozen=True, slots=True)
class Launched:
    """What a backend says about a launch it accepted: its own id for the job
    (pid, Slurm job id, Kubernetes Job name), the devices and where output goes.
    ``starting``: the job is not running yet; the backend's ``poll`` reports when it
    really started (``Outcome.STARTED``) or that its launch failed (an end before any
    start: the job never ran, it is not charged)."""

    handle: str = ""
    devices: tuple[str, ...] = ()
    log: str | None = None
    starting: bool = False
    started_at: float | None = None
    """When the job really started, on the launch's clock, where the backend knows it
    (a step that launches many jobs reaches the last ones later than its ``at``); the
    job is charged from then. None: from the launch's ``at``."""


class LaunchRefused(Exception):
    """A backend cannot run this launch (bad payload, no such devices); the job fails
    with ``reason`` and the engine goes on with the others."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(str(reason))
        self.reason = reason


class BackendUnreachable(Exception):
    """The backend could not be reached to make this launch (it may be down): the job
    is not failed; it waits to be placed again, and the router counts the failure
    towards marking the backend down (failover)."""


class Dispatcher(Protocol):
    """Runs jobs on an engine. ``unsupported``: capability -> why not."""

    unsupported: Mapping[str, str]

    def launch(self, launch: Launch) -> Launched | None: ...

    def stop(self, job_id: JobId, at: float) -> float | None:
        """Stop a running job. Returns work done since launch where known."""
        ...

    def poll(self, now: float) -> Sequence[Observation]: ...


@runtime_checkable
class Closable(Protocol):
    """A dispatcher holding processes or connections to let go when the service stops."""

    def close(self) -> None: ...


@runtime_checkable
class LogSource(Protocol):
    """A backend that can say where a job's output is."""

    def log_location(self, job_id: JobId) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Recovered:
    """What a backend knows of a job after the service restarted: still ``running``, or
    ended (``observation`` says how and when), or ``unknown`` to it."""

    job_id: JobId
    state: str  # "running" | "ended" | "unknown"
    note: str = ""
    observation: Observation | None = None
    devices: tuple[str, ...] = ()
    started_at: float | None = None
    """When the backend really started it (Slurm's start), where it says; the service
    charges an adopted job from there, not from its restart."""
    queued: bool = False
    """``running`` but still waiting in the backend's own queue (not charged until it
    reports the start, as a fresh ``starting`` launch)."""


@runtime_checkable
class Recoverable(Protocol):
    """A backend that can find its jobs again after a restart (reconciliation)."""

    def recover(self, job_ids: Sequence[JobId], now: float) -> Sequence[Recovered]:
        """Report on each of ``job_ids`` (what the service believes runs there), and
        re-adopt those still running; jobs it runs that are not listed are reported
        ``unknown`` too (launched by a service that crashed before recording them)."""
        ...


@runtime_checkable
class AccountLimits(Protocol):
    """A backend that enforces projects' awards itself (Slurm: each project an account
    whose association limit is what it may still spend there)."""

    @property
    def enforces_limits(self) -> bool:
        """Whether this backend is set to (a Slurm URL with ``accounts=1``)."""
        ...

    def sync_limits(self, available: Mapping[str, Decimal], rate: float) -> int:
        """Push each project's spendable credits (``project id -> credits``) as its
        limit, at ``rate`` credits per accelerator-hour; the number of limits changed.
        Raises on a backend that cannot be reached (the caller tries again later)."""
        ...


@runtime_checkable
class Reserving(Protocol):
    """A backend that holds capacity blocks itself (Slurm: a reservation per block)."""

    def reserve(self, blocks: Sequence[Block], pools: Sequence[Pool], now: float) -> None:
        """Make the backend's reservations those of ``blocks`` (the booked blocks on its
        ``pools``): create the missing, delete those of blocks no longer listed
        (cancelled, over). Raises on a backend that cannot be reached."""
        ...
