"""The nacc policy without time limits: attained-service order, placement by speed-up,
migration up (``scheduling.policies.attained``), hand-computed cases in the simulator."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from nacc.domain.jobs import JobClass
from nacc.engine.records import JobRecord
from nacc.scheduling.policies.nacc import NaccPolicy
from nacc.scheduling.policies.registry import builtin_policies
from nacc.sim.experiment import SimConfig, simulate
from support.doubles import TableRates, pool
from support.doubles import job as limited

H = 3600.0


def job(n: int, submit: float, work: float, **kw: object):  # type: ignore[no-untyped-def]
    """A job without a time limit (the doubles' default limit is twice the work)."""
    return replace(limited(n, submit, work, **kw), time_limit_s=None)  # type: ignore[arg-type]


def _run(specs: list, pools: list, rates: TableRates, restart: float = 0.0,
         **options: object) -> dict[str, JobRecord]:  # fmt: skip
    policy = builtin_policies().create("nacc", options)
    run = simulate(specs, pools, policy, rates, SimConfig(restart_cost_s=restart))
    return {str(j.spec.id): j for j in run.jobs}


def test_a_job_on_a_slow_type_moves_up_when_a_fast_one_frees() -> None:
    rates = TableRates({"slow": 1.0, "fast": 4.0})
    pools = [pool("s", "slow", 1), pool("f", "fast", 1)]
    # j0 takes the fast accelerator (400 work: 100 s there); j1 waits on the slow one.
    by = _run([job(0, 0, 400), job(1, 10, 4000)], pools, rates)
    assert by["j0"].pool_id == "f" and by["j0"].finished_s == pytest.approx(100)
    j1 = by["j1"]
    assert j1.first_start_s == pytest.approx(10)  # slow, at once: better than waiting
    assert j1.preemptions == 1 and j1.pool_id == "f"  # moved up at 100 s
    # 90 s on slow = 90 work; the remaining 3,910 at 4/s from 100 s.
    assert j1.finished_s == pytest.approx(100 + 3910 / 4)


def test_no_move_when_the_restart_costs_more_than_it_saves() -> None:
    rates = TableRates({"slow": 1.0, "fast": 1.5})
    pools = [pool("s", "slow", 1), pool("f", "fast", 1)]
    # j1 has attained ~90 s when the fast one frees: expected to save ~30 s < 2 x 600 s.
    by = _run([job(0, 0, 150), job(1, 10, 4000)], pools, rates, restart=600.0)
    assert by["j1"].preemptions == 0 and by["j1"].pool_id == "s"


def test_fast_types_go_to_the_jobs_that_gain_most() -> None:
    # Vision work runs 10x faster on "fast", fine-tuning barely; one of each type.
    class Gain(TableRates):
        def rate(self, spec, accel_type):  # type: ignore[no-untyped-def]
            if accel_type == "fast":
                return 10.0 if spec.job_class is JobClass.VISION else 1.1
            return 1.0

    pools = [pool("s", "slow", 1), pool("f", "fast", 1)]
    specs = [job(1, 0, 1000, cls=JobClass.FINETUNE), job(0, 0, 1000, cls=JobClass.VISION)]
    by = _run(specs, pools, Gain({"slow": 1.0, "fast": 2.0}))
    assert by["j0"].pool_id == "f" and by["j0"].preemptions == 0
    assert by["j0"].finished_s == pytest.approx(100)
    # j1 would gain 1.1x on the fast one when j0 leaves: below move_gain (1.2), it stays.
    assert by["j1"].first_start_s == pytest.approx(0) and by["j1"].preemptions == 0
    assert by["j1"].finished_s == pytest.approx(1000)


def test_a_long_job_is_demoted_at_its_threshold_and_the_newcomer_preempts_it() -> None:
    rates = TableRates({"g": 1.0})
    # j0 runs alone; j1 arrives at 0.5 h (same queue, later: waits); at 1 h j0's attained
    # service crosses the first threshold and j1 (top queue) takes the accelerator then,
    # though nothing arrives or ends at that moment.
    by = _run([job(0, 0, 10 * H), job(1, 0.5 * H, 0.25 * H)], [pool("a", "g", 1)], rates)
    assert by["j1"].first_start_s == pytest.approx(H)
    assert by["j1"].finished_s == pytest.approx(1.25 * H)
    assert by["j0"].preemptions == 1 and by["j0"].finished_s == pytest.approx(10.25 * H)


def test_limits_present_keep_the_requested_cost_order() -> None:
    rates = TableRates({"g": 1.0})
    specs = [limited(i, i, 100 + 50 * i, limit=200 + 50 * i) for i in range(6)]
    auto = _run(specs, [pool("a", "g", 2)], rates)
    requested = _run(specs, [pool("a", "g", 2)], rates, mode="requested")
    assert {k: (v.first_start_s, v.pool_id) for k, v in auto.items()} == {
        k: (v.first_start_s, v.pool_id) for k, v in requested.items()
    }
    with pytest.raises(ValueError, match="mode"):
        NaccPolicy(mode="guess")


@pytest.mark.parametrize("seed", range(4))
def test_random_fleets_everything_finishes_and_no_job_moves_down(seed: int) -> None:
    rng = random.Random(seed)
    rates = TableRates({"k": 1.0, "p": 2.5, "v": 4.0})
    pools = [pool("k", "k", 3), pool("p", "p", 2), pool("v", "v", 2)]
    specs = [job(i, rng.uniform(0, 2 * H), rng.uniform(100, 4 * H), gpus=rng.choice([1, 1, 2]),
                 project=f"p{i % 3}") for i in range(40)]  # fmt: skip
    moves: list[tuple[str, str]] = []
    policy = NaccPolicy()
    plan = policy.plan

    def watch(view):  # type: ignore[no-untyped-def]
        out = plan(view)
        for a in out.actions:
            r = view.running.get(getattr(a, "job_id", None))
            if r is not None and type(a).__name__ == "Start":
                moves.append((str(r.pool_id), str(a.pool_id)))
        return out

    policy.plan = watch  # type: ignore[method-assign]
    run = simulate(specs, pools, policy, rates, SimConfig(restart_cost_s=30.0))
    assert all(j.finished_s is not None for j in run.jobs)
    speed = {"k": 1.0, "p": 2.5, "v": 4.0}
    assert all(speed[b] > speed[a] for a, b in moves)
