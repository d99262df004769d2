"""Errors as RFC 9457 problem details (``application/problem+json``)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from nacc.domain import errors
from nacc.ledger.accounts import InsufficientCredits

PROBLEM = "application/problem+json"

_STATUS: list[tuple[type[Exception], int, str]] = [
    (InsufficientCredits, 402, "insufficient-credits"),
    (errors.Unauthorized, 401, "unauthorized"),
    (errors.Forbidden, 403, "forbidden"),
    (errors.NotFound, 404, "not-found"),
    (errors.Conflict, 409, "conflict"),
    (errors.InputError, 422, "invalid-input"),
    (errors.UnknownName, 422, "unknown-name"),
]


def problem(status: int, kind: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": f"https://nacc.example/problems/{kind}", "title": title, "status": status}
    body["detail"] = detail
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _classify(exc: Exception) -> tuple[int, str]:
    for cls, status, kind in _STATUS:
        if isinstance(exc, cls):
            return status, kind
    if isinstance(exc, errors.NaccError):
        return 400, "bad-request"
    return 500, "internal"


def install(app: FastAPI) -> None:
    """Register handlers so every error leaves as problem+json."""

    async def nacc_error(_: Request, exc: Exception) -> JSONResponse:
        status, kind = _classify(exc)
        title = kind.replace("-", " ")
        extra: dict[str, Any] = {}
        if isinstance(exc, errors.InputError):
            extra["field"] = exc.where
        if getattr(exc, "shortfall", None) is not None:
            extra["shortfall"] = str(exc.shortfall)  # type: ignore[attr-defined]
        return problem(status, kind, title, str(exc), **extra)

    async def invalid_body(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        issues = [
            {"field": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]} for e in exc.errors()
        ]
        detail = "; ".join(f"{i['field']}: {i['problem']}" for i in issues)
        return problem(422, "invalid-input", "invalid input", detail, errors=issues)

    async def http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return problem(exc.status_code, "http", str(exc.detail), str(exc.detail))

    app.add_exception_handler(errors.NaccError, nacc_error)
    app.add_exception_handler(RequestValidationError, invalid_body)
    app.add_exception_handler(StarletteHTTPException, http_error)
