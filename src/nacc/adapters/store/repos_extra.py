"""Queries the programs service needs beyond the other repository modules.

Visibility-filtered proposal lists, a call's decisions, and a row lock on a call so two
concurrent decisions on one call are serialised.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nacc.adapters.store.repos import Page, fetch_page
from nacc.adapters.store.tables import Call, Decision, Proposal, ProposalMember, Review


def lock_call(session: Session, call_id: int) -> Call | None:
    """The call, locked for the rest of the transaction (``FOR UPDATE`` on PostgreSQL;
    SQLite transactions are already serial)."""
    stmt = sa.select(Call).where(Call.id == call_id).with_for_update()
    return session.scalar(stmt)


def proposals_of_member(
    session: Session, call_id: int, user_id: int, limit: int = 100, offset: int = 0
) -> Page[Proposal]:
    """The call's proposals whose team includes ``user_id`` (the PI is always in it)."""
    team = sa.select(ProposalMember.proposal_id).where(ProposalMember.user_id == user_id)
    query = sa.select(Proposal).where(Proposal.call_id == call_id, Proposal.id.in_(team))
    return fetch_page(session, query, [Proposal.id], limit, offset)


def decisions_of_call(session: Session, call_id: int) -> list[Decision]:
    """Every decision recorded on the call's proposals, by proposal id."""
    stmt = (
        sa.select(Decision)
        .join(Proposal, Proposal.id == Decision.proposal_id)
        .where(Proposal.call_id == call_id)
        .order_by(Decision.proposal_id)
    )
    return list(session.scalars(stmt))


def review_by(session: Session, proposal_id: int, reviewer_id: int) -> Review | None:
    stmt = sa.select(Review).where(
        Review.proposal_id == proposal_id, Review.reviewer_id == reviewer_id
    )
    return session.scalar(stmt)
