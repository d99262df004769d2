"""The program officer's pages: programs and their calls (create a program, open a call),
a call's proposals with their review scores, reviewers to assign, the decision with a
preview of the budget it uses before it is committed (overrides need a reason), and the
projects it created with their tranches (accept a progress report: the next tranche).

Editing a call and closing it early: ``nacc.web.officer_calls`` (the call's settings page).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from nacc.domain.errors import NaccError
from nacc.i18n import render
from nacc.ports.pages import MAX_PAGE
from nacc.service import awards, programs, review_desk, reviews
from nacc.web import flow, officer_forms, text
from nacc.web.context import Visitor, form_fields, page, services, visitor

router = APIRouter(include_in_schema=False)
Form = Annotated[dict[str, str], Depends(form_fields)]
MaybeVisitor = Annotated[Visitor | None, Depends(visitor)]


@router.get("/portal/programs")
def program_list(request: Request, me: MaybeVisitor) -> Response:
    if me is None:
        return flow.signed_out(request)
    return _programs(request, me, {}, {}, 200)


def _programs(request: Request, me: Visitor, typed: dict[str, str], errors: dict[str, str],
              status: int) -> Response:  # fmt: skip
    svc = services(request)
    found = programs.list_programs(svc, MAX_PAGE, 0).items
    calls = programs.list_calls(svc, None, MAX_PAGE, 0).items
    return page(request, "programs.html.j2", me.lang, status=status, me=me, csrf=me.csrf,
                programs=found, calls=calls, typed=typed, errors=errors,
                kinds=officer_forms.KINDS, officer=flow.is_officer(me.who))  # fmt: skip


@router.post("/portal/programs")
def create_program(request: Request, me: MaybeVisitor, fields: Form) -> Response:
    if me is None:
        return flow.signed_out(request)
    if not flow.csrf_ok(request, me, fields):
        return flow.refused(request, me)
    name = fields.get("name", "").strip()
    if not name:
        return _programs(request, me, fields, {"name": render_key(me, "form.required")}, 200)
    try:
        programs.create_program(services(request), me.who, name, fields.get("description", ""))
    except NaccError as error:
        return _programs(request, me, fields, {"name": render(error.reason, me.lang)}, 200)
    return flow.back("/portal/programs")


def render_key(me: Visitor, key: str) -> str:
    return text.say(me.lang, key)


@router.post("/portal/programs/{program_id}/calls")
def open_call(request: Request, program_id: int, me: MaybeVisitor, fields: Form) -> Response:
    if me is None:
        return flow.signed_out(request)
    if not flow.csrf_ok(request, me, fields):
        return flow.refused(request, me)
    spec, errors = officer_forms.CallForm(fields).check(me.lang)
    typed = dict(fields) | {"program_id": str(program_id)}
    if spec is None:
        return _programs(request, me, typed, errors, 200)
    try:
        call = programs.open_call(services(request), me.who, program_id, spec)
    except NaccError as error:
        where = getattr(error, "where", "")
        key = where if where in officer_forms.CALL_FIELDS else "call"
        return _programs(request, me, typed, {key: render(error.reason, me.lang)}, 200)
    return flow.back(f"/portal/calls/{call.id}/manage")


@router.get("/portal/calls/{call_id}/manage")
def manage(request: Request, call_id: int, me: MaybeVisitor) -> Response:
    if me is None:
        return flow.signed_out(request)
    return flow.attempt(request, me, lambda: _manage(request, me, call_id, None, {}, {}))


def _manage(request: Request, me: Visitor, call_id: int, preview: review_desk.Preview | None,
            typed: dict[str, str], errors: dict[str, str]) -> Response:  # fmt: skip
    svc = services(request)
    call = programs.get_call(svc, call_id)
    listed = programs.list_proposals(svc, me.who, call_id, MAX_PAGE, 0).items
    made = review_desk.projects_of_call(svc, me.who, call_id)
    return page(request, "call_manage.html.j2", me.lang, me=me, csrf=me.csrf,
                call=call, proposals=listed, preview=preview, typed=typed, errors=errors,
                projects=made, now=svc.clock())  # fmt: skip


@router.post("/portal/calls/{call_id}/reviewers")
def assign(request: Request, call_id: int, me: MaybeVisitor, fields: Form) -> Response:
    if me is None:
        return flow.signed_out(request)
    if not flow.csrf_ok(request, me, fields):
        return flow.refused(request, me)
    raw = fields.get("user_id", "").strip()
    if not raw.isdigit():
        errors = {"user_id": render_key(me, "form.user_id")}
        return flow.attempt(request, me, lambda: _manage(request, me, call_id, None, fields,
                                                         errors))  # fmt: skip
    try:
        reviews.assign_reviewer(services(request), me.who, call_id, int(raw))
    except NaccError as error:
        errors = {"user_id": render(error.reason, me.lang)}
        return flow.attempt(request, me, lambda: _manage(request, me, call_id, None, fields,
                                                         errors))  # fmt: skip
    return flow.back(f"/portal/calls/{call_id}/manage")


@router.post("/portal/calls/{call_id}/decide")
def decide(request: Request, call_id: int, me: MaybeVisitor, fields: Form) -> Response:
    """``action=preview``: the same page with what the decision would do; ``decide``:
    commit it (``awards.decide``, all or nothing)."""
    if me is None:
        return flow.signed_out(request)
    if not flow.csrf_ok(request, me, fields):
        return flow.refused(request, me)
    chosen, errors = officer_forms.overrides(fields, me.lang)
    svc = services(request)

    def run() -> Response:
        if errors:
            return _manage(request, me, call_id, None, fields, errors)
        try:
            if fields.get("action") == "decide":
                awards.decide(svc, me.who, call_id, awards.DecideRequest(chosen))
                return flow.back(f"/portal/calls/{call_id}/manage")
            shown = review_desk.preview(svc, me.who, call_id, chosen)
        except NaccError as error:
            return _manage(request, me, call_id, None, fields, {"": render(error.reason, me.lang)})
        return _manage(request, me, call_id, shown, fields, {})

    return flow.attempt(request, me, run)


@router.post("/portal/calls/{call_id}/projects/{project_id}/progress")
def progress(request: Request, call_id: int, project_id: int, me: MaybeVisitor,
             fields: Form) -> Response:  # fmt: skip
    """A progress report accepted: the project's next tranche is released."""
    if me is None:
        return flow.signed_out(request)
    if not flow.csrf_ok(request, me, fields):
        return flow.refused(request, me)

    def run() -> Response:
        awards.accept_progress_report(services(request), me.who, project_id, None)
        return flow.back(f"/portal/calls/{call_id}/manage")

    return flow.attempt(request, me, run)
