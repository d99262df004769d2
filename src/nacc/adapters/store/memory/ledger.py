"""In-memory ledger of the store port (``LedgerRepo``): accounts, entries kept once per
cause, balances summed exactly, metered usage. Like the SQL store it keeps no posting
rules: ``nacc.service.posting`` posts by ``nacc.ledger``'s."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from nacc.adapters.store.memory.people import page
from nacc.domain.credits import EXACT, to_credits
from nacc.ports.pages import InvalidReference, Page
from nacc.ports.store_jobs import AccountMove, AccountView, EntryView, NewEntry, UsageView

if TYPE_CHECKING:
    from nacc.adapters.store.memory import Tables

ZERO = Decimal(0)


class MemLedger:
    def __init__(self, tables: Tables) -> None:
        self.root = tables
        self.t = tables.jobs

    def open_account(self, key: str, kind: str, overdraft: Decimal | None = ZERO) -> AccountView:
        if key not in self.t.accounts:
            floor = None if overdraft is None else to_credits(overdraft)
            self.t.accounts[key] = AccountView(key, kind, floor)
        return self.t.accounts[key]

    def get_account(self, key: str) -> AccountView | None:
        return self.t.accounts.get(key)

    def accounts(self) -> list[AccountView]:
        return [self.t.accounts[k] for k in sorted(self.t.accounts)]

    def set_overdraft(self, key: str, overdraft: Decimal | None) -> None:
        account = self.t.accounts.get(key)
        if account is not None:
            floor = None if overdraft is None else to_credits(overdraft)
            self.t.accounts[key] = AccountView(key, account.kind, floor)

    def lock_accounts(self, keys: Iterable[str]) -> list[AccountView]:
        wanted = sorted(set(keys))
        missing = [k for k in wanted if k not in self.t.accounts]
        if missing:
            raise InvalidReference("ledger account", f"no account {', '.join(missing)}")
        return [self.t.accounts[k] for k in wanted]

    def append(self, entry: NewEntry) -> tuple[EntryView, bool]:
        earlier = self.by_cause(entry.cause)
        if earlier is not None:
            return earlier, False
        self.lock_accounts(k for k, _ in entry.legs)
        legs = tuple((k, to_credits(a)) for k, a in entry.legs)
        view = EntryView(len(self.t.entries) + 1, entry.cause, entry.at, entry.kind, legs,
                         entry.memo, entry.job)  # fmt: skip
        self.t.causes[entry.cause] = len(self.t.entries)
        self.t.entries.append(view)
        for key, amount in legs:
            self.t.balances[key] = EXACT.add(self.t.balances.get(key, ZERO), amount)
        return view, True

    def job_usage(self, job_id: str) -> tuple[Decimal, Decimal]:
        books = {"usage": ZERO, "refund": ZERO}
        for e in self.t.entries:
            if e.job == job_id and e.kind in books:
                moved = sum((a for k, a in e.legs if k == "usage"), ZERO)
                books[e.kind] = EXACT.add(books[e.kind], moved)
        return books["usage"], EXACT.minus(books["refund"])

    def by_cause(self, cause: str) -> EntryView | None:
        index = self.t.causes.get(cause)
        return None if index is None else self.t.entries[index]

    def journal(
        self, account_key: str | None = None, limit: int = 100, offset: int = 0
    ) -> Page[EntryView]:
        def touches(e: EntryView) -> bool:
            return account_key is None or any(k == account_key for k, _ in e.legs)

        return page(self.t.entries, limit, offset, touches)

    def account_moves(self, key: str, limit: int = 100, offset: int = 0) -> list[AccountMove]:
        return [AccountMove(e.at, e.kind, to_credits(sum((a for k, a in e.legs if k == key), ZERO)))
                for e in self.journal(key, limit, offset).items]  # fmt: skip

    def balance(self, key: str) -> Decimal:
        return to_credits(self.t.balances.get(key, ZERO))

    def balances(self, keys: Iterable[str]) -> dict[str, Decimal]:
        return {key: self.balance(key) for key in keys}

    def record_usage(self, usage: UsageView) -> tuple[UsageView, bool]:
        if usage.job_id not in self.t.jobs:
            raise InvalidReference(f"usage of job {usage.job_id}", "no such job")
        key = (usage.job_id, usage.start_at)
        if key in self.t.usage:
            return self.t.usage[key], False
        self.t.usage[key] = usage
        return usage, True

    def usage_for_job(self, job_id: str) -> list[UsageView]:
        mine = [u for (j, _), u in self.t.usage.items() if j == job_id]
        return sorted(mine, key=lambda u: u.start_at)

    def jobs_usage(self, job_ids: Iterable[str]) -> dict[str, tuple[Decimal, Decimal]]:
        return {j: self.job_usage(j) for j in sorted(set(job_ids))}

    def usage_for_jobs(self, job_ids: Iterable[str]) -> dict[str, list[UsageView]]:
        return {j: self.usage_for_job(j) for j in sorted(set(job_ids))}

    def metered_by_job(self) -> dict[str, Decimal]:
        total: dict[str, Decimal] = {}
        for (job, _), u in self.t.usage.items():
            total[job] = EXACT.add(total.get(job, ZERO), u.credits)
        return {job: to_credits(v) for job, v in total.items()}
