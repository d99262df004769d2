"""Bodies of the job routes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from nacc.api.schemas import Strict
from nacc.domain.reasons import Param


class JobIn(Strict):
    command: str = Field(min_length=1, max_length=10_000, description="run with sh -c")
    image: str | None = Field(
        default=None,
        description="container image; refused (422) by a fleet that runs local processes",
    )
    accelerators: int = Field(ge=1, le=4096)
    accelerator_types: list[str] | None = Field(default=None, description="null = any type")
    job_class: str = Field(description="llm-pretraining | fine-tuning | inference | ...")
    time_limit_s: int | None = Field(default=None, gt=0, le=60 * 86400)
    gang: bool = True
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)

    @field_validator("command")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        if "\x00" in value:  # no process can run it, and PostgreSQL cannot store it
            raise ValueError("a command cannot contain a NUL byte")
        return value


class JobOut(BaseModel):
    id: str
    project_id: int
    state: str
    reason: str = Field(description="why it waits or ended, in the request's language")
    reason_code: str | None = Field(
        default=None, description="the reason's stable code (docs/reasons.md); null: text only"
    )
    reason_params: dict[str, Param] | None = Field(
        default=None, description="the code's parameters"
    )
    command: str
    accelerators: int
    accelerator_types: list[str] | None
    job_class: str
    time_limit_s: int | None
    pool_id: str | None
    device_ids: list[str] | None
    submitted_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    exit_code: int | None
    expected_start: datetime | None = None
