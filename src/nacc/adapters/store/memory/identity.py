"""In-memory team invitations and audit log (``nacc.ports.store_identity_data``), with
the same checks and errors as ``nacc.adapters.store.sql_identity``; ``MemPeople`` and
``MemPrograms`` delegate here."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from nacc.ports.pages import Conflict, InvalidReference, Page, check_page
from nacc.ports.store_identity_data import (
    AuditEntry,
    AuditView,
    InvitationView,
    check_answer,
    check_audit,
    check_invitee,
)

if TYPE_CHECKING:
    from nacc.adapters.store.memory.people import PeopleTables

MISSING = "refers to something that does not exist"


@dataclass
class IdentityTables:
    invitations: dict[int, InvitationView] = field(default_factory=dict)
    audit: list[AuditView] = field(default_factory=list)  # by id


def invite(
    t: PeopleTables, proposal_id: int, invited_by: int, now: datetime,
    user_id: int | None, email: str | None,
) -> InvitationView:  # fmt: skip
    email = check_invitee(user_id, email)
    what = f"invitation to proposal {proposal_id}"
    known = proposal_id in t.proposals and invited_by in t.users
    if not known or (user_id is not None and user_id not in t.users):
        raise InvalidReference(what, MISSING)
    for i in t.identity.invitations.values():
        same = i.user_id == user_id if user_id is not None else i.email == email
        if i.proposal_id == proposal_id and i.status == "pending" and same:
            raise Conflict(what, "already exists")
    row = InvitationView(len(t.identity.invitations) + 1, proposal_id, user_id, email,
                         invited_by, "pending", now, None)  # fmt: skip
    t.identity.invitations[row.id] = row
    return row


def invitations_for(t: PeopleTables, user_id: int, email: str) -> list[InvitationView]:
    email = email.strip().lower()
    return [i for i in t.identity.invitations.values()
            if i.user_id == user_id or (i.user_id is None and i.email == email)]  # fmt: skip


def answer(
    t: PeopleTables, invitation_id: int, status: str, now: datetime, user_id: int | None
) -> InvitationView:
    check_answer(status)
    row = t.identity.invitations.get(invitation_id)
    what = f"invitation {invitation_id}"
    if row is None or (user_id is not None and user_id not in t.users):
        raise InvalidReference(what, MISSING)
    if row.status != "pending":
        raise Conflict(what, f"is already {row.status}")
    invitee = user_id if status != "withdrawn" and user_id is not None else row.user_id
    row = replace(row, status=status, answered_at=now, user_id=invitee)
    t.identity.invitations[row.id] = row
    if status == "accepted":
        assert invitee is not None, "an accepted invitation names its user"
        team = t.teams.setdefault(row.proposal_id, [])
        if invitee not in team:
            team[:] = sorted([*team, invitee])
    return row


def record_audit(t: PeopleTables, entry: AuditEntry) -> AuditView:
    check_audit(entry)
    if entry.actor_id is not None and entry.actor_id not in t.users:
        raise InvalidReference(f"audit entry {entry.action!r}", MISSING)
    row = AuditView(len(t.identity.audit) + 1, entry.actor_id, entry.action, entry.target,
                    entry.at, entry.address[:64], dict(entry.details))  # fmt: skip
    t.identity.audit.append(row)
    return row


def audit_log(
    t: PeopleTables, limit: int, offset: int, actor_id: int | None, action: str | None
) -> Page[AuditView]:
    check_page(limit, offset)
    rows = [a for a in reversed(t.identity.audit)
            if (actor_id is None or a.actor_id == actor_id)
            and (action is None or a.action == action)]  # fmt: skip
    return Page(rows[offset : offset + limit], len(rows), limit, offset)
