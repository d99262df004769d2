"""SQL repositories of the store port: nacc.ports.store_jobs.

Session-bound classes over ``repos_jobs``, ``repos_projects`` and ``repos_ledger``,
which stay the SQL implementation (and keep its tuned paths: the two-statement funded
insert, row locks in key order); every ORM row is turned into its view here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nacc.adapters.store import repos_jobs, repos_ledger
from nacc.adapters.store import repos_projects as repos_proj
from nacc.adapters.store.repos import Page, fetch_page
from nacc.adapters.store.tables import Account, Job, JobEventRow, Project, UsageInterval
from nacc.domain.credits import to_credits
from nacc.domain.reasons import Reason
from nacc.ports.store_jobs import (
    LIVE_SCHEDULER,
    LIVE_STATES,
    AccountMove,
    AccountView,
    Beat,
    EntryView,
    FundsView,
    JobChange,
    JobEventView,
    JobView,
    NewEntry,
    NewJob,
    ReservationBook,
    UsageView,
    reason_of,
)

ZERO = Decimal(0)


def job_view(j: Job) -> JobView:
    types = None if j.accelerator_types is None else tuple(j.accelerator_types)
    devices = None if j.device_ids is None else tuple(j.device_ids)
    return JobView(
        id=j.id, project_id=j.project_id, submitted_by=j.submitted_by, command=j.command,
        image=j.image, accelerators=j.accelerators, accelerator_types=types,
        job_class=j.job_class, time_limit_s=j.time_limit_s, gang=j.gang,
        idempotency_key=j.idempotency_key, state=j.state, reason_text=j.reason or "",
        reason=reason_of(j.reason_code, j.reason_params), pool_id=j.pool_id,
        device_ids=devices, submitted_at=j.submitted_at, started_at=j.started_at,
        finished_at=j.finished_at, exit_code=j.exit_code, log_path=j.log_path,
        cancel_requested_at=j.cancel_requested_at, expected_start_at=j.expected_start_at,
        reserved_credits=to_credits(j.reserved_credits or ZERO),
    )  # fmt: skip


def event_view(e: JobEventRow) -> JobEventView:
    return JobEventView(e.at, e.src, e.dst, e.cause, reason_of(e.code, e.params))


def _coded(reason: Reason) -> dict[str, object]:
    return dict(reason.params)


class SqlJobs:
    def __init__(self, session: Session) -> None:
        self.session = session

    def insert_if_funded(
        self, new: NewJob, now: datetime, estimate: Decimal, account_key: str
    ) -> JobView | None:
        row = repos_jobs.insert_if_funded(self.session, new, now, estimate, account_key)
        return None if row is None else job_view(row)

    def create(self, new: NewJob, now: datetime) -> tuple[JobView, bool]:
        row, created = repos_jobs.create_job(self.session, new, now)
        return job_view(row), created

    def get(self, job_id: str) -> JobView | None:
        row = repos_jobs.get_job(self.session, job_id)
        return None if row is None else job_view(row)

    def by_idempotency_key(self, project_id: int, key: str) -> JobView | None:
        row = repos_jobs.job_by_idempotency_key(self.session, project_id, key)
        return None if row is None else job_view(row)

    def list_jobs(
        self, project_id: int, limit: int = 50, offset: int = 0, states: Iterable[str] | None = None
    ) -> Page[JobView]:
        page = repos_jobs.list_jobs(self.session, project_id, limit, offset, states)
        return Page([job_view(j) for j in page.items], page.total, page.limit, page.offset)

    def in_states(self, states: Iterable[str]) -> list[JobView]:
        return [job_view(j) for j in repos_jobs.jobs_in_states(self.session, states)]

    def ended_page(self, states: Iterable[str], limit: int, offset: int) -> Page[JobView]:
        query = sa.select(Job).where(Job.state.in_(list(states)))
        ended = sa.func.coalesce(Job.finished_at, Job.submitted_at)
        page = fetch_page(self.session, query, [ended.desc(), Job.id.desc()], limit, offset)
        return Page([job_view(j) for j in page.items], page.total, page.limit, page.offset)

    def request_cancel(self, job_id: str, now: datetime, reason: Reason, text: str) -> bool:
        stmt = (
            sa.update(Job)
            .where(Job.id == job_id, Job.cancel_requested_at.is_(None))
            .where(Job.state.in_(LIVE_STATES))
            .values(
                cancel_requested_at=now,
                reason=text,
                reason_code=reason.code,
                reason_params=_coded(reason),
            )
        )
        return bool(getattr(self.session.execute(stmt), "rowcount", 0))

    def transition(self, job_id: str, change: JobChange) -> JobEventView:
        text = change.text or change.reason.code
        plain = repos_jobs.Transition(change.dst, change.at, text, text, change.pool_id,
                                      change.device_ids, change.exit_code)  # fmt: skip
        event = repos_jobs.record_transition(self.session, job_id, plain)
        event.code, event.params = change.reason.code, _coded(change.reason)
        job = self.session.get(Job, job_id)
        assert job is not None
        job.reason_code, job.reason_params = change.reason.code, _coded(change.reason)
        self.session.flush()
        return event_view(event)

    def events(self, job_id: str) -> list[JobEventView]:
        return [event_view(e) for e in repos_jobs.job_events(self.session, job_id)]

    def draw_reservation(self, job_id: str, charged: Decimal) -> Decimal:
        return repos_jobs.draw_reservation(self.session, job_id, charged)

    def count_by_state(self) -> dict[str, int]:
        stmt = sa.select(Job.state, sa.func.count()).group_by(Job.state)
        return {state: int(n) for state, n in self.session.execute(stmt).all()}

    def running_by_pool(self) -> dict[str, int]:
        stmt = (
            sa.select(Job.pool_id, sa.func.sum(Job.accelerators))
            .where(Job.state == "running")
            .group_by(Job.pool_id)
        )
        return {pool or "": int(n or 0) for pool, n in self.session.execute(stmt).all()}

    def record_beat(self, beat: Beat) -> None:
        repos_jobs.record_beat(self.session, beat)

    def last_beat(self, name: str = LIVE_SCHEDULER) -> Beat | None:
        return repos_jobs.last_beat(self.session, name)


class SqlProjects:
    def __init__(self, session: Session) -> None:
        self.session = session

    def funds(self, project_id: int, *, lock: bool = False) -> FundsView | None:
        row = repos_proj.get_project(self.session, project_id, lock=lock)
        if row is None:
            return None
        balance = repos_ledger.balance(self.session, f"project:{row.id}")
        return FundsView(row.id, row.valid_from, row.valid_until, balance,
                         to_credits(row.overdraft_credits),
                         to_credits(row.committed_credits))  # fmt: skip

    def reservation_books(self) -> list[ReservationBook]:
        """One query for what jobs hold per project, one for the projects."""
        live = Job.state.in_(LIVE_STATES)
        credits = Job.reserved_credits.type  # sums read back as credits (nano-credits on SQLite)
        held = sa.select(
            Job.project_id,
            sa.type_coerce(sa.func.sum(sa.case((live, Job.reserved_credits), else_=0)), credits),
            sa.type_coerce(sa.func.sum(sa.case((live, 0), else_=Job.reserved_credits)), credits),
        ).group_by(Job.project_id)
        sums = {row[0]: (row[1], row[2]) for row in self.session.execute(held).all()}
        books = []
        rows = self.session.execute(sa.select(Project.id, Project.committed_credits))
        for pid, committed in rows.all():
            on_live, on_ended = sums.get(pid, (0, 0))
            books.append(ReservationBook(pid, to_credits(committed), to_credits(on_live or 0),
                                         to_credits(on_ended or 0)))  # fmt: skip
        return books


def account_view(a: Account) -> AccountView:
    overdraft = None if a.overdraft is None else to_credits(a.overdraft)
    return AccountView(a.key, a.kind, overdraft)


def usage_view(u: UsageInterval) -> UsageView:
    return UsageView(u.job_id, u.start_at, u.end_at, u.accelerator_type, u.count,
                     to_credits(u.credits))  # fmt: skip


class SqlLedger:
    def __init__(self, session: Session) -> None:
        self.session = session

    def open_account(self, key: str, kind: str, overdraft: Decimal | None = ZERO) -> AccountView:
        return account_view(repos_ledger.ensure_account(self.session, key, kind, overdraft))

    def get_account(self, key: str) -> AccountView | None:
        row = repos_ledger.get_account(self.session, key)
        return None if row is None else account_view(row)

    def accounts(self) -> list[AccountView]:
        rows = self.session.scalars(sa.select(Account).order_by(Account.key))
        return [account_view(a) for a in rows]

    def set_overdraft(self, key: str, overdraft: Decimal | None) -> None:
        repos_ledger.set_overdraft(self.session, key, overdraft)

    def lock_accounts(self, keys: Iterable[str]) -> list[AccountView]:
        return [account_view(a) for a in repos_ledger.lock_accounts(self.session, keys)]

    def append(self, entry: NewEntry) -> tuple[EntryView, bool]:
        row, created = repos_ledger.append_entry(self.session, entry)
        return repos_ledger.entry_view(self.session, row), created

    def job_usage(self, job_id: str) -> tuple[Decimal, Decimal]:
        return repos_ledger.job_usage(self.session, job_id)

    def by_cause(self, cause: str) -> EntryView | None:
        row = repos_ledger.entry_by_cause(self.session, cause)
        return None if row is None else repos_ledger.entry_view(self.session, row)

    def journal(
        self, account_key: str | None = None, limit: int = 100, offset: int = 0
    ) -> Page[EntryView]:
        page = repos_ledger.journal(self.session, account_key, limit, offset)
        views = repos_ledger.entry_views(self.session, page.items)
        return Page(views, page.total, page.limit, page.offset)

    def account_moves(self, key: str, limit: int = 100, offset: int = 0) -> list[AccountMove]:
        return repos_ledger.account_moves(self.session, key, limit, offset)

    def balance(self, key: str) -> Decimal:
        return repos_ledger.balance(self.session, key)

    def balances(self, keys: Iterable[str]) -> dict[str, Decimal]:
        return repos_ledger.balances(self.session, keys)

    def record_usage(self, usage: UsageView) -> tuple[UsageView, bool]:
        row, created = repos_ledger.record_usage(self.session, usage)
        return usage_view(row), created

    def usage_for_job(self, job_id: str) -> list[UsageView]:
        return [usage_view(u) for u in repos_ledger.usage_for_job(self.session, job_id)]

    def jobs_usage(self, job_ids: Iterable[str]) -> dict[str, tuple[Decimal, Decimal]]:
        return repos_ledger.jobs_usage(self.session, job_ids)

    def usage_for_jobs(self, job_ids: Iterable[str]) -> dict[str, list[UsageView]]:
        ids = sorted(set(job_ids))
        out: dict[str, list[UsageView]] = {j: [] for j in ids}
        if ids:
            stmt = sa.select(UsageInterval).where(UsageInterval.job_id.in_(ids))
            for u in self.session.scalars(
                stmt.order_by(UsageInterval.job_id, UsageInterval.start_at)
            ):
                out[u.job_id].append(usage_view(u))
        return out

    def metered_by_job(self) -> dict[str, Decimal]:
        return repos_ledger.metered_by_job(self.session)
