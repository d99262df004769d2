"""Problems in the caller's language: the same code, English or Korean detail."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from jobsetup import funded_project
from typer.testing import CliRunner

from conftest import Api
from nacc.adapters.store.tables import Job
from nacc.cli import client
from nacc.cli.main import app

KO = {"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.8"}


def _bad_submit(api: Api, token: str, project: int, headers: dict[str, str]) -> Any:
    body = {"command": "true", "accelerators": 0, "job_class": "fine-tuning"}
    return api.client.post(f"/projects/{project}/jobs", json=body,
                           headers={**api.as_(token), **headers})  # fmt: skip


def test_the_same_bad_request_in_korean_and_english_has_one_code(api: Api) -> None:
    f = funded_project(api.svc)
    en = _bad_submit(api, f.pi, f.project_id, {})
    ko = _bad_submit(api, f.pi, f.project_id, KO)
    assert en.status_code == ko.status_code == 422
    assert en.headers["content-type"] == ko.headers["content-type"] == "application/problem+json"
    assert (en.headers["content-language"], ko.headers["content-language"]) == ("en", "ko")
    assert "accept-language" in ko.headers["vary"].lower()
    one, two = en.json(), ko.json()
    assert one["code"] == two["code"] == "input_invalid"
    assert one["errors"][0]["code"] == two["errors"][0]["code"] == "value_ge"
    assert one["detail"] == "body.accelerators: Input should be greater than or equal to 1"
    assert two["detail"] == "body.accelerators: 1 이상이어야 해요"
    assert (one["title"], two["title"]) == ("invalid input", "잘못된 입력")


def test_service_errors_are_rendered_in_korean_with_their_code(api: Api) -> None:
    f = funded_project(api.svc)
    for headers in ({}, KO, {"Accept-Language": "en"}):
        missing = api.client.get("/jobs/j-nope", headers={**api.as_(f.pi), **headers})
        assert missing.status_code == 404
        assert missing.json()["code"] == "not_found"
        assert missing.json()["params"] == {"kind": "job", "id": "j-nope"}
    assert missing.json()["detail"] == "no job with id 'j-nope'"  # English, as before
    ko = api.client.get("/jobs/j-nope", headers={**api.as_(f.pi), **KO}).json()
    assert (ko["title"], ko["detail"]) == ("찾을 수 없음", "찾을 수 없어요: 작업 j-nope")
    anonymous = api.client.get("/me", headers=KO)
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "token_missing"
    assert anonymous.json()["detail"].startswith("토큰이 없어요")
    nowhere = api.client.get("/no/such/path", headers=KO).json()
    assert nowhere["code"] == "http_error"
    assert nowhere["detail"] == "HTTP 404 오류예요: 찾을 수 없어요"
    wrong = api.client.delete("/me", headers={**api.as_(f.pi), **KO}).json()
    assert wrong["detail"] == "HTTP 405 오류예요: 이 경로에서 허용되지 않는 메서드예요"
    assert api.client.get("/no/such/path").json()["detail"] == "Not Found"  # English as is
    overridden = api.client.get("/me?lang=ko")  # ?lang= wins over (no) Accept-Language
    assert overridden.headers["content-language"] == "ko"
    assert overridden.json()["title"] == "인증 필요"


def test_openapi_describes_problems_with_their_code(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    problem = spec["components"]["schemas"]["Problem"]
    assert {"code", "params", "title", "detail"} <= set(problem["properties"])
    responses = spec["paths"]["/projects/{project_id}/jobs"]["post"]["responses"]
    assert {"401", "402", "403", "404", "409", "422", "429", "405", "500"} <= set(responses)
    for status in ("402", "422", "500"):
        assert list(responses[status]["content"]) == ["application/problem+json"]
    assert "Allow" in responses["405"]["headers"]
    logs = spec["paths"]["/jobs/{job_id}/logs"]["get"]["responses"]
    assert list(logs["404"]["content"]) == ["application/problem+json"]  # a text route too


def test_the_cli_prints_the_servers_korean_detail(
    api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`nacc --lang ko` against the real app: the language travels as Accept-Language
    and the problem's Korean detail is what the CLI prints."""
    f = funded_project(api.svc)
    creds = tmp_path / "credentials.json"
    creds.write_text(json.dumps({"url": "http://testserver", "token": f.pi}))

    def through_app(method: str, url: str, **kw: Any) -> Any:
        kw.pop("timeout", None)
        return api.client.request(method, url.removeprefix("http://testserver"), **kw)

    monkeypatch.setattr(client.httpx, "request", through_app)
    args = ["--lang", "ko", "submit", "--project", str(f.project_id), "--command", "true",
            "--accelerators", "0"]  # fmt: skip
    result = CliRunner().invoke(app, args, env={"NACC_CONFIG": str(creds), "LC_ALL": ""})
    assert result.exit_code == 2
    assert "오류 422: body.accelerators: 1 이상이어야 해요" in result.output


def test_job_reasons_are_rendered_from_their_code_with_the_code_beside(api: Api) -> None:
    """A cancellation request is stored as a code: English or Korean text, one
    ``reason_code``; a reason stored as text only (older writers) is shown as it is."""
    f = funded_project(api.svc)
    body = {"command": "true", "accelerators": 1, "job_class": "inference",
            "accelerator_types": ["H100-SXM"], "time_limit_s": 60}  # fmt: skip
    made = api.client.post(f"/projects/{f.project_id}/jobs", json=body, headers=api.as_(f.pi))
    assert made.status_code == 201, made.text
    assert (made.json()["reason"], made.json()["reason_code"]) == ("", None)
    job_id = made.json()["id"]
    en = api.client.post(f"/jobs/{job_id}/cancel", headers=api.as_(f.pi)).json()
    ko = api.client.get(f"/jobs/{job_id}", headers={**api.as_(f.pi), **KO}).json()
    assert en["reason_code"] == ko["reason_code"] == "cancel_requested"
    assert en["reason_params"] == ko["reason_params"] == {"name": "pi"}
    assert en["reason"] == "cancel requested by pi"
    assert ko["reason"] == "pi 님이 취소를 요청했어요"
    other = api.client.post(f"/projects/{f.project_id}/jobs", json=body, headers=api.as_(f.pi))
    with api.svc.tx() as s:  # what a writer before codes left: text only
        s.execute(sa.update(Job).where(Job.id == other.json()["id"]).values(reason="old words"))
    old = api.client.get(f"/jobs/{other.json()['id']}", headers={**api.as_(f.pi), **KO}).json()
    assert (old["reason"], old["reason_code"], old["reason_params"]) == ("old words", None, None)


def test_insufficient_credits_is_a_coded_402(api: Api) -> None:
    f = funded_project(api.svc, Decimal(1))
    body = {"command": "true", "accelerators": 2, "job_class": "inference",
            "accelerator_types": ["H100-SXM"], "time_limit_s": 3600}  # fmt: skip
    for headers in ({}, KO):
        r = api.client.post(f"/projects/{f.project_id}/jobs", json=body,
                            headers={**api.as_(f.pi), **headers})  # fmt: skip
        assert r.status_code == 402 and r.json()["code"] == "insufficient_credits"
        assert r.json()["params"]["shortfall"] == "1"
