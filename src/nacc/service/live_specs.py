"""A stored job as the engine sees it (``spec_of``) and as its backend runs it
(``payload_of``): for the live scheduler's steps and its recovery."""

from __future__ import annotations

from collections.abc import Sequence

from nacc.domain.datasets import Used, needs
from nacc.domain.ids import JobId
from nacc.domain.jobs import JobClass, JobSpec
from nacc.engine.driver import DEFAULT_LIMIT_S, REQUEST_REFERENCE
from nacc.ports import Payload
from nacc.ports.store_scheduler import QueuedJob


def spec_of(job: QueuedJob, used: Sequence[Used] = ()) -> JobSpec:
    """The engine's view of a stored job (work = its time limit: unknown in advance),
    with what placement honours of the datasets it ``used`` (``domain.datasets.needs``)."""
    limit = float(job.time_limit_s or DEFAULT_LIMIT_S)
    types = frozenset(job.accelerator_types) if job.accelerator_types else None
    data = needs(used)
    return JobSpec(
        id=JobId(job.id),
        submit_s=job.submitted_at.timestamp(),
        accelerators=job.accelerators,
        job_class=JobClass(job.job_class),
        work=limit,
        project=str(job.project_id),
        time_limit_s=limit,
        allowed_types=types,
        gang=job.gang,
        reference_type=REQUEST_REFERENCE,  # as ``nacc.engine.driver.as_requested``
        domestic_only=data.domestic_only,
        data_sites=data.sites,
    )


def payload_of(job: QueuedJob, used: Sequence[Used] = ()) -> Payload:
    """What the backend runs for a stored job (the datasets' paths join its environment
    at launch, for the pool's site: ``Payload.at_site``)."""
    return Payload(command=job.command, image=job.image, datasets=tuple(used))
