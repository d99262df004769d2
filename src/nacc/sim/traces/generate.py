"""Gavel-style synthetic traces: single-GPU jobs of Gavel's job types, Poisson arrivals.

Same semantics as the generator of Gavel's simulator (Narayanan et al., OSDI'20;
stanford-futuredata/gavel ``scheduler/utils.py::generate_job`` at c4fa400, read for its
behaviour, not copied; ``docs/gavel.md`` §4.1):

- job type: uniform over Gavel's 26 job types (``catalog.gavel_table.gavel_workloads``);
- scale factor 1 (Gavel's single-GPU experiments, OSDI'20 Figs 8-9);
- duration: ``60 * 10**U(1.5, 3)`` s with probability 0.8, else ``60 * 10**U(3, 4)`` s
  (32 min to 17 h, or 17 h to 7 days), as run on a V100;
- total steps = duration x the type's measured V100 throughput (steps/s), so the
  duration is the job's run time on a V100;
- arrivals: a Poisson process at ``rate_per_h`` jobs per hour (exponential gaps), the
  first job at t = 0.

Each draw has its own seeded stream (``random.Random``), so the arrivals of two traces
with equal seeds and different rates are the same jobs, only spaced differently.
Writes Gavel's current 10-field trace format, which ``nacc simulate --format gavel``
reads (``nacc.sim.traces.gavel``).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from nacc.catalog.gavel_table import bundled_gavel, gavel_workloads

REFERENCE_TYPE = "V100"
SHORT_PROBABILITY = 0.8
SHORT_EXPONENTS = (1.5, 3.0)  # minutes = 10**U(a, b)
LONG_EXPONENTS = (3.0, 4.0)
MAX_JOBS = 1_000_000


@dataclass(frozen=True, slots=True)
class GeneratedJob:
    job_type: str
    total_steps: int
    duration_s: float  # on the reference type (V100)
    arrival_s: float


def duration_s(rng: random.Random) -> float:
    """One job's V100 run time, drawn as Gavel's generator draws it."""
    lo, hi = LONG_EXPONENTS if rng.random() >= SHORT_PROBABILITY else SHORT_EXPONENTS
    return 60.0 * math.pow(10.0, rng.uniform(lo, hi))


def mean_duration_s() -> float:
    """Expected V100 run time of a generated job (closed form of ``duration_s``)."""

    def mean(lo: float, hi: float) -> float:
        return 60.0 * (math.pow(10.0, hi) - math.pow(10.0, lo)) / ((hi - lo) * math.log(10.0))

    p = SHORT_PROBABILITY
    return p * mean(*SHORT_EXPONENTS) + (1 - p) * mean(*LONG_EXPONENTS)


def generate(jobs: int, rate_per_h: float, seed: int) -> Iterator[GeneratedJob]:
    """``jobs`` jobs in arrival order; deterministic for equal arguments."""
    if not 1 <= jobs <= MAX_JOBS:
        raise ValueError(f"jobs: expected 1..{MAX_JOBS:,}, got {jobs}")
    if not (math.isfinite(rate_per_h) and rate_per_h > 0):
        raise ValueError(f"rate: expected jobs per hour > 0, got {rate_per_h}")
    table = bundled_gavel()
    types = gavel_workloads()
    kinds = random.Random(f"{seed}:type")
    lengths = random.Random(f"{seed}:duration")
    gaps = random.Random(f"{seed}:arrival")
    mean_gap_s = 3600.0 / rate_per_h
    now = 0.0
    for n in range(jobs):
        if n:
            now += -math.log(1.0 - gaps.random()) * mean_gap_s
        job_type = kinds.choice(types)
        run_s = duration_s(lengths)
        steps_per_s = table.isolated(job_type, 1, REFERENCE_TYPE)
        if steps_per_s is None:  # every Gavel type is measured on one V100
            raise ValueError(f"no V100 throughput for {job_type!r}")
        steps = max(1, round(run_s * steps_per_s))
        yield GeneratedJob(job_type, steps, steps / steps_per_s, now)


def line(job: GeneratedJob) -> str:
    """One row of Gavel's 10-field format (tab-separated, no header)."""
    fields = (job.job_type, "generated", ".", "--num_steps", "0", str(job.total_steps), "1",
              "1", "-1", f"{job.arrival_s:.3f}")  # fmt: skip
    return "\t".join(fields)


def write(path: Path, jobs: int, rate_per_h: float, seed: int) -> int:
    """Write a generated trace to ``path`` (whole or not at all); returns the job count."""
    rows = [line(j) for j in generate(jobs, rate_per_h, seed)]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(rows) + "\n", encoding="utf-8")
    tmp.replace(path)
    return len(rows)
