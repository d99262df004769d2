"""Programs and awards through the store port: programs, calls, proposals with their
teams, reviews, decisions, projects and tranches, the same on SQLite, PostgreSQL and in
memory."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, timedelta
from decimal import Decimal

import pytest

from contract.store.people_world import T0, World, build_world, call_spec, proposal_spec
from nacc.domain.errors import InputError
from nacc.domain.programs import Criterion
from nacc.domain.reasons import Code, Reason
from nacc.ports.pages import Conflict, InvalidReference
from nacc.ports.store import Store
from nacc.ports.store_people import AwardProjectSpec, DecisionSpec


@pytest.fixture
def world(store: Store) -> World:
    return build_world(store)


def test_call_round_trip(store: Store, world: World) -> None:
    with store.unit() as uow:
        call = uow.programs.get_call(world.call_id)
        assert call is not None
        assert call.program_id == world.program_id and call.title.startswith("AI research")
        assert call.budget_credits == Decimal("1000000")
        assert call.opens_at == T0 and call.opens_at.utcoffset() == UTC.utcoffset(None)
        assert call.review_closes_at == T0 + timedelta(days=45)
        assert call.criteria[0] == Criterion("excellence", 0.5)
        assert [c.name for c in call.criteria] == ["excellence", "impact", "feasibility"]
        assert call.eligible_org_kinds == ("university", "company")
        assert call.sector_tags == ("academic", "health")
        assert call.blind and call.min_score == 3.0
        assert uow.programs.get_call(world.call_id, lock=True) == call
        assert [c.id for c in uow.programs.list_calls(world.program_id).items] == [call.id]
        assert uow.programs.list_calls(world.program_id + 1).total == 0
        program = uow.programs.program_by_name("AI research computing support 2026")
        assert program is not None and program.description == "GPU grants"
        assert uow.programs.get_program(world.program_id) == program
        assert uow.programs.list_programs().items == [program]
        assert uow.programs.get_call(world.call_id + 1) is None


def test_program_names_are_unique(store: Store, world: World) -> None:
    with store.unit() as uow, pytest.raises(Conflict, match="program 'AI research"):
        uow.programs.create_program("AI research computing support 2026")


def test_call_tags_criteria_windows_and_program_are_checked(store: Store, world: World) -> None:
    bad = call_spec("bad")
    with store.unit() as uow:
        programs = uow.programs
        with pytest.raises(InputError, match="'robotics'"):
            programs.create_call(world.program_id, replace(bad, sector_tags=("robotics",)))
        with pytest.raises(InputError, match=r"call\.eligible_org_kinds"):
            programs.create_call(world.program_id, replace(bad, eligible_org_kinds=("club",)))
        with pytest.raises(InputError, match="criterion"):
            programs.create_call(world.program_id, replace(bad, criteria={}))
        with pytest.raises(InputError, match="criterion"):
            programs.create_call(world.program_id, replace(bad, criteria={"merit": 0.0}))
        with pytest.raises(InputError, match=r"call\.closes_at"):
            programs.create_call(world.program_id, replace(bad, closes_at=bad.opens_at))
        late = replace(bad, review_closes_at=bad.review_opens_at)
        with pytest.raises(InputError, match=r"call\.review_closes_at"):
            programs.create_call(world.program_id, late)
        with pytest.raises(InputError, match=r"call\.budget_credits"):
            programs.create_call(world.program_id, replace(bad, budget_credits=Decimal(-1)))
        with pytest.raises(InvalidReference, match="call 'bad'"):
            programs.create_call(world.program_id + 99, bad)
        assert programs.list_calls().total == 1


def test_proposal_round_trip_with_team(store: Store, world: World) -> None:
    with store.unit() as uow:
        proposal = uow.programs.get_proposal(world.proposal_id)
        assert proposal is not None
        assert (proposal.call_id, proposal.organisation_id, proposal.pi_user_id) == (
            world.call_id, world.uni_id, world.pi_id,
        )  # fmt: skip
        assert proposal.status == "submitted"
        assert proposal.submitted_at == T0 + timedelta(days=1)
        assert proposal.requested_credits == Decimal(50000)
        assert proposal.job_classes == ("llm-pretraining",)
        assert proposal.accelerator_types == ("H100", "H200")
        team = uow.programs.proposal_member_ids(proposal.id)
        assert team == sorted([world.pi_id, world.member_id])
        page = uow.programs.list_proposals(call_id=world.call_id, status="submitted")
        assert [p.id for p in page.items] == [proposal.id]
        assert uow.programs.list_proposals(call_id=world.call_id, status="awarded").total == 0


def test_proposals_of_a_member_and_any_type(store: Store, world: World) -> None:
    with store.unit() as uow:
        spec = replace(proposal_spec(world, "second"), pi_user_id=world.member_id,
                       member_ids=(world.member_id,), accelerator_types=None)  # fmt: skip
        second = uow.programs.create_proposal(world.call_id, spec, T0 + timedelta(days=2))
        assert second.accelerator_types is None
        assert uow.programs.proposal_member_ids(second.id) == [world.member_id]
        mine = uow.programs.proposals_of_member(world.call_id, world.member_id)
        assert [p.id for p in mine.items] == [world.proposal_id, second.id] and mine.total == 2
        only_first = uow.programs.proposals_of_member(world.call_id, world.pi_id)
        assert [p.id for p in only_first.items] == [world.proposal_id]
        assert uow.programs.proposals_of_member(world.call_id, world.reviewer_id).total == 0
        assert uow.programs.list_proposals(limit=1, offset=1).items == [second]


def test_proposal_references_and_amount_are_checked(store: Store, world: World) -> None:
    with store.unit() as uow:
        spec = proposal_spec(world, "ghosts")
        with pytest.raises(InvalidReference, match="proposal member 999"):
            uow.programs.create_proposal(world.call_id, replace(spec, member_ids=(999,)), T0)
        with pytest.raises(InvalidReference, match="proposal 'ghosts'"):
            uow.programs.create_proposal(world.call_id + 99, spec, T0)
        with pytest.raises(InputError, match="requested_credits"):
            uow.programs.create_proposal(world.call_id, replace(spec, requested_credits=0), T0)
        with pytest.raises(InputError, match=r"proposal\.status"):
            uow.programs.set_proposal_status(world.proposal_id, "lost")


def test_review_unique_per_reviewer(store: Store, world: World) -> None:
    at = T0 + timedelta(days=32)
    with store.unit() as uow:
        scores = {"excellence": 4, "impact": 3.5}
        review = uow.programs.add_review(world.proposal_id, world.reviewer_id, scores, "ok", at)
        assert review.scores == {"excellence": 4.0, "impact": 3.5}
    with store.unit() as uow:
        with pytest.raises(Conflict, match=f"by user {world.reviewer_id}"):
            uow.programs.add_review(world.proposal_id, world.reviewer_id, {"impact": 1}, "", at)
        (stored,) = uow.programs.reviews_for(world.proposal_id)
        assert stored == review
        assert isinstance(stored.scores["excellence"], float)
        assert (stored.comment, stored.created_at) == ("ok", at)
        assert [r.id for r in uow.programs.reviews_by(world.reviewer_id)] == [stored.id]
        assert uow.programs.review_by(world.proposal_id, world.reviewer_id) == stored
        assert uow.programs.review_by(world.proposal_id, world.officer_id) is None
        other = uow.programs.add_review(world.proposal_id, world.officer_id, {"impact": 2}, "", at)
        assert [r.id for r in uow.programs.reviews_for(world.proposal_id)] == [stored.id, other.id]


def test_review_for_missing_proposal_or_reviewer_fails(store: Store, world: World) -> None:
    with store.unit() as uow:
        with pytest.raises(InvalidReference):
            uow.programs.add_review(9999, world.reviewer_id, {"impact": 3}, "", T0)
        with pytest.raises(InvalidReference):
            uow.programs.add_review(world.proposal_id, 9999, {"impact": 3}, "", T0)


def test_decision_sets_status_and_override_needs_reason(store: Store, world: World) -> None:
    with store.unit() as uow:
        override = DecisionSpec("awarded", world.officer_id, override=True)
        with pytest.raises(InputError, match=r"decision\.reason"):
            uow.programs.record_decision(world.proposal_id, override, T0)
        with pytest.raises(InputError, match=r"decision\.outcome"):
            uow.programs.record_decision(world.proposal_id, DecisionSpec("maybe", 1), T0)
    spec = DecisionSpec(
        "awarded", world.officer_id, 3.9, Decimal(50000), override=True, reason="strategic"
    )
    with store.unit() as uow:
        assert uow.programs.decisions_of_call(world.call_id) == []
        made = uow.programs.record_decision(world.proposal_id, spec, T0)
    with store.unit() as uow:
        decision = uow.programs.decision_for(world.proposal_id)
        assert decision == made
        assert decision is not None and decision.override and decision.reason == "strategic"
        assert (decision.outcome, decision.weighted_score, decision.decided_by) == (
            "awarded", 3.9, world.officer_id,
        )  # fmt: skip
        assert decision.awarded_credits == Decimal(50000) and decision.decided_at == T0
        proposal = uow.programs.get_proposal(world.proposal_id)
        assert proposal is not None and proposal.status == "awarded"
        assert uow.programs.decisions_of_call(world.call_id) == [decision]
        with pytest.raises(Conflict, match=f"decision on proposal {world.proposal_id}"):
            uow.programs.record_decision(world.proposal_id, spec, T0)
        assert decision.why is None  # a decision without a code (as before 0014): its text


def test_decision_keeps_its_reason_as_a_code(store: Store, world: World) -> None:
    why = Reason.of(Code.DECISION_RANKED, rank=2, score="7.50")
    spec = DecisionSpec("awarded", world.officer_id, 7.5, Decimal(100),
                        reason="ranked 2 with score 7.50", why=why)  # fmt: skip
    with store.unit() as uow:
        uow.programs.record_decision(world.proposal_id, spec, T0)
    with store.unit() as uow:
        decision = uow.programs.decision_for(world.proposal_id)
        assert decision is not None and decision.why == why
        assert decision.reason == "ranked 2 with score 7.50"


def _project(world: World, name: str = "kaist-llm") -> AwardProjectSpec:
    return AwardProjectSpec(
        name=name, valid_from=T0, valid_until=T0 + timedelta(days=365),
        proposal_id=world.proposal_id, members={world.pi_id: "pi", world.member_id: "member"},
        tranches=((Decimal(25000), "at_award"), (Decimal(25000), "progress_report_accepted")),
    )  # fmt: skip


def test_project_members_and_tranches(store: Store, world: World) -> None:
    with store.unit() as uow:
        made = uow.awards.create_project(_project(world))
    assert (made.name, made.proposal_id, made.valid_from) == ("kaist-llm", world.proposal_id, T0)
    assert made.overdraft_credits == 0 and made.committed_credits == 0
    with store.unit() as uow:
        assert uow.awards.get_project(made.id) == made
        assert uow.awards.get_project(made.id, share=True) == made
        assert uow.awards.project_for_proposal(world.proposal_id) == made
        assert uow.awards.get_project(made.id + 1) is None
        members = [(m.user_id, m.role) for m in uow.awards.project_members(made.id)]
        assert members == sorted([(world.pi_id, "pi"), (world.member_id, "member")])
        first, second = uow.awards.tranches_of(made.id)
        assert (first.seq, first.amount, first.release_condition) == (1, Decimal(25000), "at_award")
        assert (second.seq, second.release_condition) == (2, "progress_report_accepted")
        assert first.released_at is None
        assert uow.awards.release_tranche(first.id, T0)
        assert not uow.awards.release_tranche(first.id, T0 + timedelta(hours=1))
    with store.unit() as uow:
        first, second = uow.awards.tranches_of(made.id)
        assert first.released_at == T0 and second.released_at is None


def test_job_terms_are_the_proposals_classes_and_types(store: Store, world: World) -> None:
    with store.unit() as uow:
        made = uow.awards.create_project(_project(world))
        proposal = uow.programs.get_proposal(world.proposal_id)
        assert proposal is not None
        assert uow.awards.job_terms(made.id) == (
            tuple(proposal.job_classes), proposal.accelerator_types,
        )  # fmt: skip
        assert uow.awards.job_terms(made.id + 1) == ((), None)  # no such project


def test_project_names_and_proposals_are_unique(store: Store, world: World) -> None:
    with store.unit() as uow:
        uow.awards.create_project(_project(world))
    with store.unit() as uow:
        with pytest.raises(Conflict, match=r"project 'kaist-llm'"):
            uow.awards.create_project(replace(_project(world), proposal_id=None))
        with pytest.raises(Conflict, match="project 'again'"):
            uow.awards.create_project(_project(world, "again"))
        plain = AwardProjectSpec("plain", T0, T0 + timedelta(days=1))
        assert uow.awards.create_project(plain).proposal_id is None


def test_project_inputs_and_references_are_checked(store: Store, world: World) -> None:
    spec = _project(world, "checked")
    with store.unit() as uow:
        with pytest.raises(InputError, match="project member role"):
            uow.awards.create_project(replace(spec, members={world.pi_id: "boss"}))
        with pytest.raises(InputError, match="tranche condition"):
            uow.awards.create_project(replace(spec, tranches=((Decimal(1), "whenever"),)))
        with pytest.raises(InputError, match="tranche amount"):
            uow.awards.create_project(replace(spec, tranches=((Decimal(0), "at_award"),)))
        with pytest.raises(InputError, match=r"project\.valid_until"):
            uow.awards.create_project(replace(spec, valid_until=T0))
        with pytest.raises(InvalidReference):
            uow.awards.create_project(replace(spec, members={999: "member"}))
        with pytest.raises(InvalidReference):
            uow.awards.create_project(replace(spec, proposal_id=world.proposal_id + 99))


def test_a_call_is_updated_in_place_and_checked(store: Store, world: World) -> None:
    with store.unit() as uow:
        call = uow.programs.get_call(world.call_id)
        assert call is not None
        spec = replace(call_spec("renamed"), closes_at=T0 + timedelta(days=40),
                       criteria={"merit": 2.0}, sector_tags=("health",))  # fmt: skip
        updated = uow.programs.update_call(world.call_id, spec)
        assert updated.id == call.id and updated.program_id == call.program_id
        with pytest.raises(InputError, match=r"call\.closes_at"):
            uow.programs.update_call(world.call_id, replace(spec, closes_at=spec.opens_at))
    with store.unit() as uow:
        again = uow.programs.get_call(world.call_id)
        assert again == updated and again.title == "renamed"
        assert again.criteria == (Criterion("merit", 2.0),) and again.sector_tags == ("health",)
        assert again.closes_at == T0 + timedelta(days=40)
