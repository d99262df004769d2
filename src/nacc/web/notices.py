"""A person's notification preferences (``/portal/me/notify``, what ``PUT /me/notify``
changes: language, kinds, channels, e-mail, webhook; the webhook secret is never shown
back) with their latest notices, and the officers' page of progress reports past due
(``/portal/progress-reports``: accept one). The rules are ``service.notify_prefs`` and
``service.award_life``'s."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from nacc.domain.errors import NaccError
from nacc.domain.notices import LANGS, Channel, Kind
from nacc.i18n import render
from nacc.ports.store_notices import Prefs
from nacc.service import award_life, notify_prefs
from nacc.web import flow
from nacc.web.context import Visitor, form_fields, page, services, visitor

router = APIRouter(include_in_schema=False)
Form = Annotated[dict[str, str], Depends(form_fields)]
MaybeVisitor = Annotated[Visitor | None, Depends(visitor)]
KINDS = tuple(k.value for k in Kind if k is not Kind.TEST)
CHANNELS = tuple(c.value for c in Channel)
PREF_FIELDS = ("lang", "kinds", "channels", "email", "webhook_url", "webhook_secret")


@router.get("/portal/me/notify")
def prefs_page(request: Request, me: MaybeVisitor) -> Response:
    if me is None:
        return flow.signed_out(request)
    return _prefs(request, me, {}, saved=request.query_params.get("saved") == "1")


def _prefs(request: Request, me: Visitor, errors: dict[str, str], saved: bool = False,
           typed: notify_prefs.Changes | None = None) -> Response:  # fmt: skip
    svc = services(request)
    now = notify_prefs.get(svc, me.who)
    shown = now if typed is None else _overlay(now, typed)
    return page(request, "notify.html.j2", me.lang, me=me, csrf=me.csrf, p=shown,
                has_secret=bool(now.webhook_secret), kinds=KINDS, channels=CHANNELS,
                langs=LANGS, errors=errors, saved=saved,
                notices=notify_prefs.outbox(svc, me.who, 20))  # fmt: skip


def _overlay(p: Prefs, c: notify_prefs.Changes) -> Prefs:
    return replace(p, lang=c.lang or p.lang, kinds=c.kinds or (), channels=c.channels or (),
                   email=c.email, webhook_url=c.webhook_url)  # fmt: skip


def changes(fields: dict[str, str]) -> notify_prefs.Changes:
    """The form as the service's changes (an empty secret keeps the stored one)."""
    return notify_prefs.Changes(
        lang=fields.get("lang", "").strip() or None,
        kinds=tuple(k for k in KINDS if fields.get(f"kind.{k}")),
        channels=tuple(c for c in CHANNELS if fields.get(f"channel.{c}")),
        email=fields.get("email", "").strip(),
        webhook_url=fields.get("webhook_url", "").strip(),
        webhook_secret=fields.get("webhook_secret", "") or None,
    )


@router.post("/portal/me/notify")
def save_prefs(request: Request, me: MaybeVisitor, fields: Form) -> Response:
    if me is None:
        return flow.signed_out(request)
    if not flow.csrf_ok(request, me, fields):
        return flow.refused(request, me)
    asked = changes(fields)
    try:
        notify_prefs.update(services(request), me.who, asked)
    except NaccError as error:
        where = getattr(error, "where", "").split(".")[0]
        key = where if where in PREF_FIELDS else ""
        return _prefs(request, me, {key: render(error.reason, me.lang)}, typed=asked)
    return flow.back("/portal/me/notify?saved=1")


@router.get("/portal/progress-reports")
def reports_page(request: Request, me: MaybeVisitor) -> Response:
    if me is None:
        return flow.signed_out(request)

    def show() -> Response:
        due = award_life.overdue(services(request), me.who)
        return page(request, "progress_reports.html.j2", me.lang, me=me, csrf=me.csrf,
                    reports=due)  # fmt: skip

    return flow.attempt(request, me, show)


@router.post("/portal/progress-reports/{project_id}/{seq}/accept")
def accept(request: Request, project_id: int, seq: int, me: MaybeVisitor,
           fields: Form) -> Response:  # fmt: skip
    if me is None:
        return flow.signed_out(request)
    if not flow.csrf_ok(request, me, fields):
        return flow.refused(request, me)

    def run() -> Response:
        award_life.accept_report(services(request), me.who, project_id, seq)
        return flow.back("/portal/progress-reports")

    return flow.attempt(request, me, run)
