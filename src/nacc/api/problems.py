"""Errors as RFC 9457 problem details (``application/problem+json``).

Every problem carries the error's stable ``code`` and ``params`` (docs/reasons.md) and a
``title`` and ``detail`` in the request's language (``Accept-Language``, ``?lang=``):
English is the error's own message, other languages come from the catalogs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from nacc import i18n
from nacc.api.lang import request_language
from nacc.domain import errors
from nacc.domain.reasons import Code, Param, Reason
from nacc.ledger.accounts import InsufficientCredits

PROBLEM = "application/problem+json"

_STATUS: list[tuple[type[Exception], int, str, Code]] = [
    (InsufficientCredits, 402, "insufficient-credits", Code.INSUFFICIENT_CREDITS),
    (errors.Unauthorized, 401, "unauthorized", Code.UNAUTHORIZED),
    (errors.Forbidden, 403, "forbidden", Code.FORBIDDEN),
    (errors.NotFound, 404, "not-found", Code.NOT_FOUND),
    (errors.Conflict, 409, "conflict", Code.CONFLICT),
    (errors.InputError, 422, "invalid-input", Code.INPUT_INVALID),
    (errors.UnknownName, 422, "unknown-name", Code.UNKNOWN_NAME),
]

# pydantic's error types -> the code of one refused field (the rest: input_invalid)
_FIELD_CODES: dict[str, Code] = {
    "missing": Code.VALUE_MISSING,
    "extra_forbidden": Code.VALUE_UNEXPECTED,
    "literal_error": Code.VALUE_NOT_ALLOWED,
    "enum": Code.VALUE_NOT_ALLOWED,
    **dict.fromkeys(("int_parsing", "int_type", "int_from_float"), Code.VALUE_NOT_INTEGER),
    **dict.fromkeys(
        ("float_parsing", "float_type", "decimal_parsing", "decimal_type"), Code.VALUE_NOT_NUMBER
    ),
    "string_type": Code.VALUE_NOT_STRING,
    **dict.fromkeys(("bool_parsing", "bool_type"), Code.VALUE_NOT_BOOLEAN),
    **dict.fromkeys(
        (
            "datetime_parsing",
            "datetime_type",
            "datetime_from_date_parsing",
            "datetime_out_of_range",
            "timezone_aware",
        ),
        Code.VALUE_NOT_DATETIME,
    ),
    "value_has_nul": Code.VALUE_HAS_NUL,
    "string_pattern_mismatch": Code.VALUE_NOT_MATCHING,
    "greater_than": Code.VALUE_GT,
    "greater_than_equal": Code.VALUE_GE,
    "less_than": Code.VALUE_LT,
    "less_than_equal": Code.VALUE_LE,
    **dict.fromkeys(("string_too_short", "too_short"), Code.VALUE_TOO_SHORT),
    **dict.fromkeys(("string_too_long", "too_long"), Code.VALUE_TOO_LONG),
    "json_invalid": Code.BODY_NOT_JSON,
}
_LIMITS = ("gt", "ge", "lt", "le", "min_length", "max_length")


class FieldProblem(BaseModel):
    field: str = Field(description="where in the request, e.g. body.accelerators")
    problem: str = Field(description="what was expected (English)")
    code: str = Field(description="stable code of this refusal (docs/reasons.md)")
    params: dict[str, Param] = Field(default_factory=dict)


class Problem(BaseModel):
    """An error (RFC 9457); ``title`` and ``detail`` in the request's language."""

    type: str
    title: str
    status: int
    detail: str
    code: str = Field(description="stable error code (docs/reasons.md): not_found, ...")
    params: dict[str, Param] = Field(
        default_factory=dict, description="the code's parameters (docs/reasons.md)"
    )
    field: str | None = Field(None, description="the refused input (invalid input only)")
    errors: list[FieldProblem] | None = Field(None, description="each refused field")
    shortfall: str | None = Field(None, description="credits missing (402 only)")


_MEANING = {
    400: "the request could not be read",
    401: "no valid token (`Authorization: Bearer <token>`)",
    402: "the project's credits do not cover the job's estimate",
    403: "the caller's roles do not allow it",
    404: "no such row, or one the caller may not see",
    405: "the method is not served at this path (`Allow` lists those that are)",
    409: "the request conflicts with the current state",
    422: "an input was refused: `field` names it, `errors` lists each",
    429: "too many requests: retry after `Retry-After` seconds",
    500: "the server failed; nothing was changed",
}

RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": _MEANING[status]} for status in (400, 405, 500)
}
"""Any route may answer these (unreadable request, wrong method, a server fault)."""


def declare(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The problem responses of one route, for its decorator's ``responses``."""
    return {s: {"model": Problem, "description": _MEANING[s]} for s in statuses}


PUBLIC = declare(422)
"""A route anyone may call (its only refusal: a bad parameter)."""
READ = declare(401, 403, 404, 422)
"""A route that reads one row as an authenticated caller."""
LIST = declare(401, 403, 422)
WRITE = declare(401, 403, 404, 409, 422)
"""A route that changes state."""


def problem(
    status: int,
    kind: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {"type": f"https://nacc.example/problems/{kind}", "title": title, "status": status}
    body["detail"] = detail
    body.update(extra)
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _classify(exc: Exception) -> tuple[int, str, Code]:
    for cls, status, kind, code in _STATUS:
        if isinstance(exc, cls):
            return status, kind, code
    return 400, "bad-request", Code.ERROR


def _field_problem(error: Any) -> dict[str, Any]:
    """One pydantic error as field, problem (English), code and params."""
    field = ".".join(str(p) for p in error["loc"])
    params: dict[str, Param] = {"field": field, "problem": str(error["msg"])}
    ctx = error.get("ctx") or {}
    limit = next((ctx[k] for k in _LIMITS if k in ctx), None)
    if limit is not None:
        params["limit"] = errors.plain(limit)
    if "expected" in ctx:
        params["expected"] = str(ctx["expected"])
    elif "pattern" in ctx:
        params["expected"] = str(ctx["pattern"])
    code = _FIELD_CODES.get(str(error.get("type")), Code.INPUT_INVALID)
    return {"field": field, "problem": params["problem"], "code": code, "params": params}


def _text(reason: Reason, english: str, lang: str) -> str:
    if lang == i18n.DEFAULT_LANGUAGE:
        return english
    return i18n.message(reason, lang) or english


def install(app: FastAPI) -> None:
    """Register handlers so every error leaves as problem+json."""

    async def nacc_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, errors.NaccError)
        lang = request_language(request)
        status, kind, title_code = _classify(exc)
        title = i18n.title(Reason.of(title_code, **exc.params), lang)
        extra: dict[str, Any] = {"code": exc.code, "params": exc.params}
        if isinstance(exc, errors.InputError):
            extra["field"] = exc.where
        if getattr(exc, "shortfall", None) is not None:
            extra["shortfall"] = str(exc.shortfall)  # type: ignore[attr-defined]
        return problem(status, kind, title, _text(exc.reason, str(exc), lang), **extra)

    async def invalid_body(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        lang = request_language(request)
        issues = [_field_problem(e) for e in exc.errors()]
        detail = "; ".join(
            _text(Reason.of(i["code"], **i["params"]), f"{i['field']}: {i['problem']}", lang)
            for i in issues
        )
        first = issues[0]["params"] if issues else {"field": "body", "problem": ""}
        params = {"field": first["field"], "problem": first["problem"]}
        title = i18n.title(Reason.of(Code.INPUT_INVALID), lang)
        return problem(422, "invalid-input", title, detail, code=Code.INPUT_INVALID,
                       params=params, field=params["field"], errors=issues)  # fmt: skip

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        lang = request_language(request)
        reason = Reason.of(Code.HTTP_ERROR, status=exc.status_code, message=str(exc.detail))
        title = str(exc.detail) if lang == i18n.DEFAULT_LANGUAGE else i18n.title(reason, lang)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request)
        return problem(exc.status_code, "http", title, _text(reason, str(exc.detail), lang),
                       headers=headers, code=Code.HTTP_ERROR, params=reason.args)  # fmt: skip

    async def server_error(request: Request, exc: Exception) -> JSONResponse:
        """The last resort: a fault of the server is a problem too (and is logged)."""
        lang = request_language(request)
        reason = Reason.of(Code.ERROR, message="internal server error")
        title = i18n.title(Reason.of(Code.ERROR), lang)
        return problem(500, "internal", title, _text(reason, "internal server error", lang),
                       code=Code.ERROR, params=reason.args)  # fmt: skip

    app.add_exception_handler(errors.NaccError, nacc_error)
    app.add_exception_handler(RequestValidationError, invalid_body)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, server_error)
    app.openapi = _problem_media_type(app.openapi)  # type: ignore[method-assign]


def allowed_methods(request: Request) -> str:
    """The methods some route serves at the request's path (every route, not only the
    first that matched the path), for ``Allow``."""
    scope = {**request.scope, "method": "\0"}
    return ", ".join(sorted(_methods(request.app.router.routes, scope)))


def _methods(routes: list[Any], scope: dict[str, Any]) -> set[str]:
    """Methods of the routes whose path matches (routers are included without prefix)."""
    found: set[str] = set()
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            found |= _methods(inner.routes, scope)
        elif route.matches(scope)[0] != Match.NONE:
            found |= getattr(route, "methods", None) or set()
    return found


def _problem_media_type(build: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    """OpenAPI: problem responses (4xx, 5xx) are ``application/problem+json``, not JSON;
    405 says it sends ``Allow``."""

    def openapi() -> dict[str, Any]:
        schema = build()
        for item in schema.get("paths", {}).values():
            for operation in item.values():
                if not isinstance(operation, dict):
                    continue
                for status, response in operation.get("responses", {}).items():
                    if str(status)[0] not in "45":
                        continue
                    content = response.get("content", {})
                    for media in ("application/json", "text/plain"):  # a text route's too
                        if media in content:
                            content[PROBLEM] = content.pop(media)
                    if str(status) == "405":
                        response["headers"] = {"Allow": _ALLOW}
        return schema

    return openapi


_ALLOW = {"description": "the methods served at this path", "schema": {"type": "string"}}
