"""Proposal teams: the PI invites, the invitee accepts or declines; and the conflict of
interest a team makes for a reviewer.

Nobody joins a team without consent: the PI invites a user by id or by e-mail (an
e-mail waits for whoever holds it), and only an accepted invitation makes a member (who
becomes a project member on award). Until then the invitee is not on the team, so a PI
cannot conflict a reviewer out by naming them; a reviewer who has already reviewed the
proposal may not join it. Teams change while the call takes proposals (invitations) and
until the proposal is decided (answers).

Who sees what: the PI and the call's officers see the proposal's invitations as the PI
gave them (a user id or an e-mail, never a name of someone who has not accepted); an
invitee sees their own invitations with the proposal's title and PI. Anyone else is told
the invitation or proposal is not found. Every invitation, answer and withdrawal is in
the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from nacc.domain.errors import Conflict, Forbidden, InputError, NotFound
from nacc.domain.programs import conflict_of_interest
from nacc.domain.reasons import Code
from nacc.ports.pages import Conflict as DuplicateRow
from nacc.ports.store import UnitOfWork
from nacc.ports.store_people import CallView, InvitationView, ProposalView
from nacc.service import audit
from nacc.service.auth import Principal
from nacc.service.context import Services
from nacc.service.programs import OFFICERS, find_proposal, officer_scope
from nacc.service.proposal_views import find_call, person


@dataclass(frozen=True, slots=True)
class Invitation:
    """An invitation as its PI, officer or invitee may see it."""

    id: int
    proposal_id: int
    proposal_title: str
    pi_name: str
    user_id: int | None
    email: str | None
    status: str
    created_at: datetime
    answered_at: datetime | None


def invite(
    svc: Services, who: Principal, proposal_id: int, user_id: int | None, email: str | None
) -> Invitation:
    """The PI invites someone to the team while the call takes proposals."""
    now = svc.clock()
    with svc.unit() as uow:
        p, call = _as_pi(uow, who, proposal_id)
        _check_open(uow, p, call, now, inviting=True)
        if user_id is not None:
            if uow.people.get_user(user_id) is None:
                raise InputError("user_id", f"no user with id {user_id}")
            if user_id in uow.programs.proposal_member_ids(p.id):
                raise Conflict(f"user {user_id} is already on proposal {p.id}'s team",
                               code=Code.TEAM_ALREADY_MEMBER,
                               params={"user": user_id, "proposal": p.id})  # fmt: skip
        row = _invite(uow, p, who, now, user_id, email)
        audit.record(uow, who, now, "team.invite", f"proposal:{p.id}", invitation=row.id,
                     user_id=user_id, email=row.email)  # fmt: skip
        return _view(uow, row, p)


def _invite(uow: UnitOfWork, p: ProposalView, who: Principal, now: datetime,
            user_id: int | None, email: str | None) -> InvitationView:  # fmt: skip
    try:
        return uow.programs.invite(p.id, who.user_id, now, user_id=user_id, email=email)
    except DuplicateRow as error:
        raise Conflict(
            f"this person already has a pending invitation to proposal {p.id}",
            code=Code.TEAM_ALREADY_INVITED,
            params={"proposal": p.id},
        ) from error


def invitations_of(svc: Services, who: Principal, proposal_id: int) -> list[Invitation]:
    """The PI and the call's officers: every invitation of the proposal."""
    with svc.unit() as uow:
        p = find_proposal(uow, proposal_id)
        call = find_call(uow, p.call_id)
        if who.user_id != p.pi_user_id and not _is_officer(who, call):
            raise NotFound("proposal", proposal_id)
        return [_view(uow, i, p) for i in uow.programs.invitations_of_proposal(p.id)]


def my_invitations(svc: Services, who: Principal) -> list[Invitation]:
    """Invitations addressed to the caller (by user id or by their e-mail)."""
    with svc.unit() as uow:
        me = uow.people.get_user(who.user_id)
        email = me.email if me is not None else ""
        rows = uow.programs.invitations_for(who.user_id, email)
        return [_view(uow, i, find_proposal(uow, i.proposal_id)) for i in rows]


def answer(svc: Services, who: Principal, invitation_id: int, accept: bool) -> Invitation:
    """The invitee accepts (joins the team) or declines, until the proposal is decided."""
    now = svc.clock()
    with svc.unit() as uow:
        row = _addressed_to(uow, who, invitation_id)
        p = find_proposal(uow, row.proposal_id)
        _check_pending(row)
        if accept:
            _check_open(uow, p, find_call(uow, p.call_id), now, inviting=False)
            if uow.programs.review_by(p.id, who.user_id) is not None:
                raise Conflict(f"{who.name} has reviewed proposal {p.id} and may not join its "
                               "team", code=Code.INVITEE_REVIEWED,
                               params={"name": who.name, "proposal": p.id})  # fmt: skip
        status = "accepted" if accept else "declined"
        done = uow.programs.answer_invitation(row.id, status, now, user_id=who.user_id)
        audit.record(uow, who, now, f"team.{'accept' if accept else 'decline'}",
                     f"proposal:{p.id}", invitation=row.id)  # fmt: skip
        return _view(uow, done, p)


def withdraw(svc: Services, who: Principal, invitation_id: int) -> Invitation:
    """The PI takes back a pending invitation."""
    now = svc.clock()
    with svc.unit() as uow:
        row = uow.programs.get_invitation(invitation_id)
        p = None if row is None else find_proposal(uow, row.proposal_id)
        if row is None or p is None or p.pi_user_id != who.user_id:
            raise NotFound("invitation", invitation_id)
        _check_pending(row)
        done = uow.programs.answer_invitation(row.id, "withdrawn", now)
        audit.record(uow, who, now, "team.withdraw", f"proposal:{p.id}", invitation=row.id)
        return _view(uow, done, p)


def check_conflict_of_interest(
    uow: UnitOfWork, who: Principal, p: ProposalView, call: CallView
) -> None:
    """Refuse a reviewer in conflict; on a blind call without saying why (the reason would
    tell the reviewer who applied: their own organisation, or a team they are on)."""
    team = [str(u) for u in uow.programs.proposal_member_ids(p.id)]
    reviewer_org = "" if who.organisation_id is None else str(who.organisation_id)
    why = conflict_of_interest(str(who.user_id), reviewer_org, str(p.organisation_id), team)
    if why is None:
        return
    params = {"name": who.name, "proposal": p.id}
    if call.blind:
        raise Forbidden(f"conflict of interest; {who.name} may not review proposal {p.id}",
                        code=Code.CONFLICT_OF_INTEREST_BLIND, params=params)  # fmt: skip
    on_team = str(who.user_id) in team
    code = Code.CONFLICT_OF_INTEREST_TEAM if on_team else Code.CONFLICT_OF_INTEREST_ORG
    raise Forbidden(f"conflict of interest: {why}; {who.name} may not review proposal {p.id}",
                    code=code, params=params)  # fmt: skip


# --- helpers ------------------------------------------------------------------------------


def _as_pi(uow: UnitOfWork, who: Principal, proposal_id: int) -> tuple[ProposalView, CallView]:
    p = find_proposal(uow, proposal_id)
    if p.pi_user_id != who.user_id:
        raise NotFound("proposal", proposal_id)  # only its PI invites; others need not know
    return p, find_call(uow, p.call_id)


def _addressed_to(uow: UnitOfWork, who: Principal, invitation_id: int) -> InvitationView:
    me = uow.people.get_user(who.user_id)
    row = uow.programs.get_invitation(invitation_id)
    mine = row is not None and (
        row.user_id == who.user_id
        or (row.user_id is None and me is not None and row.email == me.email)
    )
    if row is None or not mine:
        raise NotFound("invitation", invitation_id)
    return row


def _check_pending(row: InvitationView) -> None:
    if row.status != "pending":
        raise Conflict(f"invitation {row.id} is already {row.status}",
                       code=Code.INVITATION_ANSWERED,
                       params={"invitation": row.id, "state": row.status})  # fmt: skip


def _check_open(uow: UnitOfWork, p: ProposalView, call: CallView, now: datetime, *,
                inviting: bool) -> None:  # fmt: skip
    closed = uow.programs.decision_for(p.id) is not None or (inviting and now >= call.closes_at)
    if closed:
        raise Conflict(f"proposal {p.id}'s team can no longer change: its call takes no more "
                       "proposals, or it is decided", code=Code.TEAM_CLOSED,
                       params={"proposal": p.id})  # fmt: skip


def _is_officer(who: Principal, call: CallView) -> bool:
    return any(who.has(r, officer_scope(call.program_id)) for r in OFFICERS)


def _view(uow: UnitOfWork, i: InvitationView, p: ProposalView) -> Invitation:
    return Invitation(i.id, p.id, p.title, person(uow, p.pi_user_id).name, i.user_id, i.email,
                      i.status, i.created_at, i.answered_at)  # fmt: skip
