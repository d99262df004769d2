"""The call edit form (``web.call_forms``): the call's values shown and sent back
unchanged are no change (odd weights, no kinds stated, times with seconds), a typed
field is read, and bad fields are named in the visitor's language."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from nacc.service.call_edits import CallChanges
from nacc.service.programs import CallDetails
from nacc.web import call_forms, text

AT = datetime(2027, 1, 15, 9, 30, 17, 5, tzinfo=UTC)


def _call(kinds: list[str]) -> CallDetails:
    return CallDetails(
        id=1, program_id=1, title="2027 공모", opens_at=AT, closes_at=AT.replace(month=2),
        review_opens_at=AT.replace(month=2), review_closes_at=AT.replace(month=3),
        budget_credits=Decimal("50000.000000000"), budget_balance=Decimal(50000),
        eligible_org_kinds=kinds, sector_tags=["general-research"],
        criteria=[{"name": "merit", "weight": 0.1234567}, {"name": "impact", "weight": 2.0}],
        min_score=5.25, blind=True, decided=False,
    )  # fmt: skip


def _stated(changes: CallChanges) -> dict[str, object]:
    return {
        k: getattr(changes, k) for k in CallChanges.__slots__ if getattr(changes, k) is not None
    }


def test_the_form_as_shown_changes_nothing() -> None:
    for kinds in ([], ["university", "company"]):
        call = _call(kinds)
        got, errors = call_forms.changes(call_forms.shown(call), call, "en")
        assert errors == {} and got is not None
        stated = _stated(got)
        assert set(stated) == {"title", "budget_credits", "criteria", "min_score",
                               "eligible_org_kinds", "blind"}  # fmt: skip
        assert stated["budget_credits"] == call.budget_credits
        assert stated["criteria"] == {"merit": 0.1234567, "impact": 2.0}
        assert stated["min_score"] == 5.25 and stated["eligible_org_kinds"] == kinds


def test_typed_fields_are_read_and_bad_ones_named() -> None:
    call = _call([])
    typed = call_forms.shown(call) | {"closes_at": "2027-02-28", "title": "연장"}
    got, _ = call_forms.changes(typed, call, "ko")
    assert got is not None and got.closes_at == datetime(2027, 2, 28, tzinfo=UTC)
    assert got.opens_at is None and got.title == "연장"
    bad = {"title": "", "budget": "-1", "closes_at": "soon", "criteria": "x:0", "min_score": "a"}
    none, errors = call_forms.changes(call_forms.shown(call) | bad, call, "ko")
    assert none is None
    assert errors == {"title": text.say("ko", "form.required"),
                      "budget": text.say("ko", "form.positive_number"),
                      "closes_at": text.say("ko", "form.date"),
                      "criteria": text.say("ko", "form.criteria"),
                      "min_score": text.say("ko", "form.number")}  # fmt: skip
    nothing = {k: v for k, v in call_forms.shown(call).items() if not k.startswith("kind.")}
    assert "kinds" in call_forms.changes(nothing, call, "en")[1]
