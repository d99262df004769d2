"""The append-only double-entry credit journal (pure state, no IO).

Every entry moves credits between accounts: its legs' signed amounts sum to exactly zero
(positive: credits into the account). Each entry carries a *cause*, the key of the event
that produced it (``award:17:tranche:1``, ``job:abc:usage:1700000000-1700000060``);
posting a cause that is already in the journal is a no-op that returns the original
entry, so retries of any step are safe. Entries are never changed or removed: a mistake
is corrected by another entry (a refund, a transfer).

An account may not go below minus its overdraft limit (``accounts.DEFAULT_OVERDRAFT``,
settable per account) at any point of the journal *in time order*: a back-dated entry is
checked against every later balance of the accounts it draws from. A store adapter
persists ``entries()`` and rebuilds with ``Journal.restore``; ``verify`` re-checks
everything.
"""

from __future__ import annotations

import math
from bisect import bisect_right, insort
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from nacc.ledger.accounts import (
    DEFAULT_OVERDRAFT,
    EXACT,
    FUNDING,
    SHAPES,
    USAGE,
    ZERO,
    Account,
    CauseConflict,
    Entry,
    EntryKind,
    InsufficientCredits,
    InvalidEntry,
    Posting,
    credit_sum,
    fmt,
    program,
    project,
    to_credits,
    transfer,
    usage_cause,
)

__all__ = [
    "SHAPES",
    "Entry",
    "EntryKind",
    "Journal",
    "PostResult",
    "Posting",
    "transfer",
    "usage_cause",
]


@dataclass(frozen=True, slots=True)
class PostResult:
    """The entry in the journal for the posted cause. ``applied`` is False when the cause
    was already there (a retry): ``entry`` is then the original."""

    entry: Entry
    applied: bool
    seq: int


def _order_time(at: float) -> float:
    return float(at) if isinstance(at, (int, float)) and math.isfinite(at) else math.inf


class Journal:
    """The in-memory journal: entries in append order plus the balances they imply."""

    def __init__(
        self, overdrafts: Mapping[Account, Decimal | int | str | None] | None = None
    ) -> None:
        self._entries: list[Entry] = []
        self._by_cause: dict[str, int] = {}
        self._balances: dict[Account, Decimal] = {}
        self._timeline: dict[Account, list[tuple[float, int, Decimal]]] = {}
        self._charged: dict[str, Decimal] = {}
        self._refunded: dict[str, Decimal] = {}
        self._overdrafts: dict[Account, Decimal | None] = {}
        for account, limit in (overdrafts or {}).items():
            self.set_overdraft(account, limit)

    @classmethod
    def restore(
        cls,
        entries: Iterable[Entry],
        overdrafts: Mapping[Account, Decimal | int | str | None] | None = None,
    ) -> Journal:
        """A journal holding ``entries`` as persisted, unchecked (``verify`` checks it)."""
        journal = cls(overdrafts)
        for entry in entries:
            journal._apply(entry)
        return journal

    @classmethod
    def opening(
        cls,
        balances: Mapping[Account, Decimal],
        overdrafts: Mapping[Account, Decimal | int | str | None] | None = None,
        *,
        charged: Mapping[str, Decimal] | None = None,
        refunded: Mapping[str, Decimal] | None = None,
    ) -> Journal:
        """A journal that starts at the head of a persisted one: ``balances`` (and jobs'
        ``charged`` / ``refunded`` usage) stand for every entry before, none of them after.
        A store posts a new entry by the ledger's rules with ``opening(...).post(entry)``,
        reading only the balances of the accounts it touches."""
        journal = cls(overdrafts)
        for account, amount in balances.items():
            journal._balances[account] = amount
            journal._timeline[account] = [(-math.inf, -1, amount)]
        journal._charged.update(charged or {})
        journal._refunded.update(refunded or {})
        return journal

    # -- configuration

    def set_overdraft(self, account: Account, limit: Decimal | int | str | None) -> None:
        """Let ``account`` go down to ``-limit`` credits (``None``: no limit). The limit is
        configuration; ``verify`` checks the whole history against the current one."""
        if limit is None:
            self._overdrafts[account] = None
            return
        value = to_credits(limit)
        if value < 0:
            raise ValueError(f"an overdraft limit is ≥ 0 credits, got {fmt(value)}")
        self._overdrafts[account] = value

    def overdraft(self, account: Account) -> Decimal | None:
        """How far below zero ``account`` may go (``None``: no limit)."""
        if account in self._overdrafts:
            return self._overdrafts[account]
        return DEFAULT_OVERDRAFT[account.kind]

    # -- reading

    def balance(self, account: Account, at: float | None = None) -> Decimal:
        """Credits in ``account`` now, or after every entry dated at or before ``at``."""
        if at is None:
            return self._balances.get(account, ZERO)
        line = self._timeline.get(account, [])
        return credit_sum(d for _, _, d in line[: bisect_right(line, at, key=_time_of)])

    def balances(self) -> dict[Account, Decimal]:
        """Every account that has been posted to, with its balance."""
        return dict(self._balances)

    def entries(self, account: Account | None = None) -> tuple[Entry, ...]:
        """Entries in append order, optionally only those with a leg on ``account``."""
        if account is None:
            return tuple(self._entries)
        return tuple(e for e in self._entries if any(p.account == account for p in e.postings))

    def by_cause(self, cause: str) -> Entry | None:
        index = self._by_cause.get(cause)
        return None if index is None else self._entries[index]

    def charged(self, job: str) -> Decimal:
        """Credits charged as usage to ``job`` (refunds not subtracted)."""
        return self._charged.get(job, ZERO)

    def refunded(self, job: str) -> Decimal:
        return self._refunded.get(job, ZERO)

    def __len__(self) -> int:
        return len(self._entries)

    # -- posting

    def post(self, entry: Entry) -> PostResult:
        """Append ``entry`` unless its cause is already posted (then return the original).

        Raises ``InvalidEntry`` (malformed), ``CauseConflict`` (the cause is posted with
        another effect) or ``InsufficientCredits`` (an account would go below its overdraft
        limit); in every case the journal is left unchanged.
        """
        problems = entry.problems()
        if problems:
            raise InvalidEntry(entry.cause, problems)
        index = self._by_cause.get(entry.cause)
        if index is not None:
            return self._repost(self._entries[index], entry, index)
        self._check_refund(entry)
        for leg in entry.postings:
            if leg.amount < 0:
                self._check_limit(leg.account, entry, leg.amount)
        return PostResult(entry, True, self._apply(entry))

    def fund_program(
        self, program_id: str, amount: Decimal | int | str, cause: str, *, at: float, memo: str = ""
    ) -> PostResult:
        """Mint ``amount`` credits into a program's budget."""
        entry = transfer(
            EntryKind.FUNDING, FUNDING, program(program_id), amount, cause, at=at, memo=memo
        )
        return self.post(entry)

    def award(
        self,
        program_id: str,
        project_id: str,
        amount: Decimal | int | str,
        cause: str,
        *,
        at: float,
        memo: str = "",
    ) -> PostResult:
        """Release ``amount`` from a program's budget to a project (refused beyond budget)."""
        entry = transfer(
            EntryKind.AWARD,
            program(program_id),
            project(project_id),
            amount,
            cause,
            at=at,
            memo=memo,
        )
        return self.post(entry)

    def charge_usage(
        self,
        project_id: str,
        amount: Decimal | int | str,
        cause: str,
        *,
        job: str,
        at: float,
        memo: str = "",
    ) -> PostResult:
        """Charge one metered interval of ``job`` to its project (see ``usage_cause``)."""
        entry = transfer(
            EntryKind.USAGE, project(project_id), USAGE, amount, cause, at=at, memo=memo, job=job
        )
        return self.post(entry)

    def refund(
        self,
        project_id: str,
        amount: Decimal | int | str,
        cause: str,
        *,
        at: float,
        job: str | None = None,
        memo: str = "",
    ) -> PostResult:
        """Give consumed credits back to a project (at most what ``job`` was charged)."""
        entry = transfer(
            EntryKind.REFUND, USAGE, project(project_id), amount, cause, at=at, memo=memo, job=job
        )
        return self.post(entry)

    # -- internals

    def _repost(self, original: Entry, entry: Entry, index: int) -> PostResult:
        if original.effect() != entry.effect():
            raise CauseConflict(
                f"cause {entry.cause!r} is already posted with another effect: "
                f"posted {_describe(original)}; now {_describe(entry)}"
            )
        return PostResult(original, False, index)

    def _check_refund(self, entry: Entry) -> None:
        if entry.kind is not EntryKind.REFUND or entry.job is None:
            return
        amount = entry.amount_for(USAGE).copy_negate()
        room = EXACT.subtract(self.charged(entry.job), self.refunded(entry.job))
        if amount > room:
            raise InvalidEntry(
                entry.cause,
                [f"refund of {fmt(amount)} for job {entry.job} exceeds its charges {fmt(room)}"],
            )

    def _check_limit(self, account: Account, entry: Entry, delta: Decimal) -> None:
        """Refuse ``delta`` if ``account`` would dip below its limit at any time ≥ entry.at."""
        limit = self.overdraft(account)
        if limit is None:
            return
        line = self._timeline.get(account, [])
        later = [d for _, _, d in line[bisect_right(line, entry.at, key=_time_of) :]]
        running = EXACT.add(EXACT.subtract(self.balance(account), credit_sum(later)), delta)
        lowest = running
        for d in later:
            running = EXACT.add(running, d)
            lowest = min(lowest, running)
        shortfall = EXACT.subtract(EXACT.minus(limit), lowest)
        if shortfall > 0:
            raise InsufficientCredits(
                account, self.balance(account), delta.copy_negate(), shortfall, entry.cause
            )

    def _apply(self, entry: Entry) -> int:
        seq = len(self._entries)
        self._entries.append(entry)
        self._by_cause.setdefault(entry.cause, seq)
        when = _order_time(entry.at)
        for leg in entry.postings:
            if not (isinstance(leg.amount, Decimal) and leg.amount.is_finite()):
                continue
            self._balances[leg.account] = EXACT.add(self.balance(leg.account), leg.amount)
            insort(self._timeline.setdefault(leg.account, []), (when, seq, leg.amount))
        if entry.job is not None and entry.kind in (EntryKind.USAGE, EntryKind.REFUND):
            book = self._charged if entry.kind is EntryKind.USAGE else self._refunded
            moved = entry.amount_for(USAGE).copy_abs()
            book[entry.job] = EXACT.add(book.get(entry.job, ZERO), moved)
        return seq


def _time_of(row: tuple[float, int, Decimal]) -> float:
    return row[0]


def _describe(entry: Entry) -> str:
    legs = ", ".join(f"{p.account} {fmt(p.amount)}" for p in entry.postings)
    job = f" job {entry.job}" if entry.job else ""
    return f"{entry.kind}{job} [{legs}]"
