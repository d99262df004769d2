"""Request and response bodies of the programs API (programs, calls, proposals, reviews,
decisions, projects). Requests are strict: an unknown field is a 422.

Credit amounts are read as JSON numbers or strings (at most 9 decimals) and written as
strings in plain notation (``"1500"``, ``"12.5"``) so no float ever carries them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer

from nacc.api.schemas import Strict
from nacc.domain.jobs import JobClass
from nacc.domain.programs import SCORE_MAX, SCORE_MIN, OrgKind, Sector


def _plain(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


CreditsOut = Annotated[Decimal, PlainSerializer(_plain, return_type=str, when_used="always")]
CreditsIn = Annotated[Decimal, Field(gt=0, max_digits=24, decimal_places=9)]


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- programs and calls -------------------------------------------------------------------


class ProgramIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10_000)


class ProgramOut(Out):
    id: int
    name: str
    description: str


class CriterionIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    weight: float = Field(gt=0, le=1000)


class CallIn(Strict):
    title: str = Field(min_length=1, max_length=300)
    opens_at: AwareDatetime
    closes_at: AwareDatetime
    review_opens_at: AwareDatetime
    review_closes_at: AwareDatetime
    budget_credits: CreditsIn
    eligible_org_kinds: list[OrgKind] = Field(
        default_factory=lambda: list(OrgKind), description="empty list: every kind"
    )
    sector_tags: list[Sector] = Field(default_factory=lambda: [Sector.GENERAL_RESEARCH])
    criteria: list[CriterionIn] = Field(min_length=1, max_length=20)
    min_score: float = Field(ge=SCORE_MIN, le=SCORE_MAX)
    blind: bool = False


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
    title: str = Field(min_length=1, max_length=300)
    abstract: str = Field(min_length=1, max_length=20_000)
    requested_credits: CreditsIn
    job_classes: list[JobClass] = Field(min_length=1)
    accelerator_types: list[str] | None = Field(default=None, description="null: any type")
    team: list[int] = Field(default_factory=list, description="user ids besides the PI")


class PersonOut(Out):
    id: int
    name: str


class DecisionOut(BaseModel):
    outcome: str
    awarded_credits: CreditsOut | None
    weighted_score: float | None
    override: bool
    reason: str
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
    user_id: int


class ReviewerOut(BaseModel):
    call_id: int
    user_id: int
    granted: bool = Field(description="false when the user already was a reviewer of this call")


class ReviewIn(Strict):
    scores: dict[str, float] = Field(description="one score per criterion, 0..10")
    comment: str = Field(default="", max_length=20_000)


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
    award: bool
    reason: str = Field(min_length=1, max_length=2000)


class DecideIn(Strict):
    overrides: dict[int, OverrideIn] = Field(
        default_factory=dict, description="proposal id -> the officer's override and why"
    )
    valid_from: AwareDatetime | None = Field(default=None, description="default: now")
    valid_until: AwareDatetime | None = Field(default=None, description="default: +365 days")
    first_tranche: Decimal = Field(default=Decimal("0.5"), gt=0, le=1, decimal_places=6)


class DecisionResultOut(Out):
    proposal_id: int
    rank: int
    score: float | None
    awarded: bool
    amount: CreditsOut
    override: bool
    reason: str
    project_id: int | None


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
        default=None, ge=1, description="the tranche it unlocks; default: the next waiting"
    )


class ProgressReportOut(BaseModel):
    released: bool = Field(description="false when there was nothing (left) to release")
    project: ProjectOut
