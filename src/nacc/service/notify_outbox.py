"""Putting notices in the outbox: who hears of an event, on which channels, in which
language, with what text.

A person's preferences (``notify_prefs``; defaults when they set none: every kind, by
e-mail to their account's address, in English) choose the kinds they hear of, the
channels (``email``, ``webhook``) and the language (``en``, ``ko``). A notice is
rendered from ``nacc/templates/notices/<lang>/<kind>.txt.j2`` (first line the subject,
the rest the body) when it is queued, so the outbox shows what was sent. Queuing is
idempotent on (key, person, channel)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import cache
from typing import Any

import jinja2

from nacc import i18n
from nacc.domain.notices import DEFAULT_KINDS, Channel, Kind
from nacc.ports.store import UnitOfWork
from nacc.ports.store_jobs_data import reason_of
from nacc.ports.store_notices import NewNotice, Prefs


@cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("nacc", "templates/notices"),
        autoescape=False,  # plain text: e-mail bodies and JSON fields, never HTML
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        keep_trailing_newline=True,
    )


def render(kind: Kind, lang: str, params: Mapping[str, Any]) -> tuple[str, str]:
    """(subject, body) of a notice in ``lang``; a ``reason_code`` (with ``reason_params``)
    becomes its ``reason`` in ``lang``."""
    why = reason_of(params.get("reason_code"), params.get("reason_params"))
    if why is not None:
        params = {**params, "reason": i18n.render(why, lang)}
    text = _templates().get_template(f"{lang}/{kind.value}.txt.j2").render(**params)
    subject, _, body = text.partition("\n")
    return subject.strip(), body


def prefs_of(uow: UnitOfWork, user_id: int) -> Prefs:
    """The person's preferences, or the defaults."""
    found = uow.notices.prefs(user_id)
    if found is not None:
        return found
    return Prefs(user_id, "en", tuple(k.value for k in DEFAULT_KINDS), (Channel.EMAIL.value,),
                 None, None, None)  # fmt: skip


def address(uow: UnitOfWork, prefs: Prefs, channel: str) -> str | None:
    """Where ``channel`` reaches the person: their e-mail (the preference's, else the
    account's) or their webhook URL; None when it reaches them nowhere."""
    if channel == Channel.WEBHOOK:
        return prefs.webhook_url
    if prefs.email:
        return prefs.email
    user = uow.people.get_user(prefs.user_id)
    return user.email if user else None


def notify(
    uow: UnitOfWork, users: Iterable[int], kind: Kind, key: str, params: Mapping[str, Any],
    now: datetime, *, always: bool = False,
) -> int:  # fmt: skip
    """Queue the notice for each of ``users`` who wants ``kind`` (everyone, ``always``),
    once per channel that reaches them; the number of rows queued now."""
    queued = 0
    for user_id in sorted(set(users)):
        prefs = prefs_of(uow, user_id)
        if not always and kind.value not in prefs.kinds:
            continue
        subject, body = render(kind, prefs.lang, params)
        for channel in prefs.channels:
            if address(uow, prefs, channel) is None:
                continue
            new = NewNotice(key, kind.value, user_id, channel, prefs.lang, subject, body,
                            dict(params), now)  # fmt: skip
            queued += uow.notices.enqueue(new)
    return queued
