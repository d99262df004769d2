"""Test doubles for the pure core: a table-driven rate model and an event recorder.

These stand in for the catalog's throughput model where a test needs rates it can
compute by hand; the real model is tested in tests/unit/catalog.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nacc.domain.events import JobEvent
from nacc.domain.ids import JobId, PoolId
from nacc.domain.jobs import JobClass, JobSpec
from nacc.domain.pools import Pool


@dataclass
class TableRates:
    """speed[type] relative to the reference; classes in ``npu_only`` run only on NPUs."""

    speed: dict[str, float]
    inference_only: frozenset[str] = frozenset()

    def rate(self, spec: JobSpec, accel_type: str) -> float | None:
        if not spec.allows(accel_type) or accel_type not in self.speed:
            return None
        if accel_type in self.inference_only and spec.job_class is not JobClass.INFERENCE:
            return None
        return self.speed[accel_type]

    def credit_rate(self, spec: JobSpec, accel_type: str) -> float | None:
        return self.rate(spec, accel_type)


@dataclass
class Recorder:
    events: list[JobEvent] = field(default_factory=list)

    def emit(self, event: JobEvent) -> None:
        self.events.append(event)


def pool(pid: str, accel: str, count: int, domestic: bool = False) -> Pool:
    return Pool(PoolId(pid), "prov", "site", accel, count, 8, "sim", domestic)


def job(
    n: int,
    submit: float,
    work: float,
    gpus: int = 1,
    project: str = "p0",
    limit: float | None = None,
    cls: JobClass = JobClass.VISION,
) -> JobSpec:
    return JobSpec(
        id=JobId(f"j{n}"),
        submit_s=submit,
        accelerators=gpus,
        job_class=cls,
        work=work,
        project=project,
        time_limit_s=limit if limit is not None else work * 2,
    )
