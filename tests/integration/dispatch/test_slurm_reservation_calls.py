"""What the Slurm adapter asks of ``scontrol`` for capacity blocks, and when the live
service hands blocks over (``BlockSync``), with recorded commands: no Slurm needed."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from nacc.adapters.dispatch.slurm_reservations import SlurmReservations, reservation_name
from nacc.domain.ids import JobId, PoolId
from nacc.domain.pools import Pool
from nacc.domain.reservations import Block
from nacc.ports import Launch, Launched, Observation
from nacc.service.live_blocks import BlockSync

POOL = Pool(PoolId("p1"), "s", "r", "H100", 16, 8, "slurm")


def _block(name: str, count: int, start: float, end: float, *projects: str) -> Block:
    return Block(name, POOL.id, count, start, end, frozenset(projects))


def test_blocks_become_reservations_of_whole_nodes_for_the_projects_accounts() -> None:
    ran: list[list[str]] = []

    def run(argv: Sequence[str], stdin: str | None = None) -> str:
        ran.append(list(argv))
        return ""

    res = SlurmReservations("t1", "root", accounts=True, run=run)
    now = time.time()
    block = _block("b/1", 9, now - 10, now + 3600, "7", "3")
    wanted = res.wanted([block, _block("old", 1, now - 99, now - 1, "7")], {POOL.id: 8},
                        lambda pool: "gpu", now)  # fmt: skip
    assert [(w.name, w.nodes) for w in wanted] == [("t1-b_1", 2)]  # 9 GPUs: 2 nodes; over: none
    res.sync(wanted, [{"name": "t1-gone"}, {"name": "someone-else"}])
    assert ran[0] == ["scontrol", "delete", "ReservationName=t1-gone"]  # only this tag's
    create = ran[1]
    assert create[:5] == ["scontrol", "create", "reservation", "ReservationName=t1-b_1",
                          "StartTime=now"]  # fmt: skip
    assert {"NodeCnt=2", "Accounts=t1-3,t1-7", "Flags=IGNORE_JOBS", "PartitionName=gpu"} <= set(
        create)  # fmt: skip
    assert res.for_job("7", POOL.id, now) == "t1-b_1"
    assert res.for_job("8", POOL.id, now) is None  # not the block's project
    assert res.for_job("7", POOL.id, now + 7200) is None  # after the block
    ran.clear()
    res.sync(wanted, [{"name": "t1-b_1"}])  # there already: nothing to do
    assert ran == []
    assert reservation_name("t", "a b") == "t-a_b"


class Holding:
    unsupported: Mapping[str, str] = {}

    def __init__(self) -> None:
        self.given: list[list[str]] = []
        self.fail = False

    def reserve(self, blocks: Sequence[Block], pools: Sequence[Pool], now: float) -> None:
        if self.fail:
            raise OSError("scontrol failed")
        self.given.append([b.id for b in blocks])

    def launch(self, launch: Launch) -> Launched | None:
        return None

    def stop(self, job_id: JobId, at: float) -> float | None:
        return None

    def poll(self, now: float) -> Sequence[Observation]:
        return ()


def test_blocks_are_handed_over_when_they_change_and_again_after_a_failure() -> None:
    backend = Holding()
    other = Pool(PoolId("p2"), "s", "r", "H100", 8, 8, "local")
    blocks: list[Any] = []
    clock = [0.0]
    sync = BlockSync([(backend, [POOL])], lambda: blocks, lambda: clock[0], retry_s=30.0)
    sync()
    assert backend.given == []  # no block ever: nothing asked
    blocks.append(_block("a", 1, 0.0, 100.0, "1"))
    blocks.append(Block("elsewhere", other.id, 1, 0.0, 100.0, frozenset({"1"})))
    backend.fail = True
    sync()  # fails: not asked again before retry_s
    backend.fail = False
    clock[0] = 10.0
    sync()
    assert backend.given == []
    clock[0] = 31.0
    sync()
    assert backend.given == [["a"]]  # only its pools' blocks
    sync()
    assert backend.given == [["a"]]  # unchanged: not asked again
    blocks.pop(0)
    sync()
    assert backend.given[-1] == [] and sync.pushes == 2
