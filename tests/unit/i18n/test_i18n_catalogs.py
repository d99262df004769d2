"""The catalogs are complete: every code says something in English and Korean, with
only its documented parameters, and docs/reasons.md is what the code and catalogs say."""

from __future__ import annotations

from pathlib import Path

import pytest

from nacc.domain.reason_params import PARAMS
from nacc.domain.reasons import Code, Param, Reason
from nacc.i18n import LANGUAGES, catalog, doc, message, render, title
from nacc.i18n.format import placeholders

DOCS = Path(__file__).parents[3] / "docs" / "reasons.md"
TITLED = {
    Code.ERROR, Code.INPUT_INVALID, Code.NOT_FOUND, Code.UNAUTHORIZED, Code.FORBIDDEN,
    Code.CONFLICT, Code.UNKNOWN_NAME, Code.INSUFFICIENT_CREDITS, Code.HTTP_ERROR,
    Code.RATE_LIMITED,
}  # fmt: skip


def sample(name: str) -> Param:
    """A plausible value for a parameter: seconds and counts as numbers, else text."""
    if name.endswith("_s"):
        return 5400
    if name in {"needed", "free", "pid", "signal", "exit_code", "status", "limit"}:
        return 3
    return f"<{name}>"


def samples(code: Code) -> dict[str, Param]:
    return {name: sample(name) for name in PARAMS[code]}


def test_every_code_has_documented_params() -> None:
    assert set(PARAMS) == set(Code), set(Code) ^ set(PARAMS)
    for code, names in PARAMS.items():
        assert len(set(names)) == len(names), code
        for name in names:
            assert name in doc.MEANINGS, f"{code}: parameter {name!r} has no meaning in doc"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_code_has_a_message(lang: str) -> None:
    missing = [code for code in Code if not catalog.lookup(lang, code)]
    assert not missing, f"{lang} catalog lacks {missing}"
    untitled = [code for code in TITLED if not catalog.lookup(lang, code, catalog.TITLE)]
    assert not untitled, f"{lang} catalog lacks titles for {untitled}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_catalog_names_only_codes_that_exist(lang: str) -> None:
    worded = (catalog.KIND, catalog.HTTP)  # words for parameter values, not codes
    stray = {code for context, code in catalog.messages(lang) if context not in worded}
    stray -= set(Code)
    assert not stray, f"{lang} catalog has messages for unknown codes {stray}"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("code", list(Code))
def test_placeholders_are_documented_params_and_all_get_filled(code: Code, lang: str) -> None:
    for context in (None, catalog.TITLE):
        template = catalog.lookup(lang, code, context)
        if template is None:
            continue
        used = set(placeholders(template))
        assert used <= set(PARAMS[code]), f"{lang} {code}: undocumented {used - set(PARAMS[code])}"
    text = message(Reason.of(code, **samples(code)), lang)  # None: fell back to the code
    assert text and "{" not in text and "}" not in text, text
    if code in TITLED:
        heading = title(Reason.of(code, **samples(code)), lang)
        assert heading and "{" not in heading, heading


def test_korean_differs_from_english_where_it_is_not_only_a_parameter() -> None:
    same = [
        code
        for code in Code
        if render(Reason.of(code, **samples(code)), "ko")
        == render(Reason.of(code, **samples(code)), "en")
    ]
    assert not same, f"Korean catalog repeats the English for {same}"


def test_docs_reasons_md_is_what_the_code_and_catalogs_say() -> None:
    assert DOCS.read_text(encoding="utf-8") == doc.render(), (
        "docs/reasons.md is stale: run python -m nacc.i18n.doc > docs/reasons.md"
    )


def test_every_group_of_the_code_list_is_documented() -> None:
    grouped = [code for _, codes in doc.groups() for code in codes]
    assert sorted(grouped) == sorted(Code)
