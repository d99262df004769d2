"""Read a scenario YAML file into a validated :class:`Scenario`.

Every problem becomes an :class:`InputError` naming the file, the line, the field path
(e.g. ``pools[3].accelerator``), what was given and what is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from nacc.domain.accelerators import AcceleratorType
from nacc.domain.errors import InputError
from nacc.scenario.datasets import DatasetSpec
from nacc.scenario.model import (
    CATALOG_CONTEXT_KEY,
    Loc,
    PoolSpec,
    Provider,
    Scenario,
    Site,
)
from nacc.scenario.reservations import ReservationSpec
from nacc.scenario.reservations_file import check_against
from nacc.scenario.share_tree import OrganisationShare, ProgramShare, ProjectShare, ShareTreeSpec
from nacc.scenario.yaml_errors import problems, to_input_error

_SECTIONS: dict[str, type[BaseModel]] = {
    "providers": Provider,
    "sites": Site,
    "pools": PoolSpec,
    "reservations": ReservationSpec,
    "datasets": DatasetSpec,
}


def load_scenario(path: Path, catalog: Mapping[str, AcceleratorType] | None = None) -> Scenario:
    """Load and validate one scenario file (``catalog`` defaults to the shipped one)."""
    text = _read(path)
    root = _compose(path, text)
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        keys = ", ".join(Scenario.model_fields)
        found = type(data).__name__
        raise InputError(f"{path}:1", f"expected a mapping with keys {keys}; found {found}")
    context = None if catalog is None else {CATALOG_CONTEXT_KEY: catalog}
    try:
        scenario = Scenario.model_validate(data, context=context)
    except ValidationError as exc:
        raise to_input_error(path, root, problems(exc, _allowed_keys)) from None
    if scenario.reservations:
        check_against(path, root, scenario.reservations, scenario.domain_pools(catalog))
    return scenario


def field_error(path: Path, loc: Loc, problem: str) -> InputError:
    """An error about the field at ``loc`` of a scenario file found valid by
    ``load_scenario`` but refused later (e.g. a backend scheme the service lacks), named
    like a load error: ``file:line``, the field path, the problem."""
    return to_input_error(path, _compose(path, _read(path)), [(loc, problem)])


def scenarios_dir() -> Path:
    """The ``scenarios/`` folder of the source tree (shipped scenario files)."""
    return Path(__file__).resolve().parents[3] / "scenarios"


def shipped_scenario_path(name: str) -> Path:
    """Path of a shipped scenario by name, e.g. ``korea-2026``."""
    path = scenarios_dir() / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in scenarios_dir().glob("*.yaml")))
        raise InputError(str(path), f"no shipped scenario {name!r}; known: {known or '(none)'}")
    return path


# --- phase 1: text and YAML syntax ------------------------------------------------------


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(str(path), f"cannot read scenario file: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"scenario file is not UTF-8 text: {exc.reason}") from None


def _compose(path: Path, text: str) -> yaml.Node:
    """The YAML node tree (it keeps line numbers); syntax errors name the line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        detail = exc.problem or exc.context or "invalid YAML"
        raise InputError(where, f"YAML syntax error: {detail}") from None
    except yaml.YAMLError as exc:
        raise InputError(str(path), f"YAML error: {exc}") from None
    if root is None:
        raise InputError(str(path), "file is empty; expected name, providers, sites and pools")
    duplicate = _first_duplicate_key(root)
    if duplicate is not None:
        line = duplicate.start_mark.line + 1
        raise InputError(f"{path}:{line}", f"duplicate key {duplicate.value!r}")
    return root


def _first_duplicate_key(root: yaml.Node) -> yaml.ScalarNode | None:
    stack, seen_nodes = [root], set()
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: set[str] = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in keys:
                        return key
                    keys.add(key.value)
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return None


# --- phase 2: pydantic errors -> (field path, message) ----------------------------------


def _allowed_keys(parent: Loc) -> list[str]:
    if not parent:
        return list(Scenario.model_fields)
    if parent[0] == "share_tree":
        return _tree_keys(parent[1:])
    model = _SECTIONS.get(str(parent[0])) if len(parent) == 2 else None
    return list(model.model_fields) if model is not None else []


def _tree_keys(parent: Loc) -> list[str]:
    """Keys of the share tree's node at ``parent`` (a path of list name, index pairs)."""
    model: type[BaseModel] = ShareTreeSpec
    levels: dict[str, type[BaseModel]] = {
        "programs": ProgramShare,
        "organisations": OrganisationShare,
        "projects": ProjectShare,
    }
    for part in parent[::2]:
        if part not in levels:
            return []
        model = levels[str(part)]
    return list(model.model_fields)


# --- phase 3: field path -> line, and the error itself -----------------------------------
