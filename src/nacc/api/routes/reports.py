"""Usage reports (operators and program officers): ``GET /reports/usage`` and
``GET /reports/waits``, as JSON or CSV (``format=csv``). Schema: docs/reports.md."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from nacc.api.bounds import QueryMoment
from nacc.api.deps import CallerDep, ServicesDep
from nacc.api.problems import LIST
from nacc.service import reports_usage as use

router = APIRouter(tags=["reports"])


class UsageRowOut(BaseModel):
    period: str = Field(description="first day (UTC, ISO) of the period; '' for period=all")
    group: dict[str, str] = Field(description="the row's value of each `by` dimension")
    credits: Decimal
    accelerator_hours: float
    jobs: int


class UsageOut(BaseModel):
    by: list[str]
    period: str
    since: datetime | None
    until: datetime | None
    rows: list[UsageRowOut]
    total_credits: Decimal
    total_accelerator_hours: float


class WaitRowOut(BaseModel):
    group: str
    jobs: int
    mean_s: float
    p50_s: float
    p90_s: float
    p99_s: float
    max_s: float


class WaitsOut(BaseModel):
    by: str
    rows: list[WaitRowOut]


By = Annotated[
    str, Query(max_length=200, description=f"comma-separated: {', '.join(use.DIMENSIONS)}")
]
Period = Annotated[str, Query(max_length=10, description=" | ".join(use.PERIODS))]
Since = Annotated[QueryMoment | None, Query(description="from (inclusive), ISO 8601 with zone")]
Until = Annotated[QueryMoment | None, Query(description="to (exclusive), ISO 8601 with zone")]
CSV_OR_JSON = {**LIST, 200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                             "description": "the report (format=csv: as CSV)"}}  # fmt: skip
Format = Annotated[Literal["json", "csv"], Query(description="json (default) or csv")]


def usage_json(r: use.UsageReport) -> str:
    """The report as ``UsageOut``'s JSON, the rows written here from plain values: a
    day's report by organisation and type has ~10,000 rows, and validating them in the
    model (or building a dict per row for ``json``) cost more than the report
    (docs/benchmarks.md). The head (times, totals) goes through the model; a row's
    credits are written as pydantic writes a ``Decimal`` (``str``), its hours as
    ``round(hours, 6)``'s ``repr``, each group's values escaped once."""
    head = UsageOut(by=list(r.by), period=r.period, since=r.since, until=r.until, rows=[],
                    total_credits=r.total_credits,
                    total_accelerator_hours=round(r.total_accelerator_hours, 6))  # fmt: skip
    before, after = head.model_dump_json().split('"rows":[]', 1)
    return f'{before}"rows":[{",".join(_rows_json(r))}]{after}'


def _rows_json(r: use.UsageReport) -> Iterator[str]:
    names = [json.dumps(name) for name in r.by]
    groups: dict[tuple[str, ...], str] = {}
    for x in r.rows:
        group = groups.get(x.group)
        if group is None:
            group = groups[x.group] = ",".join(
                f"{n}:{json.dumps(v, ensure_ascii=False)}"
                for n, v in zip(names, x.group, strict=True)
            )
        hours = round(x.accelerator_hours, 6)
        yield (f'{{"period":"{x.period}","group":{{{group}}},"credits":"{x.credits}",'
               f'"accelerator_hours":{hours!r},"jobs":{x.jobs}}}')  # fmt: skip


def _dims(by: str) -> list[str]:
    return [d.strip() for d in by.split(",") if d.strip()]


@router.get("/reports/usage", responses=CSV_OR_JSON, response_model=UsageOut)
def usage(request: Request, svc: ServicesDep, who: CallerDep, by: By = "program",
          period: Period = "month", since: Since = None, until: Until = None,
          format: Format = "json") -> UsageOut | Response:  # fmt: skip
    """Credits and accelerator-hours of metered usage, grouped (like sreport)."""
    pools = getattr(request.app.state, "pools", None) or []
    report = use.usage(svc, who, pools, _dims(by), period, since, until)
    if format == "csv":
        return Response(use.usage_csv(report), media_type="text/csv; charset=utf-8")
    # written here (FastAPI would validate the ~10,000 rows in the model, then again)
    return Response(usage_json(report), media_type="application/json")


@router.get("/reports/waits", responses=CSV_OR_JSON, response_model=WaitsOut)
def waits(svc: ServicesDep, who: CallerDep, by: Annotated[str, Query(max_length=20)] = "program",
          since: Since = None, until: Until = None,
          format: Format = "json") -> WaitsOut | Response:  # fmt: skip
    """Wait-time percentiles (submission to start) by program, size, org_kind, project."""
    rows = use.waits(svc, who, by, since, until)
    if format == "csv":
        return Response(use.waits_csv(by, rows), media_type="text/csv; charset=utf-8")
    return WaitsOut(by=by, rows=[WaitRowOut(group=x.group, jobs=x.jobs, mean_s=x.mean_s,
                    p50_s=x.p50_s, p90_s=x.p90_s, p99_s=x.p99_s, max_s=x.max_s)
                    for x in rows])  # fmt: skip
