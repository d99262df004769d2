"""What every persona's routes share: who may see the page, CSRF on posts, a refused or
failed request as a page in the visitor's language, and the roles the navigation shows."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from nacc.domain.errors import NaccError
from nacc.service import datasets
from nacc.service.auth import Principal
from nacc.service.context import Services
from nacc.web import forms, text
from nacc.web.context import Visitor, page, sessions
from nacc.web.session import COOKIE


def signed_out(request: Request) -> Response:
    """To sign-in (with the expiry notice when a session cookie came along)."""
    expired = COOKIE in request.cookies
    response = RedirectResponse("/portal/signin" + ("?expired=1" if expired else ""), 303)
    if expired:
        response.delete_cookie(COOKIE)
    return response


def refused(request: Request, me: Visitor) -> Response:
    return page(request, "refused.html.j2", me.lang, status=403, me=None, csrf="")


def failed(request: Request, me: Visitor, error: NaccError) -> Response:
    return page(request, "error.html.j2", me.lang, status=forms.status_of(error), me=me,
                csrf=me.csrf, error=error.reason)  # fmt: skip


def csrf_ok(request: Request, me: Visitor, fields: dict[str, str]) -> bool:
    return sessions(request).csrf_ok(me.session.nonce, fields.get("csrf"))


def attempt(request: Request, me: Visitor, action: Callable[[], Response]) -> Response:
    """``action``'s page, or the error page of the service's refusal."""
    try:
        return action()
    except NaccError as error:
        return failed(request, me, error)


def back(target: str) -> Response:
    return RedirectResponse(target, status_code=303)


def is_officer(who: Principal) -> bool:
    return any(r in ("operator", "program_officer") for r, _ in who.roles)


def is_reviewer(who: Principal) -> bool:
    return any(r == "reviewer" for r, _ in who.roles)


def chart(series: dict[str, Any]) -> str:
    """Chart data for ``data-chart`` (read by ``static/charts.js``; no inline script)."""
    return json.dumps(series, default=str, ensure_ascii=False, separators=(",", ":"))


PAGE_SIZE = 50
"""Rows per page of a long list (jobs of a project, users): ``?page=N`` from 1."""


@dataclass(frozen=True, slots=True)
class Paging:
    """Where a long list stands: ``page`` (from 1) of ``pages``, ``limit`` rows at
    ``offset``; ``total`` is filled in once the list is read."""

    page: int
    limit: int
    total: int = 0

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit))

    def of(self, total: int) -> Paging:
        return Paging(self.page, self.limit, total)


def paging(request: Request, size: int = PAGE_SIZE) -> Paging:
    """``?page=`` of the request (1 when absent or not a number from 1 to 100,000)."""
    raw = request.query_params.get("page", "1")
    number = int(raw) if raw.isdigit() and 0 < int(raw) <= 100_000 else 1
    return Paging(number, size)


def say(me: Visitor, key: str, **params: object) -> str:
    """``key`` of the web catalog in the visitor's language."""
    return text.say(me.lang, key, **params)


def job_datasets(svc: Services, job_ids: list[str]) -> dict[str, list[str]]:
    """The names of the datasets each job names (pages that already read the jobs)."""
    return datasets.job_datasets(svc, job_ids)
