"""Request and response bodies of the challenge routes (``nacc.api.routes.challenges``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from nacc.api.bounds import COMMAND_MAX, LIST_MAX, Id, Moment, Name, NulFree
from nacc.api.schemas import Strict
from nacc.api.schemas_programs import CreditsOut

Slug = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Path = Annotated[str, Field(min_length=1, max_length=1000), NulFree]
Ref = Annotated[str, Field(min_length=1, max_length=1000), NulFree]


class PhaseIn(Strict):
    name: Slug
    starts_at: Moment
    ends_at: Moment


class MetricIn(Strict):
    name: Slug
    direction: Literal["max", "min"]


class ChallengeSettings(Strict):
    """What an officer sets and may edit later (PUT takes these)."""

    title: Name
    phases: list[PhaseIn] = Field(min_length=1, max_length=16)
    metrics: list[MetricIn] = Field(min_length=1, max_length=LIST_MAX)
    primary_metric: Slug
    command: Annotated[str, Field(min_length=1, max_length=COMMAND_MAX), NulFree] = Field(
        description="run by sh -c on the fleet; reads NACC_TEST_DATA and NACC_MODEL_REF, "
        "writes NACC_METRICS_FILE"
    )
    test_data: Path = Field(description="hidden test data: an absolute path on the service host")
    per_day: int = Field(ge=1, le=1000, strict=True, description="entries per team per day")
    total: int = Field(ge=1, le=100_000, strict=True, description="entries per team in all")
    reset_time: str = Field(
        default="00:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
        description="the local time the daily quota resets (HH:MM in reset_zone)",
    )  # fmt: skip
    reset_zone: Annotated[str, Field(min_length=1, max_length=64), NulFree] = "Asia/Seoul"
    public_fraction: float = Field(default=0.3, gt=0, lt=1, strict=True, allow_inf_nan=False)
    rule: Literal["best", "last"] = "best"
    accelerators: int = Field(default=1, ge=1, le=64, strict=True)
    accelerator_types: list[Annotated[str, Field(min_length=1, max_length=64), NulFree]] | None = (
        Field(default=None, max_length=LIST_MAX, description="null: any that runs inference")
    )
    time_limit_s: int = Field(default=600, ge=1, le=7 * 86400, strict=True)


class ChallengeIn(ChallengeSettings):
    program_id: Id
    name: Slug
    budget_credits: Annotated[float, Field(ge=0, le=10**9, strict=True, allow_inf_nan=False)] = (
        Field(description="credits for evaluations, from the program")
    )


class PhaseOut(BaseModel):
    name: str
    starts_at: datetime
    ends_at: datetime


class MetricOut(BaseModel):
    name: str
    direction: str


class ChallengeOut(BaseModel):
    """A challenge as anyone may see it (no command, no test data)."""

    id: int
    name: str
    title: str
    program_id: int
    phases: list[PhaseOut]
    metrics: list[MetricOut]
    primary_metric: str
    per_day: int
    total: int
    reset_time: str
    reset_zone: str
    public_fraction: float
    rule: str


class ChallengeSetupOut(ChallengeOut):
    """A challenge as its officers see it."""

    command: str
    test_data: str
    accelerators: int
    accelerator_types: list[str] | None
    time_limit_s: int
    project_id: int = Field(description="the evaluation project: its jobs are the evaluations")
    budget_balance: CreditsOut


class EntryIn(Strict):
    project_id: Id = Field(description="the team")
    model_ref: Ref = Field(description="the model or checkpoint to evaluate")


class DisqualifyIn(Strict):
    reason: Annotated[str, Field(min_length=1, max_length=1000), NulFree]


class EntryOut(BaseModel):
    id: int
    challenge_id: int
    phase: str
    project_id: int
    model_ref: str
    state: str
    attempt: int
    submitted_at: datetime
    finished_at: datetime | None
    public: dict[str, float] | None
    private: dict[str, float] | None = Field(description="null until the phase closes")
    reason_code: str | None
    reason_params: dict[str, str | int | float | bool] | None
    reason: str | None
    disqualified_at: datetime | None
    disqualified_reason: str | None
    job_id: str | None = Field(description="officers only")


class QuotaOut(BaseModel):
    per_day: int
    used_today: int
    total: int
    used_total: int
    resets_at: datetime


class BoardRowOut(BaseModel):
    rank: int
    team: int
    team_name: str
    entry_id: int
    submitted_at: datetime
    score: float
    metrics: dict[str, float]
    public: dict[str, float] | None
    private: dict[str, float] | None


class BoardOut(BaseModel):
    challenge_id: int
    name: str
    title: str
    phase: str
    phase_starts_at: datetime
    phase_ends_at: datetime
    closed: bool
    split: str = Field(description="public while the phase is open; private after")
    primary_metric: str
    direction: str
    rule: str
    rows: list[BoardRowOut]
