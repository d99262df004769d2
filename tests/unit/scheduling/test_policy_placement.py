"""Every built-in policy places through ``placement.choose_pool``, shown by behaviour: on
random fleets and queues, each start a policy plans lands on the pool ``choose_pool`` picks
under that policy's documented rule, replayed in the plan's own order."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from sched_views import view

from nacc.domain.ids import PoolId
from nacc.domain.jobs import JobSpec
from nacc.domain.reasons import Code
from nacc.scheduling.placement import (
    ACCEPTABLE_SPEED,
    FASTEST,
    FIRST,
    ROOMIEST,
    Options,
    Prefer,
    best_rate,
    candidates,
    choose_pool,
)
from nacc.scheduling.plan import Start
from nacc.scheduling.policies.registry import builtin_policies
from nacc.scheduling.view import ClusterView
from support.doubles import TableRates, job, pool

RATES = TableRates({"fast": 2.0, "mid": 1.0, "slow": 0.5})
Rule = Callable[[ClusterView, JobSpec], tuple[Options, Prefer]]


def _acceptable(v: ClusterView, spec: JobSpec) -> Options:
    return candidates(v, spec, ACCEPTABLE_SPEED)


def first_fit(v: ClusterView, spec: JobSpec) -> tuple[Options, Prefer]:
    return _acceptable(v, spec), FIRST


def nacc_rule(v: ClusterView, spec: JobSpec) -> tuple[Options, Prefer]:
    """Long jobs (limit over 1 h on the best type) go fastest; short ones take the slowest
    pool at least 0.4 x as fast as the best (NaccPolicy's defaults)."""
    options = _acceptable(v, spec)
    top = best_rate(options)
    limit = spec.time_limit_s or 86400.0
    return options, FASTEST if limit / top > 3600.0 else Prefer.slowest_above(0.4 * top)


def gavel_rule(v: ClusterView, spec: JobSpec, chosen: PoolId) -> tuple[Options, Prefer]:
    """Gavel picks a type by its LP, then the roomiest pool of that type."""
    accel = v.pools[chosen].pool.accel_type
    return [(p, 0.0) for p, pv in v.pools.items() if pv.pool.accel_type == accel], ROOMIEST


RULES: dict[str, Rule] = {"fifo": first_fit, "slurm": first_fit, "las": first_fit,
                          "nacc": nacc_rule}  # fmt: skip


def random_view(rng: random.Random) -> ClusterView:
    types = ["fast", "mid", "slow"]
    pools = [pool(f"p{i}", rng.choice(types), rng.randint(1, 8)) for i in range(5)]
    gangs = rng.sample(range(1, 9), rng.randint(1, 6))  # distinct: one largest-first order
    specs = [
        job(n, float(n), 100.0, gpus=g, limit=rng.choice([600.0, 36000.0]))
        for n, g in enumerate(gangs)
    ]
    return view(0.0, pools, specs, rates=RATES)


def replay(name: str, v: ClusterView) -> tuple[int, int]:
    """Check every start of one plan; returns (starts checked, where FIRST would differ)."""
    plan = builtin_policies().create(name).plan(v)
    starts = [a for a in plan.actions if isinstance(a, Start)]
    if name == "gavel":  # Gavel places the largest gang first
        starts.sort(key=lambda a: -a.count)
    free = {pid: pv.free for pid, pv in v.pools.items()}
    checked = differs = 0
    for act in starts:
        if act.reason.code == Code.START_BACKFILLED:
            break  # slurm: from here on the reservation admits, too
        spec = v.pending[act.job_id].spec
        if name == "gavel":
            options, prefer = gavel_rule(v, spec, act.pool_id)
        else:
            options, prefer = RULES[name](v, spec)
        want = choose_pool(options, spec.accelerators, free, prefer)
        assert act.pool_id == want, f"{name}: {act.job_id} on {act.pool_id}, rule gives {want}"
        differs += want != choose_pool(options, spec.accelerators, free, FIRST)
        free[act.pool_id] -= act.count
        checked += 1
    return checked, differs


@pytest.mark.parametrize("name", builtin_policies().names())
def test_every_start_is_the_pool_choose_pool_picks(name: str) -> None:
    rng = random.Random(f"placement-{name}")
    checked = differs = 0
    for _ in range(120):
        c, d = replay(name, random_view(rng))
        checked, differs = checked + c, differs + d
    assert checked > 150, "too few starts: the test checks little"
    if name in ("nacc", "gavel"):
        assert differs > 5, f"{name}: its rule never differed from first fit here"
