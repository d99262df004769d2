"""``/docs`` works without a network: Swagger UI from the vendored files, the OpenAPI
document describes bearer tokens (the Authorize button), ReDoc (a CDN page) is off."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from nacc.bootstrap import Settings, build_app


def test_docs_load_only_local_files(tmp_path: Path, sqlite_url: str) -> None:
    settings = Settings(database_url=sqlite_url, workdir=tmp_path / "j",
                        devices={"H100-SXM": 1})  # fmt: skip
    app, svc = build_app(settings, live=False)
    try:
        with TestClient(app) as client:
            page = client.get("/docs")
            assert page.status_code == 200
            assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page.text
            assert "cdn" not in page.text.lower() and "https://" not in page.text
            for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
                answer = client.get(f"/static/vendor/swagger-ui/{asset}")
                assert answer.status_code == 200 and len(answer.content) > 100_000
            spec = client.get("/openapi.json").json()
            assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
            jobs = spec["paths"]["/projects/{project_id}/jobs"]["post"]
            assert jobs["security"] == [{"bearer": []}]
            assert "security" not in spec["paths"]["/healthz"]["get"]  # public
            assert "security" not in spec
            assert client.get("/redoc").status_code == 404
    finally:
        svc.sessions.kw["bind"].dispose()
