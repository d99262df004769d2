"""Reserved capacity blocks (``/portal/blocks``): every block booked (pool, count,
start, end, projects, charging), booking one and cancelling one. The portal reads the
form (numbers, UTC times); the rules (the pool's size, overlaps with other blocks,
charging) are ``service.reservations``'s, and a refusal — an overlap names the blocks in
the way — is shown above the form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from nacc.domain.errors import NaccError
from nacc.domain.reservations import ChargeMode
from nacc.i18n import render
from nacc.service import reservations as use
from nacc.web import flow
from nacc.web.context import Visitor, form_fields, page, services, visitor

router = APIRouter(include_in_schema=False)
Form = Annotated[dict[str, str], Depends(form_fields)]
MaybeVisitor = Annotated[Visitor | None, Depends(visitor)]
CHARGES = tuple(c.value for c in ChargeMode)
TIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d")


def _when(raw: str) -> datetime | None:
    for fmt in TIME_FORMATS:
        try:
            return datetime.strptime(raw.strip(), fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _number(raw: str) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if value >= 0 else None


@dataclass(frozen=True, slots=True)
class BlockForm:
    fields: dict[str, str]

    def get(self, name: str) -> str:
        return self.fields.get(name, "").strip()

    def check(self, me: Visitor) -> tuple[use.Booking | None, dict[str, str]]:
        """The booking the form asks for, or what is wrong by field (in the visitor's
        language); only the form's own shape, the rules are the service's."""
        errors: dict[str, str] = {}
        name, count = self.get("name"), self.get("count")
        start, end = _when(self.get("start")), _when(self.get("end"))
        raw_projects = [p.strip() for p in self.get("projects").split(",") if p.strip()]
        fee = _number(self.get("idle_fee") or "0")
        if not name:
            errors["name"] = flow.say(me, "form.required")
        if not (count.isdigit() and int(count) > 0):
            errors["count"] = flow.say(me, "form.positive_number")
        for field, value in (("start", start), ("end", end)):
            if value is None:
                errors[field] = flow.say(me, "blocks.time_format")
        if not all(p.isdigit() for p in raw_projects):
            errors["projects"] = flow.say(me, "blocks.projects_format")
        if self.get("charge") not in CHARGES:
            errors["charge"] = flow.say(me, "form.pick_one")
        if fee is None:
            errors["idle_fee"] = flow.say(me, "blocks.fee_format")
        if errors or start is None or end is None or fee is None:
            return None, errors
        pool = self.get("pool")
        return use.Booking(name, int(count), start, end, tuple(int(p) for p in raw_projects),
                           pool_id=pool or None, accelerator=None if pool else
                           (self.get("accelerator") or None), charge=self.get("charge"),
                           idle_fee=fee), {}  # fmt: skip


@router.get("/portal/blocks")
def block_list(request: Request, me: MaybeVisitor) -> Response:
    if me is None:
        return flow.signed_out(request)
    return _blocks(request, me, {}, {})


def _blocks(request: Request, me: Visitor, typed: dict[str, str],
            errors: dict[str, str]) -> Response:  # fmt: skip
    svc = services(request)
    pools = request.app.state.pools
    return page(request, "blocks.html.j2", me.lang, me=me, csrf=me.csrf,
                blocks=use.listed(svc, include_cancelled=True), pools=pools,
                kinds=sorted({p.accel_type for p in pools}), charges=CHARGES, typed=typed,
                errors=errors, officer=flow.is_officer(me.who), now=svc.clock())  # fmt: skip


@router.post("/portal/blocks")
def book(request: Request, me: MaybeVisitor, fields: Form) -> Response:
    if me is None:
        return flow.signed_out(request)
    if not flow.csrf_ok(request, me, fields):
        return flow.refused(request, me)
    asked, errors = BlockForm(fields).check(me)
    if asked is None:
        return _blocks(request, me, fields, errors)
    state = request.app.state
    try:
        use.book(services(request), me.who, state.pools, asked, state.pricing.rates)
    except NaccError as error:
        where = getattr(error, "where", "").removeprefix("body.").removesuffix("_id")
        key = where if where in ("name", "count", "end", "projects", "pool") else ""
        return _blocks(request, me, fields, {key: render(error.reason, me.lang)})
    return flow.back("/portal/blocks")


@router.post("/portal/blocks/{block_id}/cancel")
def cancel(request: Request, block_id: int, me: MaybeVisitor, fields: Form) -> Response:
    if me is None:
        return flow.signed_out(request)
    if not flow.csrf_ok(request, me, fields):
        return flow.refused(request, me)
    state = request.app.state

    def run() -> Response:
        use.cancel(services(request), me.who, block_id, state.pools, state.pricing.rates)
        return flow.back("/portal/blocks")

    return flow.attempt(request, me, run)
