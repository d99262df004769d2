"""Request and response bodies (separate from domain and table types)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from nacc.api.bounds import (
    LABEL_MAX,
    LIST_MAX,
    TOKEN_LIFETIME_MAX_S,
    Flag,
    Id,
    Label,
    Name,
    NulFree,
)
from nacc.domain.programs import CompanySize, OrgKind, Role

T = TypeVar("T")
R = TypeVar("R")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


def page_of(
    items: Sequence[R], total: int, limit: int, offset: int, convert: Callable[[R], T]
) -> PageOut[T]:
    return PageOut[T](items=[convert(i) for i in items], total=total, limit=limit, offset=offset)


class OrganisationIn(Strict):
    name: Name
    kind: OrgKind
    region: Annotated[str, Field(min_length=1, max_length=100), NulFree]
    capital_area: Flag
    company_size: CompanySize | None = None


class OrganisationOut(BaseModel):
    id: int
    name: str
    kind: str
    region: str
    capital_area: bool
    company_size: str | None


SCOPE = "^$|^(project|call|program):[1-9][0-9]{0,9}$"


class RoleIn(Strict):
    role: Role
    scope: str = Field(
        default="", max_length=LABEL_MAX, pattern=SCOPE,
        description="'' = everywhere, or project:<id>, call:<id>, program:<id>",
    )  # fmt: skip


class RoleOut(BaseModel):
    role: Role
    scope: str


class UserIn(Strict):
    name: Name
    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s\x00]+@[^@\s\x00]+$")
    organisation_id: Id | None = None
    roles: list[RoleIn] = Field(default_factory=list, max_length=LIST_MAX)


class UserOut(BaseModel):
    id: int
    name: str
    email: str
    organisation_id: int | None
    roles: list[RoleOut]


class TokenIn(Strict):
    label: Label = ""
    expires_in_s: int | None = Field(
        default=None, gt=0, le=TOKEN_LIFETIME_MAX_S, strict=True,
        description="seconds; at most ten years; null: never expires",
    )  # fmt: skip


class TokenOut(BaseModel):
    id: int
    user_id: int
    token: str = Field(description="the secret: shown once, stored only as a hash")
    expires_at: str | None


class HealthOut(BaseModel):
    """``status`` is the API's own (it answers and reaches the database); ``scheduler``
    is the live scheduler's, from its heartbeat: ok, stale, or absent (never ran)."""

    status: Literal["ok"]
    scheduler: Literal["ok", "stale", "absent"]
    scheduler_beat_age_s: float | None = None
    backends_down: int = Field(
        default=0,
        description="dispatch backends down at the "
        "scheduler's last beat (failover); /healthz/details names them",
    )
