"""Request and response bodies of identity and access: team invitations, tokens as
listed, the audit log, operators' health details."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from nacc.api.schemas import Strict


class InvitationIn(Strict):
    """Who to invite: a user id, or an e-mail address (exactly one)."""

    user_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    email: str | None = Field(default=None, min_length=3, max_length=320,
                              pattern=r"^[^@\s\x00]+@[^@\s\x00]+$")  # fmt: skip

    @model_validator(mode="after")
    def _one(self) -> InvitationIn:
        if (self.user_id is None) == (self.email is None):
            raise ValueError("give user_id or email, not both and not neither")
        return self


class InvitationOut(BaseModel):
    """As the PI gave it (a user id or an e-mail); never the name of someone who has not
    accepted."""

    id: int
    proposal_id: int
    proposal_title: str
    pi_name: str
    user_id: int | None
    email: str | None
    status: Literal["pending", "accepted", "declined", "withdrawn"]
    created_at: datetime
    answered_at: datetime | None


class TokenInfoOut(BaseModel):
    """A token as listed: never its secret or hash; ``prefix`` is the clear part."""

    id: int
    user_id: int
    label: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor_id: int | None
    action: str = Field(description="dotted name: role.grant, token.revoke, call.decide, ...")
    target: str = Field(description="what it acted on: user:7, token:3, call:2, ...")
    address: str = Field(description="the client address the request came from")
    details: dict[str, str | int | float | bool | None]


class BackendOut(BaseModel):
    """A dispatch backend at the scheduler's last beat: up, or down since ``since``."""

    name: str
    pools: list[str]
    up: bool
    since: datetime | None = None
    error: str = ""


class HealthDetailsOut(BaseModel):
    """Operators only: where the live scheduler runs and how busy it is."""

    status: str
    scheduler: str
    scheduler_beat_age_s: float | None = None
    scheduler_pid: int | None = None
    scheduler_host: str | None = None
    scheduler_started_at: datetime | None = None
    scheduler_step_s: float | None = None
    pending: int | None = None
    running: int | None = None
    backends: list[BackendOut] = Field(default_factory=list)
