"""In-memory repositories of the store port, continued: programs and awards
(``nacc.ports.store_people``; rows and helpers in ``memory.people``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from nacc.adapters.store.memory import identity
from nacc.adapters.store.memory.batch import AwardsBatch, ProgramsBatch
from nacc.adapters.store.memory.people import need, page, unique
from nacc.domain.programs import Criterion
from nacc.ports.pages import Page
from nacc.ports.store_people import (
    AwardProjectSpec,
    CallSpec,
    CallView,
    DecisionSpec,
    DecisionView,
    InvitationView,
    MemberView,
    ProgramView,
    ProjectTermsView,
    ProposalSpec,
    ProposalView,
    ReviewView,
    TrancheView,
)
from nacc.ports.store_people_rules import (
    check_call,
    check_decision,
    check_project,
    check_proposal,
    check_status,
)

if TYPE_CHECKING:
    from nacc.adapters.store.memory import Tables


def _call(call_id: int, program_id: int, spec: CallSpec) -> CallView:
    criteria = tuple(Criterion(k, float(w)) for k, w in spec.criteria.items())
    return CallView(
        id=call_id, program_id=program_id, title=spec.title, opens_at=spec.opens_at,
        closes_at=spec.closes_at, review_opens_at=spec.review_opens_at,
        review_closes_at=spec.review_closes_at, budget_credits=Decimal(spec.budget_credits),
        eligible_org_kinds=tuple(spec.eligible_org_kinds), sector_tags=tuple(spec.sector_tags),
        criteria=criteria, min_score=float(spec.min_score), blind=spec.blind,
    )  # fmt: skip


def _proposal(proposal_id: int, call_id: int, spec: ProposalSpec, now: datetime) -> ProposalView:
    types = None if spec.accelerator_types is None else tuple(spec.accelerator_types)
    return ProposalView(
        id=proposal_id, call_id=call_id, organisation_id=spec.organisation_id,
        pi_user_id=spec.pi_user_id, title=spec.title, abstract=spec.abstract,
        requested_credits=Decimal(spec.requested_credits), job_classes=tuple(spec.job_classes),
        accelerator_types=types, status="submitted", submitted_at=now,
    )  # fmt: skip


class MemPrograms(ProgramsBatch):
    def __init__(self, tables: Tables) -> None:
        self.t = tables.people

    def create_program(self, name: str, description: str = "") -> ProgramView:
        unique(self.program_by_name(name) is not None, f"program {name!r}")
        program = ProgramView(self.t.new_id("programs"), name, description)
        self.t.programs[program.id] = program
        return program

    def get_program(self, program_id: int) -> ProgramView | None:
        return self.t.programs.get(program_id)

    def program_by_name(self, name: str) -> ProgramView | None:
        return next((p for p in self.t.programs.values() if p.name == name), None)

    def list_programs(self, limit: int = 100, offset: int = 0) -> Page[ProgramView]:
        return page(self.t.programs.values(), limit, offset)

    def create_call(self, program_id: int, spec: CallSpec) -> CallView:
        check_call(spec)
        need(program_id in self.t.programs, f"call {spec.title!r}")
        call = _call(self.t.new_id("calls"), program_id, spec)
        self.t.calls[call.id] = call
        return call

    def update_call(self, call_id: int, spec: CallSpec) -> CallView:
        check_call(spec)
        if call_id not in self.t.calls:
            raise LookupError(f"no call {call_id}")
        call = _call(call_id, self.t.calls[call_id].program_id, spec)
        self.t.calls[call_id] = call
        return call

    def get_call(self, call_id: int, *, lock: bool = False) -> CallView | None:
        return self.t.calls.get(call_id)  # units are serial: a lock holds already

    def list_calls(
        self, program_id: int | None = None, limit: int = 100, offset: int = 0
    ) -> Page[CallView]:
        return page(self.t.calls.values(), limit, offset,
                    lambda c: program_id is None or c.program_id == program_id)  # fmt: skip

    def create_proposal(self, call_id: int, spec: ProposalSpec, now: datetime) -> ProposalView:
        check_proposal(spec)
        what = f"proposal {spec.title!r}"
        need(call_id in self.t.calls, what)
        need(spec.organisation_id in self.t.organisations, what)
        team = sorted(dict.fromkeys([spec.pi_user_id, *spec.member_ids]))
        for user_id in team:
            need(user_id in self.t.users, f"proposal member {user_id}")
        proposal = _proposal(self.t.new_id("proposals"), call_id, spec, now)
        self.t.proposals[proposal.id] = proposal
        self.t.teams[proposal.id] = team
        return proposal

    def get_proposal(self, proposal_id: int) -> ProposalView | None:
        return self.t.proposals.get(proposal_id)

    def list_proposals(
        self, call_id: int | None = None, status: str | None = None, limit: int = 100,
        offset: int = 0,
    ) -> Page[ProposalView]:  # fmt: skip
        def keep(p: ProposalView) -> bool:
            return call_id in (None, p.call_id) and status in (None, p.status)

        return page(self.t.proposals.values(), limit, offset, keep)

    def proposals_of_member(
        self, call_id: int, user_id: int, limit: int = 100, offset: int = 0
    ) -> Page[ProposalView]:
        def keep(p: ProposalView) -> bool:
            return p.call_id == call_id and user_id in self.t.teams[p.id]

        return page(self.t.proposals.values(), limit, offset, keep)

    def proposal_member_ids(self, proposal_id: int) -> list[int]:
        return list(self.t.teams.get(proposal_id, []))

    def invite(
        self, proposal_id: int, invited_by: int, now: datetime, *, user_id: int | None = None,
        email: str | None = None,
    ) -> InvitationView:  # fmt: skip
        return identity.invite(self.t, proposal_id, invited_by, now, user_id, email)

    def get_invitation(self, invitation_id: int) -> InvitationView | None:
        return self.t.identity.invitations.get(invitation_id)

    def invitations_of_proposal(self, proposal_id: int) -> list[InvitationView]:
        rows = self.t.identity.invitations.values()
        return [i for i in rows if i.proposal_id == proposal_id]

    def invitations_for(self, user_id: int, email: str) -> list[InvitationView]:
        return identity.invitations_for(self.t, user_id, email)

    def answer_invitation(
        self, invitation_id: int, status: str, now: datetime, user_id: int | None = None
    ) -> InvitationView:
        return identity.answer(self.t, invitation_id, status, now, user_id)

    def set_proposal_status(self, proposal_id: int, status: str) -> None:
        check_status(status)
        proposal = self.t.proposals.get(proposal_id)
        if proposal is not None:
            self.t.proposals[proposal_id] = replace(proposal, status=status)

    def add_review(
        self, proposal_id: int, reviewer_id: int, scores: Mapping[str, float], comment: str,
        now: datetime,
    ) -> ReviewView:  # fmt: skip
        what = f"review of proposal {proposal_id} by user {reviewer_id}"
        need(proposal_id in self.t.proposals and reviewer_id in self.t.users, what)
        unique(self.review_by(proposal_id, reviewer_id) is not None, what)
        floats = {k: float(v) for k, v in scores.items()}
        review = ReviewView(self.t.new_id("reviews"), proposal_id, reviewer_id, floats, comment,
                            now)  # fmt: skip
        self.t.reviews[review.id] = review
        return review

    def reviews_for(self, proposal_id: int) -> list[ReviewView]:
        return [r for r in self.t.reviews.values() if r.proposal_id == proposal_id]

    def reviews_by(self, reviewer_id: int) -> list[ReviewView]:
        return [r for r in self.t.reviews.values() if r.reviewer_id == reviewer_id]

    def review_by(self, proposal_id: int, reviewer_id: int) -> ReviewView | None:
        mine = (r for r in self.reviews_for(proposal_id) if r.reviewer_id == reviewer_id)
        return next(mine, None)

    def record_decision(self, proposal_id: int, spec: DecisionSpec, now: datetime) -> DecisionView:
        check_decision(spec)
        what = f"decision on proposal {proposal_id}"
        need(proposal_id in self.t.proposals and spec.decided_by in self.t.users, what)
        unique(proposal_id in self.t.decisions, what)
        decision = DecisionView(
            self.t.new_id("decisions"), proposal_id, spec.outcome, spec.weighted_score,
            spec.awarded_credits, spec.override, spec.reason, spec.decided_by, now, spec.why,
        )  # fmt: skip
        self.t.decisions[proposal_id] = decision
        self.set_proposal_status(proposal_id, spec.outcome)
        return decision

    def decision_for(self, proposal_id: int) -> DecisionView | None:
        return self.t.decisions.get(proposal_id)

    def decisions_of_call(self, call_id: int) -> list[DecisionView]:
        mine = [d for d in self.t.decisions.values()
                if self.t.proposals[d.proposal_id].call_id == call_id]  # fmt: skip
        return sorted(mine, key=lambda d: d.proposal_id)


class MemAwards(AwardsBatch):
    """Projects as awards make them. Their funds (``committed_credits``) belong to the
    jobs side of the store; here they stay 0."""

    def __init__(self, tables: Tables) -> None:
        self.t = tables.people

    def create_project(self, spec: AwardProjectSpec) -> ProjectTermsView:
        check_project(spec)
        what = f"project {spec.name!r}"
        unique(any(p.name == spec.name for p in self.t.projects.values()), what)
        if spec.proposal_id is not None:
            need(spec.proposal_id in self.t.proposals, what)
            unique(self.project_for_proposal(spec.proposal_id) is not None, what)
        project_id = self.t.new_id("projects")
        for user_id in spec.members:
            need(user_id in self.t.users, f"member {user_id} of project {project_id}")
        project = ProjectTermsView(project_id, spec.name, spec.proposal_id, spec.valid_from,
                                   spec.valid_until, Decimal(spec.overdraft_credits),
                                   Decimal(0))  # fmt: skip
        self.t.projects[project_id] = project
        self.t.project_members[project_id] = dict(sorted(spec.members.items()))
        for seq, (amount, condition) in enumerate(spec.tranches, start=1):
            tranche = TrancheView(self.t.new_id("tranches"), seq, Decimal(amount), condition, None)
            self.t.tranches[tranche.id] = tranche
            self.t.tranche_projects[tranche.id] = project_id
        return project

    def get_project(self, project_id: int, *, share: bool = False) -> ProjectTermsView | None:
        return self.t.projects.get(project_id)

    def job_terms(self, project_id: int) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
        proj = self.t.projects.get(project_id)
        prop = None if proj is None else self.t.proposals.get(proj.proposal_id or 0)
        if prop is None:
            return (), None
        return tuple(prop.job_classes), prop.accelerator_types

    def project_for_proposal(self, proposal_id: int) -> ProjectTermsView | None:
        mine = (p for p in self.t.projects.values() if p.proposal_id == proposal_id)
        return next(mine, None)

    def project_members(self, project_id: int) -> list[MemberView]:
        members = self.t.project_members.get(project_id, {})
        return [MemberView(user_id, role) for user_id, role in members.items()]

    def tranches_of(self, project_id: int) -> list[TrancheView]:
        mine = [t for t in self.t.tranches.values()
                if self.t.tranche_projects[t.id] == project_id]  # fmt: skip
        return sorted(mine, key=lambda t: t.seq)

    def release_tranche(self, tranche_id: int, now: datetime) -> bool:
        tranche = self.t.tranches.get(tranche_id)
        if tranche is None or tranche.released_at is not None:
            return False
        self.t.tranches[tranche_id] = replace(tranche, released_at=now)
        return True
