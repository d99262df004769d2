"""Request and response bodies of the programs API (programs, calls, proposals, reviews,
decisions, projects). Requests are strict: an unknown field is a 422.

Credit amounts are read as JSON numbers or strings (at most 9 decimals) and written as
strings in plain notation (``"1500"``, ``"12.5"``) so no float ever carries them.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

from nacc.api.bounds import INT32_MAX, LIST_MAX, Flag, Id, Moment, Name, NulFree, Number, Text
from nacc.api.schemas import Strict
from nacc.domain.jobs import JobClass
from nacc.domain.programs import SCORE_MAX, SCORE_MIN, OrgKind, Sector


def _plain(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


CreditsOut = Annotated[Decimal, PlainSerializer(_plain, return_type=str, when_used="always")]
CREDITS = "^[0-9]{1,10}(\\.[0-9]{1,9})?$"
CREDITS_MAX = 10**9
"""At most a billion credits in one amount: SQLite holds credits as 64-bit nanocredits
(9.2e9 credits at most), PostgreSQL as numeric(24, 9)."""


def _credits_text(value: object) -> object:
    """A string must be plain notation (``"12.5"``); JSON numbers pass on to Decimal."""
    if isinstance(value, bool):
        raise PydanticCustomError("decimal_type", "a number of credits, not true/false")
    if isinstance(value, str) and not re.fullmatch(CREDITS, value):
        raise PydanticCustomError(
            "string_pattern_mismatch", "credits in plain notation, e.g. 1500 or 12.5",
            {"pattern": CREDITS},
        )  # fmt: skip
    return value


CreditsIn = Annotated[
    Decimal,
    Field(gt=0, le=CREDITS_MAX, max_digits=24, decimal_places=9),
    BeforeValidator(_credits_text),
    WithJsonSchema({"anyOf": [
        {"type": "number", "exclusiveMinimum": 0, "maximum": CREDITS_MAX},
        {"type": "string", "pattern": CREDITS},
    ]}),
]  # fmt: skip


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- programs and calls -------------------------------------------------------------------


class ProgramIn(Strict):
    name: Name
    description: Annotated[str, Field(max_length=10_000), NulFree] = ""


class ProgramOut(Out):
    id: int
    name: str
    description: str


class CriterionIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=100), NulFree]
    weight: Number = Field(gt=0, le=1000)


class CallIn(Strict):
    title: Annotated[str, Field(min_length=1, max_length=300), NulFree]
    opens_at: Moment
    closes_at: Moment
    review_opens_at: Moment
    review_closes_at: Moment
    budget_credits: CreditsIn
    eligible_org_kinds: list[OrgKind] = Field(
        default_factory=lambda: list(OrgKind), max_length=LIST_MAX,
        description="empty list: every kind",
    )  # fmt: skip
    sector_tags: list[Sector] = Field(
        default_factory=lambda: [Sector.GENERAL_RESEARCH], max_length=LIST_MAX
    )
    criteria: list[CriterionIn] = Field(min_length=1, max_length=20)
    min_score: Number = Field(ge=SCORE_MIN, le=SCORE_MAX)
    blind: Flag = False


class CallEditIn(Strict):
    """What an edit changes (``PATCH /calls/{id}``); a field left out stays as it is."""

    title: Annotated[str, Field(min_length=1, max_length=300), NulFree] | None = None
    opens_at: Moment | None = None
    closes_at: Moment | None = None
    review_opens_at: Moment | None = None
    review_closes_at: Moment | None = None
    budget_credits: CreditsIn | None = None
    eligible_org_kinds: list[OrgKind] | None = Field(default=None, min_length=1,
                                                     max_length=LIST_MAX)  # fmt: skip
    sector_tags: list[Sector] | None = Field(default=None, min_length=1, max_length=LIST_MAX)
    criteria: list[CriterionIn] | None = Field(default=None, min_length=1, max_length=20)
    min_score: Number | None = Field(default=None, ge=SCORE_MIN, le=SCORE_MAX)
    blind: Flag | None = None


class CallOut(Out):
    id: int
    program_id: int
    title: str
    opens_at: datetime
    closes_at: datetime
    review_opens_at: datetime
    review_closes_at: datetime
    budget_credits: CreditsOut
    budget_balance: CreditsOut = Field(description="what is left in the call's ledger account")
    eligible_org_kinds: list[str]
    sector_tags: list[str]
    criteria: list[dict[str, object]]
    min_score: float
    blind: bool
    decided: bool


# --- proposals and reviews ----------------------------------------------------------------


class ProposalIn(Strict):
    title: Annotated[str, Field(min_length=1, max_length=300), NulFree]
    abstract: Annotated[str, Field(min_length=1, max_length=20_000), NulFree]
    requested_credits: CreditsIn
    job_classes: list[JobClass] = Field(min_length=1, max_length=LIST_MAX)
    accelerator_types: list[Annotated[str, Field(min_length=1, max_length=64), NulFree]] | None = (
        Field(default=None, max_length=LIST_MAX, description="null: any type")
    )
    team: list[Id] = Field(
        default_factory=list, max_length=LIST_MAX, description="user ids besides the PI"
    )


class PersonOut(Out):
    id: int
    name: str


class DecisionOut(BaseModel):
    outcome: str
    awarded_credits: CreditsOut | None
    weighted_score: float | None
    override: bool
    reason: str = Field(description="why, in the request's language (Accept-Language)")
    reason_code: str | None = Field(
        default=None, description="the reason's code (docs/reasons.md); null before codes"
    )
    reason_params: dict[str, Any] | None = Field(default=None, description="its parameters")
    decided_at: datetime


class ProposalOut(Out):
    id: int
    call_id: int
    title: str
    abstract: str
    requested_credits: CreditsOut
    job_classes: list[str]
    accelerator_types: list[str] | None
    status: str
    submitted_at: datetime
    organisation_id: int | None = Field(description="null for a reviewer of a blind call")
    organisation_name: str | None
    pi: PersonOut | None
    team: list[PersonOut] | None
    reviews: int | None = Field(description="number of reviews (program officers only)")
    mean_score: float | None
    decision: DecisionOut | None


class ReviewerIn(Strict):
    user_id: Id


class ReviewerOut(BaseModel):
    call_id: int
    user_id: int
    granted: bool = Field(description="false when the user already was a reviewer of this call")


class ReviewIn(Strict):
    scores: dict[
        Annotated[str, Field(min_length=1, max_length=100), NulFree],
        Annotated[float, Field(ge=SCORE_MIN, le=SCORE_MAX, strict=True, allow_inf_nan=False)],
    ] = Field(max_length=20, description="one score per criterion, 0..10")
    comment: Text = ""


class ReviewOut(Out):
    id: int
    proposal_id: int
    reviewer_id: int
    scores: dict[str, float]
    weighted_score: float
    comment: str
    created_at: datetime


# --- decisions and projects ---------------------------------------------------------------


class OverrideIn(Strict):
    award: Flag
    reason: Annotated[str, Field(min_length=1, max_length=2000), NulFree]


class DecideIn(Strict):
    overrides: dict[Annotated[int, Field(ge=1, le=INT32_MAX)], OverrideIn] = Field(
        default_factory=dict, max_length=LIST_MAX,
        description="proposal id -> the officer's override and why",
    )  # fmt: skip
    valid_from: Moment | None = Field(default=None, description="default: now")
    valid_until: Moment | None = Field(default=None, description="default: +365 days")
    first_tranche: Decimal = Field(default=Decimal("0.5"), gt=0, le=1, decimal_places=6)


class DecisionResultOut(Out):
    proposal_id: int
    rank: int
    score: float | None
    awarded: bool
    amount: CreditsOut
    override: bool
    reason: str = Field(description="why, in the request's language (Accept-Language)")
    reason_code: str | None = Field(
        default=None, description="the reason's code (docs/reasons.md); null before codes"
    )
    reason_params: dict[str, Any] | None = Field(default=None, description="its parameters")
    project_id: int | None


class PreviewIn(Strict):
    overrides: dict[Annotated[int, Field(ge=1, le=INT32_MAX)], OverrideIn] = Field(
        default_factory=dict, max_length=LIST_MAX,
        description="proposal id -> the officer's override and why (as for a decision)",
    )  # fmt: skip


class PreviewOut(Out):
    """What deciding the call now would do; nothing is stored."""

    budget: CreditsOut
    awarded: CreditsOut = Field(description="the budget the decision would use")
    left: CreditsOut = Field(description="budget - awarded")
    decisions: list[DecisionResultOut] = Field(description="by rank; project_id is null")


class TrancheOut(Out):
    seq: int
    amount: CreditsOut
    release_condition: str
    released_at: datetime | None


class MemberOut(Out):
    user: PersonOut
    role: str


class ProjectOut(Out):
    id: int
    name: str
    proposal_id: int | None
    valid_from: datetime
    valid_until: datetime
    members: list[MemberOut]
    tranches: list[TrancheOut]
    awarded_credits: CreditsOut
    released_credits: CreditsOut
    balance: CreditsOut


class BalanceOut(Out):
    project_id: int
    balance: CreditsOut
    overdraft: CreditsOut
    released_credits: CreditsOut
    awarded_credits: CreditsOut
    committed_credits: CreditsOut = Field(
        description="held by the project's pending and running jobs (their estimates, "
        "less what they have been charged)"
    )
    available_credits: CreditsOut = Field(
        description="what a new job's estimate may be: balance + overdraft - committed"
    )


class ProgressReportIn(Strict):
    tranche: int | None = Field(
        default=None, ge=1, le=1000, strict=True,
        description="the tranche it unlocks; default: the next waiting",
    )  # fmt: skip


class ProgressReportOut(BaseModel):
    released: bool = Field(description="false when there was nothing (left) to release")
    project: ProjectOut
