"""The program officer's page of one call's settings: edit it (title, budget, dates,
criteria, minimum score, eligible kinds, blindness) and close it now. Both posts carry
the session's CSRF token; the rules and the audit records are ``service.call_edits``'s,
and a refusal is shown beside its field in the visitor's language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from nacc.domain.errors import Conflict, InputError
from nacc.i18n import render
from nacc.service import call_edits
from nacc.web import call_forms, flow, officer_forms
from nacc.web.context import Visitor, form_fields, page, services, visitor

router = APIRouter(include_in_schema=False)
Form = Annotated[dict[str, str], Depends(form_fields)]
MaybeVisitor = Annotated[Visitor | None, Depends(visitor)]
DONE = ("edited", "closed")


def _edit_page(request: Request, me: Visitor, call_id: int, typed: dict[str, str] | None,
               errors: dict[str, str]) -> Response:  # fmt: skip
    found = call_edits.editable(services(request), me.who, call_id)
    done = request.query_params.get("done", "")
    return page(request, "call_edit.html.j2", me.lang, me=me, csrf=me.csrf, e=found,
                call=found.call, typed=call_forms.shown(found.call) if typed is None else typed,
                errors=errors, kinds=officer_forms.KINDS, done=done if done in DONE else "",
                dates=call_forms.DATES)  # fmt: skip


@router.get("/portal/calls/{call_id}/edit")
def edit_form(request: Request, call_id: int, me: MaybeVisitor) -> Response:
    if me is None:
        return flow.signed_out(request)
    return flow.attempt(request, me, lambda: _edit_page(request, me, call_id, None, {}))


@router.post("/portal/calls/{call_id}/edit")
def edit(request: Request, call_id: int, me: MaybeVisitor, fields: Form) -> Response:
    if me is None:
        return flow.signed_out(request)
    if not flow.csrf_ok(request, me, fields):
        return flow.refused(request, me)
    svc = services(request)

    def run() -> Response:
        current = call_edits.editable(svc, me.who, call_id).call
        wanted, errors = call_forms.changes(fields, current, me.lang)
        if wanted is None:
            return _edit_page(request, me, call_id, fields, errors)
        try:
            call_edits.edit_call(svc, me.who, call_id, wanted)
        except (Conflict, InputError) as error:
            return _edit_page(request, me, call_id, fields, call_forms.refusal(error, me.lang))
        return flow.back(f"/portal/calls/{call_id}/edit?done=edited")

    return flow.attempt(request, me, run)


@router.post("/portal/calls/{call_id}/close")
def close(request: Request, call_id: int, me: MaybeVisitor, fields: Form) -> Response:
    if me is None:
        return flow.signed_out(request)
    if not flow.csrf_ok(request, me, fields):
        return flow.refused(request, me)

    def run() -> Response:
        try:
            call_edits.close_call(services(request), me.who, call_id)
        except call_edits.CallRefused as error:
            return _edit_page(request, me, call_id, None, {"close": render(error.reason, me.lang)})
        return flow.back(f"/portal/calls/{call_id}/edit?done=closed")

    return flow.attempt(request, me, run)
