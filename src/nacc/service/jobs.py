"""Job use cases: submit, cancel, read, logs, balance.

Jobs are stored first (the database is the source of truth); the live scheduler
(``service.live``) picks pending jobs up on its next tick and runs them.
"""

from __future__ import annotations

import errno
import os
import stat
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from nacc.domain.errors import Conflict, Forbidden, InputError, NotFound
from nacc.domain.jobs import JobClass
from nacc.domain.reasons import Code, Reason
from nacc.i18n import render
from nacc.ledger.accounts import InsufficientCredits, project, usage_credits
from nacc.ports.pages import Page
from nacc.ports.store import UnitOfWork
from nacc.ports.store_jobs import FundsView, JobView, NewJob, NotFunded
from nacc.service import job_terms
from nacc.service.auth import Principal, require
from nacc.service.context import Services, found
from nacc.service.datasets import check_use

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
    datasets: tuple[str, ...] = ()  # catalog names (``service.datasets``)


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
) -> tuple[JobView, bool]:
    """Store a job after checking role, project validity, that its estimated cost
    (accelerators x time limit at the dearest acceptable type) fits the balance and that
    the project may use the datasets it names (stored with it, in the same unit). The
    award's terms are read in the unit that stores the job (one transaction)."""
    require(who, "pi", "member", "operator", scope=f"project:{project_id}")
    now = svc.clock()
    if req.idempotency_key is None:
        key = project(str(project_id)).key
        try:  # insert if the project is valid, then reserve if it is funded
            with svc.unit() as uow:
                new = _checked(uow, who, project_id, req, pricing)
                used = check_use(uow, project_id, req.datasets)
                fast = uow.jobs.insert_if_funded(new, now, new.reserve, key)
                if fast is not None and used:
                    uow.datasets.link_job(fast.id, [d.id for d in used])
        except NotFunded:
            fast = None  # rolled back: nothing stored
        if fast is not None:
            return fast, True
    with svc.unit() as uow:  # say why not (or retry if the funds arrived meanwhile)
        new = _checked(uow, who, project_id, req, pricing)
        funds = found(uow.projects.funds(project_id, lock=True), "project", project_id)
        if req.idempotency_key is not None:  # a retry gets the first job, whatever the funds
            earlier = uow.jobs.by_idempotency_key(project_id, req.idempotency_key)
            if earlier is not None:
                return earlier, False
        if not funds.valid_at(now):
            valid = f"{funds.valid_from} to {funds.valid_until}"
            raise Conflict(f"project {project_id} is valid {valid}")
        _check_funds(funds, new.reserve)
        used = check_use(uow, project_id, req.datasets)
        job, created = uow.jobs.create(new, now)
        if created and used:
            uow.datasets.link_job(job.id, [d.id for d in used])
        return job, created


def _checked(
    uow: UnitOfWork, who: Principal, project_id: int, req: JobRequest, pricing: Pricing
) -> NewJob:
    """The job to store: the request held to the award's terms and the fleet, with its
    estimated cost (the dearest acceptable rate x accelerators x time limit) to reserve."""
    req = _held_to_terms(uow, project_id, req, pricing)
    rate = _validate(req, pricing)
    limit = req.time_limit_s or DEFAULT_TIME_LIMIT_S
    return _new_job(who, project_id, req, limit, usage_credits(req.accelerators, limit, rate))


def _held_to_terms(
    uow: UnitOfWork, project_id: int, req: JobRequest, pricing: Pricing
) -> JobRequest:
    """The request with its accelerator types as the fleet names them (``h100`` ->
    ``H100-SXM``) and held to the award's job classes and types (``job_terms``)."""
    known = {t for t, _ in pricing.rates}
    types = job_terms.resolve_types(req.accelerator_types, known)
    classes, allowed = job_terms.award_terms(uow, project_id)
    fleet = None if allowed is None else tuple(job_terms.covered(allowed, known))
    types = job_terms.within_terms(project_id, req.job_class, types, classes, fleet)
    return replace(req, accelerator_types=types)


def _new_job(
    who: Principal, project_id: int, req: JobRequest, limit: int, estimate: Decimal
) -> NewJob:
    return NewJob(
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


def _check_funds(funds: FundsView, estimate: Decimal) -> None:
    """The job's estimate must fit the balance plus overdraft less what the project's
    live jobs hold (their reservations)."""
    account = project(str(funds.project_id))
    held, available = funds.committed, funds.available
    if estimate > available:
        cause = "the estimated cost of this job (accelerators x time limit)"
        if held:
            cause += f", with {held:f} credits held by the project's pending and running jobs"
        raise InsufficientCredits(account, available, estimate, estimate - available, cause)


def visible_job(svc: Services, who: Principal, job_id: str) -> JobView:
    """The job, if the caller may see its project's jobs; else not found (as a job that
    does not exist: a refusal would tell that it does)."""
    with svc.unit() as uow:
        job = found(uow.jobs.get(job_id), "job", job_id)
    if not _sees(who, job.project_id):
        raise NotFound("job", job_id)
    return job


def _sees(who: Principal, project_id: int) -> bool:
    readers = ("pi", "member", "operator", "program_officer")
    return any(who.has(role, f"project:{project_id}") for role in readers)


def _may_see(who: Principal, project_id: int) -> None:
    if not _sees(who, project_id):
        raise NotFound("project", project_id)


def list_jobs(
    svc: Services, who: Principal, project_id: int, limit: int, offset: int
) -> Page[JobView]:
    _may_see(who, project_id)
    with svc.unit() as uow:
        found(uow.projects.funds(project_id), "project", project_id)
        return uow.jobs.list_jobs(project_id, limit, offset)


def read_log(svc: Services, who: Principal, job_id: str, tail_bytes: int) -> str:
    job = visible_job(svc, who, job_id)
    if not job.log_path:
        return ""
    return _tail(Path(job.log_path), tail_bytes).decode("utf-8", errors="replace")


def read_log_from(
    svc: Services, who: Principal, job_id: str, offset: int, limit: int
) -> tuple[str, int]:
    """The log from byte ``offset`` (at most ``limit`` bytes, cut before an unfinished
    UTF-8 character) and the offset to ask from next (``nacc logs -f``)."""
    job = visible_job(svc, who, job_id)
    if not job.log_path:
        return "", offset
    size, data = _read_at(Path(job.log_path), offset, limit)
    if offset > size:  # the log was cut short (rewritten): start over
        size, data = _read_at(Path(job.log_path), 0, limit)
        offset = 0
    keep = _whole_utf8(data)
    return data[:keep].decode("utf-8", errors="replace"), offset + keep


def _whole_utf8(data: bytes) -> int:
    """How many leading bytes of ``data`` end on a UTF-8 character boundary."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 != 0x80:  # a lead byte (or ASCII): is its sequence complete?
            need = 1 if byte < 0x80 else 2 if byte >> 5 == 6 else 3 if byte >> 4 == 14 else 4
            return len(data) if need <= back else len(data) - back
    return len(data)


def _read_at(path: Path, offset: int, limit: int) -> tuple[int, bytes]:
    """(size, bytes from ``offset``) of a job's log, never through a link (``_tail``)."""
    with _open_log(path) as f:
        if f is None:
            return 0, b""
        size = os.fstat(f.fileno()).st_size
        f.seek(min(offset, size))
        return size, f.read(limit)


def _tail(path: Path, tail_bytes: int) -> bytes:
    """The last bytes of a job's log."""
    with _open_log(path) as f:
        if f is None:
            return b""
        size = os.fstat(f.fileno()).st_size
        f.seek(max(0, size - tail_bytes))
        return f.read(tail_bytes)


@contextmanager
def _open_log(path: Path) -> Iterator[BinaryIO | None]:
    """A job's log opened to read (None: not written yet), never through a link: a job
    that replaced its log (or its directory) with a link to another project's file gets
    a refusal, not the file."""
    linked = Forbidden(f"{path.name}: the log was replaced by a link; it is not read")
    if os.path.realpath(path) != os.path.abspath(path):
        raise linked
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        yield None
        return
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise linked from None
        raise
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise Forbidden(f"{path.name}: the log is not a regular file; it is not read")
        yield f


def request_cancel(svc: Services, who: Principal, job_id: str) -> JobView:
    """Ask the live scheduler (through the store) to cancel a pending or running job.
    Who may: the submitter, the project's PI, or an operator."""
    job = visible_job(svc, who, job_id)
    if job.submitted_by != who.user_id:
        require(who, "pi", "operator", scope=f"project:{job.project_id}")
    why = Reason.of(Code.CANCEL_REQUESTED, name=who.name)
    with svc.unit() as uow:
        uow.jobs.request_cancel(job_id, svc.clock(), why, render(why, "en"))
    return visible_job(svc, who, job_id)
