"""SQL queries of usage reports (the ``reports`` repository of a unit)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nacc.adapters.store import sql_report_groups, sql_usage_days
from nacc.adapters.store.tables import (
    Call,
    Job,
    Organisation,
    Program,
    Project,
    Proposal,
    RoleAssignment,
    UsageInterval,
    User,
)
from nacc.adapters.store.tables_reports import UsageDayRow
from nacc.adapters.store.types import Credits
from nacc.domain.credits import to_credits
from nacc.ports.store_report_groups import UsageGroup, WaitGroup
from nacc.ports.store_reports import ProjectFacts, StartFact, UsageDay, UsageFact

_window = sql_report_groups.window


class SqlReports:
    def __init__(self, session: Session) -> None:
        self.session = session

    def usage(self, since: datetime | None, until: datetime | None) -> list[UsageFact]:
        u = UsageInterval
        stmt = (
            sa.select(
                u.job_id,
                Job.project_id,
                Job.pool_id,
                u.accelerator_type,
                u.start_at,
                u.end_at,
                u.count,
                u.credits,
            )
            .join(Job, Job.id == u.job_id)
            .where(*_window(u.start_at, since, until))
            .order_by(u.start_at, u.id)
        )
        return [
            UsageFact(j, p, pool, t, s, e, n, to_credits(c))
            for j, p, pool, t, s, e, n, c in self.session.execute(stmt).all()
        ]

    def usage_days(self, since: datetime | None, until: datetime | None) -> list[UsageDay]:
        days = sql_usage_days.per_job(self.session, since, until, "day", with_type=True)
        sqlite = self.session.get_bind().dialect.name == "sqlite"
        exact = Credits() if sqlite else sa.Numeric(24, 9, asdecimal=True)
        stmt = (
            sa.select(days.c.job_id, Job.project_id, Job.pool_id, days.c.type, days.c.period,
                      sa.type_coerce(days.c.credits, exact), days.c.secs)
            .join(Job, Job.id == days.c.job_id)
            .order_by(days.c.period, days.c.job_id, days.c.type)
        )  # fmt: skip
        return [
            UsageDay(j, p, pool, t, d if isinstance(d, date) else date.fromisoformat(d),
                     to_credits(c), float(secs or 0.0))
            for j, p, pool, t, d, c, secs in self.session.execute(stmt).all()
        ]  # fmt: skip

    def usage_overlapping(self, since: datetime, until: datetime) -> list[UsageFact]:
        u = UsageInterval
        stmt = (
            sa.select(u.job_id, Job.project_id, Job.pool_id, u.accelerator_type, u.start_at,
                      u.end_at, u.count, u.credits)
            .join(Job, Job.id == u.job_id)
            .where(u.end_at > since, u.start_at < until)
            .order_by(u.start_at, u.id)
        )  # fmt: skip
        return [UsageFact(*row) for row in self.session.execute(stmt).all()]

    def summarised_by_job(self) -> dict[str, Decimal]:
        d = UsageDayRow
        total = sa.type_coerce(sa.func.sum(d.credits), Credits())
        stmt = sa.select(d.job_id, total).group_by(d.job_id)
        return {job: to_credits(c) for job, c in self.session.execute(stmt).all()}

    def delivered_by_pool(self) -> dict[str, Decimal]:
        d = UsageDayRow  # the daily summary: the same sums as the intervals'
        total = sa.type_coerce(sa.func.sum(d.credits), Credits())
        stmt = (
            sa.select(Job.pool_id, total)
            .join(Job, Job.id == d.job_id)
            .where(Job.pool_id.is_not(None))
            .group_by(Job.pool_id)
        )
        return {str(pool): amount for pool, amount in self.session.execute(stmt).all()}

    def projects(self) -> list[ProjectFacts]:
        stmt = (
            sa.select(
                Project.id,
                Project.name,
                Program.name,
                Organisation.name,
                Organisation.kind,
                Call.sector_tags,
            )
            .outerjoin(Proposal, Proposal.id == Project.proposal_id)
            .outerjoin(Call, Call.id == Proposal.call_id)
            .outerjoin(Program, Program.id == Call.program_id)
            .outerjoin(Organisation, Organisation.id == Proposal.organisation_id)
            .order_by(Project.id)
        )
        # a project made without a proposal: the organisation of its PI
        pi_org = (
            sa.select(RoleAssignment.scope, Organisation.name, Organisation.kind)
            .join(User, User.id == RoleAssignment.user_id)
            .join(Organisation, Organisation.id == User.organisation_id)
            .where(RoleAssignment.role == "pi", RoleAssignment.scope.like("project:%"))
            .order_by(User.id)
        )
        by_pi: dict[int, tuple[str, str]] = {}
        for scope, org_name, org_kind in self.session.execute(pi_org).all():
            ident = scope.partition(":")[2]
            if ident.isdigit():
                by_pi.setdefault(int(ident), (org_name, org_kind))
        out = []
        for i, name, prog, org, kind, tags in self.session.execute(stmt).all():
            if org is None and i in by_pi:
                org, kind = by_pi[i]
            out.append(ProjectFacts(i, name, prog or "", org or "", kind or "", tuple(tags or ())))
        return out

    def starts(self, since: datetime | None, until: datetime | None) -> list[StartFact]:
        stmt = (
            sa.select(Job.id, Job.project_id, Job.accelerators, Job.submitted_at, Job.started_at)
            .where(Job.started_at.is_not(None), *_window(Job.started_at, since, until))
            .order_by(Job.started_at, Job.id)
        )
        return [
            StartFact(j, p, n, sub, start)
            for j, p, n, sub, start in self.session.execute(stmt).all()
            if start is not None
        ]

    def usage_groups(self, since: datetime | None, until: datetime | None, period: str,
                     keys: Sequence[str]) -> list[UsageGroup]:  # fmt: skip
        return sql_report_groups.usage_groups(self.session, since, until, period, keys)

    def wait_groups(self, since: datetime | None, until: datetime | None, key: str,
                    buckets: Sequence[tuple[int, str]], rest: str) -> list[WaitGroup]:  # fmt: skip
        return sql_report_groups.wait_groups(self.session, since, until, key, buckets, rest)
