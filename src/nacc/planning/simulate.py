"""Check a plan by simulation: each year's fleet replays a trace scaled to that year's demand.

The national fleet (tens of thousands of accelerators) is simulated as a *sample*: every
pool is scaled by ``fraction`` (at least one node), and the trace's arrival rate is scaled
so that its credits per hour equal ``fraction`` x the year's forecast credits per hour.
Load per accelerator, which is what drives queueing, is then that of the full plan; a
smaller sample has fewer large gangs fitting at once, so its waits are an upper estimate.

Trace credits per hour = sum over jobs of (gang size x hours on an H100-SXM) / trace span
in hours, with hours on H100 from the throughput model (Philly's work is P100 seconds).
``load_scale`` divides inter-arrival times (``nacc.sim.experiment.scale_arrivals``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from nacc.catalog.throughput import REFERENCE_TYPE, ThroughputModel
from nacc.domain.ids import PoolId
from nacc.domain.jobs import JobSpec
from nacc.domain.pools import Pool
from nacc.planning.extract import YearPlan
from nacc.planning.problem import Problem
from nacc.scheduling.policies.registry import builtin_policies
from nacc.sim import metrics
from nacc.sim.experiment import SimConfig, simulate
from nacc.sim.traces import ReadOptions, read_trace

DEFAULT_FRACTION = 0.02
DEFAULT_JOBS = 6000
NODE = 8


@dataclass(frozen=True, slots=True)
class YearSim:
    """What users would see in one planned year (on the sampled fleet)."""

    year: int
    accelerators: int
    load_scale: float
    jobs: int
    avg_queue_s: float
    p50_jct_s: float
    utilization: float

    def to_json(self) -> dict[str, float | int]:
        return {
            "year": self.year,
            "sampled_accelerators": self.accelerators,
            "load_scale": round(self.load_scale, 4),
            "jobs": self.jobs,
            "avg_queue_s": round(self.avg_queue_s, 1),
            "p50_jct_s": round(self.p50_jct_s, 1),
            "utilization": round(self.utilization, 4),
        }


def trace_credits_per_hour(jobs: Sequence[JobSpec], rates: ThroughputModel) -> float:
    """Credits (H100-SXM hours) per hour of trace time the jobs ask for."""
    if not jobs:
        return 0.0
    credits = 0.0
    for job in jobs:
        rate = rates.rate(job, REFERENCE_TYPE)
        if rate:
            credits += job.accelerators * job.work / rate / 3600.0
    span_h = max((jobs[-1].submit_s - jobs[0].submit_s) / 3600.0, 1.0)
    return credits / span_h


def year_pools(plan: YearPlan, problem: Problem, fraction: float) -> list[Pool]:
    """The year's fleet (installed and leased) as pools, each scaled by ``fraction``."""
    pools: list[Pool] = []
    placed = [(s, c, n) for s, per in plan.at_site.items() for c, n in per.items()]
    placed += [("leased-cloud", c, n) for c, n in plan.leased.items()]
    for site, chip, n in placed:
        count = max(NODE, round(n * fraction / NODE) * NODE)
        pools.append(Pool(PoolId(f"{site}-{chip}"), site, site, chip, count, NODE, "sim",
                          problem.chips[chip].domestic))  # fmt: skip
    return pools


def simulate_plan(
    years: Sequence[YearPlan],
    problem: Problem,
    rates: ThroughputModel,
    trace: Path,
    fraction: float = DEFAULT_FRACTION,
    jobs: int = DEFAULT_JOBS,
) -> list[YearSim]:
    """Simulate every planned year under the ``nacc`` policy."""
    read = read_trace(trace, "philly", ReadOptions(limit=jobs))
    per_hour = trace_credits_per_hour(read.jobs, rates)
    out: list[YearSim] = []
    for plan in years:
        pools = year_pools(plan, problem, fraction)
        demand = sum(v for (y, _), v in problem.demand.items() if y == plan.year)
        target = demand / problem.hours_per_month * fraction
        scale = target / per_hour if per_hour > 0 else 1.0
        policy = builtin_policies().create("nacc")
        run = simulate(read.jobs, pools, policy, rates, SimConfig(load_scale=scale, cycle_s=5.0))
        res = metrics.summarize(run, rates)
        out.append(
            YearSim(
                plan.year,
                sum(p.count for p in pools),
                scale,
                len(read.jobs),
                float(res["avg_queue_s"]),
                float(res["p50_jct_s"]),
                metrics.overall_utilization(res["utilization"], pools),
            )
        )
    return out
