"""The language of each request: ``?lang=ko|en``, else ``Accept-Language``, else English.

``LanguageMiddleware`` decides once per request, keeps the answer in ``request.state.lang``
and says it in ``Content-Language`` (with ``Vary: Accept-Language``). Routes take it as
the dependency ``Lang`` and render reasons with it::

    @router.get("/jobs/{job_id}")
    def get_job(job_id: str, lang: Lang) -> JobOut:
        ... render(job.reason, lang) ...
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

from fastapi import Depends, Request
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nacc import i18n


def choose(query_lang: str | None, accept_language: str | None) -> str:
    """``?lang=`` when it names a language nacc speaks, else ``Accept-Language``."""
    return i18n.language(query_lang) or i18n.negotiate(accept_language)


def request_language(request: Request) -> str:
    """The request's language (decided by the middleware; negotiated here without it)."""
    lang = getattr(request.state, "lang", None)
    if isinstance(lang, str):
        return lang
    return choose(request.query_params.get("lang"), request.headers.get("accept-language"))


async def _request_language(request: Request) -> str:
    """``request_language`` as a dependency, on the event loop (it does no IO)."""
    return request_language(request)


Lang = Annotated[str, Depends(_request_language)]


class LanguageMiddleware:
    """Pure ASGI (no body buffering): picks the language, labels the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang")
        header = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"accept-language"), None
        )
        lang = choose(query[-1] if query else None, header)
        scope.setdefault("state", {})["lang"] = lang

        async def labelled(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                headers["Content-Language"] = lang
                headers.add_vary_header("Accept-Language")
            await send(message)

        await self.app(scope, receive, labelled)
