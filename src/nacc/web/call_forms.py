"""The officer's edit form of a call: the call's values as the form shows them, and the
fields typed back read into ``call_edits.CallChanges`` (a field shown unchanged is no
change, so a call whose opening is fixed can still have its title edited); errors by
field, and a service's refusal beside the field it names."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation

from nacc.domain.errors import NaccError
from nacc.i18n import render
from nacc.service.call_edits import CallChanges
from nacc.service.programs import CallDetails
from nacc.web import text
from nacc.web.officer_forms import KINDS, criteria, when

DATES = ("opens_at", "closes_at", "review_opens_at", "review_closes_at")
FIELDS = ("title", "budget", *DATES, "criteria", "min_score", "kinds", "blind")
_FROM_SERVICE = {"budget_credits": "budget", "eligible_org_kinds": "kinds", "sector_tags": "kinds"}


def moment(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")


def _number(value: Decimal) -> str:
    return format(Decimal(value).normalize(), "f")


def _weight(value: object) -> str:
    """A float as it reads back exactly (``2``, ``0.1234567``)."""
    number = float(str(value))
    return str(int(number)) if number.is_integer() else repr(number)


def _kinds(call: CallDetails) -> list[str]:
    """The eligible kinds (none stated: every kind, as ``domain.programs.eligible``)."""
    return list(call.eligible_org_kinds) or list(KINDS)


def shown(call: CallDetails) -> dict[str, str]:
    """The form's fields for ``call`` as it is (kinds as ``kind.<k>`` = ``1``)."""
    values = {"title": call.title, "budget": _number(call.budget_credits),
              "criteria": ", ".join(f"{c['name']}:{_weight(c['weight'])}" for c in call.criteria),
              "min_score": _weight(call.min_score), "blind": "1" if call.blind else ""}  # fmt: skip
    values |= {name: moment(getattr(call, name)) for name in DATES}
    return values | {f"kind.{k}": "1" for k in _kinds(call)}


def changes(
    fields: Mapping[str, str], call: CallDetails, lang: str
) -> tuple[CallChanges | None, dict[str, str]]:
    """What the typed form changes of ``call``, or the errors by field."""
    f = {k: fields.get(k, "").strip() for k in FIELDS}
    errors: dict[str, str] = {}
    if not f["title"]:
        errors["title"] = "form.required"
    budget = _budget(f["budget"])
    if budget is None:
        errors["budget"] = "form.positive_number"
    dates: dict[str, datetime | None] = {}
    for name in DATES:
        if f[name] != moment(getattr(call, name)):
            dates[name] = when(f[name])
            if dates[name] is None:
                errors[name] = "form.date"
    weights = criteria(f["criteria"])
    if weights is None:
        errors["criteria"] = "form.criteria"
    try:
        min_score = float(f["min_score"] or "0")
    except ValueError:
        errors["min_score"] = "form.number"
    kinds = [k for k in KINDS if fields.get(f"kind.{k}")]
    if not kinds:
        errors["kinds"] = "form.pick_one"
    if sorted(kinds) == sorted(_kinds(call)):
        kinds = list(call.eligible_org_kinds)  # unchanged (also when none were stated)
    if errors:
        return None, {k: text.say(lang, v) for k, v in errors.items()}
    return CallChanges(
        title=f["title"], budget_credits=budget, criteria=weights, min_score=min_score,
        eligible_org_kinds=kinds, blind=bool(f["blind"]), opens_at=dates.get("opens_at"),
        closes_at=dates.get("closes_at"), review_opens_at=dates.get("review_opens_at"),
        review_closes_at=dates.get("review_closes_at"),
    ), {}  # fmt: skip


def _budget(raw: str) -> Decimal | None:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return value if value.is_finite() and value > 0 else None


def refusal(error: NaccError, lang: str) -> dict[str, str]:
    """The service's refusal beside its field (``call.criteria``, ``budget_credits``, ...)
    where the form has it, else above the form (``""``)."""
    where = str(getattr(error, "where", "")).removeprefix("call.")
    where = _FROM_SERVICE.get(where, where)
    return {where if where in FIELDS else "": render(error.reason, lang)}
