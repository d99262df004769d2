"""``to_credits`` takes a Decimal already on the nano-credit grid without a Fraction (a
hot path: every credit column the store reads); it must give exactly what the exact
rounding gives, digits and sign included, for every Decimal."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nacc.domain.credits import from_fraction, to_credits

_DECIMALS = st.builds(
    lambda coefficient, exponent: Decimal(coefficient).scaleb(exponent),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.integers(min_value=-30, max_value=30),
)


@given(_DECIMALS)
def test_a_decimal_comes_back_as_the_exact_rounding_gives_it(value: Decimal) -> None:
    fast, exact = to_credits(value), from_fraction(Fraction(value))
    assert fast == exact and str(fast) == str(exact)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("0.02"), "0.020000000"),
        (Decimal("-0"), "0E-9"),  # no negative zero
        (Decimal("-0.0000000005"), "0E-9"),  # half to even, off the grid
        (Decimal("2.5E-9"), "2E-9"),
        (Decimal("1E+40"), "10000000000000000000000000000000000000000.000000000"),
    ],
)
def test_edges(value: Decimal, expected: str) -> None:
    assert str(to_credits(value)) == expected


def test_not_finite_is_refused() -> None:
    with pytest.raises(ValueError, match="not a finite credit amount"):
        to_credits(Decimal("NaN"))


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_a_metered_float_text_rounds_as_the_exact_rounding(value: float) -> None:
    text = repr(value)  # what the live scheduler hands over for a metered charge
    fast, exact = to_credits(text), from_fraction(Fraction(text))
    assert fast == exact and str(fast) == str(exact)


@given(st.integers(min_value=-(10**45), max_value=10**45))
def test_an_int_is_exact(value: int) -> None:
    assert str(to_credits(value)) == str(from_fraction(Fraction(value)))


@pytest.mark.parametrize("text", ["1/3", "1_000", "nan", "inf", "abc", ""])
def test_strings_decimal_reads_otherwise_are_decided_as_before(text: str) -> None:
    try:
        expected: str | None = str(from_fraction(Fraction(text)))
    except (ValueError, ZeroDivisionError):
        expected = None
    if expected is None:
        with pytest.raises(ValueError):
            to_credits(text)
    else:
        assert str(to_credits(text)) == expected
