"""People and programs for the persona pages: an operator, a program officer, a
reviewer and a second applicant beside the PI of ``world.fund``; a program with an open
call (the PI applies to it) and a blind call that closed an hour ago with two proposals
(reviewed, decided and funded through the officer's pages)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from nacc.ports.store_people import CallSpec, ProposalSpec
from nacc.service import programs, reviews
from nacc.service.auth import Principal
from nacc.service.context import Services


@dataclass(frozen=True)
class Cast:
    operator: str
    officer: str
    reviewer: str
    reviewer_id: int
    second_reviewer_id: int
    open_call: int
    closed_call: int
    proposals: tuple[int, int]


def _person(svc: Services, name: str, email: str, org: int | None,
            roles: list[tuple[str, str]]) -> tuple[int, str]:  # fmt: skip
    now = svc.clock()
    with svc.unit() as uow:
        user = uow.people.create_user(name, email, now, org)
        for role, scope in roles:
            uow.people.grant_role(user.id, role, scope)
        _, secret = uow.people.create_token(user.id, now, label="portal test")
    return user.id, secret


def _principal(svc: Services, user_id: int) -> Principal:
    with svc.unit() as uow:
        user = uow.people.get_user(user_id)
        assert user is not None
        roles = frozenset(uow.people.roles_of(user_id))
    return Principal(user_id, user.name, user.organisation_id, roles)


def cast(svc: Services) -> Cast:
    now = svc.clock()
    with svc.unit() as uow:
        kaist = uow.people.list_organisations(10, 0).items[0]
        rebel = uow.people.create_organisation("리벨리온", "company", "Seoul", capital_area=True)
        kisti = uow.people.create_organisation("KISTI", "research_institute", "Daejeon",
                                               capital_area=False)  # fmt: skip
        pi = uow.people.users_with_role("pi", "project:1")[0]
    _, operator = _person(svc, "운영자", "ops@nacc.example", None, [("operator", "")])
    of_id, officer = _person(svc, "박사업", "po@nacc.example", kisti.id,
                             [("program_officer", "")])  # fmt: skip
    rv_id, reviewer = _person(svc, "이심사", "rev@kisti.example", kisti.id, [])
    rv2_id, _ = _person(svc, "최심사", "rev2@kisti.example", kisti.id, [])
    ap_id, _ = _person(svc, "정창업", "ceo@rebellions.example", rebel.id, [])
    po = _principal(svc, of_id)
    program = programs.create_program(svc, po, "초거대 AI 지원", "GPU 바우처")
    day = timedelta(days=1)
    open_spec = CallSpec("2027 상반기 공모", now - day, now + 7 * day, Decimal(5000),
                         now - day, now + 14 * day, {"novelty": 1.0}, 5.0)  # fmt: skip
    opened = programs.open_call(svc, po, program.id, open_spec)
    closed_spec = CallSpec("2026 하반기 블라인드 공모", now - 10 * day, now - timedelta(hours=1),
                           Decimal(1000), now - 10 * day, now + 7 * day,
                           {"novelty": 2.0, "feasibility": 1.0}, 5.0, blind=True)  # fmt: skip
    closed = programs.open_call(svc, po, program.id, closed_spec)
    ids = []
    with svc.unit() as uow:
        for org, user, title, amount in ((kaist.id, pi.id, "한국어 LLM 미세조정", 600),
                                         (rebel.id, ap_id, "NPU 포팅", 500)):  # fmt: skip
            spec = ProposalSpec(org, user, title, "요약 " + title, Decimal(amount), ["fine-tuning"])
            ids.append(uow.programs.create_proposal(closed.id, spec, now - 5 * day).id)
    reviews.assign_reviewer(svc, po, closed.id, rv_id)
    return Cast(operator, officer, reviewer, rv_id, rv2_id, opened.id, closed.id,
                (ids[0], ids[1]))  # fmt: skip
