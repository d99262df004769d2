"""A person's notification preferences, their outbox, and a test notice.

Preferences: ``lang`` (``en`` | ``ko``), ``kinds`` (``nacc.domain.notices.Kind``),
``channels`` (``email`` | ``webhook``), ``email`` (else the account's), ``webhook_url``
(http or https) and ``webhook_secret`` (16..200 characters; signs each POST; never
shown back). The webhook channel needs a URL and a secret."""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from nacc.domain.errors import InputError
from nacc.domain.notices import LANGS, Channel, Kind
from nacc.ports.store_notices import NoticeRow, Prefs
from nacc.service import audit
from nacc.service.auth import Principal
from nacc.service.context import Services
from nacc.service.notify_deliver import deliver
from nacc.service.notify_outbox import notify, prefs_of


@dataclass(frozen=True, slots=True)
class Changes:
    """Fields left None keep their value; ``webhook_url=""`` removes the webhook."""

    lang: str | None = None
    kinds: tuple[str, ...] | None = None
    channels: tuple[str, ...] | None = None
    email: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None


def get(svc: Services, who: Principal) -> Prefs:
    with svc.unit() as uow:
        return prefs_of(uow, who.user_id)


def _check(p: Prefs) -> Prefs:
    if p.lang not in LANGS:
        raise InputError("lang", f"expected one of {', '.join(LANGS)}, got {p.lang!r}")
    known = {k.value for k in Kind}
    for i, kind in enumerate(p.kinds):
        if kind not in known:
            raise InputError(
                f"kinds.{i}", f"unknown kind {kind!r}; known: {', '.join(sorted(known))}"
            )
    for i, channel in enumerate(p.channels):
        if channel not in {c.value for c in Channel}:
            raise InputError(f"channels.{i}", f"expected email or webhook, got {channel!r}")
    if p.webhook_url:
        parts = urlsplit(p.webhook_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InputError("webhook_url", f"expected an http(s) URL, got {p.webhook_url!r}")
    if Channel.WEBHOOK in p.channels and not (p.webhook_url and p.webhook_secret):
        raise InputError("channels", "the webhook channel needs webhook_url and webhook_secret")
    if p.webhook_secret is not None and not 16 <= len(p.webhook_secret) <= 200:
        raise InputError("webhook_secret", "expected 16 to 200 characters")
    return replace(p, kinds=tuple(dict.fromkeys(p.kinds)),
                   channels=tuple(dict.fromkeys(p.channels)))  # fmt: skip


def update(svc: Services, who: Principal, c: Changes) -> Prefs:
    """Change the caller's preferences (all checked before anything is written)."""
    with svc.unit() as uow:
        p = prefs_of(uow, who.user_id)
        url = p.webhook_url if c.webhook_url is None else (c.webhook_url or None)
        secret = p.webhook_secret if c.webhook_secret is None else c.webhook_secret
        kinds = p.kinds if c.kinds is None else c.kinds
        kept = p.job_end_since if Kind.JOB_ENDED in p.kinds else None
        # opted in: jobs that end from now on (none of the past); opted out: none
        since = (kept or svc.clock()) if Kind.JOB_ENDED in kinds else None
        p = _check(Prefs(
            who.user_id, c.lang or p.lang, kinds,
            p.channels if c.channels is None else c.channels,
            p.email if c.email is None else (c.email or None), url,
            None if url is None else secret, since,
        ))  # fmt: skip
        uow.notices.set_prefs(p)
        audit.record(uow, who, svc.clock(), "notify.prefs", f"user:{who.user_id}",
                     lang=p.lang, channels=",".join(p.channels))  # fmt: skip
        return p


def outbox(svc: Services, who: Principal, limit: int = 50) -> list[NoticeRow]:
    with svc.unit() as uow:
        return uow.notices.outbox(who.user_id, limit)


def test(svc: Services, who: Principal) -> list[NoticeRow]:
    """Queue a test notice to the caller on each of their channels and deliver the
    outbox now; the test notice's rows as they stand after that attempt."""
    now = svc.clock()
    key = f"test:{who.user_id}:{now.isoformat()}"
    with svc.unit() as uow:
        notify(uow, [who.user_id], Kind.TEST, key, {"name": who.name}, now, always=True)
    deliver(svc)
    with svc.unit() as uow:
        return [n for n in uow.notices.outbox(who.user_id, 20) if n.key == key]
