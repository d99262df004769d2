"""The batch reads of the people, programs and awards repositories over the in-memory
tables: the single reads, in a loop (no queries to save here). Mixed into ``MemPeople``,
``MemPrograms`` and ``MemAwards``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

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


class _People(Protocol):
    def get_user(self, user_id: int) -> UserView | None: ...
    def roles_of(self, user_id: int) -> list[tuple[str, str]]: ...
    def tokens_of(self, user_id: int) -> list[TokenView]: ...
    def get_organisation(self, org_id: int) -> OrganisationView | None: ...


class _Programs(Protocol):
    def decisions_of_call(self, call_id: int) -> list[DecisionView]: ...
    def proposal_member_ids(self, proposal_id: int) -> list[int]: ...
    def reviews_for(self, proposal_id: int) -> list[ReviewView]: ...
    def decision_for(self, proposal_id: int) -> DecisionView | None: ...


class _Awards(Protocol):
    def project_for_proposal(self, proposal_id: int) -> ProjectTermsView | None: ...
    def project_members(self, project_id: int) -> list[MemberView]: ...
    def tranches_of(self, project_id: int) -> list[TrancheView]: ...


class PeopleBatch:
    def users_by_id(self: _People, user_ids: Iterable[int]) -> dict[int, UserView]:
        found = {i: self.get_user(i) for i in sorted(set(user_ids))}
        return {i: u for i, u in found.items() if u is not None}

    def organisations_by_id(self: _People, org_ids: Iterable[int]) -> dict[int, OrganisationView]:
        found = {i: self.get_organisation(i) for i in sorted(set(org_ids))}
        return {i: o for i, o in found.items() if o is not None}

    def roles_of_users(self: _People, user_ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
        return {i: self.roles_of(i) for i in sorted(set(user_ids))}

    def tokens_of_users(self: _People, user_ids: Iterable[int]) -> dict[int, list[TokenView]]:
        return {i: self.tokens_of(i) for i in sorted(set(user_ids))}


class ProgramsBatch:
    def decided_calls(self: _Programs, call_ids: Iterable[int]) -> set[int]:
        return {i for i in set(call_ids) if self.decisions_of_call(i)}

    def members_of_proposals(self: _Programs, proposal_ids: Iterable[int]) -> dict[int, list[int]]:
        return {i: self.proposal_member_ids(i) for i in sorted(set(proposal_ids))}

    def reviews_of_proposals(
        self: _Programs, proposal_ids: Iterable[int]
    ) -> dict[int, list[ReviewView]]:
        return {i: self.reviews_for(i) for i in sorted(set(proposal_ids))}

    def decisions_of_proposals(
        self: _Programs, proposal_ids: Iterable[int]
    ) -> dict[int, DecisionView]:
        found = {i: self.decision_for(i) for i in sorted(set(proposal_ids))}
        return {i: d for i, d in found.items() if d is not None}


class AwardsBatch:
    def projects_for_proposals(
        self: _Awards, proposal_ids: Iterable[int]
    ) -> dict[int, ProjectTermsView]:
        found = {i: self.project_for_proposal(i) for i in sorted(set(proposal_ids))}
        return {i: p for i, p in found.items() if p is not None}

    def members_of_projects(
        self: _Awards, project_ids: Iterable[int]
    ) -> dict[int, list[MemberView]]:
        return {i: self.project_members(i) for i in sorted(set(project_ids))}

    def tranches_of_projects(
        self: _Awards, project_ids: Iterable[int]
    ) -> dict[int, list[TrancheView]]:
        return {i: self.tranches_of(i) for i in sorted(set(project_ids))}
