"""Store port, identity side: team invitations and the audit log (views and what callers
state; re-exported by ``nacc.ports.store_people``).

An invitation asks one person to join a proposal's team: named by user id, or by e-mail
(then it waits for whoever holds that address, now or later). It is ``pending`` until the
invitee accepts (they join the team: ``ProgramsRepo.proposal_member_ids``) or declines,
or the PI withdraws it. The audit log keeps who did which privileged action, when and
from which address; rows are only appended.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from nacc.domain.errors import InputError

INVITATION_STATUSES = ("pending", "accepted", "declined", "withdrawn")
ANSWERS = ("accepted", "declined", "withdrawn")


@dataclass(frozen=True, slots=True)
class InvitationView:
    """``user_id`` is None for an invitation by e-mail nobody has answered yet;
    ``email`` is None for an invitation by user id."""

    id: int
    proposal_id: int
    user_id: int | None
    email: str | None
    invited_by: int
    status: str
    created_at: datetime
    answered_at: datetime | None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One privileged action: ``action`` is a dotted name (``token.revoke``), ``target``
    what it acted on (``user:7``), ``details`` plain values."""

    actor_id: int | None
    action: str
    target: str
    at: datetime
    address: str = ""
    details: Mapping[str, str | int | float | bool | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuditView:
    id: int
    actor_id: int | None
    action: str
    target: str
    at: datetime
    address: str
    details: Mapping[str, str | int | float | bool | None]


def check_answer(status: str) -> None:
    if status not in ANSWERS:
        raise InputError("invitation.status", f"{status!r} not among {', '.join(ANSWERS)}")


def check_invitee(user_id: int | None, email: str | None) -> str | None:
    """The e-mail as kept (trimmed, lower-cased); exactly one of the two is given."""
    if (user_id is None) == (email is None or not email.strip()):
        raise InputError("invitation", "name the invitee by user_id or by email (one of them)")
    return None if email is None else email.strip().lower()


def check_audit(entry: AuditEntry) -> None:
    if not entry.action or len(entry.action) > 64:
        raise InputError("audit.action", "expected a name of 1 to 64 characters")
    if len(entry.target) > 200:
        raise InputError("audit.target", "expected at most 200 characters")
