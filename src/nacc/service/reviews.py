"""Reviewers and reviews: an officer makes a user a reviewer of a call (role
``reviewer`` scoped ``call:<id>``); a reviewer scores a proposal once, inside the review
window and before the decision, unless in conflict of interest (Forbidden, with the
reason). Deciding the call and its awards: ``nacc.service.awards``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from nacc.domain.errors import Conflict, NotFound
from nacc.domain.programs import weighted_score
from nacc.ports.store import UnitOfWork
from nacc.ports.store_people import CallView
from nacc.service import audit
from nacc.service.auth import Principal, require
from nacc.service.context import Services
from nacc.service.programs import (
    OFFICERS,
    duplicate_is_conflict,
    find_proposal,
    officer_scope,
    outside_window,
)
from nacc.service.proposal_views import criteria_of, find_call
from nacc.service.teams import check_conflict_of_interest


@dataclass(frozen=True, slots=True)
class ReviewResult:
    id: int
    proposal_id: int
    reviewer_id: int
    scores: dict[str, float]
    weighted_score: float
    comment: str
    created_at: datetime


def assign_reviewer(svc: Services, who: Principal, call_id: int, user_id: int) -> bool:
    """Grant ``reviewer`` scoped ``call:<id>``; True when new, False when already held."""
    with svc.unit() as uow:
        call = find_call(uow, call_id)
        require(who, *OFFICERS, scope=officer_scope(call.program_id))
        if uow.people.get_user(user_id) is None:
            raise NotFound("user", user_id)
        new = uow.people.grant_role(user_id, "reviewer", f"call:{call_id}")
        audit.record(uow, who, svc.clock(), "reviewer.assign", f"user:{user_id}",
                     scope=f"call:{call_id}", new=new)  # fmt: skip
        return new


def submit_review(
    svc: Services, who: Principal, proposal_id: int, scores: Mapping[str, float], comment: str
) -> ReviewResult:
    """One review per reviewer and proposal: refused (Forbidden) on a conflict of
    interest, (Conflict) outside the review window, after the decision, or a second time."""
    now = svc.clock()
    with svc.unit() as uow:
        p = find_proposal(uow, proposal_id)
        require(who, "reviewer", scope=f"call:{p.call_id}")
        call = find_call(uow, p.call_id, lock=True)  # serialised with the call's decision
        check_conflict_of_interest(uow, who, p, call)
        _check_review_window(uow, call, now)
        score = weighted_score(criteria_of(call), scores)
        if uow.programs.review_by(p.id, who.user_id) is not None:
            raise Conflict(f"{who.name} has already reviewed proposal {p.id}")
        with duplicate_is_conflict():
            row = uow.programs.add_review(p.id, who.user_id, scores, comment, now)
        if p.status == "submitted":
            uow.programs.set_proposal_status(p.id, "under_review")
        audit.record(uow, who, now, "review.submit", f"proposal:{p.id}", score=score)
        return ReviewResult(row.id, p.id, who.user_id, dict(row.scores), score, comment, now)


def _check_review_window(uow: UnitOfWork, call: CallView, now: datetime) -> None:
    if uow.programs.decisions_of_call(call.id):
        raise Conflict(f"call {call.id} is already decided; reviews are closed")
    if not call.review_opens_at <= now < call.review_closes_at:
        raise outside_window(f"call {call.id} takes reviews", call.review_opens_at,
                             call.review_closes_at, now)  # fmt: skip
