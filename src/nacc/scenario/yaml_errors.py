"""Turning pydantic validation errors on a YAML file into one ``InputError`` that names
the file, the line and the field path — shared by every YAML loader (scenarios, plans)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from nacc.domain.errors import InputError
from nacc.scenario.model import Loc, ScenarioProblems, format_loc

MAX_SHOWN_INPUT = 80
AllowedKeys = Callable[[Loc], list[str]]


def problems(exc: ValidationError, allowed_keys: AllowedKeys) -> list[tuple[Loc, str]]:
    """(field path, message) for every error; model validators may raise several at once
    (``ScenarioProblems``); ``allowed_keys(parent)`` lists the keys a mapping may have."""
    found: list[tuple[Loc, str]] = []
    for err in exc.errors():
        loc: Loc = tuple(err["loc"])
        cause = err.get("ctx", {}).get("error")
        if isinstance(cause, ScenarioProblems):
            found.extend((loc + sub, msg) for sub, msg in cause.items)
        elif isinstance(cause, ValueError):
            found.append((loc, str(cause)))
        else:
            found.append((loc, describe(err, loc, allowed_keys)))
    return found


def describe(err: Any, loc: Loc, allowed_keys: AllowedKeys) -> str:
    kind, msg = err["type"], err["msg"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        allowed = ", ".join(allowed_keys(loc[:-1]))
        return f"unknown key {loc[-1]!r}; allowed keys: {allowed}"
    shown = repr(err.get("input"))
    if len(shown) > MAX_SHOWN_INPUT:
        shown = shown[: MAX_SHOWN_INPUT - 3] + "..."
    return f"{msg}; given {shown}"


def to_input_error(path: Path, root: yaml.Node, found: list[tuple[Loc, str]]) -> InputError:
    """One error: the first problem as file:line, the others listed under it."""
    lines = [
        (f"{path}:{line_of(root, loc)}", f"{format_loc(loc) or '(top level)'}: {msg}")
        for loc, msg in found
    ]
    where, problem = lines[0]
    if len(lines) > 1:
        more = "\n".join(f"  {w}: {p}" for w, p in lines[1:])
        problem = f"{problem}\n{len(lines) - 1} more problem(s):\n{more}"
    return InputError(where, problem)


def line_of(root: yaml.Node, loc: Loc) -> int:
    """Line (1-based) of the node at ``loc``, or of its deepest existing ancestor."""
    node = root
    for depth, part in enumerate(loc, start=1):
        found = _child(node, part)
        if found is None:
            break
        key, value = found
        node = key if key is not None and depth == len(loc) else value
    return node.start_mark.line + 1


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node | None, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return key, value
    if (
        isinstance(node, yaml.SequenceNode)
        and isinstance(part, int)
        and 0 <= part < len(node.value)
    ):
        return None, node.value[part]
    return None
