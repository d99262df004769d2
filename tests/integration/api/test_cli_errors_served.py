"""The CLI's own error lines against a real `nacc serve`, in Korean and in English: a
refused token, a problem+json the server sends (an unknown accelerator type, with its
suggestion), a bad job file and the server gone; each exits 2."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_cli_access import Served, _world, serving
from test_crash_safety import _port
from typer.testing import CliRunner, Result

from nacc.cli.main import app


@pytest.fixture
def served(tmp_path: Path, sqlite_url: str) -> Iterator[Served]:
    url = sqlite_url
    port = _port()
    s = Served(f"http://127.0.0.1:{port}", tmp_path, {}, {})
    _world(url, s)
    with serving(url, port, tmp_path, "H100-SXM:1"):
        yield s


def _nacc(s: Served, *args: str, token: str | None = None, lang: str = "") -> Result:
    creds = s.home / "creds.json"
    creds.write_text(json.dumps({"url": s.url, "token": token or s.tokens["ops"]}))
    env = {"NACC_CONFIG": str(creds), "LC_ALL": "", "LC_MESSAGES": "", "LANG": lang}
    return CliRunner().invoke(app, list(args), env=env)


def test_error_lines_in_korean_and_english(served: Served) -> None:
    s = served
    for lang, said in (("ko", "토큰을 거부했어요 (401)"), ("en", "refused the token (401)")):
        got = _nacc(s, "--lang", lang, "login", "--url", s.url, "--token", "nacc_wrong")
        assert got.exit_code == 2 and said in got.output, got.output
        assert got.output.startswith("오류: " if lang == "ko" else "error: ")

    submit = ("submit", "--project", "1", "--command", "true", "--types", "h1OO")
    ko = _nacc(s, *submit, lang="ko_KR.UTF-8")  # the terminal's locale, as docs/cli.md says
    assert ko.exit_code == 2 and ko.output.startswith("오류 422: ")
    assert "알 수 없는 가속기 종류 'h1OO'" in ko.output and "혹시 H100-SXM인가요" in ko.output, (
        ko.output
    )
    en = _nacc(s, "--lang", "en", *submit, lang="ko_KR.UTF-8")  # --lang wins
    assert en.exit_code == 2 and en.output.startswith("error 422: ")
    assert "unknown accelerator type 'h1OO'; did you mean H100-SXM" in en.output, en.output

    job = s.home / "job.yaml"
    job.write_text("project: 1\ncommand: echo hi\naccelerators: two\n", encoding="utf-8")
    ko = _nacc(s, "--lang", "ko", "submit", str(job))
    assert ko.exit_code == 2
    assert f"오류: {job}:3: accelerators: 양의 정수여야 해요. 받은 값: 'two'" in ko.output
    en = _nacc(s, "--lang", "en", "submit", str(job))
    assert f"error: {job}:3: accelerators: expected a positive whole number; got 'two'" in (
        en.output
    )


def test_an_unreachable_server_in_both_languages(tmp_path: Path) -> None:
    s = Served(f"http://127.0.0.1:{_port()}", tmp_path, {"ops": "t"}, {})  # nothing listens
    ko = _nacc(s, "--lang", "ko", "cancel", "j-1")  # a write that is not repeated
    assert ko.exit_code == 2 and f"오류: {s.url}에 연결할 수 없어요" in ko.output, ko.output
    en = _nacc(s, "--lang", "en", "cancel", "j-1")
    assert en.exit_code == 2 and f"error: cannot reach {s.url}" in en.output, en.output
