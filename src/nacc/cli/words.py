"""The command line's own words (table titles and headers, confirmations):
``locale/<lang>/LC_MESSAGES/cli.po`` beside this module, a ``cli`` domain apart from the
reason codes (``nacc.po``) and the portal's words (``web.po``).

One message per key (the ``msgid``); placeholders are ``{name}``. Korean and English are
complete (tests/unit/cli/test_cli_words.py); a key missing from a catalog renders as the key.
"""

from __future__ import annotations

from nacc.i18n.catalog import Words

WORDS = Words("nacc.cli", "cli")
po_path = WORDS.po_path
messages = WORDS.messages
say = WORDS.say


def state(lang: str, value: str) -> str:
    """A job state (``pending``, ...) as the CLI's tables say it (``state.*``), the value
    itself where the catalog has no word for it (``--json`` keeps the value)."""
    word = say(lang, f"state.{value}")
    return value if word == f"state.{value}" else word
