"""The dataset pages: the catalog (``/portal/datasets``) and a dataset
(``/portal/datasets/{name}``: size, licence, residency, sensitivity, the sites holding a
copy, and the access requests the visitor may read). A project's PI or member asks for
access; the dataset's stewards, program officers and operators approve, refuse (with a
reason) or revoke an approval (with a reason). Every rule is ``service.datasets``'s; a
refusal is shown beside the form it came from."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from nacc.domain.datasets import env_key
from nacc.domain.errors import NaccError
from nacc.i18n import render
from nacc.service import datasets as use
from nacc.web import flow, forms
from nacc.web.context import Visitor, form_fields, page, services, visitor

router = APIRouter(include_in_schema=False)
Form = Annotated[dict[str, str], Depends(form_fields)]
MaybeVisitor = Annotated[Visitor | None, Depends(visitor)]
ACTIONS = ("approve", "refuse", "revoke")


def size_text(size: int) -> str:
    """Bytes in decimal units (``3.0 TB``)."""
    value, unit = float(size), "B"
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if value < 1000 or unit == "PB":
            break
        value /= 1000
    return f"{value:,.0f} B" if unit == "B" else f"{value:,.1f} {unit}"


@router.get("/portal/datasets")
def catalog(request: Request, me: MaybeVisitor) -> Response:
    if me is None:
        return flow.signed_out(request)
    rows = use.listed(services(request))
    return page(request, "datasets.html.j2", me.lang, me=me, csrf=me.csrf, datasets=rows,
                size=size_text)  # fmt: skip


@router.get("/portal/datasets/{name}")
def dataset_page(request: Request, name: str, me: MaybeVisitor) -> Response:
    if me is None:
        return flow.signed_out(request)
    return flow.attempt(request, me, lambda: _dataset(request, me, name, {}, {}))


def _dataset(request: Request, me: Visitor, name: str, typed: dict[str, str],
             errors: dict[str, str]) -> Response:  # fmt: skip
    svc = services(request)
    row = use.get(svc, name)
    asked = use.accesses(svc, me.who, name)
    team = [p for p in forms.projects_of(me.who)
            if any(me.who.has(r, f"project:{p}") for r in ("pi", "member"))]  # fmt: skip
    return page(request, "dataset.html.j2", me.lang, me=me, csrf=me.csrf, d=row,
                size=size_text(row.size_bytes), env=env_key(row.name), accesses=asked, team=team,
                decider=use.may_decide(me.who, row), typed=typed, errors=errors)  # fmt: skip


@router.post("/portal/datasets/{name}/access")
def ask(request: Request, name: str, me: MaybeVisitor, fields: Form) -> Response:
    if me is None:
        return flow.signed_out(request)
    if not flow.csrf_ok(request, me, fields):
        return flow.refused(request, me)
    raw = fields.get("project_id", "")
    if not raw.isdigit():
        errors = {"request": flow.say(me, "form.pick_one")}
        return flow.attempt(request, me, lambda: _dataset(request, me, name, fields, errors))
    try:
        use.request_access(services(request), me.who, name, int(raw), fields.get("purpose", ""))
    except NaccError as error:
        errors = {"request": render(error.reason, me.lang)}
        return flow.attempt(request, me, lambda: _dataset(request, me, name, fields, errors))
    return flow.back(f"/portal/datasets/{name}")


@router.post("/portal/datasets/{name}/access/{access_id}")
def decide(request: Request, name: str, access_id: int, me: MaybeVisitor,
           fields: Form) -> Response:  # fmt: skip
    """``action``: approve, refuse (a reason) or revoke (a reason) the request."""
    if me is None:
        return flow.signed_out(request)
    if not flow.csrf_ok(request, me, fields):
        return flow.refused(request, me)
    action = fields.get("action", "")
    reason = fields.get("reason", "").strip()
    svc = services(request)
    if action not in ACTIONS:
        return flow.back(f"/portal/datasets/{name}")  # no button sends anything else
    try:
        if action == "revoke":
            use.revoke(svc, me.who, name, access_id, reason)
        else:
            use.decide(svc, me.who, name, access_id, action == "approve", reason or None)
    except NaccError as error:
        errors = {f"access-{access_id}": render(error.reason, me.lang)}
        typed = {f"reason-{access_id}": reason}
        return flow.attempt(request, me, lambda: _dataset(request, me, name, typed, errors))
    return flow.back(f"/portal/datasets/{name}")
