"""A share tree in scenario YAML: program -> organisation -> project shares with a usage
half-life, as the live service ranks by (``nacc shares``, Slurm's Fair Tree), so
``nacc simulate`` and ``nacc sweep`` can ask what a split of the fleet does:

.. code-block:: yaml

    share_tree:
      half_life_h: 168            # usage decays by half every week (default)
      programs:
        - name: sovereign-llm
          shares: 70              # raw shares; siblings' are normalised (default 1)
          organisations:
            - name: big-lab
              projects: [vc-a, vc-b]          # the trace's project names, 1 share each
            - name: small-lab
              shares: 1
              projects: [{name: vc-c, shares: 2}]
        - name: academia
          shares: 30

A project the tree does not name sits in organisation ``-`` of its job's program (from
``--program-mix``) when the tree declares that program, else in program ``-`` (1 share).
Names must be unique where they meet (programs; organisations in a program; projects in
the whole tree); shares are finite numbers >= 0, at least one program's above 0. Problems
are listed with their field path (``share_tree.programs[1].shares``), which the loader
turns into ``file:line`` errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

Loc = tuple[str | int, ...]
NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
OUTSIDE = "-"  # the program / organisation of projects the tree does not name
MAX_HALF_LIFE_H = 10 * 365 * 24.0


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ProjectShare(_Strict):
    name: str = Field(min_length=1)
    shares: float = Field(default=1.0, ge=0, allow_inf_nan=False)


class OrganisationShare(_Strict):
    name: str = Field(pattern=NAME)
    shares: float = Field(default=1.0, ge=0, allow_inf_nan=False)
    projects: list[ProjectShare] = Field(default_factory=list)

    @field_validator("projects", mode="before")
    @classmethod
    def _names_alone(cls, value: Any) -> Any:
        """A bare name is a project with 1 share."""
        if isinstance(value, list):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value


class ProgramShare(_Strict):
    name: str = Field(pattern=NAME)
    shares: float = Field(default=1.0, ge=0, allow_inf_nan=False)
    organisations: list[OrganisationShare] = Field(default_factory=list)


class ShareTreeSpec(_Strict):
    half_life_h: float = Field(default=168.0, gt=0, le=MAX_HALF_LIFE_H, allow_inf_nan=False)
    programs: list[ProgramShare] = Field(min_length=1)
    source: str | None = None

    def program_names(self) -> list[str]:
        return [p.name for p in self.programs]


@dataclass(frozen=True, slots=True)
class TreeData:
    """The tree as plain data for the engine: project -> (program, organisation), raw
    shares by node path, the half-life in seconds."""

    paths: Mapping[str, tuple[str, str]]
    shares: Mapping[tuple[str, ...], float]
    half_life_s: float


def tree_problems(spec: ShareTreeSpec) -> list[tuple[Loc, str]]:
    """Duplicate names and a tree with no share at all, with their paths under
    ``share_tree``."""
    found: list[tuple[Loc, str]] = []
    if all(p.shares == 0 for p in spec.programs):
        found.append((("programs",), "every program has 0 shares; give one a share > 0"))
    programs: dict[str, int] = {}
    projects: dict[str, Loc] = {}
    for i, prog in enumerate(spec.programs):
        if prog.name in programs:
            found.append((("programs", i, "name"), f"duplicate program {prog.name!r} "
                          f"(first at programs[{programs[prog.name]}])"))  # fmt: skip
        programs.setdefault(prog.name, i)
        orgs: dict[str, int] = {}
        for j, org in enumerate(prog.organisations):
            if org.name in orgs:
                found.append(
                    (
                        ("programs", i, "organisations", j, "name"),
                        f"duplicate organisation {org.name!r} in program {prog.name!r}",
                    )
                )
            orgs.setdefault(org.name, j)
            for k, entry in enumerate(org.projects):
                name, here = entry.name, ("programs", i, "organisations", j,
                                                    "projects", k)  # fmt: skip
                if name in projects:
                    first = _where(projects[name])
                    found.append((here, f"project {name!r} is already in the tree at {first}"))
                projects.setdefault(name, here)
    return found


def _where(loc: Loc) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def tree_data(spec: ShareTreeSpec, programs_of: Mapping[str, str]) -> TreeData:
    """The tree for the engine; ``programs_of``: each trace project's program (a project
    the tree does not name goes to organisation ``-`` of its program, if declared)."""
    paths: dict[str, tuple[str, str]] = {}
    shares: dict[tuple[str, ...], float] = {}
    declared = set(spec.program_names())
    for prog in spec.programs:
        shares[(prog.name,)] = prog.shares
        for org in prog.organisations:
            shares[(prog.name, org.name)] = org.shares
            for leaf in org.projects:
                paths[leaf.name] = (prog.name, org.name)
                shares[(prog.name, org.name, leaf.name)] = leaf.shares
    for project, program in programs_of.items():
        if project not in paths:
            paths[project] = (program, OUTSIDE) if program in declared else (OUTSIDE, OUTSIDE)
    return TreeData(paths, shares, spec.half_life_h * 3600.0)
