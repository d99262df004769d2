"""Proposal teams by consent: the PI invites, the invitee accepts or declines."""

from __future__ import annotations

from fastapi import APIRouter, status

from nacc.api.bounds import IdPath
from nacc.api.deps import CallerDep, ServicesDep
from nacc.api.problems import LIST, READ, WRITE
from nacc.api.schemas_identity import InvitationIn, InvitationOut
from nacc.service import teams as use

router = APIRouter(tags=["teams"])


def _out(i: use.Invitation) -> InvitationOut:
    return InvitationOut(
        id=i.id, proposal_id=i.proposal_id, proposal_title=i.proposal_title,
        pi_name=i.pi_name, user_id=i.user_id, email=i.email,
        status=i.status,  # type: ignore[arg-type]  # one of the store's statuses
        created_at=i.created_at, answered_at=i.answered_at,
    )  # fmt: skip


@router.post(
    "/proposals/{proposal_id}/invitations", status_code=status.HTTP_201_CREATED, responses=WRITE
)
def invite(
    proposal_id: IdPath, body: InvitationIn, svc: ServicesDep, who: CallerDep
) -> InvitationOut:
    """The PI invites a user (by id) or an e-mail address to the team; nobody joins
    before accepting. A proposal the caller is not the PI of is not found."""
    return _out(use.invite(svc, who, proposal_id, body.user_id, body.email))


@router.get("/proposals/{proposal_id}/invitations", responses=READ)
def list_invitations(proposal_id: IdPath, svc: ServicesDep, who: CallerDep) -> list[InvitationOut]:
    """The PI and the call's officers: every invitation, as the PI gave it."""
    return [_out(i) for i in use.invitations_of(svc, who, proposal_id)]


@router.get("/me/invitations", responses=LIST)
def my_invitations(svc: ServicesDep, who: CallerDep) -> list[InvitationOut]:
    """Invitations addressed to the caller (by user id or by their e-mail)."""
    return [_out(i) for i in use.my_invitations(svc, who)]


@router.post("/invitations/{invitation_id}/accept", responses=WRITE)
def accept(invitation_id: IdPath, svc: ServicesDep, who: CallerDep) -> InvitationOut:
    """The invitee joins the team (and becomes a project member if it is awarded)."""
    return _out(use.answer(svc, who, invitation_id, accept=True))


@router.post("/invitations/{invitation_id}/decline", responses=WRITE)
def decline(invitation_id: IdPath, svc: ServicesDep, who: CallerDep) -> InvitationOut:
    return _out(use.answer(svc, who, invitation_id, accept=False))


@router.post("/invitations/{invitation_id}/withdraw", responses=WRITE)
def withdraw(invitation_id: IdPath, svc: ServicesDep, who: CallerDep) -> InvitationOut:
    """The PI takes back a pending invitation."""
    return _out(use.withdraw(svc, who, invitation_id))
