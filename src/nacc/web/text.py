"""The portal's words: ``locale/<lang>/LC_MESSAGES/web.po`` beside this module.

One message per key (the ``msgid``); placeholders are ``{name}``. Korean and English are
complete (tests/web/test_web_text.py); a key missing from a catalog renders as the key.
"""

from __future__ import annotations

from nacc import i18n
from nacc.i18n import catalog

LANGUAGES = i18n.LANGUAGES
PORTAL_DEFAULT = "ko"  # Korean first when the browser says nothing we speak


WORDS = catalog.Words("nacc.web", "web")
po_path = WORDS.po_path
messages = WORDS.messages
say = WORDS.say


def choose(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """``?lang=``, else the ``nacc_lang`` cookie, else ``Accept-Language``, else Korean."""
    picked = i18n.language(query) or i18n.language(cookie)
    if picked:
        return picked
    if accept_language and any(i18n.language(p.split(";")[0]) for p in accept_language.split(",")):
        return i18n.negotiate(accept_language)
    return PORTAL_DEFAULT
