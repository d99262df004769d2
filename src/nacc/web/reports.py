"""The usage report page (operators and program officers): ``/portal/reports`` shows
credits and accelerator-hours by a chosen dimension and period, and wait percentiles by
program and job size; ``/portal/reports.csv`` downloads the same usage rows as CSV.
The numbers come from ``nacc.service.reports_usage`` (the API's and CLI's reports)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from nacc.domain.errors import Forbidden, InputError
from nacc.service import reports_usage as use
from nacc.web import flow, text
from nacc.web.context import Visitor, page, services, visitor

router = APIRouter(include_in_schema=False)
MaybeVisitor = Annotated[Visitor | None, Depends(visitor)]
BY = ("program", "org", "org_kind", "sector", "type", "provider", "site", "domestic")
ROWS = 200
"""Usage rows per page (``?page=N``); the totals and the CSV are of every row."""


def _words(lang: str) -> dict[str, Any]:
    """``dim(name)`` and ``per(period)``: a dimension's and a period's label."""
    return {"dim": lambda name: text.say(lang, "reports.dim." + name),
            "per": lambda name: text.say(lang, "reports.per." + name)}  # fmt: skip


def _since(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise InputError("since", f"expected a date such as 2026-01-01; got {text!r}") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _report(request: Request, me: Visitor) -> use.UsageReport:
    q = request.query_params
    by = q.get("by", "program")
    pools = getattr(request.app.state, "pools", None) or []
    return use.usage(services(request), me.who, pools, [by], q.get("period", "month"),
                     _since(q.get("since")), _since(q.get("until")))  # fmt: skip


@router.get("/portal/reports")
def reports_page(request: Request, me: MaybeVisitor) -> Response:
    if me is None:
        return RedirectResponse("/portal/signin", status_code=303)
    q = request.query_params
    try:
        report = _report(request, me)
        waits = {g: use.waits(services(request), me.who, g) for g in ("program", "size")}
    except Forbidden:
        return page(request, "refused.html.j2", me.lang, status=403, me=None, csrf="")
    except InputError as error:
        return page(request, "reports.html.j2", me.lang, status=422, me=me, csrf=me.csrf,
                    report=None, waits={}, error=error.problem, choices=BY,
                    periods=use.PERIODS, chosen=dict(q), **_words(me.lang))  # fmt: skip
    paged = flow.paging(request, ROWS).of(len(report.rows))
    asked = urlencode([(k, v) for k, v in q.multi_items() if k != "page"])
    return page(request, "reports.html.j2", me.lang, me=me, csrf=me.csrf, report=report,
                rows=report.rows[paged.offset : paged.offset + paged.limit], paged=paged,
                base="/portal/reports" + (f"?{asked}" if asked else ""),
                waits=waits, error=None, choices=BY, periods=use.PERIODS,
                chosen=dict(q), query=asked, **_words(me.lang))  # fmt: skip


@router.get("/portal/reports.csv")
def reports_csv(request: Request, me: MaybeVisitor) -> Response:
    if me is None:
        return RedirectResponse("/portal/signin", status_code=303)
    try:
        report = _report(request, me)
    except Forbidden:
        return Response(status_code=403)
    except InputError as error:
        return Response(error.problem, status_code=422, media_type="text/plain")
    headers = {"Content-Disposition": 'attachment; filename="nacc-usage.csv"',
               "Cache-Control": "no-store"}  # fmt: skip
    return Response(use.usage_csv(report), media_type="text/csv; charset=utf-8", headers=headers)
