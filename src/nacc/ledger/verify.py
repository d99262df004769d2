"""``verify``: prove a journal sound, or list in plain words where it is not.

The checks (``CHECKS``) are run over the entries as stored, so a journal rebuilt with
``Journal.restore`` from a tampered or buggy store is judged on what it holds:

1. every entry is sound: a cause, a finite time, at least two legs on distinct accounts,
   nano-credit amounts summing to exactly zero, and the shape its kind requires;
2. no cause appears twice;
3. walking the entries in time order (ties in append order), no account with an overdraft
   limit (projects, programs, usage) is ever below it;
4. for every job, the sum of its usage charges equals its metered usage, and its refunds do
   not exceed its charges. ``metered`` maps each job to the sum of its per-interval
   ``usage_credits`` — charges are per interval, each rounded on its own, so compare with
   that sum and not with one interval covering the whole run;
5. for every project, the credits it has committed equal the reservations its live jobs
   hold, no ended job holds any, and none is negative (``reservations``, from the store);
6. for every job, the daily usage summary the reports read (``summarised``: its credits
   summed by day in the store) equals its metered usage (skipped when not given).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from nacc.ledger.accounts import (
    EXACT,
    USAGE,
    ZERO,
    Account,
    Entry,
    EntryKind,
    credit_sum,
    fmt,
)
from nacc.ledger.journal import Journal

CHECKS = (
    "every entry balances and is well formed",
    "no cause is posted twice",
    "no account goes below its overdraft limit, in time order",
    "every job's usage charges equal its metered usage",
    "every project's committed credits equal its live jobs' reservations",
    "the daily usage summary the reports read equals the metered usage",
)


@dataclass(frozen=True, slots=True)
class Reservations:
    """One project's reservation books: ``committed`` (the project's total), ``live``
    (the sum over its pending and running jobs) and ``ended`` (over its ended jobs)."""

    project: str
    committed: Decimal
    live: Decimal
    ended: Decimal


@dataclass(frozen=True, slots=True)
class Violation:
    """One thing wrong: which check (index into ``CHECKS``), the cause involved, and why."""

    check: int
    cause: str | None
    message: str


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """What ``verify`` found; ``ok`` when there is no violation."""

    violations: tuple[Violation, ...]
    entries: int
    accounts: int
    jobs: int

    @property
    def ok(self) -> bool:
        return not self.violations

    def lines(self) -> list[str]:
        """The report for people: a summary, each check with its verdict, each violation."""
        head = (
            f"ledger verify: {self.entries} entries, {self.accounts} accounts, "
            f"{self.jobs} metered jobs: {'OK' if self.ok else f'{len(self.violations)} problem(s)'}"
        )
        out = [head]
        for index, check in enumerate(CHECKS):
            found = [v for v in self.violations if v.check == index]
            out.append(f"  [{'ok' if not found else 'FAIL'}] {check}")
            out.extend(f"      - {v.message}" for v in found)
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


def verify(
    journal: Journal,
    metered: Mapping[str, Decimal],
    reservations: Sequence[Reservations] = (),
    summarised: Mapping[str, Decimal] | None = None,
) -> VerifyReport:
    """Check ``journal`` against itself, against each job's ``metered`` credits, against
    the projects' ``reservations`` and the reports' ``summarised`` credits per job."""
    entries = journal.entries()
    violations = [
        *_unsound_entries(entries),
        *_double_causes(entries),
        *_overdrafts(journal, entries),
        *_metering(entries, metered),
        *_reservations(reservations),
        *_summary(metered, summarised),
    ]
    accounts = {p.account for e in entries for p in e.postings}
    return VerifyReport(tuple(violations), len(entries), len(accounts), len(metered))


def _reservations(books: Sequence[Reservations]) -> list[Violation]:
    found: list[Violation] = []
    for b in books:
        if b.committed != b.live or b.committed < ZERO:
            found.append(Violation(4, None, f"project:{b.project} has committed "
                                   f"{fmt(b.committed)} credits but its live jobs hold "
                                   f"{fmt(b.live)}"))  # fmt: skip
        if b.ended != ZERO:
            found.append(Violation(4, None, f"project:{b.project}'s ended jobs still hold "
                                   f"{fmt(b.ended)} credits"))  # fmt: skip
    return found


def _summary(metered: Mapping[str, Decimal],
             summarised: Mapping[str, Decimal] | None) -> list[Violation]:  # fmt: skip
    if summarised is None:
        return []
    found: list[Violation] = []
    for job in sorted(set(metered) | set(summarised)):
        used, shown = metered.get(job, ZERO), summarised.get(job, ZERO)
        if used != shown:
            found.append(Violation(5, None, f"job {job}: metered {fmt(used)} credits but the "
                                   f"daily usage summary holds {fmt(shown)}"))  # fmt: skip
    return found


def _unsound_entries(entries: Sequence[Entry]) -> list[Violation]:
    return [
        Violation(0, e.cause, f"entry #{i} {e.cause!r}: {problem}")
        for i, e in enumerate(entries)
        for problem in e.problems()
    ]


def _double_causes(entries: Sequence[Entry]) -> list[Violation]:
    seen: dict[str, list[int]] = defaultdict(list)
    for i, e in enumerate(entries):
        seen[e.cause].append(i)
    return [
        Violation(
            1,
            cause,
            f"cause {cause!r} is posted {len(at)} times "
            f"(entries {', '.join(f'#{i}' for i in at)}): it would be counted more than once",
        )
        for cause, at in seen.items()
        if len(at) > 1
    ]


def _overdrafts(journal: Journal, entries: Sequence[Entry]) -> list[Violation]:
    """Report each time a limited account dips below its limit, walking in time order."""
    order = sorted(range(len(entries)), key=lambda i: (_order_time(entries[i].at), i))
    running: dict[Account, Decimal] = defaultdict(lambda: ZERO)
    below: set[Account] = set()
    found: list[Violation] = []
    for i in order:
        entry = entries[i]
        for leg in entry.postings:
            if not (isinstance(leg.amount, Decimal) and leg.amount.is_finite()):
                continue
            account = leg.account
            running[account] = EXACT.add(running[account], leg.amount)
            limit = journal.overdraft(account)
            if limit is None or running[account] >= limit.copy_negate():
                below.discard(account)
            elif account not in below:
                below.add(account)
                found.append(_dip(i, entry, account, running[account], limit))
    return found


def _dip(index: int, entry: Entry, account: Account, balance: Decimal, limit: Decimal) -> Violation:
    return Violation(
        2,
        entry.cause,
        f"{account} falls to {fmt(balance)} credits at t={entry.at} (entry #{index} "
        f"{entry.cause!r}), below its overdraft limit of {fmt(limit)}",
    )


def _metering(entries: Sequence[Entry], metered: Mapping[str, Decimal]) -> list[Violation]:
    charged: dict[str, list[Decimal]] = defaultdict(list)
    refunded: dict[str, list[Decimal]] = defaultdict(list)
    for e in entries:
        if e.job is None or e.kind not in (EntryKind.USAGE, EntryKind.REFUND):
            continue
        book = charged if e.kind is EntryKind.USAGE else refunded
        book[e.job].append(_usage_leg(e).copy_abs())
    found: list[Violation] = []
    for job in sorted(set(charged) | set(metered) | set(refunded)):
        paid, used = credit_sum(charged.get(job, [])), metered.get(job, ZERO)
        back = credit_sum(refunded.get(job, []))
        if paid != used:
            gap = EXACT.subtract(paid, used)
            found.append(
                Violation(
                    3,
                    None,
                    f"job {job}: charged {fmt(paid)} credits in {len(charged.get(job, []))} "
                    f"interval(s) but metered {fmt(used)} "
                    f"({'over' if gap > 0 else 'under'}charged by {fmt(gap.copy_abs())})",
                )
            )
        if back > paid:
            msg = f"job {job}: refunded {fmt(back)} credits, more than its charges {fmt(paid)}"
            found.append(Violation(3, None, msg))
    return found


def _usage_leg(entry: Entry) -> Decimal:
    amounts = [
        p.amount
        for p in entry.postings
        if p.account == USAGE and isinstance(p.amount, Decimal) and p.amount.is_finite()
    ]
    return credit_sum(amounts)


def _order_time(at: float) -> float:
    return float(at) if isinstance(at, (int, float)) and math.isfinite(at) else math.inf


__all__ = ["CHECKS", "VerifyReport", "Violation", "verify"]
