"""Projects (what an award becomes), their members and credit tranches."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nacc.adapters.store.repos import Page, fetch_page, insert
from nacc.adapters.store.tables import (
    PROJECT_ROLES,
    TRANCHE_CONDITIONS,
    Project,
    ProjectMember,
    Proposal,
    Tranche,
)
from nacc.domain.errors import InputError


@dataclass(frozen=True, slots=True)
class ProjectSpec:
    """A project: ``members`` maps user id to role (pi | member); ``tranches`` are
    ``(amount, release_condition)`` in release order."""

    name: str
    valid_from: datetime
    valid_until: datetime
    proposal_id: int | None = None
    overdraft_credits: Decimal = Decimal(0)
    members: Mapping[int, str] = field(default_factory=dict)
    tranches: Sequence[tuple[Decimal, str]] = ()


def create_project(session: Session, spec: ProjectSpec) -> Project:
    """A project with its members and (unreleased) tranches, numbered from 1."""
    project = Project(
        proposal_id=spec.proposal_id,
        name=spec.name,
        valid_from=spec.valid_from,
        valid_until=spec.valid_until,
        overdraft_credits=spec.overdraft_credits,
    )
    insert(session, project, f"project {spec.name!r}")
    for user_id, role in spec.members.items():
        add_project_member(session, project.id, user_id, role)
    for seq, (amount, condition) in enumerate(spec.tranches, start=1):
        add_tranche(session, project.id, seq, amount, condition)
    return project


def get_project(
    session: Session, project_id: int, *, lock: bool = False, share: bool = False
) -> Project | None:
    """The project; with ``lock``, its row is locked until the transaction ends (what a
    check of its funds followed by a reservation needs, so two cannot interleave); with
    ``share``, no one may change it meanwhile but other readers may read it."""
    if lock or share:
        return session.get(Project, project_id, with_for_update={"read": share and not lock})
    return session.get(Project, project_id)


def job_terms(session: Session, project_id: int) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
    """The award's job classes and accelerator types (``AwardsRepo.job_terms``) in one
    query of two columns: every submission asks (the whole project and proposal rows
    through the ORM cost it more than the rest of the check)."""
    row = session.execute(_TERMS, {"p_id": project_id}).first()
    if row is None or row[0] is None:
        return (), None
    types = None if row[1] is None else tuple(row[1])
    return tuple(row[0]), types


_TERMS = (
    sa.select(Proposal.__table__.c.job_classes, Proposal.__table__.c.accelerator_types)
    .select_from(Project.__table__)
    .join(Proposal.__table__, Proposal.__table__.c.id == Project.__table__.c.proposal_id)
    .where(Project.__table__.c.id == sa.bindparam("p_id"))
)


def available_credits(project: Project, balance: Decimal) -> Decimal:
    """What a new job of ``project`` may cost: its ``balance`` plus overdraft less what
    its live jobs hold (the same sum ``repos_jobs.insert_if_funded`` checks in SQL)."""
    return balance + project.overdraft_credits - project.committed_credits


def project_for_proposal(session: Session, proposal_id: int) -> Project | None:
    return session.scalar(sa.select(Project).where(Project.proposal_id == proposal_id))


def list_projects(session: Session, limit: int = 100, offset: int = 0) -> Page[Project]:
    return fetch_page(session, sa.select(Project), [Project.id], limit, offset)


def projects_of_user(session: Session, user_id: int) -> list[Project]:
    stmt = (
        sa.select(Project)
        .join(ProjectMember, ProjectMember.project_id == Project.id)
        .where(ProjectMember.user_id == user_id)
        .order_by(Project.id)
    )
    return list(session.scalars(stmt))


def add_project_member(session: Session, project_id: int, user_id: int, role: str) -> ProjectMember:
    if role not in PROJECT_ROLES:
        raise InputError("project member role", f"{role!r} not among {', '.join(PROJECT_ROLES)}")
    member = ProjectMember(project_id=project_id, user_id=user_id, role=role)
    return insert(session, member, f"member {user_id} of project {project_id}")


def project_members(session: Session, project_id: int) -> list[ProjectMember]:
    stmt = sa.select(ProjectMember).where(ProjectMember.project_id == project_id)
    return list(session.scalars(stmt.order_by(ProjectMember.user_id)))


def member_role(session: Session, project_id: int, user_id: int) -> str | None:
    """The user's role in the project, or None for a non-member."""
    member = session.get(ProjectMember, (project_id, user_id))
    return None if member is None else member.role


def add_tranche(
    session: Session, project_id: int, seq: int, amount: Decimal, condition: str
) -> Tranche:
    if condition not in TRANCHE_CONDITIONS:
        raise InputError("tranche condition", f"{condition!r} not among {TRANCHE_CONDITIONS}")
    tranche = Tranche(project_id=project_id, seq=seq, amount=amount, release_condition=condition)
    return insert(session, tranche, f"tranche {seq} of project {project_id}")


def tranches_of(session: Session, project_id: int) -> list[Tranche]:
    stmt = sa.select(Tranche).where(Tranche.project_id == project_id).order_by(Tranche.seq)
    return list(session.scalars(stmt))


def release_tranche(session: Session, tranche_id: int, now: datetime) -> bool:
    """Mark a tranche released; True the first time, False if it already was."""
    stmt = (
        sa.update(Tranche)
        .where(Tranche.id == tranche_id, Tranche.released_at.is_(None))
        .values(released_at=now)
    )
    return bool(getattr(session.execute(stmt), "rowcount", 0))
