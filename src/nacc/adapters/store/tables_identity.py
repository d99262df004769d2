"""Tables of team invitations and the audit log (revision 0006), beside ``tables``.

Imported at the end of ``nacc.adapters.store.tables`` so ``Base.metadata`` holds them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from nacc.adapters.store.tables import Base, _fk, one_of
from nacc.adapters.store.types import json_doc
from nacc.ports.store_identity_data import INVITATION_STATUSES


class TeamInvitation(Base):
    """An invitation to a proposal's team, by user id or by e-mail (exactly one)."""

    __tablename__ = "team_invitations"
    __table_args__ = (
        sa.CheckConstraint(one_of("status", INVITATION_STATUSES), name="status"),
        sa.CheckConstraint("user_id IS NOT NULL OR email IS NOT NULL", name="invitee"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = _fk("proposals.id")
    user_id: Mapped[int | None] = _fk("users.id", nullable=True)
    email: Mapped[str | None] = mapped_column(sa.String(320), index=True)
    invited_by: Mapped[int] = _fk("users.id", index=False)
    status: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]


class AuditRecord(Base):
    """One privileged action: who (``actor_id``), what, on what, when, from where."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = _fk("users.id", nullable=True)
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    target: Mapped[str] = mapped_column(sa.String(200))
    address: Mapped[str] = mapped_column(sa.String(64), default="", server_default="")
    details: Mapped[dict[str, Any]] = mapped_column(json_doc())


class AuthGeneration(Base):
    """One row (``id`` 1) whose ``generation`` grows with every commit that changes roles
    or revokes a token (revision 0007): every API process compares it, once a request,
    with what its cache of callers was filled under."""

    __tablename__ = "auth_generation"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
