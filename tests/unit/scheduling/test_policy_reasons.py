"""Every built-in policy gives coded reasons (``nacc.domain.reasons``) with exactly the
parameters the code documents, for starts, preemptions, rejections and pending jobs."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from sched_views import Running, running, view

from nacc.domain.reason_params import PARAMS
from nacc.domain.reasons import Code, Reason
from nacc.scheduling.policies.registry import builtin_policies
from nacc.scheduling.view import ClusterView
from support.doubles import TableRates, job, pool

RATES = TableRates({"fast": 2.0, "mid": 1.0})


def busy(rng: random.Random, now: float) -> ClusterView:
    """A small fleet, partly busy, with more work queued than fits and one job too big."""
    pools = [pool("a", "fast", 4), pool("b", "mid", 4)]
    run: list[Running] = []
    for n, pid in enumerate(["a", "b", "b"]):
        spec = job(100 + n, 0.0, 5000.0, gpus=rng.randint(1, 2), limit=rng.choice([900, 7200]))
        run.append(running(spec, pid, started_s=rng.uniform(0, 50)))
    pending = [job(99, 0.0, 10.0, gpus=16)]  # no pool can ever hold it
    pending += [
        job(
            n,
            rng.uniform(0, now),
            rng.uniform(10, 5000),
            gpus=rng.randint(1, 4),
            project=rng.choice(["p", "q"]),
        )
        for n in range(8)
    ]
    return view(now, pools, pending, run, RATES)


@pytest.mark.parametrize("name", builtin_policies().names())
def test_reasons_are_codes_with_their_documented_params(name: str) -> None:
    rng = random.Random(name)
    policy = builtin_policies().create(name)
    seen: Counter[str] = Counter()
    for step in range(25):
        plan = policy.plan(busy(rng, now=60.0 + 50_000.0 * step))
        reasons: list[Reason] = [a.reason for a in plan.actions]
        reasons += plan.pending_reasons.values()
        for r in reasons:
            assert isinstance(r, Reason) and r.code in set(Code), r
            assert set(r.args) == set(PARAMS[Code(r.code)]), r
            if "policy" in r.args:
                assert r.args["policy"] == name, r
        seen.update(r.code for r in reasons)
    assert seen[Code.REJECTED_NO_POOL] > 0 and len(seen) >= 3, seen
