"""Read a planning YAML file into a validated :class:`PlanningFile`.

Every problem becomes an :class:`InputError` naming the file, the line and the field path
(e.g. ``chips[2].price_krw``). YAML syntax and line lookup reuse the scenario loader.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from nacc.domain.accelerators import AcceleratorType
from nacc.domain.errors import InputError
from nacc.planning.model import (
    CandidateSite,
    Chip,
    Demand,
    Existing,
    Lease,
    PlanningFile,
    Policy,
)
from nacc.scenario.load import _compose, _line_of
from nacc.scenario.model import CATALOG_CONTEXT_KEY, Loc, ScenarioProblems, format_loc

_MAX_SHOWN = 80
_SECTIONS: dict[str, type[BaseModel]] = {
    "demand": Demand,
    "policy": Policy,
    "chips": Chip,
    "sites": CandidateSite,
    "existing": Existing,
}


def load_planning(path: Path, catalog: Mapping[str, AcceleratorType] | None = None) -> PlanningFile:
    """Load and validate one planning file (``catalog`` defaults to the shipped one)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(str(path), f"cannot read planning file: {exc.strerror or exc}") from None
    root = _compose(path, text)
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        keys = ", ".join(PlanningFile.model_fields)
        raise InputError(f"{path}:1", f"expected a mapping with keys {keys}")
    context = None if catalog is None else {CATALOG_CONTEXT_KEY: catalog}
    try:
        return PlanningFile.model_validate(data, context=context)
    except ValidationError as exc:
        raise _to_error(path, root, _problems(exc)) from None


def _problems(exc: ValidationError) -> list[tuple[Loc, str]]:
    problems: list[tuple[Loc, str]] = []
    for err in exc.errors():
        loc: Loc = tuple(err["loc"])
        cause = err.get("ctx", {}).get("error")
        if isinstance(cause, ScenarioProblems):
            problems.extend((loc + sub, msg) for sub, msg in cause.items)
        elif isinstance(cause, ValueError):
            problems.append((loc, str(cause)))
        else:
            problems.append((loc, _describe(err, loc)))
    return problems


def _describe(err: Any, loc: Loc) -> str:
    kind, msg = err["type"], err["msg"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        allowed = ", ".join(_allowed_keys(loc[:-1]))
        return f"unknown key {loc[-1]!r}; allowed keys: {allowed}"
    shown = repr(err.get("input"))
    if len(shown) > _MAX_SHOWN:
        shown = shown[: _MAX_SHOWN - 3] + "..."
    return f"{msg}; given {shown}"


def _allowed_keys(parent: Loc) -> list[str]:
    if not parent:
        return list(PlanningFile.model_fields)
    model = _SECTIONS.get(str(parent[0]))
    if model is Chip and parent[-1] == "lease":
        model = Lease
    return list(model.model_fields) if model is not None else []


def _to_error(path: Path, root: yaml.Node, problems: list[tuple[Loc, str]]) -> InputError:
    lines = [
        (f"{path}:{_line_of(root, loc)}", f"{format_loc(loc) or '(top level)'}: {msg}")
        for loc, msg in problems
    ]
    where, problem = lines[0]
    if len(lines) > 1:
        more = "\n".join(f"  {w}: {p}" for w, p in lines[1:])
        problem = f"{problem}\n{len(lines) - 1} more problem(s):\n{more}"
    return InputError(where, problem)
