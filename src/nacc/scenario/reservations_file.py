"""Reading a reservations file (``nacc simulate --reservations FILE``) and checking a
scenario's inline reservations, with errors naming the file, the line and the field."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml
from pydantic import ValidationError

from nacc.domain.errors import InputError
from nacc.domain.pools import Pool
from nacc.domain.reservations import Block
from nacc.scenario.reservations import Problems, ReservationsFile, ReservationSpec, blocks_of
from nacc.scenario.yaml_errors import problems, to_input_error

Loc = tuple[str | int, ...]


def load_reservations(path: Path, pools: Sequence[Pool]) -> list[Block]:
    """Read a reservations file and check it against ``pools``; every problem is an
    ``InputError`` naming ``path:line`` and the field."""
    try:
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except OSError as exc:
        raise InputError(str(path), f"cannot read reservations file: {exc.strerror}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise InputError(where, f"YAML syntax error: {exc.problem}") from None
    if root is None or not isinstance(data, dict):
        raise InputError(f"{path}:1", "expected a mapping with the key reservations")
    try:
        parsed = ReservationsFile.model_validate(data)
    except ValidationError as exc:
        raise to_input_error(path, root, problems(exc, _allowed)) from None
    return check_against(path, root, parsed.reservations, pools)


def check_against(
    path: Path, root: yaml.Node, specs: Sequence[ReservationSpec], pools: Sequence[Pool]
) -> list[Block]:
    """``blocks_of`` with its problems as one ``InputError`` naming file and line."""
    try:
        return blocks_of(specs, pools)
    except Problems as found:
        raise to_input_error(path, root, found.items) from None


def _allowed(parent: Loc) -> list[str]:
    if not parent:
        return list(ReservationsFile.model_fields)
    return list(ReservationSpec.model_fields) if len(parent) == 2 else []
