"""typer's and click's own words in the CLI's language: usage errors (an unknown option,
a missing argument, a bad value), ``--help``'s headings and the usage line.

typer says these in English (its gettext hook is read once, at import, so it cannot
follow ``--lang``). ``NaccGroup``, the root command's class, picks the language before
anything is parsed (``--lang`` ahead of the command, else the locale), points typer's
rich headings at that language's words (``usage.*`` in ``cli.po``), and re-raises each
usage error with its message said in that language. English is left exactly as typer
says it; a message this module does not know stays English inside the Korean frame.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any

from typer._click import Command, Context, HelpFormatter
from typer._click.exceptions import NoArgsIsHelpError, UsageError
from typer.core import TyperGroup

from nacc import i18n
from nacc.cli import say, words

_ENGLISH: dict[str, str] = {}
"""typer's rich headings as it ships them (English), kept at the first change."""
_HEADINGS = {
    "ARGUMENTS_PANEL_TITLE": "usage.arguments",
    "OPTIONS_PANEL_TITLE": "usage.options",
    "COMMANDS_PANEL_TITLE": "usage.commands",
    "ERRORS_PANEL_TITLE": "usage.error",
    "REQUIRED_LONG_STRING": "usage.required",
    "DEFAULT_STRING": "usage.default",
    "ENVVAR_STRING": "usage.envvar",
    "DEPRECATED_STRING": "usage.deprecated",
    "ABORTED_TEXT": "usage.aborted",
    "RICH_HELP": "usage.try",
}
"""typer's heading -> its key in ``cli.po`` (templates keep typer's own placeholders)."""

_ERRORS: tuple[tuple[str, str], ...] = (
    (r"No such option: (?P<option>\S+) \(Possible options: (?P<like>.+)\)",
     "usage.no_option_like"),
    (r"No such option: (?P<option>\S+)", "usage.no_option"),
    (r"No such command (?P<name>'[^']*')\. Did you mean (?P<like>.+)\?",
     "usage.no_command_like"),
    (r"No such command (?P<name>'[^']*')\.", "usage.no_command"),
    (r"Missing command\.", "usage.missing_command"),
    (r"Missing argument (?P<name>.+?)\.", "usage.missing_argument"),
    (r"Missing option (?P<name>.+?)\.", "usage.missing_option"),
    (r"Missing parameter:? (?P<name>.+?)\.?", "usage.missing_parameter"),
    (r"Invalid value for (?P<name>.+?): (?P<message>.+)", "usage.bad_value"),
    (r"Invalid value: (?P<message>.+)", "usage.bad_value_plain"),
    (r"Option (?P<option>'[^']+') requires an argument\.", "usage.needs_value"),
    (r"Option (?P<option>'[^']+') requires (?P<count>\d+) arguments\.", "usage.needs_values"),
    (r"Option (?P<option>'[^']+') does not take a value\.", "usage.takes_no_value"),
    (r"Argument (?P<name>'[^']+') takes (?P<count>\d+) values\.", "usage.argument_values"),
    (r"Got unexpected extra argument(?:s|\(s\))? \((?P<args>.*)\)", "usage.extra_args"),
    (r"Value (?P<value>.+) is not a valid (?P<type>\w+)\.", "usage.not_valid"),
    (r"Input should be a valid integer, unable to parse string as an integer", "usage.integer"),
    (r"Input should be a valid integer, got a number with a fractional part", "usage.integer"),
    (r"Input should be a valid integer", "usage.integer"),
    (r"Input should be a valid number, unable to parse string as a number", "usage.number"),
    (r"Input should be a valid number", "usage.number"),
    (r"Input should be a finite number", "usage.finite"),
    (r"Input should be a valid boolean, unable to interpret input", "usage.boolean"),
    (r"Input should be a valid boolean", "usage.boolean"),
    (r"Input should be greater than or equal to (?P<limit>\S+)", "usage.at_least"),
    (r"Input should be greater than (?P<limit>\S+)", "usage.above"),
    (r"Input should be less than or equal to (?P<limit>\S+)", "usage.at_most"),
    (r"Input should be less than (?P<limit>\S+)", "usage.below"),
    (r"Choose from:\n\t(?P<choices>.*)", "usage.choose"),
)  # fmt: skip
"""typer's and click's English usage errors (and pydantic's, for a value typer converts),
first match wins; ``message`` is itself said again (``Invalid value for X: <message>``).
Compiled at the first usage error, so a command that has none does not pay for them."""


@cache
def _compiled() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(pattern, re.DOTALL), key) for pattern, key in _ERRORS)


def translate(text: str, lang: str) -> str:
    """``text``, an English usage error of typer/click, in ``lang`` (as given where the
    language is English or the message is not one this module knows)."""
    if lang == i18n.DEFAULT_LANGUAGE:
        return text
    head, sep, tail = text.partition(". ")
    for pattern, key in _compiled():
        found = pattern.fullmatch(text)
        if found is not None:
            params = {k: v for k, v in found.groupdict().items() if v is not None}
            if "message" in params:
                params["message"] = translate(params["message"], lang)
            return words.say(lang, key, **params)
    if sep and tail:  # "Missing option '--x'. Choose from: ..." : each sentence on its own
        first = translate(head + ".", lang)
        if first != head + ".":
            return f"{first} {translate(tail, lang)}"
    return text


def lang_in(args: Sequence[str]) -> str | None:
    """The ``--lang`` given ahead of the command in ``args`` (``--lang ko``,
    ``--lang=ko``), if it names a language we have."""
    for index, arg in enumerate(args):
        if arg == "--lang" and index + 1 < len(args):
            return i18n.language(args[index + 1])
        if arg.startswith("--lang="):
            return i18n.language(arg.partition("=")[2])
        if arg == "--" or not arg.startswith("-"):
            return None
    return None


def use_headings(lang: str) -> None:
    """Point typer's rich help and error headings at ``lang``'s words (English: typer's).
    Called just before typer reads them (a usage line being formatted, a usage error
    leaving), since typer imports its rich module only to print help or an error."""
    from typer import rich_utils

    said = words.messages(lang)
    for name, key in _HEADINGS.items():
        english = _ENGLISH.setdefault(name, getattr(rich_utils, name))
        text = english if lang == i18n.DEFAULT_LANGUAGE else said.get(key, english)
        setattr(rich_utils, name, text)


class Localized(UsageError):
    """A usage error said in the CLI's language (``format_message`` is the said text)."""

    def __init__(self, text: str, source: UsageError) -> None:
        super().__init__(text, source.ctx)
        self.exit_code = source.exit_code

    def format_message(self) -> str:
        return self.message


@contextmanager
def _localized() -> Iterator[None]:
    try:
        yield
    except Localized:
        raise
    except NoArgsIsHelpError:
        raise  # help, printed by typer: its headings are already this language's
    except UsageError as exc:
        lang = say.language()
        use_headings(lang)  # typer prints the error's frame next
        if lang == i18n.DEFAULT_LANGUAGE:
            raise
        raise Localized(translate(exc.format_message(), lang), exc) from exc


class _Formatter(HelpFormatter):
    """click's help formatter, its usage line led by the CLI's word for ``Usage:``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        use_headings(say.language())  # help or a usage error is being printed

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        if prefix is None:
            prefix = words.say(say.language(), "usage.prefix")
        super().write_usage(prog, args, prefix)


_SHOW = "Show completion for the current shell, to copy it or customize the installation."
_OWN_HELP = {
    "Show this message and exit.": "usage.help_option",
    "Install completion for the current shell.": "usage.install_completion",
    _SHOW: "usage.show_completion",
}
"""The help of the options typer and click add themselves (English) -> its key."""


class NaccContext(Context):
    """A context whose usage line starts with the CLI's word for ``Usage:`` and whose
    own options (``--help``, shell completion) say what they do in the CLI's language."""

    formatter_class = _Formatter

    def __init__(self, command: Command, *args: Any, **kwargs: Any) -> None:
        super().__init__(command, *args, **kwargs)
        own = [*command.params, command.get_help_option(self)]
        for param in own:
            english = getattr(param, "nacc_english_help", None) or getattr(param, "help", None)
            if english in _OWN_HELP:
                param.nacc_english_help = english  # type: ignore[union-attr]
                param.help = words.say(say.language(), _OWN_HELP[english])  # type: ignore[union-attr]


def _every_command(group: Command) -> Iterator[Command]:
    yield group
    for command in getattr(group, "commands", {}).values():
        yield from _every_command(command)


class NaccGroup(TyperGroup):
    """The root ``nacc`` command: typer's group, speaking the CLI's language."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for command in _every_command(self):
            command.context_class = NaccContext

    def make_context(self, info_name: str | None, args: list[str],
                     parent: Context | None = None, **extra: Any) -> Context:  # fmt: skip
        if parent is None:  # a fresh invocation: its language before anything is parsed
            say.set_language(lang_in(args))
        with _localized():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: Context) -> Any:
        with _localized():
            return super().invoke(ctx)
