"""The program officer's forms: a new call, and a decision's overrides, read and checked
into what ``service.programs`` and ``service.awards`` take (errors by field)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from nacc.domain.programs import OrgKind
from nacc.ports.store_people import CallSpec
from nacc.web import text

CALL_FIELDS = ("title", "budget", "opens_at", "closes_at", "review_opens_at",
               "review_closes_at", "criteria", "min_score", "blind")  # fmt: skip
KINDS = tuple(k.value for k in OrgKind)


def when(raw: str) -> datetime | None:
    """``YYYY-MM-DD`` (midnight UTC) or an ISO date-time (UTC unless it says)."""
    try:
        at = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def criteria(raw: str) -> dict[str, float] | None:
    """``name:weight, name:weight`` (weight > 0); None when it does not read so."""
    found: dict[str, float] = {}
    for part in (p.strip() for p in raw.split(",") if p.strip()):
        name, _, weight = part.partition(":")
        try:
            value = float(weight or "1")
        except ValueError:
            return None
        if not name.strip() or value <= 0:
            return None
        found[name.strip()] = value
    return found or None


@dataclass(frozen=True, slots=True)
class CallForm:
    fields: Mapping[str, str]

    def check(self, lang: str) -> tuple[CallSpec | None, dict[str, str]]:
        f = {k: self.fields.get(k, "").strip() for k in CALL_FIELDS}
        errors: dict[str, str] = {}
        if not f["title"]:
            errors["title"] = "form.required"
        try:
            budget = Decimal(f["budget"])
            if not budget.is_finite() or budget <= 0:
                raise InvalidOperation
        except InvalidOperation:
            errors["budget"] = "form.positive_number"
        dates = {k: when(f[k]) for k in CALL_FIELDS[2:6]}
        errors.update({k: "form.date" for k, v in dates.items() if v is None})
        weights = criteria(f["criteria"])
        if weights is None:
            errors["criteria"] = "form.criteria"
        try:
            min_score = float(f["min_score"] or "0")
        except ValueError:
            errors["min_score"] = "form.number"
        kinds = [k for k in KINDS if self.fields.get(f"kind.{k}")] or list(KINDS)
        if errors:
            return None, {k: text.say(lang, v) for k, v in errors.items()}
        spec = CallSpec(title=f["title"], opens_at=_d(dates["opens_at"]),
                        closes_at=_d(dates["closes_at"]), budget_credits=budget,
                        review_opens_at=_d(dates["review_opens_at"]),
                        review_closes_at=_d(dates["review_closes_at"]),
                        criteria=weights or {}, min_score=min_score, eligible_org_kinds=kinds,
                        blind=bool(f["blind"]))  # fmt: skip
        return spec, {}


def _d(at: datetime | None) -> datetime:
    assert at is not None  # checked above
    return at


def overrides(fields: Mapping[str, str], lang: str) -> tuple[dict[int, tuple[bool, str]],
                                                          dict[str, str]]:  # fmt: skip
    """``override.<id>`` = award|reject with ``reason.<id>`` (required with an override)."""
    chosen: dict[int, tuple[bool, str]] = {}
    errors: dict[str, str] = {}
    for key, value in fields.items():
        if (
            not key.startswith("override.")
            or not key[9:].isdigit()
            or value not in ("award", "reject")
        ):
            continue
        pid = int(key[9:])
        why = fields.get(f"reason.{pid}", "").strip()
        if not why:
            errors[f"reason.{pid}"] = text.say(lang, "decide.reason_required")
        chosen[pid] = (value == "award", why)
    return chosen, errors
