"""The ledger's values: credit amounts, typed accounts, journal entries, errors.

Number representation
---------------------
A credit amount is a ``decimal.Decimal`` on a fixed grid of one nano-credit (``QUANTUM`` =
1e-9 credit). Amounts enter the journal only on that grid (``to_credits`` rounds onto it,
``usage_credits`` meters onto it); every sum inside the ledger is done in a private decimal
context that traps ``Inexact``, so a balance is always the exact sum of its legs and never
depends on the caller's thread-local decimal context. Floats never enter a sum.

Rounding is ROUND_HALF_EVEN (banker's rounding), applied once per value: ``usage_credits``
computes ``count × seconds × rate / 3600`` exactly (as a fraction) and rounds only the
result. A job metered in several intervals is charged per interval, so its total charge is
the sum of the per-interval roundings; that equals the sum of the per-interval metered
credits exactly, and differs from metering the whole span at once by at most
0.5e-9 credit per interval.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, Inexact, InvalidOperation
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType

from nacc.domain.credits import EXACT as EXACT
from nacc.domain.credits import QUANTUM as QUANTUM
from nacc.domain.credits import from_fraction
from nacc.domain.credits import to_credits as to_credits
from nacc.domain.errors import NaccError
from nacc.domain.reasons import Code

ZERO = Decimal(0)


# ---------------------------------------------------------------- credit amounts


def usage_credits(
    count: int, seconds: float | int | Decimal, credit_rate: float | int | Decimal
) -> Decimal:
    """Credits for ``count`` accelerators held ``seconds`` at ``credit_rate`` credits/hour.

    The Decimal twin of ``nacc.ledger.metering.credits_for``. Floats are read as the
    shortest decimal that round-trips (``repr``: 0.1 is one tenth), the product
    ``count × seconds × rate / 3600`` is computed exactly and rounded once, half to even,
    to the nano-credit.
    """
    if isinstance(count, bool) or not isinstance(count, int):
        raise TypeError("count must be an int")
    factors = [Fraction(count), _exact(seconds, "seconds"), _exact(credit_rate, "credit_rate")]
    if any(f < 0 for f in factors):
        raise ValueError("count, seconds and credit_rate must be non-negative")
    return from_fraction(factors[0] * factors[1] * factors[2] / 3600)


def on_grid(value: object) -> bool:
    """Whether ``value`` is a finite Decimal on the nano-credit grid."""
    if not isinstance(value, Decimal) or not value.is_finite():
        return False
    try:
        return value.quantize(QUANTUM, context=EXACT) == value
    except (Inexact, InvalidOperation):
        return False


def credit_sum(values: Iterable[Decimal]) -> Decimal:
    """The exact sum of credit amounts (never rounded; raises if it ever would be)."""
    total = ZERO
    for v in values:
        total = EXACT.add(total, v)
    return total


def fmt(value: Decimal) -> str:
    """A credit amount for people: plain notation, no trailing zeros (``12.5``)."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _exact(value: float | int | Decimal, name: str) -> Fraction:
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a number")
    try:
        return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)
    except (ValueError, OverflowError, TypeError, InvalidOperation):
        raise ValueError(f"{name}={value!r} is not a finite number") from None


# ---------------------------------------------------------------- accounts


class AccountKind(StrEnum):
    """What an account stands for (DESIGN.md, unit of account)."""

    FUNDING = "funding"  # the source that mints program budgets; goes negative
    PROGRAM = "program"  # one allocation program's budget
    PROJECT = "project"  # one awarded project's spendable credits
    USAGE = "usage"  # where consumed credits go


_SINGLETONS = frozenset({AccountKind.FUNDING, AccountKind.USAGE})


@dataclass(frozen=True, slots=True, order=True)
class Account:
    """A ledger account, written ``program:<id>``, ``project:<id>``, ``usage``, ``funding``."""

    kind: AccountKind
    id: str = ""

    def __post_init__(self) -> None:
        if (self.kind in _SINGLETONS) != (self.id == ""):
            raise ValueError(
                f"account kind {self.kind} takes {'no' if self.kind in _SINGLETONS else 'an'} id"
            )

    @property
    def key(self) -> str:
        return self.kind.value if self.id == "" else f"{self.kind.value}:{self.id}"

    def __str__(self) -> str:
        return self.key

    @classmethod
    def parse(cls, key: str) -> Account:
        """The account written ``key`` (the inverse of ``Account.key``)."""
        kind, _, ident = key.partition(":")
        try:
            return cls(AccountKind(kind), ident)
        except ValueError:
            raise ValueError(
                f"bad account {key!r}; expected program:<id>, project:<id>, usage or funding"
            ) from None


FUNDING = Account(AccountKind.FUNDING)
USAGE = Account(AccountKind.USAGE)


def program(program_id: str) -> Account:
    return Account(AccountKind.PROGRAM, program_id)


def project(project_id: str) -> Account:
    return Account(AccountKind.PROJECT, project_id)


DEFAULT_OVERDRAFT: Mapping[AccountKind, Decimal | None] = MappingProxyType(
    {
        AccountKind.FUNDING: None,  # unlimited: minting budgets drives it negative
        AccountKind.PROGRAM: ZERO,  # an award cannot exceed the remaining budget
        AccountKind.PROJECT: ZERO,  # configurable per project
        AccountKind.USAGE: ZERO,  # refunds cannot exceed what was consumed
    }
)
"""How far below zero each kind of account may go by default (``None``: no limit)."""


# ---------------------------------------------------------------- entries


class EntryKind(StrEnum):
    """What an entry does; the kinds with a fixed shape are listed in ``SHAPES``."""

    FUNDING = "funding"  # funding -> program: a program's budget is minted
    AWARD = "award"  # program -> project: a tranche of an award is released
    USAGE = "usage"  # project -> usage: one metered interval of one job
    REFUND = "refund"  # usage -> project: consumed credits given back
    TRANSFER = "transfer"  # any balanced legs (adjustments, returned budget)


SHAPES: Mapping[EntryKind, tuple[AccountKind, AccountKind]] = MappingProxyType(
    {
        EntryKind.FUNDING: (AccountKind.FUNDING, AccountKind.PROGRAM),
        EntryKind.AWARD: (AccountKind.PROGRAM, AccountKind.PROJECT),
        EntryKind.USAGE: (AccountKind.PROJECT, AccountKind.USAGE),
        EntryKind.REFUND: (AccountKind.USAGE, AccountKind.PROJECT),
    }
)
"""(source kind, destination kind) of the two legs of each shaped entry kind."""


@dataclass(frozen=True, slots=True)
class Posting:
    """One leg of an entry: ``amount`` credits into ``account`` (negative: out of it)."""

    account: Account
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Entry:
    """One journal entry. ``at`` is seconds since the epoch; ``job`` names the job a
    usage charge or refund belongs to. Validity is checked by ``problems()`` (``post``
    refuses an entry with any; ``verify`` reports them in a restored journal)."""

    cause: str
    at: float
    postings: tuple[Posting, ...]
    kind: EntryKind = EntryKind.TRANSFER
    memo: str = ""
    job: str | None = None

    def amount_for(self, account: Account) -> Decimal:
        """The net amount this entry moves into ``account``."""
        return credit_sum(p.amount for p in self.postings if p.account == account)

    def effect(self) -> tuple[EntryKind, str | None, frozenset[tuple[Account, Decimal]]]:
        """What the entry does, ignoring ``at`` and ``memo``: two entries with the same
        cause and the same effect are one retried posting."""
        return self.kind, self.job, frozenset((p.account, p.amount) for p in self.postings)

    def problems(self) -> list[str]:
        """Why this entry is malformed, in plain words; empty when it is sound."""
        found: list[str] = []
        if not isinstance(self.cause, str) or not self.cause:
            found.append("it has no cause")
        if not isinstance(self.at, (int, float)) or not math.isfinite(self.at):
            found.append(f"its time {self.at!r} is not a finite number of seconds")
        if len(self.postings) < 2:
            found.append(f"it has {len(self.postings)} leg(s); double entry needs at least 2")
        accounts = [p.account for p in self.postings]
        if len(set(accounts)) != len(accounts):
            found.append("it has two legs on the same account")
        off = [p for p in self.postings if not on_grid(p.amount)]
        for p in off:
            found.append(f"the leg on {p.account} ({p.amount!r}) is not a nano-credit amount")
        if not off and (total := credit_sum(p.amount for p in self.postings)) != 0:
            found.append(f"its legs sum to {fmt(total)} credits, not 0")
        return found + self._shape_problems()

    def _shape_problems(self) -> list[str]:
        found: list[str] = []
        if self.kind is EntryKind.USAGE and not self.job:
            found.append("a usage charge must name its job")
        shape = SHAPES.get(self.kind)
        if shape is not None and not _has_shape(self.postings, shape):
            found.append(f"a {self.kind} entry must move credits from {shape[0]} to {shape[1]}")
        return found


def _has_shape(legs: tuple[Posting, ...], shape: tuple[AccountKind, AccountKind]) -> bool:
    """Two legs: out of an account of kind shape[0], into one of kind shape[1]."""
    if len(legs) != 2 or not all(on_grid(p.amount) for p in legs):
        return False
    return any(
        a.account.kind is shape[0] and b.account.kind is shape[1] and a.amount <= 0 <= b.amount
        for a, b in (legs, legs[::-1])
    )


def transfer(
    kind: EntryKind,
    source: Account,
    dest: Account,
    amount: Decimal | int | str,
    cause: str,
    *,
    at: float,
    memo: str = "",
    job: str | None = None,
) -> Entry:
    """A two-leg entry moving ``amount`` (≥ 0, on the nano-credit grid) from ``source``
    to ``dest``."""
    value = to_credits(amount)
    # a Decimal or an int compares exactly with the rounded value (the meter's hot path,
    # no Fraction built per charge); text may be a fraction ("1/3"): compared as one
    off = (
        value != amount
        if isinstance(amount, Decimal | int)
        else Fraction(value) != Fraction(amount)
    )
    if off:
        raise ValueError(f"{amount!r} has more than 9 decimal places; round it with to_credits")
    if value < 0:
        raise ValueError(f"amount must be non-negative, got {fmt(value)}")
    legs = (Posting(source, EXACT.minus(value)), Posting(dest, value))
    return Entry(cause, at, legs, kind, memo, job)


def usage_cause(job: str, start: float, end: float) -> str:
    """The cause of the usage charge for ``job`` over the metered interval [start, end)."""
    return f"job:{job}:usage:{_stamp(start)}-{_stamp(end)}"


def _stamp(t: float) -> str:
    return str(int(t)) if float(t).is_integer() else repr(float(t))


# ---------------------------------------------------------------- errors


class LedgerError(NaccError):
    """Base of the ledger's errors."""

    code = Code.LEDGER_ERROR


class InvalidEntry(LedgerError):
    """An entry is malformed (unbalanced, off the credit grid, wrong shape, ...)."""

    code = Code.INVALID_ENTRY

    def __init__(self, cause: str, problems: list[str]) -> None:
        listed = "; ".join(problems)
        super().__init__(
            f"entry {cause!r} refused: {listed}", params={"cause": cause, "problems": listed}
        )
        self.cause = cause
        self.problems = problems


class CauseConflict(LedgerError):
    """A different entry was posted under a cause that is already in the journal."""

    code = Code.CAUSE_CONFLICT


class InsufficientCredits(LedgerError):
    """A posting would take an account below its overdraft limit; nothing was posted."""

    code = Code.INSUFFICIENT_CREDITS

    def __init__(
        self, account: Account, balance: Decimal, amount: Decimal, shortfall: Decimal, cause: str
    ) -> None:
        params = {"account": str(account), "balance": fmt(balance), "amount": fmt(amount),
                  "shortfall": fmt(shortfall), "cause": cause}  # fmt: skip
        super().__init__(
            f"{account} has a balance of {fmt(balance)} credits and cannot pay "
            f"{fmt(amount)} for {cause!r}: short by {fmt(shortfall)} credits",
            params=params,
        )
        self.account = account
        self.balance = balance
        self.amount = amount
        self.shortfall = shortfall
        self.cause = cause
