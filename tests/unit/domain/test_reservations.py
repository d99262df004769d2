"""Capacity blocks: validation, overlap refusal naming the conflicting block, charging."""

from __future__ import annotations

import pytest

from nacc.domain.errors import InputError
from nacc.domain.ids import PoolId
from nacc.domain.reservations import (
    Block,
    BlockConflict,
    ChargeMode,
    block_charge,
    check_fits,
    resolve_pool,
)
from nacc.i18n import render
from support.doubles import pool

P = PoolId("b200")


def blk(bid: str, count: int, start: float, end: float, **kw: object) -> Block:
    return Block(bid, P, count, start, end, frozenset({"llm"}), **kw)  # type: ignore[arg-type]


def test_overlap_beyond_capacity_names_the_conflicting_block() -> None:
    booked = [blk("a", 6, 0, 100), blk("b", 2, 200, 300)]
    check_fits(blk("c", 2, 50, 250), booked, 8)  # 6+2 and 2+2 fit in 8
    with pytest.raises(BlockConflict) as info:
        check_fits(blk("d", 3, 50, 150), booked, 8)
    err = info.value
    assert err.code == "block_conflict"
    assert err.conflicting == ["a"] and err.available == 2
    assert "a" in str(err) and "d" in str(err)
    assert "블록 d" in render(err.reason, "ko")
    assert "block d asks 3" in render(err.reason, "en")


def test_peak_counts_only_blocks_booked_at_the_same_time() -> None:
    booked = [blk("a", 4, 0, 100), blk("b", 4, 100, 200)]  # back to back: never both
    check_fits(blk("c", 4, 50, 150), [], 8)
    with pytest.raises(BlockConflict) as info:
        check_fits(blk("c", 5, 50, 150), booked, 8)
    assert info.value.conflicting in (["a"], ["b"])


def test_bad_blocks_name_the_field() -> None:
    with pytest.raises(InputError, match="end"):
        blk("x", 1, 10, 10)
    with pytest.raises(InputError, match="count"):
        blk("x", 0, 0, 10)
    with pytest.raises(InputError, match="idle_fee"):
        blk("x", 1, 0, 10, charge=ChargeMode.CAPACITY, idle_fee=0.5)
    with pytest.raises(InputError, match="count"):
        check_fits(blk("x", 9, 0, 10), [], 8)


def test_resolve_pool_takes_the_first_pool_of_the_type_with_room() -> None:
    pools = [pool("b200", "B200", 8), pool("b200-2", "B200", 8), pool("h", "H100", 8)]
    full = [blk("a", 8, 0, 100)]
    assert resolve_pool("B200", 4, 0, 50, pools, full) == PoolId("b200-2")
    assert resolve_pool("B200", 4, 100, 150, pools, full) == PoolId("b200")
    with pytest.raises(InputError, match="no pool of type 'MI300X'"):
        resolve_pool("MI300X", 1, 0, 1, pools, [])


def test_charge_whole_capacity_or_use_plus_idle_fee() -> None:
    whole = blk("a", 4, 0, 3600)
    assert block_charge(whole, 0.0, 10.0) == pytest.approx(40.0)
    assert block_charge(whole, 4 * 3600.0, 10.0) == pytest.approx(40.0)
    idle = blk("b", 4, 0, 3600, charge=ChargeMode.USE_PLUS_IDLE, idle_fee=0.25)
    # 3 of 4 accelerator-hours used: 1 idle hour at a quarter of the rate.
    assert block_charge(idle, 3 * 3600.0, 10.0) == pytest.approx(2.5)
