"""What every page needs: the sessions, the language, the signed-in person and forms.

The portal's ``Sessions`` live in ``app.state.web_sessions`` (built on first use from the
environment; a test may put its own there, with its own clock).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import parse_qs

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from nacc.i18n import render
from nacc.service.auth import Principal
from nacc.service.context import Services
from nacc.web import text
from nacc.web.session import (
    COOKIE,
    LANG_COOKIE,
    Session,
    Sessions,
    lifetime_from_environment,
    secret_from_environment,
)

_lock = threading.Lock()
# only the portal's own files; no inline script or style, no framing, forms post home
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")  # fmt: skip


def sessions(request: Request) -> Sessions:
    state = request.app.state
    with _lock:
        found: Sessions | None = getattr(state, "web_sessions", None)
        if found is None:
            found = Sessions(secret_from_environment(), lifetime_from_environment())
            state.web_sessions = found
    return found


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


def language(request: Request) -> str:
    return text.choose(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE),
                       request.headers.get("accept-language"))  # fmt: skip


@dataclass(frozen=True, slots=True)
class Visitor:
    """A signed-in person: who, their session, and the language of their pages."""

    who: Principal
    session: Session
    lang: str
    csrf: str


def visitor(request: Request) -> Visitor | None:
    """The signed-in person of ``request``, or None (no, bad, expired or revoked session)."""
    web = sessions(request)
    session = web.read(request.cookies.get(COOKIE))
    if session is None:
        return None
    svc = services(request)
    with svc.unit() as uow:
        holder = uow.people.token_holder(session.token_hash, svc.clock())
    if holder is None:
        return None
    who = Principal(holder.user_id, holder.name, holder.organisation_id, holder.roles)
    return Visitor(who, session, language(request), web.csrf(session.nonce))


async def form_fields(request: Request) -> dict[str, str]:
    """The fields of a urlencoded form (the last value of each)."""
    raw = (await request.body()).decode("utf-8", errors="replace")
    return {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("nacc.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def page(request: Request, name: str, lang: str, status: int = 200, **context: Any) -> HTMLResponse:
    """The template ``name`` in ``lang``; ``t(key, ...)`` says a key in that language and
    ``reason(r)`` renders a reason code."""
    body = (
        _environment()
        .get_template(name)
        .render(
            lang=lang,
            t=lambda key, **p: text.say(lang, key, **p),
            reason=lambda r: render(r, lang),
            path=request.url.path,
            **context,
        )
    )
    response = HTMLResponse(body, status_code=status)
    if request.query_params.get("lang") == lang:
        secure = request.url.scheme == "https"
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="strict",
                            httponly=True, secure=secure)  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
