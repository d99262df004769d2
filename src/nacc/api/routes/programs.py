"""Programs, calls, proposals, reviews, decisions and projects (thin over the service)."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import APIRouter, Query, status
from pydantic import BaseModel

from nacc.api import schemas
from nacc.api import schemas_programs as sp
from nacc.api.bounds import INT32_MAX, IdPath
from nacc.api.deps import CallerDep, LimitQ, OffsetQ, ServicesDep
from nacc.api.lang import Lang
from nacc.api.problems import LIST, READ, WRITE
from nacc.domain.errors import InputError
from nacc.domain.reasons import Reason
from nacc.i18n import render
from nacc.ports.store_people import CallSpec
from nacc.service import awards, project_views, review_desk, reviews
from nacc.service import call_edits as edits
from nacc.service import programs as use
from nacc.service.proposal_views import ProposalDetails

router = APIRouter(tags=["programs"])
Created = status.HTTP_201_CREATED
M = TypeVar("M", bound=BaseModel)


def coded(out: M, why: Reason | None, lang: str) -> M:
    """A decision's reason in the request's language, with its code and parameters (a
    decision stored before codes keeps its text)."""
    if why is None:
        return out
    return out.model_copy(
        update={"reason": render(why, lang), "reason_code": why.code, "reason_params": why.args}
    )


def proposal_out(details: ProposalDetails, lang: str) -> sp.ProposalOut:
    out = sp.ProposalOut.model_validate(details)
    why = details.decision.get("why") if details.decision else None
    if out.decision is None or not isinstance(why, Reason):
        return out
    return out.model_copy(update={"decision": coded(out.decision, why, lang)})


# --- programs and calls -------------------------------------------------------------------


@router.post("/programs", status_code=Created, responses=WRITE)
def create_program(body: sp.ProgramIn, svc: ServicesDep, who: CallerDep) -> sp.ProgramOut:
    """Operators and program officers."""
    return sp.ProgramOut.model_validate(use.create_program(svc, who, body.name, body.description))


@router.get("/programs", responses=LIST)
def list_programs(
    svc: ServicesDep, who: CallerDep, limit: LimitQ = 50, offset: OffsetQ = 0
) -> schemas.PageOut[sp.ProgramOut]:
    page = use.list_programs(svc, limit, offset)
    return schemas.page_of(page.items, page.total, limit, offset, sp.ProgramOut.model_validate)


@router.post("/programs/{program_id}/calls", status_code=Created, responses=WRITE)
def open_call(program_id: IdPath, body: sp.CallIn, svc: ServicesDep, who: CallerDep) -> sp.CallOut:
    """Operators and the program's officers; the budget is funded in the ledger."""
    spec = CallSpec(
        title=body.title, opens_at=body.opens_at, closes_at=body.closes_at,
        budget_credits=body.budget_credits, review_opens_at=body.review_opens_at,
        review_closes_at=body.review_closes_at,
        criteria=_criteria(body.criteria), min_score=body.min_score,
        eligible_org_kinds=[k.value for k in body.eligible_org_kinds],
        sector_tags=[t.value for t in body.sector_tags], blind=body.blind,
    )  # fmt: skip
    return sp.CallOut.model_validate(use.open_call(svc, who, program_id, spec))


def _criteria(criteria: list[sp.CriterionIn]) -> dict[str, float]:
    named = {c.name: c.weight for c in criteria}
    if len(named) != len(criteria):
        raise InputError("criteria", "criterion names must be distinct")
    return named


@router.get("/calls", responses=READ)
def list_calls(
    svc: ServicesDep,
    who: CallerDep,
    program_id: Annotated[
        int | None, Query(ge=1, le=INT32_MAX, description="only this program's calls")
    ] = None,
    limit: LimitQ = 50,
    offset: OffsetQ = 0,
) -> schemas.PageOut[sp.CallOut]:
    page = use.list_calls(svc, program_id, limit, offset)
    return schemas.page_of(page.items, page.total, limit, offset, sp.CallOut.model_validate)


@router.get("/calls/{call_id}", responses=READ)
def get_call(call_id: IdPath, svc: ServicesDep, who: CallerDep) -> sp.CallOut:
    return sp.CallOut.model_validate(use.get_call(svc, call_id))


@router.patch("/calls/{call_id}", responses=WRITE)
def edit_call(call_id: IdPath, body: sp.CallEditIn, svc: ServicesDep, who: CallerDep) -> sp.CallOut:
    """Operators and the program's officers; what may change depends on the call's state
    (proposals fix its terms, a closed call does not reopen, a decided one is final:
    docs/programs.md); a budget change moves credits in the ledger."""
    kinds = None if body.eligible_org_kinds is None else [k.value for k in body.eligible_org_kinds]
    tags = None if body.sector_tags is None else [t.value for t in body.sector_tags]
    changes = edits.CallChanges(
        title=body.title, opens_at=body.opens_at, closes_at=body.closes_at,
        review_opens_at=body.review_opens_at, review_closes_at=body.review_closes_at,
        budget_credits=body.budget_credits,
        criteria=None if body.criteria is None else _criteria(body.criteria),
        min_score=body.min_score, eligible_org_kinds=kinds, sector_tags=tags, blind=body.blind,
    )  # fmt: skip
    return sp.CallOut.model_validate(edits.edit_call(svc, who, call_id, changes))


@router.post("/calls/{call_id}/close", responses=WRITE)
def close_call(call_id: IdPath, svc: ServicesDep, who: CallerDep) -> sp.CallOut:
    """Operators and the program's officers: end submissions now (409 when already
    closed, not yet open, or decided)."""
    return sp.CallOut.model_validate(edits.close_call(svc, who, call_id))


# --- proposals, reviewers, reviews --------------------------------------------------------


@router.post("/calls/{call_id}/proposals", status_code=Created, responses=WRITE)
def apply(call_id: IdPath, body: sp.ProposalIn, svc: ServicesDep, who: CallerDep) -> sp.ProposalOut:
    """Any user with an organisation, while the call is open; the caller becomes the PI."""
    req = use.ProposalRequest(
        title=body.title, abstract=body.abstract, requested_credits=body.requested_credits,
        job_classes=[c.value for c in body.job_classes],
        accelerator_types=body.accelerator_types, team=body.team,
    )  # fmt: skip
    return sp.ProposalOut.model_validate(use.apply(svc, who, call_id, req))


@router.get("/calls/{call_id}/proposals", responses=READ)
def list_proposals(
    call_id: IdPath, svc: ServicesDep, who: CallerDep, lang: Lang, limit: LimitQ = 50,
    offset: OffsetQ = 0,
) -> schemas.PageOut[sp.ProposalOut]:  # fmt: skip
    """Officers: all; the call's reviewers: all (no names on a blind call); others: their own."""
    page = use.list_proposals(svc, who, call_id, limit, offset)
    return schemas.page_of(page.items, page.total, limit, offset,
                           lambda p: proposal_out(p, lang))  # fmt: skip


@router.get("/proposals/{proposal_id}", responses=READ)
def get_proposal(
    proposal_id: IdPath, svc: ServicesDep, who: CallerDep, lang: Lang
) -> sp.ProposalOut:
    return proposal_out(use.get_proposal(svc, who, proposal_id), lang)


@router.post("/calls/{call_id}/reviewers", status_code=Created, responses=WRITE)
def assign_reviewer(
    call_id: IdPath, body: sp.ReviewerIn, svc: ServicesDep, who: CallerDep
) -> sp.ReviewerOut:
    """Operators and the program's officers: grant ``reviewer`` scoped ``call:<id>``."""
    granted = reviews.assign_reviewer(svc, who, call_id, body.user_id)
    return sp.ReviewerOut(call_id=call_id, user_id=body.user_id, granted=granted)


@router.post("/proposals/{proposal_id}/reviews", status_code=Created, responses=WRITE)
def submit_review(
    proposal_id: IdPath, body: sp.ReviewIn, svc: ServicesDep, who: CallerDep
) -> sp.ReviewOut:
    """The call's reviewers, inside the review window, once, without conflict of interest."""
    review = reviews.submit_review(svc, who, proposal_id, body.scores, body.comment)
    return sp.ReviewOut.model_validate(review)


# --- decisions and projects ---------------------------------------------------------------


@router.post("/calls/{call_id}/decisions", status_code=Created, responses=WRITE)
def decide(
    call_id: IdPath, body: sp.DecideIn, svc: ServicesDep, who: CallerDep, lang: Lang
) -> list[sp.DecisionResultOut]:
    """Operators and the program's officers, once per call, after submissions close."""
    req = awards.DecideRequest(
        overrides={pid: (o.award, o.reason) for pid, o in body.overrides.items()},
        valid_from=body.valid_from, valid_until=body.valid_until,
        first_tranche=body.first_tranche,
    )  # fmt: skip
    return [coded(sp.DecisionResultOut.model_validate(d), d.why, lang)
            for d in awards.decide(svc, who, call_id, req)]  # fmt: skip


@router.post("/calls/{call_id}/decisions/preview", responses=READ)
def preview_decision(
    call_id: IdPath, svc: ServicesDep, who: CallerDep, lang: Lang, body: sp.PreviewIn | None = None
) -> sp.PreviewOut:
    """What ``POST /calls/{id}/decisions`` would award with these overrides, and the
    budget it would use and leave; writes nothing (operators and the program's officers)."""
    overrides = {pid: (o.award, o.reason) for pid, o in (body.overrides if body else {}).items()}
    seen = review_desk.preview(svc, who, call_id, overrides)
    out = sp.PreviewOut.model_validate(seen)
    rows = [coded(o, d.why, lang) for o, d in zip(out.decisions, seen.decisions, strict=True)]
    return out.model_copy(update={"decisions": rows})


@router.get("/projects/{project_id}", responses=READ)
def get_project(project_id: IdPath, svc: ServicesDep, who: CallerDep) -> sp.ProjectOut:
    """The project's PI and members, operators, and its program's officers."""
    return sp.ProjectOut.model_validate(project_views.get_project(svc, who, project_id))


@router.get("/projects/{project_id}/balance", responses=READ)
def get_balance(project_id: IdPath, svc: ServicesDep, who: CallerDep) -> sp.BalanceOut:
    """The project's PI and members, operators, and its program's officers."""
    return sp.BalanceOut.model_validate(project_views.get_balance(svc, who, project_id))


@router.post("/projects/{project_id}/progress-reports/accept", responses=WRITE)
def accept_progress_report(
    project_id: IdPath, svc: ServicesDep, who: CallerDep, body: sp.ProgressReportIn | None = None
) -> sp.ProgressReportOut:
    """Operators and the program's officers: release the next tranche (idempotent)."""
    seq = body.tranche if body is not None else None
    project, released = awards.accept_progress_report(svc, who, project_id, seq)
    return sp.ProgressReportOut(released=released, project=sp.ProjectOut.model_validate(project))
