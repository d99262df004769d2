"""Every catalog a person reads from says everything in Korean and in English: the same
keys in both (a new key without Korean fails here), Korean in 해요체 (no 합쇼체 ``-니다``
endings), and every ``kind`` a not-found or unknown-name error names has a Korean word."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nacc.cli import words as cli_words
from nacc.domain.errors import NotFound, UnknownName
from nacc.domain.reasons import Code, Reason
from nacc.i18n import catalog, render
from nacc.sim import words as report_words
from nacc.web import text as web_text

SRC = Path(__file__).parents[3] / "src" / "nacc"
WORDS = {
    "cli": cli_words.WORDS,
    "web": web_text.WORDS,
    "report": report_words.WORDS,
}
FORMAL = re.compile(r"니다[.!?:]?(\s|$)")  # 합니다, 습니다, 입니다, 됩니다 ...
KIND = re.compile(r"""(?:NotFound|UnknownName|Registry)\(\s*"([a-z][a-z ]*)"|"""
                  r"""\bfound\([^,()]+,\s*"([a-z][a-z ]*)\"""")  # fmt: skip


@pytest.mark.parametrize("name", sorted(WORDS))
def test_a_words_catalog_has_every_key_in_korean_and_english(name: str) -> None:
    ko, en = WORDS[name].messages("ko"), WORDS[name].messages("en")
    assert len(en) > 10
    assert not set(en) - set(ko), f"{name}: no Korean for {sorted(set(en) - set(ko))}"
    assert not set(ko) - set(en), f"{name}: no English for {sorted(set(ko) - set(en))}"


def _korean() -> dict[str, dict[str, str]]:
    said = {name: words.messages("ko") for name, words in WORDS.items()}
    said["nacc"] = {f"{c or ''}|{code}": m for (c, code), m in catalog.messages("ko").items()}
    return said


@pytest.mark.parametrize("name", ["cli", "web", "report", "nacc"])
def test_korean_is_in_haeyo_style(name: str) -> None:
    formal = {key: m for key, m in _korean()[name].items() if FORMAL.search(m)}
    assert not formal, f"{name}: 합쇼체 where 해요체 is the rule: {formal}"


def _kinds_in_sources() -> set[str]:
    found: set[str] = set()
    for path in SRC.rglob("*.py"):
        for a, b in KIND.findall(path.read_text(encoding="utf-8")):
            found.add(a or b)
    return found


def test_every_kind_an_error_names_has_korean_words() -> None:
    kinds = _kinds_in_sources()
    assert {"job", "project", "accelerator type", "policy"} <= kinds, kinds
    missing = {k for k in kinds if catalog.lookup("ko", k, catalog.KIND) is None}
    assert not missing, f"nacc.po has no Korean (msgctxt kind) for {sorted(missing)}"
    assert render(NotFound("job", "j-1").reason, "ko") == "찾을 수 없어요: 작업 j-1"
    assert render(NotFound("job", "j-1").reason, "en") == "no job with id 'j-1'"
    said = render(UnknownName("policy", "x", ["fifo"]).reason, "ko")
    assert "정책" in said and "policy" not in said


def test_an_http_status_phrase_is_said_in_korean() -> None:
    reason = Reason.of(Code.HTTP_ERROR, status=404, message="Not Found")
    assert render(reason, "ko") == "HTTP 404 오류예요: 찾을 수 없어요"
    assert render(reason, "en") == "Not Found"
    odd = Reason.of(Code.HTTP_ERROR, status=499, message="Client Closed")
    assert render(odd, "ko").endswith("Client Closed")  # no words: as the server said it
