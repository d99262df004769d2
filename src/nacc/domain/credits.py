"""Credit amounts: one nano-credit grid, exact sums, no floats (``nacc.ledger`` builds on it).

Lives in the domain so the store's column type and the ledger round the same way.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal, Inexact, InvalidOperation, Overflow
from fractions import Fraction

QUANTUM = Decimal("1e-9")
"""The smallest credit amount the ledger records (one nano-credit)."""

NANO = 10**9
EXACT = Context(prec=60, traps=[Inexact, InvalidOperation, Overflow])
"""The decimal context of every ledger sum: wide, and trapping any inexact result."""
_ROUND = Context(prec=60, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, Overflow])
_ZERO = Decimal(0).scaleb(-9, context=EXACT)


def to_credits(value: Decimal | int | str) -> Decimal:
    """``value`` as a credit amount on the nano-credit grid (ROUND_HALF_EVEN).

    Floats are refused: they are not exact, and a ledger sums what it is given.
    """
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise TypeError(f"credit amounts must be Decimal, int or str, not {type(value).__name__}")
    fast = _decimal_rounding(value)
    if fast is not None:
        return fast
    try:
        exact = Fraction(value)
    except (ValueError, OverflowError, ZeroDivisionError, InvalidOperation):
        raise ValueError(f"{value!r} is not a finite credit amount") from None
    return from_fraction(exact)


def _decimal_rounding(value: Decimal | int | str) -> Decimal | None:
    """What ``from_fraction(Fraction(value))`` gives, by decimal arithmetic (a hot path:
    every credit column read, every metered charge): a decimal is exact, and quantizing
    it half-even to 1e-9 rounds its exact value as the Fraction path does. None where the
    Fraction path decides (strings Decimal reads differently, too wide, not finite)."""
    if isinstance(value, str):
        if "_" in value or "/" in value:
            return None
        try:
            value = Decimal(value)
        except InvalidOperation:
            return None
    elif not isinstance(value, Decimal):
        value = Decimal(value)
    if not value.is_finite():
        return None
    try:
        rounded = value.quantize(QUANTUM, context=_ROUND)
    except (InvalidOperation, Overflow):
        return None
    return rounded if rounded else _ZERO  # no negative zero


def from_fraction(exact: Fraction) -> Decimal:
    """``exact`` rounded half-even onto the nano-credit grid."""
    nanos = round(exact * NANO)  # Fraction.__round__ rounds half to even
    return Decimal(nanos).scaleb(-9, context=EXACT)
