"""Bodies of the job routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from nacc.api.bounds import COMMAND_MAX, LIST_MAX, Flag, Name, NulFree
from nacc.api.schemas import Strict
from nacc.domain.datasets import NAME_PATTERN
from nacc.domain.jobs import JobClass
from nacc.domain.lifecycle import JobState
from nacc.domain.reasons import Param

AcceleratorType = Annotated[str, Field(min_length=1, max_length=64), NulFree]
DatasetName = Annotated[str, Field(min_length=1, max_length=64, pattern=NAME_PATTERN), NulFree]


class JobIn(Strict):
    command: Annotated[str, Field(min_length=1, max_length=COMMAND_MAX), NulFree] = Field(
        description="run with sh -c; at most 65,536 characters"
    )
    image: Annotated[str, Field(min_length=1, max_length=500), NulFree] | None = Field(
        default=None,
        description="container image; refused (422) by a fleet that runs local processes",
    )
    accelerators: int = Field(ge=1, le=4096, strict=True)
    accelerator_types: list[AcceleratorType] | None = Field(
        default=None, max_length=LIST_MAX, description="null = any type"
    )
    job_class: JobClass
    time_limit_s: int | None = Field(default=None, gt=0, le=60 * 86400, strict=True)
    gang: Flag = True
    idempotency_key: Name | None = None
    datasets: list[DatasetName] = Field(
        default_factory=list, max_length=20,
        description="catalog names of the datasets it uses (an approved access each); "
        "each path is in its environment as NACC_DATASET_<NAME>",
    )  # fmt: skip


class JobOut(BaseModel):
    id: str
    project_id: int
    state: JobState
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
