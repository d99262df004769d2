"""A small world built through the store port only: two organisations, a PI, a member, a
reviewer and an officer, a program with a blind call and one proposal (the contract tests
of people, programs and awards start from it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from nacc.ports.store import Store, UnitOfWork
from nacc.ports.store_people import CallSpec, ProposalSpec

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class World:
    uni_id: int
    company_id: int
    pi_id: int
    member_id: int
    reviewer_id: int
    officer_id: int
    program_id: int
    call_id: int
    proposal_id: int


def call_spec(title: str = "AI research computing support 2026") -> CallSpec:
    return CallSpec(
        title=title,
        opens_at=T0,
        closes_at=T0 + timedelta(days=30),
        budget_credits=Decimal("1000000"),
        review_opens_at=T0 + timedelta(days=31),
        review_closes_at=T0 + timedelta(days=45),
        criteria={"excellence": 0.5, "impact": 0.3, "feasibility": 0.2},
        min_score=3.0,
        eligible_org_kinds=("university", "company"),
        sector_tags=("academic", "health"),
        blind=True,
    )


def proposal_spec(w: World, title: str = "Korean LLM pretraining") -> ProposalSpec:
    return ProposalSpec(
        organisation_id=w.uni_id,
        pi_user_id=w.pi_id,
        title=title,
        abstract="We pretrain.",
        requested_credits=Decimal("50000"),
        job_classes=("llm-pretraining",),
        accelerator_types=("H100", "H200"),
        member_ids=(w.member_id,),
    )


def _build(uow: UnitOfWork) -> World:
    people, programs = uow.people, uow.programs
    uni = people.create_organisation("KAIST", "university", "Daejeon", capital_area=False)
    co = people.create_organisation(
        "Upstage", "company", "Gyeonggi", capital_area=True, company_size="startup"
    )
    pi = people.create_user("Kim PI", "pi@kaist.ac.kr", T0, uni.id)
    member = people.create_user("Lee Member", "member@kaist.ac.kr", T0, uni.id)
    reviewer = people.create_user("Park Reviewer", "rev@upstage.ai", T0, co.id)
    officer = people.create_user("Choi Officer", "officer@nipa.kr", T0)
    program = programs.create_program("AI research computing support 2026", "GPU grants")
    call = programs.create_call(program.id, call_spec())
    w = World(uni.id, co.id, pi.id, member.id, reviewer.id, officer.id, program.id, call.id, 0)
    proposal = programs.create_proposal(call.id, proposal_spec(w), T0 + timedelta(days=1))
    return World(uni.id, co.id, pi.id, member.id, reviewer.id, officer.id, program.id, call.id,
                 proposal.id)  # fmt: skip


def build_world(store: Store) -> World:
    with store.unit() as uow:
        return _build(uow)
