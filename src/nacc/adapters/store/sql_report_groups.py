"""SQL of ``ReportsRepo.usage_groups`` and ``wait_groups``: usage and waits grouped in the
database by the report's keys (one row per group), percentiles by ``percentile_disc`` on
PostgreSQL; on SQLite the waits are read per job and grouped here (no percentiles there).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from nacc.adapters.store import sql_usage_days
from nacc.adapters.store.tables import (
    Call,
    Job,
    Organisation,
    Program,
    Project,
    Proposal,
    RoleAssignment,
    User,
)
from nacc.adapters.store.types import Credits
from nacc.ports.store_report_groups import UsageGroup, WaitGroup, wait_group


def window(col: Any, since: datetime | None, until: datetime | None) -> list[Any]:
    """``col`` within ``[since, until)`` (None: unbounded), as where-clauses."""
    out = []
    if since is not None:
        out.append(col >= since)
    if until is not None:
        out.append(col < until)
    return out


def _column(key: str, pi_org: Any) -> Any:
    """A project key's value (``pi_org``: the PI's organisation, for projects made
    without a proposal)."""
    if key == "program":
        value: Any = sa.func.coalesce(Program.name, "")
    elif key == "org":
        value = sa.func.coalesce(Organisation.name, pi_org.name, "")
    elif key == "org_kind":
        value = sa.func.coalesce(Organisation.kind, pi_org.kind, "")
    elif key == "call":
        value = sa.func.coalesce(sa.cast(Call.id, sa.String), "")
    elif key == "project":
        value = Project.name
    else:
        raise ValueError(f"unknown report key {key!r}")
    return value.label(key)


class _Facts:
    """What each project belongs to (the ``keys`` of it asked), as one row per project
    joined to the jobs' rows: the project's joins (proposal, call, program, organisation,
    the PI's organisation) made once per project, not once per job and period."""

    PROJECT_KEYS = ("program", "org", "org_kind", "call", "project")

    def __init__(self, keys: Sequence[str]) -> None:
        self.keys = [k for k in keys if k in self.PROJECT_KEYS]
        self.table = self._table() if self.keys else None

    def _table(self) -> Any:
        pu, po = aliased(User), aliased(Organisation)  # the PI's (no proposal)
        stmt = (
            sa.select(Project.id.label("project_id"), *(_column(k, po) for k in self.keys))
            .outerjoin(Proposal, Proposal.id == Project.proposal_id)
            .outerjoin(Call, Call.id == Proposal.call_id)
            .outerjoin(Program, Program.id == Call.program_id)
            .outerjoin(Organisation, Organisation.id == Proposal.organisation_id)
        )
        if set(self.keys) & {"org", "org_kind"}:
            pi = (  # a project made without a proposal: the organisation of its first PI
                sa.select(RoleAssignment.scope.label("scope"), sa.func.min(User.id).label("uid"))
                .join(User, User.id == RoleAssignment.user_id)
                .join(Organisation, Organisation.id == User.organisation_id)
                .where(RoleAssignment.role == "pi", RoleAssignment.scope.like("project:%"))
                .group_by(RoleAssignment.scope)
                .subquery()
            )
            scope = sa.literal("project:") + sa.cast(Project.id, sa.String)
            stmt = (
                stmt.outerjoin(pi, pi.c.scope == scope)
                .outerjoin(pu, pu.id == pi.c.uid)
                .outerjoin(po, po.id == pu.organisation_id)
            )
        # OFFSET 0: PostgreSQL keeps it a subquery (made once per project), not flattened
        return stmt.offset(0).subquery("facts")

    def join(self, stmt: Any, project_id: Any) -> Any:
        if self.table is None:
            return stmt
        return stmt.join(self.table, self.table.c.project_id == project_id)

    def column(self, key: str) -> Any:
        assert self.table is not None, key
        return self.table.c[key]


def usage_groups(session: Session, since: datetime | None, until: datetime | None,
                 period: str, keys: Sequence[str]) -> list[UsageGroup]:  # fmt: skip
    """Summed first by job and period (and type when asked: ~one row per job), from the
    daily summary (``sql_usage_days``), then by the keys over the jobs' joins: no
    ``count(DISTINCT)``, so both steps hash."""
    facts = _Facts(keys)
    per_job = sql_usage_days.per_job(session, since, until, period, "type" in keys)
    cols: list[Any] = []
    for key in keys:
        if key == "type":
            cols.append(per_job.c.type)
        elif key == "pool":
            cols.append(sa.func.coalesce(Job.pool_id, ""))
        else:
            cols.append(facts.column(key))
    if period != "all":
        cols.insert(0, per_job.c.period)
    sqlite = session.get_bind().dialect.name == "sqlite"
    exact = Credits() if sqlite else sa.Numeric(24, 9, asdecimal=True)  # numeric(24, 9) sums
    stmt = sa.select(
        *cols,
        sa.type_coerce(sa.func.sum(per_job.c.credits), exact),
        sa.func.sum(per_job.c.secs),
        sa.func.count(),
    ).join(Job, Job.id == per_job.c.job_id)
    stmt = facts.join(stmt, Job.project_id)
    if cols:
        stmt = stmt.group_by(*cols)
    first, n = (0, 0) if period == "all" else (1, 1)
    n += len(keys)
    return [
        UsageGroup(
            str(row[0]) if first else "",
            tuple(map(str, row[first:n])),
            row[n],
            float(row[n + 1] or 0.0),
            int(row[n + 2]),
        )
        for row in session.execute(stmt).all()
        if row[n + 2]
    ]  # fmt: skip  (no keys, no usage: one row of nothing, not a group)


def _size(buckets: Sequence[tuple[int, str]], rest: str) -> Any:
    if not buckets:
        return sa.literal(rest)
    return sa.case(*((Job.accelerators <= top, name) for top, name in buckets), else_=rest)


def wait_groups(session: Session, since: datetime | None, until: datetime | None, key: str,
                buckets: Sequence[tuple[int, str]], rest: str) -> list[WaitGroup]:  # fmt: skip
    facts = _Facts([key])
    group = _size(buckets, rest) if key == "size" else facts.column(key)
    where = [Job.started_at.is_not(None), *window(Job.started_at, since, until)]
    if session.get_bind().dialect.name == "sqlite":
        stmt = sa.select(group, Job.submitted_at, Job.started_at)
        stmt = facts.join(stmt, Job.project_id).where(*where)
        groups: dict[str, list[float]] = {}
        for name, sub, start in session.execute(stmt).all():
            groups.setdefault(str(name), []).append(max(0.0, (start - sub).total_seconds()))
        return [wait_group(name, values) for name, values in sorted(groups.items())]
    wait = sa.func.greatest(
        0.0, sa.cast(sa.func.extract("epoch", Job.started_at - Job.submitted_at), sa.Float)
    )
    pct = [sa.func.percentile_disc(q).within_group(wait) for q in (0.5, 0.9, 0.99)]
    stmt = sa.select(group, sa.func.count(), sa.func.avg(wait), *pct, sa.func.max(wait))
    stmt = facts.join(stmt, Job.project_id).where(*where).group_by(group).order_by(group)
    return [WaitGroup(str(g), int(n), float(mean), float(p50), float(p90), float(p99),
                      float(top)) for g, n, mean, p50, p90, p99, top
            in session.execute(stmt).all()]  # fmt: skip
