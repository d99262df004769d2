"""`nacc --lang` and the locale: reasons rendered in the CLI's language, the language
sent as Accept-Language, the server's problem detail and job logs printed verbatim."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from nacc.cli import client
from nacc.cli.main import app

WAITING = {"code": "waiting_for_capacity", "params": {"pool": "gj-h100", "needed": 4, "free": 2}}


class FakeServer:
    """Answers the CLI's requests with canned responses and remembers what it was sent."""

    def __init__(self, status: int = 200, body: Any = None, text: str | None = None) -> None:
        self.status, self.body, self.text = status, body, text
        self.sent: list[dict[str, Any]] = []

    def __call__(self, method: str, url: str, **kw: Any) -> httpx.Response:
        self.sent.append({"method": method, "url": url, **kw})
        request = httpx.Request(method, url)
        if self.text is not None:
            return httpx.Response(self.status, text=self.text, request=request)
        ctype = "application/problem+json" if self.status >= 400 else "application/json"
        return httpx.Response(self.status, content=json.dumps(self.body).encode(),
                              headers={"content-type": ctype}, request=request)  # fmt: skip


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    creds = tmp_path / "credentials.json"
    creds.write_text(json.dumps({"url": "http://nacc.test", "token": "t"}))
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    return {"NACC_CONFIG": str(creds)}


def _page(*reasons: dict[str, Any]) -> dict[str, Any]:
    items = [
        {
            "id": f"j-{i}",
            "state": "pending",
            "accelerators": 4,
            "pool_id": None,
            "exit_code": None,
            "reason": "server text [x]",
            **r,
        }
        for i, r in enumerate(reasons)
    ]
    return {"items": items, "total": len(items), "limit": 50, "offset": 0}


def _jobs(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], *args: str) -> Any:
    server = FakeServer(body=_page({"reason_code": WAITING["code"],
                                    "reason_params": WAITING["params"]}))  # fmt: skip
    monkeypatch.setattr(client.httpx, "request", server)
    result = CliRunner().invoke(app, [*args, "jobs", "--project", "1"], env=env)
    assert result.exit_code == 0, result.output
    return result.output, server.sent[0]["headers"]["Accept-Language"]


def test_lang_ko_renders_a_coded_reason_in_korean(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    out, sent = _jobs(monkeypatch, env, "--lang", "ko")
    assert "gj-h100에서 가속기 4개를 기다리고 있어요 (여유 2개)" in out
    assert sent == "ko"


def test_english_by_default_and_korean_from_lang_ko_kr(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    out, sent = _jobs(monkeypatch, env)
    assert "waiting for accelerators on gj-h100: 4 needed, 2 free" in out and sent == "en"
    out, sent = _jobs(monkeypatch, {**env, "LANG": "ko_KR.UTF-8"})
    assert "가속기 4개를 기다리고 있어요" in out and sent == "ko"
    out, sent = _jobs(monkeypatch, {**env, "LANG": "ko_KR.UTF-8"}, "--lang", "en")
    assert "4 needed, 2 free" in out and sent == "en"  # --lang wins over the locale


def test_a_reason_without_a_code_is_the_servers_text_with_its_brackets(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    monkeypatch.setattr(client.httpx, "request", FakeServer(body=_page({})))
    result = CliRunner().invoke(app, ["--lang", "ko", "jobs", "--project", "1"], env=env)
    assert result.exit_code == 0 and "server text [x]" in result.output


def test_a_problem_prints_the_servers_localised_detail_verbatim(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    detail = "body.accelerators: 1 이상이어야 해요 [body]"
    server = FakeServer(422, {"title": "잘못된 입력", "detail": detail, "code": "input_invalid"})
    monkeypatch.setattr(client.httpx, "request", server)
    result = CliRunner().invoke(app, ["--lang", "ko", "cancel", "j-1"], env=env)
    assert result.exit_code == 2
    assert f"오류 422: {detail}" in result.output


def test_an_unknown_lang_is_refused(env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["--lang", "fr", "policies"], env=env)
    assert result.exit_code == 2 and "--lang: expected one of en, ko; got 'fr'" in result.output


def test_logs_are_printed_byte_for_byte(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    text = "[bold]step 1[/bold] loss=[0.5, 0.4]\n" + "x" * 300 + "\nno newline at the end"
    monkeypatch.setattr(client.httpx, "request", FakeServer(text=text))
    result = CliRunner().invoke(app, ["logs", "j-1"], env=env)
    assert result.exit_code == 0 and result.output == text


def test_job_states_are_said_in_the_cli_language_and_kept_in_json(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    out, _ = _jobs(monkeypatch, env, "--lang", "ko")
    assert "대기 중" in out and "pending" not in out
    out, _ = _jobs(monkeypatch, env, "--lang", "en")
    assert "pending" in out
    job = {"id": "j-9", "state": "pending"}
    monkeypatch.setattr(client.httpx, "request", FakeServer(body=job))
    args = ["submit", "--project", "1", "--command", "true"]
    ko = CliRunner().invoke(app, ["--lang", "ko", *args], env=env)
    assert ko.exit_code == 0 and ko.output == "j-9  대기 중\n", ko.output
    raw = CliRunner().invoke(app, ["--lang", "ko", *args, "--json"], env=env)
    assert json.loads(raw.output)["state"] == "pending"
