"""The command line's own words (table titles and headers, confirmations):
``locale/<lang>/LC_MESSAGES/cli.po`` beside this module, a ``cli`` domain apart from the
reason codes (``nacc.po``) and the portal's words (``web.po``).

One message per key (the ``msgid``); placeholders are ``{name}``. Korean and English are
complete (tests/unit/cli/test_cli_words.py); a key missing from a catalog renders as the key.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from nacc.i18n import catalog


def po_path(lang: str) -> str:
    return str(files("nacc.cli") / "locale" / lang / "LC_MESSAGES" / "cli.po")


@cache
def messages(lang: str) -> dict[str, str]:
    """key -> message of ``lang``'s catalog (empty and fuzzy ones left out)."""
    return catalog.read_words(po_path(lang if lang in ("ko", "en") else "en"), lang, "cli")


def say(lang: str, key: str, **params: object) -> str:
    """``key`` in ``lang`` with ``params`` filled (the key itself where none is known)."""
    return catalog.fill_words(messages(lang), key, params)
