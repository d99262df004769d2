"""Job submission, listing, logs and cancellation; project balances."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import PlainTextResponse

from nacc.api import schemas
from nacc.api.bounds import IdPath, JobIdPath
from nacc.api.deps import CallerDep, LimitQ, OffsetQ, ServicesDep, SubmitterDep
from nacc.api.lang import Lang
from nacc.api.problems import READ, WRITE, declare
from nacc.api.schemas_jobs import JobIn, JobOut
from nacc.domain.lifecycle import JobState
from nacc.i18n import render
from nacc.ports.store_jobs import JobView
from nacc.service import jobs as use

router = APIRouter(tags=["jobs"])


def job_out(job: JobView, lang: str) -> JobOut:
    """The job as clients see it: the reason in the request's language when it is stored
    as a code (``reason_code``, ``reason_params``), else the stored text."""
    why = job.reason
    types = None if job.accelerator_types is None else list(job.accelerator_types)
    return JobOut(
        id=job.id,
        project_id=job.project_id,
        state=JobState(job.state),
        reason=job.reason_text if why is None else render(why, lang),
        reason_code=None if why is None else why.code,
        reason_params=None if why is None else why.args,
        command=job.command,
        accelerators=job.accelerators,
        accelerator_types=types,
        job_class=job.job_class,
        time_limit_s=job.time_limit_s,
        pool_id=job.pool_id,
        device_ids=None if job.device_ids is None else list(job.device_ids),
        submitted_at=job.submitted_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        exit_code=job.exit_code,
        expected_start=job.expected_start_at if job.state == "pending" else None,
    )


@router.post(
    "/projects/{project_id}/jobs",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": JobOut, "description": "a retry: the job this idempotency key made"},
        **declare(401, 402, 403, 404, 409, 422, 429),
    },
)
def submit(
    project_id: IdPath,
    body: JobIn,
    request: Request,
    response: Response,
    svc: ServicesDep,
    who: SubmitterDep,
    lang: Lang,
) -> JobOut:
    """Refused with 429 and ``Retry-After`` past the token's submission rate (settings
    ``submit_rate_per_s``, ``submit_burst``; no limit by default)."""
    req = use.JobRequest(
        command=body.command,
        accelerators=body.accelerators,
        job_class=body.job_class.value,
        time_limit_s=body.time_limit_s,
        accelerator_types=body.accelerator_types,
        image=body.image,
        gang=body.gang,
        idempotency_key=body.idempotency_key,
        datasets=tuple(body.datasets),
    )
    job, created = use.submit(svc, who, project_id, req, request.app.state.pricing)
    if not created:
        response.status_code = status.HTTP_200_OK  # an idempotent retry
    return job_out(job, lang)


@router.get("/projects/{project_id}/jobs", responses=READ)
def list_jobs(
    project_id: IdPath,
    svc: ServicesDep,
    who: CallerDep,
    lang: Lang,
    limit: LimitQ = 50,
    offset: OffsetQ = 0,
) -> schemas.PageOut[JobOut]:
    page = use.list_jobs(svc, who, project_id, limit, offset)
    return schemas.page_of(page.items, page.total, limit, offset, lambda j: job_out(j, lang))


@router.get("/jobs/{job_id}", responses=READ)
def get_job(job_id: JobIdPath, svc: ServicesDep, who: CallerDep, lang: Lang) -> JobOut:
    return job_out(use.visible_job(svc, who, job_id), lang)


@router.get("/jobs/{job_id}/logs", response_class=PlainTextResponse, responses=READ)
def logs(
    job_id: JobIdPath,
    svc: ServicesDep,
    who: CallerDep,
    response: Response,
    tail: Annotated[int, Query(ge=1, le=10_000_000)] = 65536,
    offset: Annotated[
        int | None, Query(ge=0, description="from this byte on (at most `tail` bytes)")
    ] = None,
) -> str:
    """The end of the job's output; with ``offset``, the output from that byte on, and
    the offset to ask from next in ``X-Log-Offset`` (``nacc logs -f``)."""
    if offset is None:
        return use.read_log(svc, who, job_id, tail)
    text, following = use.read_log_from(svc, who, job_id, offset, tail)
    response.headers["X-Log-Offset"] = str(following)
    return text


@router.post("/jobs/{job_id}/cancel", status_code=status.HTTP_202_ACCEPTED, responses=WRITE)
def cancel(job_id: JobIdPath, svc: ServicesDep, who: CallerDep, lang: Lang) -> JobOut:
    """Accepted: the live scheduler cancels the job on its next tick (a running job's
    process group is killed); the job's state says when it is done."""
    return job_out(use.request_cancel(svc, who, job_id), lang)
