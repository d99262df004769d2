"""The CLI's own error lines in Korean and English (``error.*`` and ``jobfile.*`` in
cli.po): each names what was wrong, in the language asked, and exits 2."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from test_cli_lang import FakeServer
from typer.testing import CliRunner, Result

from nacc.cli import client
from nacc.cli.main import app


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    creds = tmp_path / "credentials.json"
    creds.write_text(json.dumps({"url": "http://nacc.test", "token": "t"}))
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    return {"NACC_CONFIG": str(creds)}


def _both(env: dict[str, str], *args: str) -> tuple[Result, Result]:
    ko = CliRunner().invoke(app, ["--lang", "ko", *args], env=env)
    en = CliRunner().invoke(app, ["--lang", "en", *args], env=env)
    assert ko.exit_code == en.exit_code == 2, (ko.output, en.output)
    return ko, en


def test_not_logged_in(env: dict[str, str], tmp_path: Path) -> None:
    missing = {"NACC_CONFIG": str(tmp_path / "none.json")}
    ko, en = _both(missing, "jobs", "--project", "1")
    assert ko.output.startswith("오류: 로그인하지 않았어요(") and "nacc login --url" in ko.output
    assert en.output.startswith("error: not logged in (") and "nacc login --url" in en.output


def test_bad_flag_values(env: dict[str, str]) -> None:
    ko, en = _both(env, "submit", "--project", "1", "--command", "x", "--env", "A B")
    assert "오류: --env: NAME=VALUE 형식이어야 해요. 받은 값: 'A B'" in ko.output
    assert "error: --env: expected NAME=VALUE, got 'A B'" in en.output
    ko, en = _both(env, "submit", "--project", "1", "--command", "x", "--time-limit", "soon")
    assert "오류: --time-limit: 양수인 초, 또는 s, m, h, d가 붙은 숫자여야 해요" in ko.output
    assert "error: --time-limit: expected a positive number of seconds" in en.output
    ko, en = _both(env, "submit")
    assert "오류: --project, --command을(를) 주세요" in ko.output
    assert "error: give --project and --command" in en.output
    ko, en = _both(env, "review", "--proposal", "1", "--scores", "merit")
    assert "오류: --scores: 기준=숫자 형식이어야 해요. 받은 값: 'merit'" in ko.output
    assert "error: --scores: expected criterion=number, got 'merit'" in en.output


def test_a_refused_lang_speaks_the_terminals_language(env: dict[str, str]) -> None:
    ko = CliRunner().invoke(app, ["--lang", "fr", "policies"], env={**env, "LANG": "ko_KR.UTF-8"})
    assert ko.exit_code == 2 and "오류: --lang: en, ko 중 하나여야 해요. 받은 값: 'fr'" in ko.output


def test_job_file_problems(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "job.yaml"
    bad.write_text("command: [echo\n", encoding="utf-8")
    ko, en = _both(env, "submit", str(bad))
    assert f"오류: {bad}:2: 올바른 YAML이 아니에요: " in ko.output
    assert f"error: {bad}:2: not valid YAML: " in en.output
    bad.write_text("command: echo\ngpus: 2\n", encoding="utf-8")
    ko, en = _both(env, "submit", str(bad))
    assert (
        f"오류: {bad}:2: gpus: 알 수 없는 항목이에요. 다음 중 하나여야 해요: project" in ko.output
    )
    assert f"error: {bad}:2: gpus: unknown field; expected one of project" in en.output
    ko, en = _both(env, "submit", str(tmp_path / "absent.yaml"))
    assert "작업 파일을 읽을 수 없어요: No such file or directory" in ko.output
    assert "cannot read the job file: No such file or directory" in en.output


def test_http_errors_with_and_without_problem_json(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    monkeypatch.setattr(client.httpx, "request", FakeServer(502, text="Bad Gateway"))
    ko, en = _both(env, "cancel", "j-1")
    assert ko.output == "오류 502: Bad Gateway\n" and en.output == "error 502: Bad Gateway\n"

    def refuse(method: str, url: str, **kw: object) -> httpx.Response:
        raise httpx.ConnectError("Connection refused", request=httpx.Request(method, url))

    monkeypatch.setattr(client.httpx, "request", refuse)
    ko, en = _both(env, "cancel", "j-1")
    assert ko.output == "오류: http://nacc.test에 연결할 수 없어요: Connection refused\n"
    assert en.output == "error: cannot reach http://nacc.test: Connection refused\n"


def test_simulation_option_errors(env: dict[str, str], tmp_path: Path) -> None:
    common = ["--scenario", str(tmp_path / "s.yaml"), "--trace", str(tmp_path / "t.csv"),
              "--format", "csv", "--out", str(tmp_path / "out")]  # fmt: skip
    ko, en = _both(env, "simulate", *common, "--offered-load", "0.5", "--load-scale", "2")
    assert "오류: --offered-load: 이 옵션과 --load-scale 중 하나만 주세요" in ko.output
    assert "error: --offered-load: give it or --load-scale, not both" in en.output
    ko, en = _both(env, "simulate", *common, "--offered-load", "11")
    assert "(0, 10] 범위의 이용률이어야 해요. 받은 값: 11.0" in ko.output
    assert "expected a utilisation in (0, 10], got 11.0" in en.output
    ko, en = _both(env, "compare", *common, "--policies", ",")
    assert "오류: --policies: 쉼표로 구분한 목록이어야 해요. 받은 값: ','" in ko.output
    assert "error: --policies: expected a comma-separated list; got ','" in en.output
