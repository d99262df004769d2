"""The operator's pages: the fleet (``service.fleet``: per pool capacity, busy, queue,
24 h utilisation, delivered credits domestic vs foreign against the 50% target, estimated
power) and people (``service.people``: users and their roles, organisations, tokens;
grant and revoke roles, issue and revoke tokens; a new token's secret is shown once)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from nacc.domain.errors import NaccError
from nacc.i18n import render
from nacc.ports.pages import MAX_PAGE
from nacc.service import fleet, people
from nacc.service.auth import require
from nacc.web import flow, text
from nacc.web.context import Visitor, form_fields, page, services, visitor

router = APIRouter(include_in_schema=False)
Form = Annotated[dict[str, str], Depends(form_fields)]
MaybeVisitor = Annotated[Visitor | None, Depends(visitor)]


@router.get("/portal/fleet")
def fleet_page(request: Request, me: MaybeVisitor) -> Response:
    if me is None:
        return flow.signed_out(request)

    def run() -> Response:
        view = fleet.fleet(services(request), me.who, getattr(request.app.state, "pools", []))
        data = flow.chart({"kind": "utilisation", "hours": [h for h, _ in view.hourly],
                           "values": [round(v * 100, 1) for _, v in view.hourly]})  # fmt: skip
        return page(request, "fleet.html.j2", me.lang, me=me, csrf=me.csrf, view=view,
                    chart=data)  # fmt: skip

    return flow.attempt(request, me, run)


@router.get("/portal/people")
def people_page(request: Request, me: MaybeVisitor) -> Response:
    if me is None:
        return flow.signed_out(request)
    return flow.attempt(request, me, lambda: _people(request, me, None, ""))


def _people(request: Request, me: Visitor, issued: people.NewToken | None, error: str) -> Response:
    svc = services(request)
    require(me.who, "operator")
    paged = flow.paging(request)
    listed = people.list_users(svc, me.who, paged.limit, paged.offset)
    users = listed.items
    orgs = {o.id: o for o in people.list_organisations(svc, MAX_PAGE, 0).items}
    tokens = people.tokens_of_users(svc, me.who, [u.user.id for u in users])
    return page(request, "people.html.j2", me.lang, me=me, csrf=me.csrf, users=users,
                paged=paged.of(listed.total), base="/portal/people",
                orgs=orgs, tokens=tokens, issued=issued, error=error,
                now=svc.clock())  # fmt: skip


def _post(request: Request, me: Visitor | None, fields: dict[str, str], act: str) -> Response:
    if me is None:
        return flow.signed_out(request)
    if not flow.csrf_ok(request, me, fields):
        return flow.refused(request, me)
    svc = services(request)
    issued = None
    try:
        user_id = int(fields.get("user_id", "0") or 0)
        if act == "grant":
            people.grant(svc, me.who, user_id, fields.get("role", "").strip(),
                         fields.get("scope", "").strip())  # fmt: skip
        elif act == "revoke":
            people.revoke(svc, me.who, user_id, fields.get("role", ""), fields.get("scope", ""))
        elif act == "issue":
            label = fields.get("label", "").strip() or "portal"
            issued = people.issue_token(svc, me.who, user_id, label, None)
        else:
            people.revoke_token(svc, me.who, int(fields.get("token_id", "0") or 0))
    except NaccError as error:
        said = render(error.reason, me.lang)
        return flow.attempt(request, me, lambda: _people(request, me, None, said))
    except ValueError:
        said = text.say(me.lang, "form.user_id")
        return flow.attempt(request, me, lambda: _people(request, me, None, said))
    if issued is not None:
        return flow.attempt(request, me, lambda: _people(request, me, issued, ""))
    return flow.back("/portal/people")


@router.post("/portal/people/grant")
def grant(request: Request, me: MaybeVisitor, fields: Form) -> Response:
    return _post(request, me, fields, "grant")


@router.post("/portal/people/revoke")
def revoke(request: Request, me: MaybeVisitor, fields: Form) -> Response:
    return _post(request, me, fields, "revoke")


@router.post("/portal/people/tokens")
def issue(request: Request, me: MaybeVisitor, fields: Form) -> Response:
    return _post(request, me, fields, "issue")


@router.post("/portal/people/tokens/revoke")
def revoke_token(request: Request, me: MaybeVisitor, fields: Form) -> Response:
    return _post(request, me, fields, "revoke_token")
