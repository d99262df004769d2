"""The challenge pages beside the public board (``web.challenges``): the list of
challenges (``/portal/challenges``, anyone), a team's page (``/portal/challenges/{id}/
teams/{project}``: submit an entry, its own entries with their status and the quota
left; a day's quota used up shows when it resets) and the officers' list of every entry
(``/portal/challenges/{id}/entries``: rerun, disqualify with a reason). The rules are
``service.challenge_entries``'s."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from nacc.domain.challenges import QuotaExhausted, phase_at
from nacc.domain.errors import NaccError
from nacc.i18n import render
from nacc.service import challenge_entries as entries
from nacc.service import challenges as use
from nacc.web import flow, forms
from nacc.web.context import Visitor, form_fields, language, page, services, visitor

router = APIRouter(include_in_schema=False)
Form = Annotated[dict[str, str], Depends(form_fields)]
MaybeVisitor = Annotated[Visitor | None, Depends(visitor)]
TEAM = ("pi", "member")


def _teams(me: Visitor | None) -> list[int]:
    if me is None:
        return []
    return [p for p in forms.projects_of(me.who)
            if any(me.who.has(r, f"project:{p}") for r in TEAM)]  # fmt: skip


@router.get("/portal/challenges")
def challenge_list(request: Request, me: MaybeVisitor) -> Response:
    lang = me.lang if me is not None else language(request)
    svc = services(request)
    now = svc.clock()
    rows = [(c, phase_at(c.spec.phases, now), use.officer(me.who if me else None, c))
            for c in use.listed(svc)]  # fmt: skip
    return page(request, "challenges.html.j2", lang, me=me, csrf=me.csrf if me else "",
                rows=rows, teams=_teams(me))  # fmt: skip


@router.get("/portal/challenges/{challenge_id}/teams/{project_id}")
def team_page(request: Request, challenge_id: int, project_id: int, me: MaybeVisitor) -> Response:
    if me is None:
        return flow.signed_out(request)
    return flow.attempt(request, me, lambda: _team(request, me, challenge_id, project_id, {}, ""))


def _team(request: Request, me: Visitor, challenge_id: int, project_id: int,
          errors: dict[str, str], typed: str) -> Response:  # fmt: skip
    svc = services(request)
    ch, found, officer = entries.entries(svc, me.who, challenge_id, project_id)
    left = entries.quota(svc, me.who, challenge_id, project_id)
    return page(request, "challenge_team.html.j2", me.lang, me=me, csrf=me.csrf, ch=ch,
                entries=found, officer=officer, quota=left, project_id=project_id,
                phase=phase_at(ch.spec.phases, svc.clock()), errors=errors,
                typed=typed)  # fmt: skip


@router.post("/portal/challenges/{challenge_id}/teams/{project_id}/entries")
def submit(request: Request, challenge_id: int, project_id: int, me: MaybeVisitor,
           fields: Form) -> Response:  # fmt: skip
    if me is None:
        return flow.signed_out(request)
    if not flow.csrf_ok(request, me, fields):
        return flow.refused(request, me)
    ref = fields.get("model_ref", "").strip()
    errors: dict[str, str] = {}
    if not ref:
        errors["model_ref"] = flow.say(me, "form.required")
    else:
        try:
            entries.submit(services(request), me.who, challenge_id, project_id, ref,
                           request.app.state.pricing)  # fmt: skip
        except QuotaExhausted as error:
            resets = str(error.params.get("resets_at", ""))
            errors["quota"] = flow.say(me, "entries.quota_used", at=resets.replace("T", " "))
        except NaccError as error:
            errors["model_ref"] = render(error.reason, me.lang)
    if errors:
        return flow.attempt(request, me, lambda: _team(request, me, challenge_id, project_id,
                                                       errors, ref))  # fmt: skip
    return flow.back(f"/portal/challenges/{challenge_id}/teams/{project_id}")


@router.get("/portal/challenges/{challenge_id}/entries")
def officer_list(request: Request, challenge_id: int, me: MaybeVisitor) -> Response:
    if me is None:
        return flow.signed_out(request)
    return flow.attempt(request, me, lambda: _officer(request, me, challenge_id, {}))


def _officer(request: Request, me: Visitor, challenge_id: int,
             errors: dict[str, str]) -> Response:  # fmt: skip
    ch, found, _ = entries.entries(services(request), me.who, challenge_id, None)
    return page(request, "challenge_entries.html.j2", me.lang, me=me, csrf=me.csrf, ch=ch,
                entries=found, errors=errors)  # fmt: skip


@router.post("/portal/challenges/{challenge_id}/entries/{entry_id}/{action}")
def judge(request: Request, challenge_id: int, entry_id: int, action: str, me: MaybeVisitor,
          fields: Form) -> Response:  # fmt: skip
    """``action``: ``rerun`` (a new evaluation) or ``disqualify`` (with a reason)."""
    if me is None:
        return flow.signed_out(request)
    if not flow.csrf_ok(request, me, fields):
        return flow.refused(request, me)
    svc = services(request)
    try:
        if action == "rerun":
            entries.rerun(svc, me.who, challenge_id, entry_id, request.app.state.pricing)
        elif action == "disqualify":
            entries.disqualify(svc, me.who, challenge_id, entry_id, fields.get("reason", ""))
    except NaccError as error:
        errors = {f"entry-{entry_id}": render(error.reason, me.lang)}
        return flow.attempt(request, me, lambda: _officer(request, me, challenge_id, errors))
    return flow.back(f"/portal/challenges/{challenge_id}/entries")
