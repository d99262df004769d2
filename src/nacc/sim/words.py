"""The simulation report's words (titles, column names with units, plot labels):
``locale/<lang>/LC_MESSAGES/report.po`` beside this module, Korean and English complete
(tests/unit/sim/test_report_words.py); a key missing from a catalog renders as the key."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from nacc.i18n import catalog


def po_path(lang: str) -> str:
    return str(files("nacc.sim") / "locale" / lang / "LC_MESSAGES" / "report.po")


@cache
def messages(lang: str) -> dict[str, str]:
    """key -> message of ``lang``'s catalog (English for a language we lack)."""
    return catalog.read_words(po_path(lang if lang in ("ko", "en") else "en"), lang, "report")


def say(lang: str, key: str, **params: object) -> str:
    return catalog.fill_words(messages(lang), key, params)
