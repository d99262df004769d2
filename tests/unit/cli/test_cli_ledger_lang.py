"""`nacc ledger verify` says its report in the CLI's language: the summary and each check
in Korean with ``--lang ko``, and in English exactly as the ledger's own report reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from nacc.cli.ledger import report_lines
from nacc.cli.main import app
from nacc.ledger.verify import CHECKS, VerifyReport, Violation


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    env = {"NACC_HOME": str(tmp_path / "home"), "NACC_DATABASE_URL": ""}
    made = CliRunner().invoke(app, ["admin", "init", "--name", "Root", "--email", "r@x.example"],
                              env=env)  # fmt: skip
    assert made.exit_code == 0, made.output
    return env


def test_verify_in_korean_and_in_english(env: dict[str, str]) -> None:
    ko = CliRunner().invoke(app, ["--lang", "ko", "ledger", "verify"], env=env)
    assert ko.exit_code == 0, ko.output
    assert "데이터베이스: sqlite:" in ko.output and "원장 검증: 분개 0건" in ko.output
    assert ko.output.count("[통과]") == len(CHECKS) == 6
    assert "ledger.check" not in ko.output  # every check has its words
    assert not {"database:", "ledger verify", "[ok]", "entries"} & set(ko.output.split())
    en = CliRunner().invoke(app, ["ledger", "verify"], env={**env, "LANG": "ko_KR.UTF-8"})
    assert "원장 검증" in en.output  # the locale alone
    en = CliRunner().invoke(app, ["--lang", "en", "ledger", "verify"], env=env)
    assert "ledger verify: 0 entries, 0 accounts, 0 metered jobs: OK" in en.output


def test_english_is_the_ledgers_own_report_word_for_word() -> None:
    report = VerifyReport((Violation(2, "c-1", "project 3 at -5 below its limit -4"),), 9, 4, 2)
    assert report_lines(report, "en") == report.lines()
    ko = report_lines(report, "ko")
    assert ko[0] == "원장 검증: 분개 9건, 계정 4개, 계량된 작업 2개: 문제 1건"
    assert ko[3] == "  [실패] 시간 순서대로 봐도 한도 아래로 내려간 계정이 없어요"
    assert ko[4] == "      - project 3 at -5 below its limit -4"  # the ledger's own detail
