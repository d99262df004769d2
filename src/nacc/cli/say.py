"""The CLI's language (``--lang``, else the terminal's locale) and its own error lines:
``error: <message>`` from the ``error.*`` words of ``cli.po`` on stderr, exit status 2.
``nacc.cli.client`` re-exports these for the commands."""

from __future__ import annotations

import os
from typing import NoReturn

import typer
from rich.console import Console

from nacc import i18n
from nacc.cli import words
from nacc.domain.errors import NaccError

err = Console(stderr=True, soft_wrap=True, highlight=False)
_chosen: list[str] = []  # the --lang of this invocation, if given


def set_language(lang: str | None) -> None:
    """Use ``lang`` for this invocation (None: from the environment)."""
    _chosen[:] = [lang] if lang else []


def language() -> str:
    """``--lang`` if given, else the terminal's locale (``ko_KR.UTF-8`` -> ``ko``)."""
    return _chosen[0] if _chosen else i18n.from_locale(os.environ)


def error_line(key: str, /, **params: object) -> str:
    """``error: <key's message>`` in the CLI's language (``cli.po``)."""
    lang = language()
    return words.say(lang, "error.line", message=words.say(lang, key, **params))


def message_of(exc: BaseException) -> str:
    """An error in the CLI's language: a nacc error from the catalogs (English: its own
    message), anything else as it says."""
    lang = language()
    if isinstance(exc, NaccError) and lang != i18n.DEFAULT_LANGUAGE:
        return i18n.message(exc.reason, lang) or str(exc)
    return str(exc)


def marked_error(exc: BaseException) -> str:
    """``error: <message>`` as Rich markup (the word red, the message escaped)."""
    from rich.markup import escape

    word = words.say(language(), "error.word")
    return f"[red]{escape(word)}:[/red] {escape(message_of(exc))}"


def fail(key: str, /, **params: object) -> NoReturn:
    """Print ``key``'s message as an error line on stderr, in the CLI's language; exit 2."""
    err.print(error_line(key, **params), markup=False)
    raise typer.Exit(2)
