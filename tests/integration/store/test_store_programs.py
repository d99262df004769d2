"""Programs, calls, proposals, reviews, decisions and projects round-trip on both backends."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.orm import Session, sessionmaker

from nacc.adapters.store import Conflict, InvalidReference
from nacc.adapters.store import repos_programs as programs
from nacc.adapters.store import repos_projects as projects
from nacc.domain.errors import InputError

if TYPE_CHECKING:
    from conftest import World

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the world fixture's t0


def test_call_round_trip(session_factory: sessionmaker[Session], world: World) -> None:
    with session_factory() as s:
        call = programs.get_call(s, world.call_id)
        assert call is not None
        assert call.budget_credits == Decimal("1000000")
        assert call.opens_at == T0 and call.opens_at.tzinfo == UTC
        assert call.review_criteria[0] == {"name": "excellence", "weight": 0.5}
        assert call.eligible_org_kinds == ["university", "company"]
        assert call.sector_tags == ["academic", "health"]
        assert call.blind and call.min_score == 3.0
        assert [c.id for c in programs.list_calls(s, world.program_id).items] == [call.id]
        assert programs.program_by_name(s, "AI research computing support 2026") is not None


def test_call_tags_and_criteria_are_checked(
    session: Session, world: World, call_spec: programs.CallSpec
) -> None:
    bad = call_spec
    with pytest.raises(InputError, match="'robotics'"):
        programs.create_call(session, world.program_id, replace(bad, sector_tags=("robotics",)))
    with pytest.raises(InputError, match="criterion"):
        programs.create_call(session, world.program_id, replace(bad, criteria={}))


def test_proposal_round_trip_with_team(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with session_factory() as s:
        proposal = programs.get_proposal(s, world.proposal_id)
        assert proposal is not None
        assert proposal.status == "submitted"
        assert proposal.requested_credits == Decimal(50000)
        assert proposal.job_classes == ["llm-pretraining"]
        assert proposal.accelerator_types == ["H100", "H200"]
        assert programs.proposal_member_ids(s, proposal.id) == sorted(
            [world.pi_id, world.member_id]
        )
        page = programs.list_proposals(s, call_id=world.call_id, status="submitted")
        assert [p.id for p in page.items] == [proposal.id]


def test_review_unique_per_reviewer(session_factory: sessionmaker[Session], world: World) -> None:
    at = T0 + timedelta(days=32)
    with session_factory.begin() as s:
        review = programs.add_review(
            s, world.proposal_id, world.reviewer_id, {"excellence": 4, "impact": 3.5}, "ok", at
        )
        assert review.id > 0
    with session_factory() as s:
        with pytest.raises(Conflict):
            programs.add_review(s, world.proposal_id, world.reviewer_id, {"impact": 1}, "", at)
        (stored,) = programs.reviews_for(s, world.proposal_id)
        assert stored.scores == {"excellence": 4.0, "impact": 3.5}
        assert stored.created_at == at
        assert [r.id for r in programs.reviews_by(s, world.reviewer_id)] == [stored.id]


def test_review_for_missing_proposal_fails(session: Session, world: World) -> None:
    with pytest.raises(InvalidReference):
        programs.add_review(session, 9999, world.reviewer_id, {"impact": 3}, "", T0)


def test_decision_sets_status_and_override_needs_reason(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with session_factory() as s:
        override = programs.DecisionSpec("awarded", world.officer_id, override=True)
        with pytest.raises(InputError, match="reason"):
            programs.record_decision(s, world.proposal_id, override, T0)
    with session_factory.begin() as s:
        spec = programs.DecisionSpec(
            "awarded", world.officer_id, 3.9, Decimal(50000), override=True, reason="strategic"
        )
        programs.record_decision(s, world.proposal_id, spec, T0)
    with session_factory() as s:
        decision = programs.decision_for(s, world.proposal_id)
        assert decision is not None and decision.override and decision.reason == "strategic"
        assert decision.awarded_credits == Decimal(50000)
        proposal = programs.get_proposal(s, world.proposal_id)
        assert proposal is not None and proposal.status == "awarded"
        with pytest.raises(Conflict):
            programs.record_decision(s, world.proposal_id, spec, T0)


def test_project_members_and_tranches(session_factory: sessionmaker[Session], world: World) -> None:
    with session_factory() as s:
        project = projects.project_for_proposal(s, world.proposal_id)
        assert project is not None and project.id == world.project_id
        assert project.overdraft_credits == Decimal(0)
        assert projects.member_role(s, project.id, world.pi_id) == "pi"
        assert projects.member_role(s, project.id, world.reviewer_id) is None
        assert [p.id for p in projects.projects_of_user(s, world.member_id)] == [project.id]
        assert len(projects.project_members(s, project.id)) == 2
        first, second = projects.tranches_of(s, project.id)
        assert (first.seq, first.amount, first.release_condition) == (1, Decimal(25000), "at_award")
        assert second.release_condition == "progress_report_accepted"
        assert projects.release_tranche(s, first.id, T0)
        assert not projects.release_tranche(s, first.id, T0 + timedelta(hours=1))
        s.commit()
        assert projects.tranches_of(s, project.id)[0].released_at == T0
        assert projects.list_projects(s).total == 1


def test_project_name_unique(session: Session, world: World) -> None:
    spec = projects.ProjectSpec("kaist-llm", T0, T0 + timedelta(days=1))
    with pytest.raises(Conflict):
        projects.create_project(session, spec)
