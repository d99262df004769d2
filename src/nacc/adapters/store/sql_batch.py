"""SQL batch reads of the people, programs and awards repositories (one query each for
a page that lists many proposals, calls or projects): mixed into ``SqlPeople``,
``SqlPrograms`` and ``SqlAwards`` (``sql_people``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nacc.adapters.store import sql_people_views as views
from nacc.adapters.store.tables import (
    ApiToken,
    Decision,
    Organisation,
    Project,
    ProjectMember,
    Proposal,
    ProposalMember,
    Review,
    RoleAssignment,
    Tranche,
    User,
)
from nacc.ports.store_people import (
    DecisionView,
    MemberView,
    OrganisationView,
    ProjectTermsView,
    ReviewView,
    TokenView,
    TrancheView,
    UserView,
)


def _ids(ids: Iterable[int]) -> list[int]:
    return sorted(set(ids))


class PeopleBatch:
    session: Session

    def users_by_id(self, user_ids: Iterable[int]) -> dict[int, UserView]:
        ids = _ids(user_ids)
        if not ids:
            return {}
        rows = self.session.scalars(sa.select(User).where(User.id.in_(ids)))
        return {u.id: views.user_view(u) for u in rows}

    def organisations_by_id(self, org_ids: Iterable[int]) -> dict[int, OrganisationView]:
        ids = _ids(org_ids)
        if not ids:
            return {}
        rows = self.session.scalars(sa.select(Organisation).where(Organisation.id.in_(ids)))
        return {o.id: views.org_view(o) for o in rows}

    def roles_of_users(self, user_ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
        ids = _ids(user_ids)
        out: dict[int, list[tuple[str, str]]] = {i: [] for i in ids}
        if ids:
            r = RoleAssignment
            stmt = (
                sa.select(r.user_id, r.role, r.scope)
                .where(r.user_id.in_(ids))
                .order_by(r.user_id, r.role, r.scope)
            )
            for uid, role, scope in self.session.execute(stmt).all():
                out[uid].append((role, scope))
        return out

    def tokens_of_users(self, user_ids: Iterable[int]) -> dict[int, list[TokenView]]:
        ids = _ids(user_ids)
        stmt = sa.select(ApiToken).where(ApiToken.user_id.in_(ids)).order_by(ApiToken.id)
        rows = _grouped(self.session, stmt, ids, lambda t: t.user_id)
        return {i: [views.token_view(t) for t in found] for i, found in rows.items()}


def _grouped(session: Session, stmt: Any, ids: list[int], key: Any) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {i: [] for i in ids}
    if ids:
        for row in session.scalars(stmt):
            out[key(row)].append(row)
    return out


class ProgramsBatch:
    session: Session

    def decided_calls(self, call_ids: Iterable[int]) -> set[int]:
        ids = _ids(call_ids)
        if not ids:
            return set()
        stmt = (
            sa.select(Proposal.call_id)
            .join(Decision, Decision.proposal_id == Proposal.id)
            .where(Proposal.call_id.in_(ids))
            .distinct()
        )
        return set(self.session.scalars(stmt))

    def members_of_proposals(self, proposal_ids: Iterable[int]) -> dict[int, list[int]]:
        ids = _ids(proposal_ids)
        out: dict[int, list[int]] = {i: [] for i in ids}
        if ids:
            stmt = (
                sa.select(ProposalMember.proposal_id, ProposalMember.user_id)
                .where(ProposalMember.proposal_id.in_(ids))
                .order_by(ProposalMember.proposal_id, ProposalMember.user_id)
            )
            for pid, uid in self.session.execute(stmt).all():
                out[pid].append(uid)
        return out

    def reviews_of_proposals(self, proposal_ids: Iterable[int]) -> dict[int, list[ReviewView]]:
        ids = _ids(proposal_ids)
        stmt = sa.select(Review).where(Review.proposal_id.in_(ids)).order_by(Review.id)
        rows = _grouped(self.session, stmt, ids, lambda r: r.proposal_id)
        return {i: [views.review_view(r) for r in found] for i, found in rows.items()}

    def decisions_of_proposals(self, proposal_ids: Iterable[int]) -> dict[int, DecisionView]:
        ids = _ids(proposal_ids)
        if not ids:
            return {}
        rows = self.session.scalars(sa.select(Decision).where(Decision.proposal_id.in_(ids)))
        return {d.proposal_id: views.decision_view(d) for d in rows}


class AwardsBatch:
    session: Session

    def projects_for_proposals(self, proposal_ids: Iterable[int]) -> dict[int, ProjectTermsView]:
        ids = _ids(proposal_ids)
        if not ids:
            return {}
        rows = self.session.scalars(sa.select(Project).where(Project.proposal_id.in_(ids)))
        return {p.proposal_id: views.project_view(p) for p in rows if p.proposal_id is not None}

    def members_of_projects(self, project_ids: Iterable[int]) -> dict[int, list[MemberView]]:
        ids = _ids(project_ids)
        stmt = (
            sa.select(ProjectMember)
            .where(ProjectMember.project_id.in_(ids))
            .order_by(ProjectMember.project_id, ProjectMember.user_id)
        )
        rows = _grouped(self.session, stmt, ids, lambda m: m.project_id)
        return {i: [MemberView(m.user_id, m.role) for m in found] for i, found in rows.items()}

    def tranches_of_projects(self, project_ids: Iterable[int]) -> dict[int, list[TrancheView]]:
        ids = _ids(project_ids)
        stmt = (
            sa.select(Tranche)
            .where(Tranche.project_id.in_(ids))
            .order_by(Tranche.project_id, Tranche.seq)
        )
        rows = _grouped(self.session, stmt, ids, lambda t: t.project_id)
        return {i: [views.tranche_view(t) for t in found] for i, found in rows.items()}
