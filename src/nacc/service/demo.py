"""`nacc serve --demo`: seed a fresh database with the Korea 2026 programs.

Programs named after the national plan (FACTS.md: the 2025 "AI research computing
support" leasing budget, the "World's Best LLM" team program, the Global AI Challenge),
a few organisations, an officer, reviewers and PIs; each call runs its whole cycle
(applications, reviews, decisions) on a clock set a month back, so the demo starts with
funded projects whose PIs can submit jobs at once. ``seed`` says what it made (people
with their tokens, shown once; each call's decisions) as data; the CLI says it in the
terminal's language.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from decimal import Decimal

from nacc.domain.reasons import Reason
from nacc.ports.store_people import CallSpec
from nacc.service import awards, programs, reviews
from nacc.service.auth import Principal
from nacc.service.context import Services


@dataclasses.dataclass(frozen=True)
class ProgramSeed:
    name: str
    about: str
    kinds: tuple[str, ...]
    tags: tuple[str, ...]
    budget: int


PROGRAMS = [
    ProgramSeed(
        "AI research computing support 2026",
        "Leased GPU time for universities and institutes",
        ("university", "research_institute"),
        ("academic", "general-research"),
        4000,
    ),
    ProgramSeed(
        "World's Best LLM",
        "Large teams training national foundation models",
        ("company", "university", "research_institute"),
        ("general-research",),
        20000,
    ),
    ProgramSeed(
        "Global AI Challenge",
        "Open competition with public evaluation",
        ("company", "university", "research_institute", "public_agency"),
        ("education", "health", "public-services"),
        2000,
    ),
]
ORGS = [
    ("KAIST", "university", "Daejeon", False, None),
    ("Seoul National University", "university", "Seoul", True, None),
    ("ETRI", "research_institute", "Daejeon", False, None),
    ("Upstage", "company", "Gyeonggi", True, "startup"),
]


@dataclasses.dataclass(frozen=True)
class SeededPerson:
    name: str
    email: str
    token: str  # the secret, shown once


@dataclasses.dataclass(frozen=True)
class SeededDecision:
    program: str
    pi: str
    project_id: int | None  # None: not awarded
    amount: Decimal
    why: Reason | None  # why not awarded (None when awarded)
    reason: str  # ``why`` in English


@dataclasses.dataclass(frozen=True)
class Seeded:
    """What ``seed`` made: nothing (``already``) where the database had users."""

    already: bool
    people: tuple[SeededPerson, ...] = ()
    decisions: tuple[SeededDecision, ...] = ()


class _Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def seed(svc: Services) -> Seeded:
    """Create the demo world once (nothing where the database has users already)."""
    with svc.unit() as uow:
        if uow.people.list_users(1, 0).total:
            return Seeded(already=True)
    clock = _Clock(svc.clock() - timedelta(days=30))
    past = dataclasses.replace(svc, clock=clock)
    lines: list[SeededPerson] = []
    decided: list[SeededDecision] = []
    ops = _person(past, "Operator", "ops@nacc.example", None, [("operator", "")], lines)
    orgs = [_org(past, *o) for o in ORGS]
    officer = _person(
        past, "Officer Kim", "officer@nipa.example", None, [("program_officer", "")], lines
    )
    reviewers = [
        _person(past, f"Reviewer {n}", f"reviewer{n}@review.example", orgs[i], [], lines)
        for n, i in (("A", 2), ("B", 3))
    ]
    pis = [
        _person(past, f"PI {o[0]}", f"pi@{o[0].split()[0].lower()}.example", orgs[i], [], lines)
        for i, o in enumerate(ORGS)
    ]
    for spec in PROGRAMS:
        _run_call(past, clock, officer, reviewers, pis, spec, decided)
    del ops
    return Seeded(already=False, people=tuple(lines), decisions=tuple(decided))


def _org(svc: Services, name: str, kind: str, region: str, capital: bool, size: str | None) -> int:
    with svc.unit() as uow:
        org = uow.people.create_organisation(
            name, kind, region, capital_area=capital, company_size=size
        )
        return org.id


def _person(
    svc: Services,
    name: str,
    email: str,
    org: int | None,
    roles: list[tuple[str, str]],
    lines: list[SeededPerson],
) -> Principal:
    with svc.unit() as uow:
        user = uow.people.create_user(name, email, svc.clock(), org)
        for role, scope in roles:
            uow.people.grant_role(user.id, role, scope)
        _, secret = uow.people.create_token(user.id, svc.clock(), label="demo")
        lines.append(SeededPerson(name, email, secret))
        return Principal(user.id, name, org, frozenset(roles))


def _run_call(
    svc: Services,
    clock: _Clock,
    officer: Principal,
    reviewers: list[Principal],
    pis: list[Principal],
    spec: ProgramSeed,
    decided: list[SeededDecision],
) -> None:
    name, budget = spec.name, spec.budget
    t0 = clock.now
    prog = programs.create_program(svc, officer, name, spec.about)
    call = programs.open_call(
        svc,
        officer,
        prog.id,
        CallSpec(
            title=f"{name}: first call",
            opens_at=t0,
            closes_at=t0 + timedelta(days=7),
            budget_credits=Decimal(budget),
            review_opens_at=t0 + timedelta(days=7),
            review_closes_at=t0 + timedelta(days=14),
            criteria={"merit": 2.0, "feasibility": 1.0},
            min_score=5.0,
            eligible_org_kinds=list(spec.kinds),
            sector_tags=list(spec.tags),
        ),
    )
    applied = []
    for i, pi in enumerate(pis):
        req = programs.ProposalRequest(
            f"{pi.name}: {name}",
            "demo proposal",
            Decimal(budget // 3),
            ["fine-tuning", "inference"],
        )
        try:
            applied.append((programs.apply(svc, pi, call.id, req).id, i))
        except Exception:  # an ineligible organisation: the call says who may apply
            continue
    clock.now = t0 + timedelta(days=8)
    for r in reviewers:
        reviews.assign_reviewer(svc, officer, call.id, r.user_id)
    for pid, i in applied:
        for r in reviewers:
            if r.organisation_id == pis[i].organisation_id:
                continue  # a conflict of interest: the service would refuse it
            role = Principal(
                r.user_id, r.name, r.organisation_id, frozenset({("reviewer", f"call:{call.id}")})
            )
            reviews.submit_review(svc, role, pid, {"merit": 8 - i, "feasibility": 7}, "demo")
    clock.now = t0 + timedelta(days=15)
    for d in awards.decide(svc, officer, call.id, awards.DecideRequest({})):
        who = pis[dict(applied)[d.proposal_id]].name
        project = d.project_id if d.awarded else None
        why = None if d.awarded else d.why
        decided.append(SeededDecision(name, who, project, d.amount, why, d.reason))
