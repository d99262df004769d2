"""Credit amounts: one nano-credit grid, exact sums, no floats (``nacc.ledger`` builds on it).

Lives in the domain so the store's column type and the ledger round the same way.
"""

from __future__ import annotations

from decimal import Context, Decimal, Inexact, InvalidOperation, Overflow
from fractions import Fraction

QUANTUM = Decimal("1e-9")
"""The smallest credit amount the ledger records (one nano-credit)."""

NANO = 10**9
EXACT = Context(prec=60, traps=[Inexact, InvalidOperation, Overflow])
"""The decimal context of every ledger sum: wide, and trapping any inexact result."""


def to_credits(value: Decimal | int | str) -> Decimal:
    """``value`` as a credit amount on the nano-credit grid (ROUND_HALF_EVEN).

    Floats are refused: they are not exact, and a ledger sums what it is given.
    """
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise TypeError(f"credit amounts must be Decimal, int or str, not {type(value).__name__}")
    if type(value) is Decimal and value.is_finite() and value:  # already on the grid:
        try:  # the same Decimal as below, without the Fraction (a hot path: every row read)
            return value.quantize(QUANTUM, context=EXACT)
        except (Inexact, InvalidOperation, Overflow):
            pass  # off the grid or too wide: rounded exactly below
    try:
        exact = Fraction(value)
    except (ValueError, OverflowError, ZeroDivisionError, InvalidOperation):
        raise ValueError(f"{value!r} is not a finite credit amount") from None
    return from_fraction(exact)


def from_fraction(exact: Fraction) -> Decimal:
    """``exact`` rounded half-even onto the nano-credit grid."""
    nanos = round(exact * NANO)  # Fraction.__round__ rounds half to even
    return Decimal(nanos).scaleb(-9, context=EXACT)
