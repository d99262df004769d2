"""Closing and editing a call (``service.call_edits``) on the in-memory store: what may
change where the call stands, each refusal a coded reason that changes nothing, the budget
moved in the ledger and both actions in the audit log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from nacc.adapters.store.memory import MemoryStore
from nacc.domain.errors import Forbidden, InputError
from nacc.domain.reasons import Code
from nacc.ports.store_people import CallSpec
from nacc.service import audit, awards, programs
from nacc.service.auth import Principal
from nacc.service.call_edits import CallChanges, CallRefused, close_call, edit_call, editable
from nacc.service.context import Services

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
OPS = Principal(1, "Ops", None, frozenset({("operator", "")}))


@dataclass
class Clock:
    now: datetime = field(default=T0)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def world() -> tuple[Services, Clock, int]:
    clock = Clock()
    svc = Services(None, clock, store=MemoryStore())
    with svc.unit() as uow:
        uow.people.create_user("Ops", "ops@mem.example", T0)
        org = uow.people.create_organisation("Uni", "university", "Busan", capital_area=False)
        uow.people.create_user("Kim", "kim@mem.example", T0, org.id)
    prog = programs.create_program(svc, OPS, "P", "")
    spec = CallSpec("C", T0 - DAY, T0 + 7 * DAY, Decimal(1000), T0, T0 + 14 * DAY,
                    {"merit": 1.0}, 0)  # fmt: skip
    return svc, clock, programs.open_call(svc, OPS, prog.id, spec).id


def _kim(svc: Services) -> Principal:
    with svc.unit() as uow:
        user = uow.people.user_by_email("kim@mem.example")
        assert user is not None
    return Principal(user.id, user.name, user.organisation_id, frozenset())


def test_an_open_call_without_proposals_changes_freely(world: tuple[Services, Clock, int]) -> None:
    svc, _, call_id = world
    changes = CallChanges(title="C2", budget_credits=Decimal(1500), criteria={"merit": 2.0,
                          "impact": 1.0}, closes_at=T0 + 10 * DAY, blind=True)  # fmt: skip
    edited = edit_call(svc, OPS, call_id, changes)
    assert (edited.title, edited.budget_credits, edited.budget_balance) == (
        "C2", Decimal(1500), Decimal(1500))  # fmt: skip
    assert edited.blind and edited.closes_at == T0 + 10 * DAY
    assert [c["name"] for c in edited.criteria] == ["merit", "impact"]
    smaller = edit_call(svc, OPS, call_id, CallChanges(budget_credits=Decimal(400)))
    assert smaller.budget_balance == Decimal(400)
    [entry] = audit.read(svc, OPS, 1, 0, action="call.edit").items
    assert entry.target == f"call:{call_id}" and entry.details["fields"] == "budget_credits"
    same = edit_call(svc, OPS, call_id, CallChanges(title="C2"))
    assert same.title == "C2" and audit.read(svc, OPS, 10, 0, action="call.edit").total == 2


def test_proposals_fix_the_terms_and_the_budget_only_rises(
    world: tuple[Services, Clock, int],
) -> None:
    svc, _, call_id = world
    programs.apply(svc, _kim(svc), call_id, programs.ProposalRequest("A", "a", Decimal(10),
                                                                     ["inference"]))  # fmt: skip
    locked = [(CallChanges(criteria={"other": 1.0}), "criteria"),
              (CallChanges(opens_at=T0 - 2 * DAY), "opens_at"),
              (CallChanges(min_score=3.0), "min_score"),
              (CallChanges(eligible_org_kinds=["company"]), "eligible_org_kinds")]  # fmt: skip
    for changes, name in locked:
        with pytest.raises(CallRefused) as refused:
            edit_call(svc, OPS, call_id, changes)
        assert refused.value.code == Code.CALL_FIELD_LOCKED and refused.value.where == name
        assert refused.value.params == {"call": call_id, "field": name, "proposals": 1}
    with pytest.raises(CallRefused) as lower:
        edit_call(svc, OPS, call_id, CallChanges(budget_credits=Decimal(999)))
    assert lower.value.code == Code.CALL_BUDGET_LOCKED
    raised = edit_call(svc, OPS, call_id, CallChanges(title="New", budget_credits=Decimal(1200),
                                                      review_closes_at=T0 + 20 * DAY))  # fmt: skip
    assert (raised.title, raised.budget_balance) == ("New", Decimal(1200))
    with pytest.raises(CallRefused) as past:
        edit_call(svc, OPS, call_id, CallChanges(closes_at=T0 - timedelta(hours=1)))
    assert past.value.code == Code.CALL_CLOSES_IN_PAST and past.value.where == "closes_at"
    with pytest.raises(InputError, match="review_closes_at"):
        edit_call(svc, OPS, call_id, CallChanges(review_closes_at=T0 - DAY))
    assert programs.get_call(svc, call_id).title == "New"  # the refusals changed nothing


def test_close_then_decide_and_no_more_changes(world: tuple[Services, Clock, int]) -> None:
    svc, clock, call_id = world
    with pytest.raises(Forbidden):
        close_call(svc, _kim(svc), call_id)
    programs.apply(svc, _kim(svc), call_id, programs.ProposalRequest("A", "a", Decimal(10),
                                                                     ["inference"]))  # fmt: skip
    closed = close_call(svc, OPS, call_id)
    assert closed.closes_at == T0
    clock.now = T0 + timedelta(minutes=1)
    with pytest.raises(CallRefused) as again:
        close_call(svc, OPS, call_id)
    assert again.value.code == Code.CALL_ALREADY_CLOSED
    assert again.value.params == {"call": call_id, "closes_at": "2026-03-02 09:00 UTC"}
    with pytest.raises(CallRefused) as reopen:
        edit_call(svc, OPS, call_id, CallChanges(closes_at=T0 + DAY))
    assert reopen.value.code == Code.CALL_CLOSED_DATES
    assert edit_call(svc, OPS, call_id, CallChanges(title="Closed")).title == "Closed"
    [entry] = audit.read(svc, OPS, 1, 0, action="call.close").items
    assert entry.details["was"] == (T0 + 7 * DAY).isoformat()
    awards.decide(svc, OPS, call_id, awards.DecideRequest({}))
    for action in (lambda: close_call(svc, OPS, call_id),
                   lambda: edit_call(svc, OPS, call_id, CallChanges(title="x"))):  # fmt: skip
        with pytest.raises(CallRefused) as decided:
            action()
        assert decided.value.code == Code.CALL_DECIDED


def test_a_call_not_yet_open_is_not_closed(world: tuple[Services, Clock, int]) -> None:
    svc, clock, call_id = world
    clock.now = T0 - 2 * DAY
    with pytest.raises(CallRefused) as early:
        close_call(svc, OPS, call_id)
    assert early.value.code == Code.CALL_NOT_YET_OPEN
    moved = edit_call(svc, OPS, call_id, CallChanges(opens_at=T0 - DAY / 2))
    assert moved.opens_at == T0 - DAY / 2


def test_what_the_officer_is_told_may_change(world: tuple[Services, Clock, int]) -> None:
    svc, clock, call_id = world
    fresh = editable(svc, OPS, call_id)
    assert (fresh.state, fresh.proposals, fresh.fixed) == ("open", 0, ())
    with pytest.raises(Forbidden):
        editable(svc, _kim(svc), call_id)
    programs.apply(svc, _kim(svc), call_id, programs.ProposalRequest("A", "a", Decimal(10),
                                                                     ["inference"]))  # fmt: skip
    clock.now = T0 + 8 * DAY
    closed = editable(svc, OPS, call_id)
    assert closed.state == "closed" and closed.proposals == 1
    assert closed.fixed[:3] == ("opens_at", "closes_at", "eligible_org_kinds")
    assert "budget_credits" in closed.fixed
    awards.decide(svc, OPS, call_id, awards.DecideRequest({}))
    assert editable(svc, OPS, call_id).state == "decided"
