"""The message catalogs: ``locale/<lang>/LC_MESSAGES/nacc.po``, one message per code.

The .po files are the source and are read at run time with Babel (once per language,
then cached), so a fresh clone or an installed wheel needs no compile step. A message's
``msgid`` is the code; messages in the ``title`` context are problem+json titles, those
in the ``kind`` context the words for a ``kind`` parameter (``job`` -> ``작업``), in the
``http`` context the words for an HTTP status phrase (``Not Found`` -> ``찾을 수 없어요``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files

TITLE = "title"
KIND = "kind"  # what a reason's ``kind`` parameter names (job, project, ...), in words
HTTP = "http"  # an HTTP status phrase (``Not Found``) a reason's ``message`` may be
DOMAIN = "nacc"


def po_path(lang: str) -> str:
    """Where ``lang``'s catalog lives (inside the installed package)."""
    return str(files("nacc.i18n") / "locale" / lang / "LC_MESSAGES" / f"{DOMAIN}.po")


@cache
def messages(lang: str) -> dict[tuple[str | None, str], str]:
    """(context, code) -> message of ``lang``'s catalog; empty messages are left out."""
    from babel.messages.pofile import read_po

    with open(po_path(lang), "rb") as handle:
        catalog = read_po(handle, locale=lang, domain=DOMAIN)
    out: dict[tuple[str | None, str], str] = {}
    for message in catalog:
        code, text = message.id, message.string
        usable = isinstance(code, str) and isinstance(text, str) and not message.fuzzy
        if usable and code and text:
            out[(message.context, str(code))] = str(text)
    return out


def read_words(path: str, lang: str, domain: str) -> dict[str, str]:
    """key -> message of a words catalog (the CLI's ``cli.po``, the portal's ``web.po``):
    contexts ignored, empty and fuzzy messages left out."""
    from babel.messages.pofile import read_po

    with open(path, "rb") as handle:
        catalog = read_po(handle, locale=lang, domain=domain)
    return {
        str(m.id): str(m.string)
        for m in catalog
        if isinstance(m.id, str) and m.id and isinstance(m.string, str) and m.string and not m.fuzzy
    }


@dataclass(frozen=True, slots=True)
class Words:
    """A words catalog of one package: ``<package>/locale/<lang>/LC_MESSAGES/<domain>.po``
    (the CLI's ``cli``, the portal's ``web``, the simulation report's ``report``). A
    language without a catalog reads English's; a missing key renders as the key."""

    package: str
    domain: str

    def po_path(self, lang: str) -> str:
        return str(files(self.package) / "locale" / lang / "LC_MESSAGES" / f"{self.domain}.po")

    def messages(self, lang: str) -> dict[str, str]:
        """key -> message of ``lang``'s catalog (read once per language)."""
        return _words(self, lang if lang in ("ko", "en") else "en")

    def say(self, lang: str, key: str, **params: object) -> str:
        """``key`` in ``lang`` with ``params`` filled (the key itself where none is known)."""
        return fill_words(self.messages(lang), key, params)


@cache
def _words(words: Words, lang: str) -> dict[str, str]:
    return read_words(words.po_path(lang), lang, words.domain)


def fill_words(words: dict[str, str], key: str, params: dict[str, object]) -> str:
    """``key``'s message with ``params`` filled; the key itself where none is known, the
    template unfilled where a placeholder has no value."""
    template = words.get(key)
    if template is None:
        return key
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template


def lookup(lang: str, code: str, context: str | None = None) -> str | None:
    """The message for ``code`` in ``lang`` (None where the catalog has none)."""
    return messages(lang).get((context, code))
