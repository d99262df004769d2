"""typer's and click's own words in the CLI's language (``nacc.cli.usage``): usage errors
and ``--help``'s headings read in Korean with ``--lang ko`` or ``LANG=ko_KR.UTF-8``, and
exactly as typer says them in English."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from nacc.cli import usage, words
from nacc.cli.main import app

NACC = str(Path(sys.executable).parent / "nacc")


@pytest.fixture(autouse=True)
def _no_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)


def _run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, list(args), env=env, prog_name="nacc")


def _both(*args: str) -> tuple[str, str]:
    """``args`` with ``--lang ko`` and ``--lang en``; both exit 2 (a usage error)."""
    ko, en = _run("--lang", "ko", *args), _run("--lang", "en", *args)
    assert ko.exit_code == en.exit_code == 2, (ko.output, en.output)
    return " ".join(ko.output.split()), " ".join(en.output.split())  # panel wrapping undone


CASES = [
    (("submit", "--bogus"), "그런 옵션은 없어요: --bogus", "No such option: --bogus"),
    (("submit", "--accel", "2"), "그런 옵션은 없어요: --accel (가능한 옵션: --accelerators",
     "No such option: --accel (Possible options: --accelerators"),
    (("cancel",), "인자 'job'을(를) 주세요.", "Missing argument 'job'."),
    (("simulate",), "옵션 '--scenario'을(를) 주세요.", "Missing option '--scenario'."),
    (("jobs", "--project", "abc"), "'--project'의 값이 올바르지 않아요: 정수여야 해요",
     "Invalid value for '--project': Input should be a valid integer"),
    (("plan", "--time-limit", "-1"), "'--time-limit'의 값이 올바르지 않아요: 0 이상이어야 해요",
     "Invalid value for '--time-limit': Input should be greater than or equal to 0"),
    (("jobs", "--project"), "옵션 '--project'에는 값이 하나 있어야 해요.",
     "Option '--project' requires an argument."),
    (("cancel", "j-1", "j-2"), "예상하지 못한 인자가 더 있어요 (j-2)",
     "Got unexpected extra argument(s) (j-2)"),
    (("frob",), "그런 명령은 없어요: 'frob'", "No such command 'frob'."),
    (("canc",), "그런 명령은 없어요: 'canc'. 혹시 'cancel'인가요?",
     "No such command 'canc'. Did you mean 'cancel'?"),
    (("ledger", "frob"), "그런 명령은 없어요: 'frob'", "No such command 'frob'."),
]  # fmt: skip


@pytest.mark.parametrize(("args", "korean", "english"), CASES)
def test_a_usage_error_in_korean_and_in_english(
    args: tuple[str, ...], korean: str, english: str
) -> None:
    ko, en = _both(*args)
    assert korean in ko and english not in ko, ko
    assert english in en, en
    assert "오류" in ko and "Error" not in ko and "Error" in en
    if args[0] != "jobs" or len(args) > 2:  # the parser's own errors carry no usage line
        assert "사용법: nacc" in ko and "Usage:" not in ko and "Usage: nacc" in en
        assert "도움말은 'nacc" in ko and "for help" not in ko and "for help." in en


def test_the_locale_speaks_korean_without_lang() -> None:
    out = _run("submit", "--bogus", env={"LANG": "ko_KR.UTF-8"}).output
    assert "그런 옵션은 없어요: --bogus" in out and "No such option" not in out
    out = _run("--lang", "en", "submit", "--bogus", env={"LANG": "ko_KR.UTF-8"}).output
    assert "No such option: --bogus" in out  # --lang wins over the locale


def test_help_headings_in_korean_and_typers_own_in_english() -> None:
    ko = _run("--lang", "ko", "cancel", "--help")
    en = _run("--lang", "en", "cancel", "--help")
    assert ko.exit_code == en.exit_code == 0
    for word in ("사용법: nacc cancel", "인자", "옵션", "[필수]", "이 도움말을 보여 주고 끝내요."):
        assert word in ko.output, ko.output
    for word in ("Usage:", "Arguments", "Options", "[required]", "Show this message"):
        assert word not in ko.output and word in en.output, (word, en.output)
    root = _run("--lang", "ko", "--help").output
    assert "명령" in root and "Commands" not in root and "Install completion" not in root
    assert "[기본값: nacc]" in _run("--lang=ko", "simulate", "--help").output


def test_a_group_without_a_command_shows_korean_help() -> None:
    out = _run("--lang", "ko", "ledger").output
    assert "사용법: nacc ledger" in out and "명령" in out and "Commands" not in out


def test_the_installed_command_speaks_korean_from_the_locale() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES")}
    done = subprocess.run([NACC, "submit", "--bogus"], env={**env, "LANG": "ko_KR.UTF-8"},
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 2
    assert "그런 옵션은 없어요: --bogus" in done.stderr and "No such option" not in done.stderr
    assert "사용법: nacc submit" in done.stderr and "오류" in done.stderr


def test_every_pattern_has_words_in_both_languages() -> None:
    keys = {key for _, key in usage._ERRORS} | set(usage._HEADINGS.values())
    keys |= set(usage._OWN_HELP.values()) | {"usage.prefix"}
    for lang in ("ko", "en"):
        missing = keys - set(words.messages(lang))
        assert not missing, (lang, sorted(missing))


def test_english_is_left_as_typer_says_it_and_unknown_text_stays() -> None:
    text = "Invalid value for '--x': Input should be a valid integer, unable to parse string"
    assert usage.translate(text, "en") == text
    assert usage.translate("something typer says one day", "ko") == "something typer says one day"
    nested = "Invalid value for '--gap': Input should be less than or equal to 0.5"
    assert usage.translate(nested, "ko") == "'--gap'의 값이 올바르지 않아요: 0.5 이하여야 해요"


def test_lang_is_read_only_ahead_of_the_command() -> None:
    assert usage.lang_in(["--lang", "ko", "jobs"]) == "ko"
    assert usage.lang_in(["--lang=ko_KR.UTF-8", "jobs"]) == "ko"
    assert usage.lang_in(["jobs", "--lang", "ko"]) is None
    assert usage.lang_in(["--lang", "fr", "jobs"]) is None
