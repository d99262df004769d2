"""A ``capacity`` block pays for at most its size of its projects' use at a time
(``service.block_ledger.BlockSeats``, through the live tick's ``TickBuffer``): the jobs
beyond it are charged, and take seats as the block's jobs end."""

from __future__ import annotations

from decimal import Decimal

from nacc.domain.events import JobEvent
from nacc.domain.ids import JobId, PoolId
from nacc.domain.jobs import JobClass, JobSpec
from nacc.domain.lifecycle import JobState
from nacc.domain.pools import Pool
from nacc.domain.reasons import Code, Reason
from nacc.domain.reservations import Block, ChargeMode
from nacc.service.block_ledger import BlockSeats
from nacc.service.live_writes import TickBuffer

POOL = Pool(PoolId("h100"), "prov", "site", "H100-SXM", 8, 8, "local")
BLOCK = Block("b1", POOL.id, 2, 0.0, 10_000.0, frozenset({"7"}))


def _spec(i: int, project: str = "7", gpus: int = 1) -> JobSpec:
    return JobSpec(JobId(f"j{i}"), 0.0, gpus, JobClass.PRETRAIN, 1.0, project)


def _sweep(buf: TickBuffer, specs: list[JobSpec], start: float, end: float) -> set[str]:
    """Meter every job over [start, end); the ids that were charged."""
    before = len(buf.charges)
    for spec in specs:
        buf.meter(spec, POOL, spec.accelerators, start, end, 10.0 * spec.accelerators)
    return {str(c.job_id) for c in buf.charges[before:]}


def test_a_block_of_two_pays_for_two_jobs_at_a_time() -> None:
    buf = TickBuffer()
    buf.blocks = [BLOCK]
    jobs = [_spec(1), _spec(2), _spec(3)]
    assert _sweep(buf, jobs, 0.0, 60.0) == {"j3"}  # first metered, first seated
    assert _sweep(buf, jobs, 60.0, 120.0) == {"j3"}  # seats are kept
    assert buf.charges[-1].credits == Decimal("10")  # the whole stretch, not a share
    buf.emit(JobEvent(JobId("j1"), 120.0, JobState.RUNNING, JobState.COMPLETED,
                      Reason(Code.SUBMITTED)))  # fmt: skip
    assert _sweep(buf, jobs[1:], 120.0, 180.0) == set()  # j3 took j1's seat


def test_a_job_larger_than_the_free_seats_pays_for_the_rest() -> None:
    seats = BlockSeats()
    assert seats.covered([BLOCK], _spec(1), POOL, 1, 0.0, 60.0) == 1.0
    assert seats.covered([BLOCK], _spec(2, gpus=4), POOL, 4, 0.0, 60.0) == 0.25
    assert seats.seated("b1") == {JobId("j1"): 1, JobId("j2"): 1}
    seats.release(JobId("j1"))
    assert seats.covered([BLOCK], _spec(2, gpus=4), POOL, 4, 60.0, 120.0) == 0.5


def test_only_the_blocks_projects_pool_window_and_mode_are_covered() -> None:
    seats = BlockSeats()
    other_pool = Pool(PoolId("b200"), "prov", "site", "B200", 8, 8, "local")
    idle_fee = Block("b2", POOL.id, 2, 0.0, 100.0, frozenset({"7"}),
                     ChargeMode.USE_PLUS_IDLE, 0.5)  # fmt: skip
    assert seats.covered([BLOCK], _spec(1, project="8"), POOL, 1, 0.0, 60.0) == 0.0
    assert seats.covered([BLOCK], _spec(1), other_pool, 1, 0.0, 60.0) == 0.0
    assert seats.covered([idle_fee], _spec(1), POOL, 1, 0.0, 60.0) == 0.0
    assert seats.covered([BLOCK], _spec(1), POOL, 1, 9_970.0, 10_030.0) == 0.5  # half inside
