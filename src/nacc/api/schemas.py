"""Request and response bodies (separate from domain and table types)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

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
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(description="university | company | research_institute | public_agency")
    region: str = Field(min_length=1, max_length=100)
    capital_area: bool
    company_size: str | None = Field(default=None, description="startup | sme | large")


class OrganisationOut(BaseModel):
    id: int
    name: str
    kind: str
    region: str
    capital_area: bool
    company_size: str | None


class RoleIn(Strict):
    role: str = Field(description="operator | program_officer | reviewer | pi | member")
    scope: str = Field(default="", description="'' = everywhere, or e.g. 'project:3'")


class UserIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    organisation_id: int | None = None
    roles: list[RoleIn] = Field(default_factory=list)


class UserOut(BaseModel):
    id: int
    name: str
    email: str
    organisation_id: int | None
    roles: list[RoleIn]


class TokenIn(Strict):
    label: str = ""
    expires_in_s: int | None = Field(default=None, gt=0)


class TokenOut(BaseModel):
    id: int
    user_id: int
    token: str = Field(description="the secret: shown once, stored only as a hash")
    expires_at: str | None


class HealthOut(BaseModel):
    """``status`` is the API's own (it answers and reaches the database); ``scheduler``
    is the live scheduler's, from its heartbeat: ok, stale, or absent (never ran)."""

    status: str
    scheduler: str
    scheduler_beat_age_s: float | None = None
