"""What capacity blocks cost: the block's own use and idle capacity, what it is charged,
and the wait of everyone else (the jobs of projects no block serves).

``others_wait(run, blocks)`` gives the average and p95 queue wait (first start - submit,
completed jobs) of the others; ``block_report`` per block: accelerator-hours booked,
used by its projects' jobs on its pool inside its window (each job's first start to its
end, clipped to the window: exact for jobs that ran once), idle, and the block's charge
(``nacc.domain.reservations.block_charge``) at the pool type's credit rate for
LLM pre-training (the class a block is booked for). Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from nacc.domain.jobs import JobClass
from nacc.domain.lifecycle import JobState
from nacc.domain.reservations import Block, ChargeMode, block_charge
from nacc.sim.experiment import SimRun
from nacc.sim.metrics import percentile

BLOCK_CLASS = JobClass.PRETRAIN


class ClassRates(Protocol):
    """What ``block_report`` needs of the throughput model."""

    def class_credit_rate(self, job_class: JobClass, accel_type: str) -> float | None: ...


def others_wait(run: SimRun, blocks: Sequence[Block]) -> dict[str, float]:
    """Average and p95 wait (s) of completed jobs of projects no block serves."""
    served = {p for b in blocks for p in b.projects}
    waits = sorted(
        (j.first_start_s or j.spec.submit_s) - j.spec.submit_s
        for j in run.jobs
        if j.state is JobState.COMPLETED and j.spec.project not in served
    )
    n = len(waits)
    return {
        "jobs": float(n),
        "avg_wait_s": sum(waits) / n if n else 0.0,
        "p95_wait_s": percentile(waits, 95),
    }


def block_report(run: SimRun, blocks: Sequence[Block], rates: ClassRates) -> list[dict[str, Any]]:
    """Per block: booked, used and idle accelerator-hours and the block's charge."""
    types = {p.id: p.accel_type for p in run.pools}
    out: list[dict[str, Any]] = []
    for b in blocks:
        used_s = 0.0
        for j in run.jobs:
            if j.pool_id != b.pool_id or not b.serves(j.spec.project) or j.first_start_s is None:
                continue
            end = j.finished_s if j.finished_s is not None else run.end_s
            ran = min(end, b.end_s) - max(j.first_start_s, b.start_s)
            used_s += max(0.0, ran) * j.count
        used_s = min(used_s, b.accelerator_s)
        rate = rates.class_credit_rate(BLOCK_CLASS, types[b.pool_id]) or 0.0
        out.append({
            "id": b.id,
            "pool": b.pool_id,
            "count": b.count,
            "charge_mode": str(b.charge),
            "booked_accelerator_h": b.accelerator_s / 3600.0,
            "used_accelerator_h": used_s / 3600.0,
            "idle_accelerator_h": (b.accelerator_s - used_s) / 3600.0,
            "block_credits": block_charge(b, used_s, rate),
            "jobs_charged_apart": b.charge is ChargeMode.USE_PLUS_IDLE,
        })  # fmt: skip
    return out
