"""The reviewer's pages: the calls they were assigned to with the proposals to score
(organisation, PI and team hidden on a blind call), a proposal's scoring form, and a
conflict of interest they declare themself (``service.review_desk``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from nacc.domain.errors import InputError, NaccError
from nacc.domain.programs import SCORE_MAX, SCORE_MIN
from nacc.i18n import render
from nacc.service import programs, review_desk
from nacc.web import flow
from nacc.web.context import Visitor, form_fields, page, services, visitor

router = APIRouter(include_in_schema=False)
Form = Annotated[dict[str, str], Depends(form_fields)]
MaybeVisitor = Annotated[Visitor | None, Depends(visitor)]


@router.get("/portal/review")
def assigned(request: Request, me: MaybeVisitor) -> Response:
    if me is None:
        return flow.signed_out(request)
    calls = review_desk.assigned(services(request), me.who)
    return page(request, "review.html.j2", me.lang, me=me, csrf=me.csrf, calls=calls)


@router.get("/portal/review/proposals/{proposal_id}")
def proposal(request: Request, proposal_id: int, me: MaybeVisitor) -> Response:
    if me is None:
        return flow.signed_out(request)
    return flow.attempt(request, me, lambda: _proposal(request, me, proposal_id, {}, {}, 200))


def _proposal(request: Request, me: Visitor, proposal_id: int, typed: dict[str, str],
              errors: dict[str, str], status: int) -> Response:  # fmt: skip
    svc = services(request)
    found = programs.get_proposal(svc, me.who, proposal_id)
    call = programs.get_call(svc, found.call_id)
    mine = review_desk.assignment(svc, me.who, found)
    return page(request, "review_proposal.html.j2", me.lang, status=status, me=me,
                csrf=me.csrf, p=found, call=call, mine=mine, typed=typed, errors=errors,
                low=SCORE_MIN, high=SCORE_MAX)  # fmt: skip


@router.post("/portal/review/proposals/{proposal_id}/score")
def score(request: Request, proposal_id: int, me: MaybeVisitor, fields: Form) -> Response:
    if me is None:
        return flow.signed_out(request)
    if not flow.csrf_ok(request, me, fields):
        return flow.refused(request, me)
    svc = services(request)

    def run() -> Response:
        call = programs.get_call(svc, programs.get_proposal(svc, me.who, proposal_id).call_id)
        typed = {f"score.{c['name']}": fields.get(f"score.{c['name']}", "").strip()
                 for c in call.criteria}  # fmt: skip
        typed["comment"] = fields.get("comment", "")
        errors: dict[str, str] = {}
        scores: dict[str, float] = {}
        for key, raw in typed.items():
            if key == "comment":
                continue
            try:
                scores[key[6:]] = float(raw)
            except ValueError:
                errors[key] = render(
                    InputError(key, f"expected a number {SCORE_MIN:g}..{SCORE_MAX:g}").reason,
                    me.lang,
                )
        if not errors:
            try:
                review_desk.score(svc, me.who, proposal_id, scores, typed["comment"])
            except NaccError as error:
                where = getattr(error, "where", "")
                errors["score." + where[7:] if where.startswith("scores.") else ""] = render(
                    error.reason, me.lang)  # fmt: skip
            else:
                return flow.back(f"/portal/review/proposals/{proposal_id}")
        return _proposal(request, me, proposal_id, typed, errors, 200)

    return flow.attempt(request, me, run)


@router.post("/portal/review/proposals/{proposal_id}/conflict")
def conflict(request: Request, proposal_id: int, me: MaybeVisitor, fields: Form) -> Response:
    if me is None:
        return flow.signed_out(request)
    if not flow.csrf_ok(request, me, fields):
        return flow.refused(request, me)

    def run() -> Response:
        review_desk.declare_conflict(services(request), me.who, proposal_id,
                                     fields.get("note", ""))  # fmt: skip
        return flow.back(f"/portal/review/proposals/{proposal_id}")

    return flow.attempt(request, me, run)
