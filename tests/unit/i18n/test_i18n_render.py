"""Rendering reasons and errors: readable numbers, safe fallbacks, language choice."""

from __future__ import annotations

from decimal import Decimal

import pytest

from nacc.domain.errors import (
    Conflict,
    Forbidden,
    InputError,
    InvalidTransition,
    NaccError,
    NotFound,
    Unauthorized,
    UnknownName,
)
from nacc.domain.reasons import Code, Reason
from nacc.i18n import from_locale, negotiate, render, title
from nacc.i18n.format import duration
from nacc.ledger.accounts import Account, AccountKind, InsufficientCredits, InvalidEntry


def test_the_example_of_the_brief_reads_naturally_in_both_languages() -> None:
    waiting = Reason.of(Code.WAITING_FOR_CAPACITY, pool="gj-h100", needed=4, free=2)
    assert render(waiting, "en") == "waiting for accelerators on gj-h100: 4 needed, 2 free"
    assert render(waiting, "ko") == "gj-h100에서 가속기 4개를 기다리고 있어요 (여유 2개)"


def test_seconds_read_as_durations() -> None:
    timeout = Reason.of(Code.TIMEOUT, limit_s=3600, ran_s=3600.4)
    assert render(timeout, "en") == "timeout: time limit of 1 h reached (ran 1 h)"
    assert render(timeout, "ko") == "시간 제한 1시간에 도달해서 중지했어요 (실행 시간 1시간)"


@pytest.mark.parametrize(
    ("seconds", "en", "ko"),
    [
        (0, "0 s", "0초"),
        (45, "45 s", "45초"),
        (0.34, "0.3 s", "0.3초"),
        (90, "1 min 30 s", "1분 30초"),
        (3600, "1 h", "1시간"),
        (5400, "1 h 30 min", "1시간 30분"),
        (86400 + 7200 + 59, "1 d 2 h", "1일 2시간"),
        (-120, "-2 min", "-2분"),
    ],
)
def test_duration(seconds: float, en: str, ko: str) -> None:
    assert (duration(seconds, "en"), duration(seconds, "ko")) == (en, ko)


def test_a_missing_param_or_unknown_code_falls_back_to_the_code_and_params() -> None:
    partial = Reason.of(Code.WAITING_FOR_CAPACITY, pool="gj-h100")
    assert render(partial, "ko") == "waiting_for_capacity{pool=gj-h100}"
    assert render(Reason.of("no_such_code", x=1), "en") == "no_such_code{x=1}"
    assert render(Reason.of(Code.CANCELLED), "fr") == "cancelled on request"  # English
    assert title(Reason.of("no_such_code"), "ko") == "no such code"


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        (None, "en"),
        ("", "en"),
        ("ko", "ko"),
        ("ko-KR,ko;q=0.9,en-US;q=0.8", "ko"),
        ("en;q=0.5, ko", "ko"),
        ("fr, ko;q=0.3", "ko"),
        ("ko;q=0, en", "en"),
        ("fr-CA", "en"),
        ("*", "en"),
        ("ko;q=bad, en", "en"),
    ],
)
def test_negotiate(header: str | None, lang: str) -> None:
    assert negotiate(header) == lang


@pytest.mark.parametrize(
    ("environ", "lang"),
    [
        ({"LANG": "ko_KR.UTF-8"}, "ko"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "C"}, "en"),
        ({}, "en"),
        ({"LANG": "ko_KR.UTF-8", "LC_ALL": "C.UTF-8"}, "en"),
        ({"LANG": "C", "LC_MESSAGES": "ko_KR.utf8"}, "ko"),
        ({"LANG": "ko_KR.UTF-8", "LC_ALL": ""}, "ko"),
    ],
)
def test_from_locale(environ: dict[str, str], lang: str) -> None:
    assert from_locale(environ) == lang


def _errors() -> list[NaccError]:
    project = Account(AccountKind.PROJECT, "3")
    return [
        NaccError("something odd"),
        InputError("body.command", "must not be empty"),
        NotFound("job", "j-nope"),
        NotFound("project", 7),
        Unauthorized("unknown, revoked or expired token"),
        Unauthorized("unknown, revoked or expired token", code=Code.TOKEN_INVALID),
        Forbidden(
            "needs role operator; kim has none of them",
            code=Code.ROLE_REQUIRED,
            params={"roles": "operator", "name": "kim"},
        ),
        Conflict("call 3 is already decided"),
        UnknownName("policy", "fair", ["fifo", "slurm"]),
        InvalidTransition("a job cannot go from completed to running"),
        InsufficientCredits(project, Decimal("10.5"), Decimal(12), Decimal("1.5"), "job j-1"),
        InvalidEntry("grant:1", ["unbalanced", "off the grid"]),
    ]


@pytest.mark.parametrize("error", _errors(), ids=lambda e: f"{type(e).__name__}-{e.code}")
def test_errors_carry_codes_and_english_reads_as_their_message(error: NaccError) -> None:
    assert error.code in set(Code)
    assert render(error.reason, "en") == str(error)
    korean = render(error.reason, "ko")
    assert korean != str(error) and "{" not in korean and not korean.startswith(error.code)


def test_error_params_are_plain_values() -> None:
    error = InsufficientCredits(
        Account(AccountKind.PROJECT, "3"), Decimal("10.5"), Decimal(12), Decimal("1.5"), "x"
    )
    assert error.params == {"account": "project:3", "balance": "10.5", "amount": "12",
                            "shortfall": "1.5", "cause": "x"}  # fmt: skip
    assert NotFound("job", object()).params["id"].startswith("<object")
