"""Identity use cases on the in-memory store (the same code the API runs on SQL): teams
by invitation to the award, revocation, and the audit log written with each action and
rolled back with a refused one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from nacc.adapters.store.memory import MemoryStore
from nacc.domain.errors import Conflict, InputError, NotFound
from nacc.ports.store_people import CallSpec
from nacc.service import audit, awards, people, programs, project_views, teams
from nacc.service.auth import Principal
from nacc.service.context import Services

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
OPS = Principal(1, "Ops", None, frozenset({("operator", "")}), address="10.1.2.3")


@pytest.fixture
def svc() -> Services:
    svc = Services(None, lambda: NOW, store=MemoryStore())
    with svc.unit() as uow:
        uow.people.create_user("Ops", "ops@mem.example", NOW)
        org = uow.people.create_organisation("Uni", "university", "Busan", capital_area=False)
        for name in ("kim", "lee", "park"):
            uow.people.create_user(name.title(), f"{name}@mem.example", NOW, org.id)
    return svc


def _who(svc: Services, user_id: int) -> Principal:
    with svc.unit() as uow:
        user = uow.people.get_user(user_id)
        assert user is not None
        roles = frozenset(uow.people.roles_of(user_id))
    return Principal(user.id, user.name, user.organisation_id, roles)


def test_only_accepted_invitees_join_the_awarded_project(svc: Services) -> None:
    prog = programs.create_program(svc, OPS, "P", "")
    spec = CallSpec("C", NOW - timedelta(hours=1), NOW + timedelta(hours=1), Decimal(100),
                    NOW, NOW + timedelta(hours=2), {"merit": 1.0}, 0)  # fmt: skip
    call = programs.open_call(svc, OPS, prog.id, spec)
    kim, lee, park = (_who(svc, u) for u in (2, 3, 4))
    req = programs.ProposalRequest("A", "a", Decimal(10), ["inference"], team=[3, 4])
    made = programs.apply(svc, kim, call.id, req)
    assert made.team is not None and [p.name for p in made.team] == ["Kim"]
    [to_lee] = teams.my_invitations(svc, lee)
    teams.answer(svc, lee, to_lee.id, accept=True)
    [to_park] = teams.my_invitations(svc, park)
    teams.answer(svc, park, to_park.id, accept=False)
    with pytest.raises(Conflict, match="already declined"):
        teams.answer(svc, park, to_park.id, accept=True)
    with pytest.raises(NotFound):
        teams.answer(svc, park, to_lee.id, accept=False)  # not theirs
    with pytest.raises(InputError, match="no user with id"):
        teams.invite(svc, kim, made.id, 999, None)
    svc.clock = lambda: NOW + timedelta(hours=1, minutes=1)
    decided = awards.decide(svc, OPS, call.id, awards.DecideRequest({made.id: (True, "t")}))
    project = project_views.get_project(svc, OPS, decided[0].project_id or 0)
    assert [(m.user.name, m.role) for m in project.members] == [("Kim", "pi"), ("Lee", "member")]
    actions = [e.action for e in audit.read(svc, OPS, 20, 0).items]
    assert actions[:4] == ["call.decide", "team.decline", "team.accept", "team.invite"]


def test_revocations_are_audited_and_a_refusal_writes_nothing(svc: Services) -> None:
    token = people.issue_token(svc, OPS, 2, "laptop", None)
    people.grant(svc, OPS, 2, "reviewer", "call:1")
    people.revoke(svc, OPS, 2, "reviewer", "call:1")
    with pytest.raises(NotFound):
        people.revoke(svc, OPS, 2, "reviewer", "call:1")  # no longer held
    with pytest.raises(NotFound):
        people.revoke_token(svc, _who(svc, 3), token.id)  # someone else's
    assert people.revoke_token(svc, _who(svc, 2), token.id) is True
    log = audit.read(svc, OPS, 10, 0)
    assert [e.action for e in log.items] == ["token.revoke", "role.revoke", "role.grant",
                                             "token.issue"]  # fmt: skip
    assert log.items[1].address == "10.1.2.3" and log.items[1].details == {
        "role": "reviewer", "scope": "call:1"}  # fmt: skip
    assert log.items[0].actor_id == 2
