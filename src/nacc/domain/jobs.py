"""Job classes and the immutable job request."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from nacc.domain.ids import JobId


class JobClass(StrEnum):
    """Workload classes the throughput model distinguishes."""

    PRETRAIN = "llm-pretraining"
    FINETUNE = "fine-tuning"
    INFERENCE = "inference"
    VISION = "vision-training"
    RECOMMENDATION = "recommendation"
    EVALUATION = "evaluation"


@dataclass(frozen=True, slots=True)
class JobSpec:
    """What a user asked for. Immutable; the engine keeps the mutable state.

    ``work`` is in the units of the throughput model: for a trace job measured on
    ``reference_type`` it is seconds on that hardware at the requested size; for a job
    naming a measured ``workload`` (e.g. a Gavel job type) it is steps.
    """

    id: JobId
    submit_s: float
    accelerators: int
    job_class: JobClass
    work: float
    project: str
    program: str = "default"
    time_limit_s: float | None = None
    allowed_types: frozenset[str] | None = None
    gang: bool = True
    workload: str | None = None
    reference_type: str | None = None
    priority_weight: float = 1.0
    domestic_only: bool = False  # it uses domestic-only data: pools at domestic sites only
    data_sites: frozenset[str] = frozenset()  # sites holding its data (placement prefers)

    def at(self, submit_s: float) -> JobSpec:
        """The same request submitted at another time (load scaling); faster than
        ``dataclasses.replace`` on the simulator's hot path."""
        return JobSpec(
            self.id, submit_s, self.accelerators, self.job_class, self.work, self.project,
            self.program, self.time_limit_s, self.allowed_types, self.gang, self.workload,
            self.reference_type, self.priority_weight, self.domestic_only, self.data_sites,
        )  # fmt: skip

    def allows(self, accel_type: str) -> bool:
        """Whether the user accepts this accelerator type."""
        return self.allowed_types is None or accel_type in self.allowed_types
