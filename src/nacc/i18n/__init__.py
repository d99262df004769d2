"""Reasons and errors in Korean and English, rendered only at the edge.

``render(reason, lang)`` turns a ``nacc.domain.reasons.Reason`` into text in ``lang``
(``ko`` or ``en``) from the message catalogs (``locale/<lang>/LC_MESSAGES/nacc.po``);
``title(code, lang)`` is a problem+json title; ``negotiate(accept_language)`` picks the
language of an HTTP request and ``from_locale(environ)`` the language of a terminal.
A reason whose code has no message, or whose message needs a parameter the reason lacks,
renders as its code and parameters (``str(reason)``): rendering never fails.
"""

from __future__ import annotations

from collections.abc import Mapping

from nacc.domain.reasons import Param, Reason
from nacc.i18n import catalog
from nacc.i18n.format import fill

LANGUAGES = ("en", "ko")
DEFAULT_LANGUAGE = "en"


def language(tag: str | None) -> str | None:
    """The language of ``tag`` (``ko``, ``ko-KR``, ``ko_KR.UTF-8``, ``EN``), or None."""
    base = (tag or "").strip().lower().replace("_", "-").split(".")[0].split("-")[0]
    return base if base in LANGUAGES else None


def negotiate(accept_language: str | None) -> str:
    """The best of ``LANGUAGES`` for an ``Accept-Language`` header (default English):
    the highest ``q`` wins, ties go to the earlier entry; ``q=0`` excludes."""
    best: tuple[float, int, str] | None = None
    for index, part in enumerate((accept_language or "").split(",")):
        tag, *options = part.split(";")
        lang = DEFAULT_LANGUAGE if tag.strip() == "*" else language(tag)
        if lang is None:
            continue
        weight = 1.0
        for option in options:
            key, _, raw = option.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(raw)
                except ValueError:
                    weight = 0.0
        if weight > 0 and (best is None or (-weight, index) < (-best[0], best[1])):
            best = (weight, index, lang)
    return DEFAULT_LANGUAGE if best is None else best[2]


def from_locale(environ: Mapping[str, str]) -> str:
    """The language a terminal asks for: ``LC_ALL``, then ``LC_MESSAGES``, then ``LANG``
    (POSIX order; ``ko_KR.UTF-8`` -> ``ko``), default English."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if environ.get(name):
            return language(environ[name]) or DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def _lang(lang: str | None) -> str:
    return language(lang) or DEFAULT_LANGUAGE


_WORDED = {"kind": catalog.KIND, "message": catalog.HTTP}
"""Parameters whose value may have words of its own (context in the catalogs)."""


def _args(reason: Reason, lang: str) -> Mapping[str, Param]:
    """``reason``'s parameters, with ``kind`` (what was asked for) and an HTTP status
    phrase in ``lang``'s words where the catalog has them."""
    args = reason.args
    for name, context in _WORDED.items():
        raw = args.get(name)
        word = catalog.lookup(lang, raw, context) if isinstance(raw, str) else None
        if word is not None:
            args = {**args, name: word}
    return args


def message(reason: Reason, lang: str = DEFAULT_LANGUAGE) -> str | None:
    """``reason`` in ``lang``, or None where the catalog cannot say it in full."""
    template = catalog.lookup(_lang(lang), reason.code)
    return None if template is None else fill(template, _args(reason, _lang(lang)), _lang(lang))


def render(reason: Reason, lang: str = DEFAULT_LANGUAGE) -> str:
    """``reason`` as text in ``lang`` (its code and parameters where no message fits)."""
    text = message(reason, lang)
    return str(reason) if text is None else text


def title(reason: Reason, lang: str = DEFAULT_LANGUAGE) -> str:
    """The problem+json title of an error whose class code is ``reason.code``."""
    template = catalog.lookup(_lang(lang), reason.code, catalog.TITLE)
    text = None if template is None else fill(template, reason.args, _lang(lang))
    return reason.code.replace("_", " ") if text is None else text
