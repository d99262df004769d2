"""Read a planning YAML file into a validated :class:`PlanningFile`.

Every problem becomes an :class:`InputError` naming the file, the line and the field path
(e.g. ``chips[2].price_krw``). YAML syntax and line lookup reuse the scenario loader.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

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
from nacc.scenario.load import _compose
from nacc.scenario.model import CATALOG_CONTEXT_KEY, Loc
from nacc.scenario.yaml_errors import problems, to_input_error

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
        raise to_input_error(path, root, problems(exc, _allowed_keys)) from None


def _allowed_keys(parent: Loc) -> list[str]:
    if not parent:
        return list(PlanningFile.model_fields)
    model = _SECTIONS.get(str(parent[0]))
    if model is Chip and parent[-1] == "lease":
        model = Lease
    return list(model.model_fields) if model is not None else []
