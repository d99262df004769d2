"""``/docs`` without a network: Swagger UI from the vendored ``swagger-ui-dist`` files under
``/static/vendor/swagger-ui/``, and a bearer security scheme in the OpenAPI document so its
Authorize button takes an API token (sent as ``Authorization: Bearer <token>``), required
by every operation that reads the ``Authorization`` header (not ``/healthz``,
``/metrics``: they stay public, and say so).

ReDoc (which FastAPI loads from a CDN) is switched off."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

ASSETS = "/static/vendor/swagger-ui"
SCHEME = "bearer"


def install(app: FastAPI) -> None:
    """Serve ``/docs`` from local files and describe bearer tokens in ``/openapi.json``."""

    built = app.openapi  # the app's own builder (problems.install shapes the responses)

    def openapi() -> dict[str, Any]:
        schema = built()
        components = schema.setdefault("components", {})
        schemes = components.setdefault("securitySchemes", {})
        if SCHEME not in schemes:
            schemes[SCHEME] = {
                "type": "http", "scheme": "bearer",
                "description": "an API token (nacc login, nacc admin init, or a token the "
                               "operator issued)",
            }  # fmt: skip
            for operation in _operations(schema):  # those that read a token; not /healthz
                if any(p.get("in") == "header" and p.get("name") == "authorization"
                       for p in operation.get("parameters", [])):  # fmt: skip
                    operation["security"] = [{SCHEME: []}]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
            oauth2_redirect_url=None,
            swagger_ui_parameters={"persistAuthorization": True},
        )


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    methods = ("get", "put", "post", "delete", "patch", "head", "options")
    return [op for item in schema.get("paths", {}).values()
            for method, op in item.items() if method in methods]  # fmt: skip
