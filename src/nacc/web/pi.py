"""The PI's pages beyond slice 1: the open calls, applying to one (``programs.apply``:
the applicant's organisation applies and the applicant becomes the proposal's PI), the
proposals one is on; and the burn-down data of a project page (``service.burndown``)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from nacc.domain.errors import NaccError
from nacc.i18n import render
from nacc.ports.pages import MAX_PAGE
from nacc.service import programs
from nacc.service.burndown import BurnDown
from nacc.web import flow, forms, text
from nacc.web.context import Visitor, form_fields, page, services, visitor

router = APIRouter(include_in_schema=False)
Form = Annotated[dict[str, str], Depends(form_fields)]
MaybeVisitor = Annotated[Visitor | None, Depends(visitor)]
APPLY_FIELDS = ("title", "abstract", "requested_credits", "job_classes")


def burn_chart(burn: BurnDown) -> str:
    """The burn-down as ``static/charts.js`` draws it: [ISO time, credits] pairs."""

    def pairs(points: list[tuple[object, Decimal]]) -> list[list[object]]:
        return [[str(at).replace(" ", "T"), float(v)] for at, v in points]

    series = {"left": burn.left, "plan": burn.plan, "released": burn.released}
    return flow.chart({"kind": "burndown"} | {k: pairs(list(v)) for k, v in series.items()})


@router.get("/portal/calls")
def open_calls(request: Request, me: MaybeVisitor) -> Response:
    if me is None:
        return flow.signed_out(request)
    svc = services(request)
    now = svc.clock()
    calls = programs.list_calls(svc, None, MAX_PAGE, 0).items
    mine = programs.proposals_by_call(svc, me.who, [c.id for c in calls])
    shown = [c for c in calls if c.opens_at <= now < c.closes_at or mine[c.id]]
    return page(request, "calls.html.j2", me.lang, me=me, csrf=me.csrf, calls=shown,
                mine=mine, now=now)  # fmt: skip


@router.get("/portal/calls/{call_id}/apply")
def apply_form(request: Request, call_id: int, me: MaybeVisitor) -> Response:
    if me is None:
        return flow.signed_out(request)
    return flow.attempt(request, me, lambda: _form(request, me, call_id, {}, {}))


def _form(request: Request, me: Visitor, call_id: int, typed: dict[str, str],
          errors: dict[str, str]) -> Response:  # fmt: skip
    call = programs.get_call(services(request), call_id)
    return page(request, "apply.html.j2", me.lang, me=me, csrf=me.csrf, call=call,
                typed=typed, errors=errors, classes=forms.CLASSES)  # fmt: skip


@router.post("/portal/calls/{call_id}/apply")
def apply(request: Request, call_id: int, me: MaybeVisitor, fields: Form) -> Response:
    if me is None:
        return flow.signed_out(request)
    if not flow.csrf_ok(request, me, fields):
        return flow.refused(request, me)
    typed = {k: fields.get(k, "").strip() for k in APPLY_FIELDS}
    chosen = [c for c in forms.CLASSES if fields.get(f"class.{c}")]
    typed |= {f"class.{c}": "1" for c in chosen}
    errors: dict[str, str] = {}
    for name in ("title", "abstract"):
        if not typed[name]:
            errors[name] = text.say(me.lang, "form.required")
    try:
        credits = Decimal(typed["requested_credits"])
        if not credits.is_finite() or credits <= 0:
            raise InvalidOperation
    except InvalidOperation:
        errors["requested_credits"] = text.say(me.lang, "form.positive_number")
    if not chosen:
        errors["job_classes"] = text.say(me.lang, "form.pick_one")
    if not errors:
        req = programs.ProposalRequest(typed["title"], typed["abstract"], credits, chosen)
        try:
            programs.apply(services(request), me.who, call_id, req)
        except NaccError as error:
            where = getattr(error, "where", "")
            errors[where if where in APPLY_FIELDS else ""] = render(error.reason, me.lang)
        else:
            return flow.back("/portal/calls")
    return flow.attempt(request, me, lambda: _form(request, me, call_id, typed, errors))
