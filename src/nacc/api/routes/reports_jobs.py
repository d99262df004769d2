"""``GET /queue`` (operators: live jobs of every project, like squeue) and
``GET /history`` (ended jobs with their charges, like sacct)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from nacc.api import schemas
from nacc.api.deps import CallerDep, LimitQ, OffsetQ, ServicesDep
from nacc.api.lang import Lang
from nacc.api.problems import LIST, READ
from nacc.api.routes.jobs import job_out
from nacc.api.schemas_jobs import JobOut
from nacc.service import reports_jobs as use

router = APIRouter(tags=["reports"])


class ChargedJobOut(JobOut):
    charged_credits: Decimal = Field(description="usage charged, less refunds")
    accelerator_hours: float = Field(description="metered accelerator-hours")


@router.get("/queue", responses=LIST)
def queue(svc: ServicesDep, who: CallerDep, lang: Lang,
          limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> list[JobOut]:  # fmt: skip
    """Running then pending jobs of every project, oldest first (operators)."""
    return [job_out(j, lang) for j in use.queue(svc, who, limit)]


@router.get("/history", responses=READ)
def history(svc: ServicesDep, who: CallerDep, lang: Lang,
            project: Annotated[int | None, Query(ge=1, description="null: every project "
                                                 "(operators)")] = None,
            limit: LimitQ = 50, offset: OffsetQ = 0) -> schemas.PageOut[ChargedJobOut]:  # fmt: skip
    """Ended jobs, newest first, with what each was charged."""
    total, rows = use.history(svc, who, project, limit, offset)

    def out(c: use.Charged) -> ChargedJobOut:
        return ChargedJobOut(**job_out(c.job, lang).model_dump(), charged_credits=c.charged,
                             accelerator_hours=round(c.accelerator_hours, 6))  # fmt: skip

    return schemas.page_of(rows, total, limit, offset, out)
