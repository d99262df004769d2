"""``placement.preference`` / ``by_speed`` + ``first_fit``: a static order whose first pool
with room is the one ``choose_pool`` picks (the policies' fast paths rely on it)."""

from __future__ import annotations

import random

import pytest

from nacc.domain.ids import PoolId
from nacc.scheduling.placement import (
    FASTEST,
    FIRST,
    ROOMIEST,
    Prefer,
    by_speed,
    choose_pool,
    first_fit,
    preference,
)


def _case(rng: random.Random) -> tuple[list[tuple[PoolId, float]], dict[PoolId, int], int]:
    rates = [0.5, 1.0, 1.0, 2.0, 3.0]  # repeated rates: ties go to the earlier option
    options = [(PoolId(f"p{i}"), rng.choice(rates)) for i in range(rng.randint(1, 6))]
    free = {p: rng.randint(0, 4) for p, _ in options}
    return options, free, rng.randint(1, 3)


RULES = [FIRST, FASTEST, Prefer.slowest_above(1.0), Prefer.slowest_above(2.5),
         Prefer.slowest_above(9.0)]  # fmt: skip


@pytest.mark.parametrize("prefer", RULES, ids=lambda p: f"{p.rule.value}-{p.floor}")
def test_first_with_room_in_the_preference_is_what_choose_pool_picks(prefer: Prefer) -> None:
    rng = random.Random(f"order-{prefer}")
    differs = 0
    for _ in range(400):
        options, free, need = _case(rng)
        want = choose_pool(options, need, free, prefer)
        got, rate = first_fit(preference(options, prefer), need, free)
        assert got == want, (options, free, need)
        assert rate == (dict(options)[want] if want is not None else 0.0)
        banned = {p for p, _ in options if rng.random() < 0.3}
        admitted = [(p, r) for p, r in preference(options, prefer) if p not in banned]
        assert first_fit(admitted, need, free)[0] == choose_pool(
            options, need, free, prefer, lambda p, b=banned: p not in b
        )
        differs += want != choose_pool(options, need, free, FIRST)
    if prefer != FIRST:
        assert differs > 20, "the rule never differed from first fit: the test checks little"


def test_by_speed_is_fastest_first_ties_in_order() -> None:
    options = [(PoolId("a"), 1.0), (PoolId("b"), 2.0), (PoolId("c"), 1.0), (PoolId("d"), 2.0)]
    assert [p for p, _ in by_speed(options)] == ["b", "d", "a", "c"]
    assert preference(options, FASTEST) == by_speed(options)
    assert first_fit(by_speed(options), 1, {"a": 1, "b": 0, "c": 1, "d": 0}) == ("a", 1.0)
    assert first_fit(options, 2, dict.fromkeys("abcd", 1)) == (None, 0.0)


def test_roomiest_has_no_static_order() -> None:
    with pytest.raises(ValueError, match="ROOMIEST"):
        preference([(PoolId("a"), 1.0)], ROOMIEST)
