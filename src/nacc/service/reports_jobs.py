"""Job reports: the queue across projects (operators; like ``squeue``) and the history
of ended jobs with what each was charged (like ``sacct``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from nacc.domain.lifecycle import TERMINAL, JobState
from nacc.ports.store_jobs import JobView
from nacc.service.auth import Principal, require
from nacc.service.context import Services, found
from nacc.service.jobs import _may_see

LIVE = (JobState.PENDING.value, JobState.RUNNING.value)
ENDED = tuple(sorted(s.value for s in TERMINAL))


def queue(svc: Services, who: Principal, limit: int = 1000) -> list[JobView]:
    """Pending and running jobs of every project, running first, then oldest first."""
    require(who, "operator")
    with svc.unit() as uow:
        jobs = uow.jobs.in_states(LIVE)
    jobs.sort(key=lambda j: (j.state != JobState.RUNNING.value, j.submitted_at, j.id))
    return jobs[:limit]


@dataclass(frozen=True, slots=True)
class Charged:
    job: JobView
    charged: Decimal  # usage charged less refunds
    accelerator_hours: float


def history(svc: Services, who: Principal, project_id: int | None, limit: int = 100,
            offset: int = 0) -> tuple[int, list[Charged]]:  # fmt: skip
    """Ended jobs, newest first, with their charges: one project's (its readers), or
    every project's (operators). Returns (total, page)."""
    with svc.unit() as uow:
        if project_id is None:
            require(who, "operator")
            ended = uow.jobs.ended_page(ENDED, limit, offset)
            total, jobs = ended.total, list(ended.items)
        else:
            _may_see(who, project_id)
            found(uow.projects.funds(project_id), "project", project_id)
            page = uow.jobs.list_jobs(project_id, limit, offset, states=ENDED)
            total, jobs = page.total, list(page.items)
        books = uow.ledger.jobs_usage([j.id for j in jobs])  # two reads for the page
        metered = uow.ledger.usage_for_jobs([j.id for j in jobs])
        out = []
        for j in jobs:
            charged, refunded = books[j.id]
            hours = sum((u.end_at - u.start_at).total_seconds() * u.count
                        for u in metered[j.id]) / 3600  # fmt: skip
            out.append(Charged(j, charged - refunded, hours))
    return total, out
