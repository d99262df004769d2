"""Reasons and errors in Korean and English, rendered only at the edge.

``render(reason, lang)`` turns a ``nacc.domain.reasons.Reason`` into text in ``lang``
(``ko`` or ``en``); ``negotiate(accept_language)`` picks the language of an HTTP request.
(Interface fixed here; the catalogs are being filled in.)
"""

from __future__ import annotations

from nacc.domain.reasons import Reason

LANGUAGES = ("en", "ko")
DEFAULT_LANGUAGE = "en"


def negotiate(accept_language: str | None) -> str:
    """The best of ``LANGUAGES`` for an ``Accept-Language`` header (default English)."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag[:2] in LANGUAGES:
            return tag[:2]
    return DEFAULT_LANGUAGE


def render(reason: Reason, lang: str = DEFAULT_LANGUAGE) -> str:
    """``reason`` as text in ``lang``."""
    return str(reason)
