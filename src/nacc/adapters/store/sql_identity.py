"""SQL side of team invitations and the audit log (``nacc.ports.store_identity_data``);
``SqlPeople`` and ``SqlPrograms`` delegate here, and only views leave."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nacc.adapters.store.repos import Page, fetch_page, insert
from nacc.adapters.store.tables import Proposal, ProposalMember, User
from nacc.adapters.store.tables_identity import AuditRecord, TeamInvitation
from nacc.ports.pages import Conflict, InvalidReference
from nacc.ports.store_identity_data import (
    AuditEntry,
    AuditView,
    InvitationView,
    check_answer,
    check_audit,
    check_invitee,
)


def invitation_view(i: TeamInvitation) -> InvitationView:
    return InvitationView(i.id, i.proposal_id, i.user_id, i.email, i.invited_by, i.status,
                          i.created_at, i.answered_at)  # fmt: skip


def audit_view(a: AuditRecord) -> AuditView:
    return AuditView(a.id, a.actor_id, a.action, a.target, a.at, a.address, dict(a.details))


def invite(
    session: Session, proposal_id: int, invited_by: int, now: datetime,
    user_id: int | None, email: str | None,
) -> InvitationView:  # fmt: skip
    email = check_invitee(user_id, email)
    what = f"invitation to proposal {proposal_id}"
    if session.get(Proposal, proposal_id) is None:
        raise InvalidReference(what, "refers to something that does not exist")
    pending = sa.select(TeamInvitation.id).where(
        TeamInvitation.proposal_id == proposal_id, TeamInvitation.status == "pending",
        TeamInvitation.user_id == user_id if user_id is not None
        else TeamInvitation.email == email,
    )  # fmt: skip
    if session.execute(pending).first() is not None:
        raise Conflict(what, "already exists")
    row = TeamInvitation(proposal_id=proposal_id, user_id=user_id, email=email,
                         invited_by=invited_by, status="pending", created_at=now)  # fmt: skip
    return invitation_view(insert(session, row, what))


def get_invitation(session: Session, invitation_id: int) -> InvitationView | None:
    row = session.get(TeamInvitation, invitation_id)
    return None if row is None else invitation_view(row)


def invitations_of_proposal(session: Session, proposal_id: int) -> list[InvitationView]:
    stmt = (sa.select(TeamInvitation).where(TeamInvitation.proposal_id == proposal_id)
            .order_by(TeamInvitation.id))  # fmt: skip
    return [invitation_view(r) for r in session.scalars(stmt)]


def invitations_for(session: Session, user_id: int, email: str) -> list[InvitationView]:
    who = sa.or_(TeamInvitation.user_id == user_id,
                 sa.and_(TeamInvitation.user_id.is_(None),
                         TeamInvitation.email == email.strip().lower()))  # fmt: skip
    stmt = sa.select(TeamInvitation).where(who).order_by(TeamInvitation.id)
    return [invitation_view(r) for r in session.scalars(stmt)]


def answer_invitation(
    session: Session, invitation_id: int, status: str, now: datetime, user_id: int | None
) -> InvitationView:
    check_answer(status)
    row = session.get(TeamInvitation, invitation_id, with_for_update=True)
    what = f"invitation {invitation_id}"
    if row is None:
        raise InvalidReference(what, "refers to something that does not exist")
    if row.status != "pending":
        raise Conflict(what, f"is already {row.status}")
    if user_id is not None and session.get(User, user_id) is None:
        raise InvalidReference(what, "refers to something that does not exist")
    row.status, row.answered_at = status, now
    if status != "withdrawn" and user_id is not None:
        row.user_id = user_id
    if status == "accepted":
        assert row.user_id is not None, "an accepted invitation names its user"
        key = (row.proposal_id, row.user_id)
        if session.get(ProposalMember, key) is None:
            insert(session, ProposalMember(proposal_id=key[0], user_id=key[1]),
                   f"proposal member {key[1]}")  # fmt: skip
    session.flush()
    return invitation_view(row)


def record_audit(session: Session, entry: AuditEntry) -> AuditView:
    check_audit(entry)
    row = AuditRecord(at=entry.at, actor_id=entry.actor_id, action=entry.action,
                      target=entry.target, address=entry.address[:64],
                      details=dict(entry.details))  # fmt: skip
    return audit_view(insert(session, row, f"audit entry {entry.action!r}"))


def audit_log(
    session: Session, limit: int, offset: int, actor_id: int | None, action: str | None
) -> Page[AuditView]:
    stmt = sa.select(AuditRecord)
    if actor_id is not None:
        stmt = stmt.where(AuditRecord.actor_id == actor_id)
    if action is not None:
        stmt = stmt.where(AuditRecord.action == action)
    page = fetch_page(session, stmt, [AuditRecord.id.desc()], limit, offset)
    return Page([audit_view(r) for r in page.items], page.total, page.limit, page.offset)
