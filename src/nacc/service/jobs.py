"""Job use cases: submit, cancel, read, logs, balance.

Jobs are stored first (the database is the source of truth); the live scheduler
(``service.live``) picks pending jobs up on its next tick and runs them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nacc.adapters.store import repos_jobs, repos_ledger, repos_projects
from nacc.adapters.store.repos import Page
from nacc.adapters.store.tables import Job, Project
from nacc.domain.errors import Conflict, InputError
from nacc.domain.jobs import JobClass
from nacc.domain.lifecycle import JobState
from nacc.ledger.accounts import InsufficientCredits, project, usage_credits
from nacc.service.auth import Principal, require
from nacc.service.context import Services, found

DEFAULT_TIME_LIMIT_S = 3600


@dataclass(frozen=True, slots=True)
class JobRequest:
    command: str
    accelerators: int
    job_class: str
    time_limit_s: int | None = None
    accelerator_types: Sequence[str] | None = None
    image: str | None = None
    gang: bool = True
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class Pricing:
    """Credits per accelerator-hour by accelerator type and class (from the catalog),
    restricted to the types the fleet has."""

    rates: dict[tuple[str, str], float]
    runs_images: bool = False  # whether the fleet's dispatcher can run container images

    def worst_rate(self, job_class: str, types: Sequence[str] | None) -> float | None:
        found = [
            r for (t, c), r in self.rates.items() if c == job_class and (not types or t in types)
        ]
        return max(found) if found else None


def _validate(req: JobRequest, pricing: Pricing) -> float:
    if req.image is not None and not pricing.runs_images:
        raise InputError(
            "image",
            "this fleet runs jobs as local processes and cannot run a container image; "
            "submit without `image` (the command runs on the host, with its accelerators "
            "in CUDA_VISIBLE_DEVICES)",
        )
    if req.job_class not in {c.value for c in JobClass}:
        known = ", ".join(c.value for c in JobClass)
        raise InputError("job_class", f"unknown class {req.job_class!r}; known: {known}")
    rate = pricing.worst_rate(req.job_class, req.accelerator_types)
    if rate is None:
        raise InputError(
            "accelerator_types",
            f"no accelerator of {list(req.accelerator_types or ['any'])} "
            f"in this fleet runs {req.job_class}",
        )
    return rate


def submit(
    svc: Services, who: Principal, project_id: int, req: JobRequest, pricing: Pricing
) -> tuple[Job, bool]:
    """Store a job after checking role, project validity and that its estimated cost
    (accelerators x time limit at the dearest acceptable type) fits the balance."""
    require(who, "pi", "member", "operator", scope=f"project:{project_id}")
    rate = _validate(req, pricing)
    limit = req.time_limit_s or DEFAULT_TIME_LIMIT_S
    estimate = usage_credits(req.accelerators, limit, rate)
    now = svc.clock()
    new = _new_job(who, project_id, req, limit, estimate)
    if req.idempotency_key is None:
        key = project(str(project_id)).key
        try:  # insert if the project is valid, then reserve if it is funded
            with svc.tx() as s:
                fast = repos_jobs.insert_if_funded(s, new, now, estimate, key)
        except repos_jobs.NotFunded:
            fast = None  # rolled back: nothing stored
        if fast is not None:
            return fast, True
    with svc.tx() as s:  # say why not (or retry if the funds arrived meanwhile)
        proj = found(repos_projects.get_project(s, project_id, lock=True), "project", project_id)
        if req.idempotency_key is not None:  # a retry gets the first job, whatever the funds
            earlier = repos_jobs.job_by_idempotency_key(s, project_id, req.idempotency_key)
            if earlier is not None:
                s.expunge(earlier)
                return earlier, False
        if not proj.valid_from <= now <= proj.valid_until:
            raise Conflict(f"project {project_id} is valid {proj.valid_from} to {proj.valid_until}")
        _check_funds(s, proj, estimate)
        job, created = repos_jobs.create_job(s, new, now)
        s.flush()
        s.expunge(job)
        return job, created


def _new_job(
    who: Principal, project_id: int, req: JobRequest, limit: int, estimate: Decimal
) -> repos_jobs.NewJob:
    return repos_jobs.NewJob(
        id=f"j-{uuid.uuid4().hex[:12]}",
        project_id=project_id,
        submitted_by=who.user_id,
        command=req.command,
        accelerators=req.accelerators,
        job_class=req.job_class,
        image=req.image,
        accelerator_types=req.accelerator_types,
        time_limit_s=limit,
        gang=req.gang,
        idempotency_key=req.idempotency_key,
        reserve=estimate,
    )


def _check_funds(s: Session, proj: Project, estimate: Decimal) -> None:
    """The job's estimate must fit the balance plus overdraft less what the project's
    live jobs hold (their reservations)."""
    account = project(str(proj.id))
    held = proj.committed_credits
    available = repos_projects.available_credits(proj, repos_ledger.balance(s, account.key))
    if estimate > available:
        cause = "the estimated cost of this job (accelerators x time limit)"
        if held:
            cause += f", with {held:f} credits held by the project's pending and running jobs"
        raise InsufficientCredits(account, available, estimate, estimate - available, cause)


def _project(s: Session, project_id: int) -> Project:
    return found(repos_projects.get_project(s, project_id), "project", project_id)


def visible_job(svc: Services, who: Principal, job_id: str) -> Job:
    with svc.tx() as s:
        job = found(repos_jobs.get_job(s, job_id), "job", job_id)
        _may_see(who, job.project_id)
        s.expunge(job)
        return job


def _may_see(who: Principal, project_id: int) -> None:
    require(who, "pi", "member", "operator", "program_officer", scope=f"project:{project_id}")


def list_jobs(svc: Services, who: Principal, project_id: int, limit: int, offset: int) -> Page[Job]:
    _may_see(who, project_id)
    with svc.tx() as s:
        _project(s, project_id)
        page = repos_jobs.list_jobs(s, project_id, limit, offset)
        for job in page.items:
            s.expunge(job)
        return page


def read_log(svc: Services, who: Principal, job_id: str, tail_bytes: int) -> str:
    job = visible_job(svc, who, job_id)
    if not job.log_path:
        return ""
    path = Path(job.log_path)
    if not path.exists():
        return ""
    with path.open("rb") as f:
        size = path.stat().st_size
        f.seek(max(0, size - tail_bytes))
        return f.read().decode("utf-8", errors="replace")


def request_cancel(svc: Services, who: Principal, job_id: str) -> Job:
    """Ask the live scheduler (through the database) to cancel a pending or running job.
    Who may: the submitter, the project's PI, or an operator."""
    job = visible_job(svc, who, job_id)
    if job.submitted_by != who.user_id:
        require(who, "pi", "operator", scope=f"project:{job.project_id}")
    with svc.tx() as s:
        s.execute(
            sa.update(Job)
            .where(Job.id == job_id, Job.cancel_requested_at.is_(None))
            .where(Job.state.in_([JobState.PENDING.value, JobState.RUNNING.value]))
            .values(cancel_requested_at=svc.clock(), reason=f"cancel requested by {who.name}")
        )
    return visible_job(svc, who, job_id)
