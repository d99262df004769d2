"""Programs, calls, proposals (with their teams), reviews and decisions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nacc.adapters.store.repos import Page, fetch_page, insert
from nacc.adapters.store.tables import Call, Decision, Program, Proposal, ProposalMember, Review
from nacc.ports.store_people import CallSpec, DecisionSpec, ProposalSpec
from nacc.ports.store_people_rules import check_call, check_decision, check_proposal, check_status

__all__ = ["CallSpec", "DecisionSpec", "ProposalSpec"]  # the port's, re-exported


# --- programs and calls -------------------------------------------------------------------


def create_program(session: Session, name: str, description: str = "") -> Program:
    return insert(session, Program(name=name, description=description), f"program {name!r}")


def get_program(session: Session, program_id: int) -> Program | None:
    return session.get(Program, program_id)


def program_by_name(session: Session, name: str) -> Program | None:
    return session.scalar(sa.select(Program).where(Program.name == name))


def list_programs(session: Session, limit: int = 100, offset: int = 0) -> Page[Program]:
    return fetch_page(session, sa.select(Program), [Program.id], limit, offset)


def create_call(session: Session, program_id: int, spec: CallSpec) -> Call:
    """Open a call under a program; kinds, tags and criteria are checked first."""
    check_call(spec)
    call = Call(
        program_id=program_id,
        title=spec.title,
        opens_at=spec.opens_at,
        closes_at=spec.closes_at,
        budget_credits=spec.budget_credits,
        eligible_org_kinds=list(spec.eligible_org_kinds),
        sector_tags=list(spec.sector_tags),
        review_criteria=[{"name": k, "weight": float(w)} for k, w in spec.criteria.items()],
        min_score=spec.min_score,
        blind=spec.blind,
        review_opens_at=spec.review_opens_at,
        review_closes_at=spec.review_closes_at,
    )
    return insert(session, call, f"call {spec.title!r}")


def update_call(session: Session, call_id: int, spec: CallSpec) -> Call:
    """Replace what the call states (not its program); checked as ``create_call``."""
    check_call(spec)
    call = session.get(Call, call_id)
    if call is None:
        raise LookupError(f"no call {call_id}")
    call.title, call.opens_at, call.closes_at = spec.title, spec.opens_at, spec.closes_at
    call.budget_credits = spec.budget_credits
    call.eligible_org_kinds = list(spec.eligible_org_kinds)
    call.sector_tags = list(spec.sector_tags)
    call.review_criteria = [{"name": k, "weight": float(w)} for k, w in spec.criteria.items()]
    call.min_score, call.blind = spec.min_score, spec.blind
    call.review_opens_at, call.review_closes_at = spec.review_opens_at, spec.review_closes_at
    session.flush()
    return call


def get_call(session: Session, call_id: int) -> Call | None:
    return session.get(Call, call_id)


def list_calls(
    session: Session, program_id: int | None = None, limit: int = 100, offset: int = 0
) -> Page[Call]:
    query = sa.select(Call)
    if program_id is not None:
        query = query.where(Call.program_id == program_id)
    return fetch_page(session, query, [Call.id], limit, offset)


# --- proposals ----------------------------------------------------------------------------


def create_proposal(session: Session, call_id: int, spec: ProposalSpec, now: datetime) -> Proposal:
    """A submitted proposal with its team (the PI is always a member)."""
    check_proposal(spec)
    proposal = Proposal(
        call_id=call_id,
        organisation_id=spec.organisation_id,
        pi_user_id=spec.pi_user_id,
        title=spec.title,
        abstract=spec.abstract,
        requested_credits=spec.requested_credits,
        job_classes=list(spec.job_classes),
        accelerator_types=None if spec.accelerator_types is None else list(spec.accelerator_types),
        status="submitted",
        submitted_at=now,
    )
    insert(session, proposal, f"proposal {spec.title!r}")
    for user_id in dict.fromkeys([spec.pi_user_id, *spec.member_ids]):
        member = ProposalMember(proposal_id=proposal.id, user_id=user_id)
        insert(session, member, f"proposal member {user_id}")
    return proposal


def get_proposal(session: Session, proposal_id: int) -> Proposal | None:
    return session.get(Proposal, proposal_id)


def list_proposals(
    session: Session,
    call_id: int | None = None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Page[Proposal]:
    query = sa.select(Proposal)
    if call_id is not None:
        query = query.where(Proposal.call_id == call_id)
    if status is not None:
        query = query.where(Proposal.status == status)
    return fetch_page(session, query, [Proposal.id], limit, offset)


def proposal_member_ids(session: Session, proposal_id: int) -> list[int]:
    stmt = sa.select(ProposalMember.user_id).where(ProposalMember.proposal_id == proposal_id)
    return list(session.scalars(stmt.order_by(ProposalMember.user_id)))


def set_proposal_status(session: Session, proposal_id: int, status: str) -> None:
    check_status(status)
    stmt = sa.update(Proposal).where(Proposal.id == proposal_id).values(status=status)
    session.execute(stmt)


# --- reviews and decisions ----------------------------------------------------------------


def add_review(
    session: Session,
    proposal_id: int,
    reviewer_id: int,
    scores: Mapping[str, float],
    comment: str,
    now: datetime,
) -> Review:
    """One reviewer's scores; a second review by the same reviewer is a ``Conflict``."""
    review = Review(
        proposal_id=proposal_id,
        reviewer_id=reviewer_id,
        scores={k: float(v) for k, v in scores.items()},
        comment=comment,
        created_at=now,
    )
    return insert(session, review, f"review of proposal {proposal_id} by user {reviewer_id}")


def reviews_for(session: Session, proposal_id: int) -> list[Review]:
    stmt = sa.select(Review).where(Review.proposal_id == proposal_id).order_by(Review.id)
    return list(session.scalars(stmt))


def reviews_by(session: Session, reviewer_id: int) -> list[Review]:
    stmt = sa.select(Review).where(Review.reviewer_id == reviewer_id).order_by(Review.id)
    return list(session.scalars(stmt))


def record_decision(
    session: Session, proposal_id: int, spec: DecisionSpec, now: datetime
) -> Decision:
    """Record the decision and set the proposal's status to its outcome."""
    check_decision(spec)
    decision = Decision(
        proposal_id=proposal_id,
        outcome=spec.outcome,
        weighted_score=spec.weighted_score,
        awarded_credits=spec.awarded_credits,
        override=spec.override,
        reason=spec.reason,
        reason_code=None if spec.why is None else spec.why.code,
        reason_params=None if spec.why is None else spec.why.args,
        decided_by=spec.decided_by,
        decided_at=now,
    )
    insert(session, decision, f"decision on proposal {proposal_id}")
    set_proposal_status(session, proposal_id, spec.outcome)
    return decision


def decision_for(session: Session, proposal_id: int) -> Decision | None:
    return session.scalar(sa.select(Decision).where(Decision.proposal_id == proposal_id))
