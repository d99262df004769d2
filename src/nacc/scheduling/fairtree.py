"""Hierarchical fair share, in the manner of Slurm's Fair Tree: program -> organisation ->
project.

Each node of the tree has raw shares; its *share* ``S`` is its raw shares over those of
itself and its siblings, and its *usage* ``U`` its decayed usage (its subtree's) over that of
itself and its siblings. Its level fair share is ``LF = S / U`` (infinite where ``U`` is 0,
zero where ``S`` is 0). Walking the tree depth first, siblings in decreasing ``LF`` order,
gives the projects (the leaves) a rank: the first leaf reached ranks highest. A project's
fair-share factor is its rank over the number of projects, in ``(0, 1]``.

So a program under its share ranks all of its projects above every project of a program
over its share, and inside a program a heavy organisation's projects rank below a light
one's, whatever the projects' own usage: a heavy organisation cannot crowd out the others
of its program. Siblings with equal ``LF`` are taken together, as Slurm does: tied projects
get the same rank, and the children of tied accounts are merged and ranked as one group
(so at start, with no usage anywhere, every project has factor 1).

``effective_share`` (the product of ``S`` down the path) is each project's target share of
the whole fleet, for policies that price usage against a flat share.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

TIE = 1e-9  # relative: level fair shares this close are a tie


@dataclass(frozen=True, slots=True)
class Path:
    """Where a project sits: its program and organisation (names)."""

    program: str
    organisation: str


@dataclass(slots=True)
class _Node:
    name: str
    raw: float
    children: list[_Node] = field(default_factory=list)
    usage: float = 0.0
    share: float = 0.0  # S: of its siblings
    used: float = 0.0  # U: of its siblings
    level: float = 0.0  # LF = S / U
    project: str | None = None  # leaves only


@dataclass(frozen=True, slots=True)
class ShareRow:
    """One node of ``nacc shares``: depth 0 program, 1 organisation, 2 project."""

    depth: int
    name: str
    raw_shares: float
    norm_shares: float
    effective_share: float
    usage: float
    norm_usage: float
    level_fs: float
    factor: float | None  # projects only
    project: str | None = None


@dataclass(frozen=True, slots=True)
class FairShare:
    """The answer: each project's factor and target share, and the rows of the tree."""

    factor: Mapping[str, float]
    effective_share: Mapping[str, float]
    rows: Sequence[ShareRow]


def fair_tree(
    paths: Mapping[str, Path],
    usage: Mapping[str, float],
    shares: Mapping[tuple[str, ...], float] | None = None,
) -> FairShare:
    """Fair Tree over the projects in ``paths`` (project -> program and organisation).

    ``usage``: decayed usage per project (missing: 0). ``shares``: raw shares by node path,
    ``(program,)``, ``(program, organisation)`` or ``(program, organisation, project)``;
    a node not named has 1 (Slurm's default), so siblings share equally."""
    given = shares or {}
    root = _Node("", 1.0)
    programs: dict[str, _Node] = {}
    orgs: dict[tuple[str, str], _Node] = {}
    for project in sorted(paths):
        p = paths[project]
        prog = programs.get(p.program)
        if prog is None:
            prog = programs[p.program] = _Node(p.program, _raw(given, (p.program,)))
            root.children.append(prog)
        key = (p.program, p.organisation)
        org = orgs.get(key)
        if org is None:
            org = orgs[key] = _Node(p.organisation, _raw(given, key))
            prog.children.append(org)
        org.children.append(_Node(project, _raw(given, (*key, project)),
                                  usage=max(0.0, float(usage.get(project, 0.0))),
                                  project=project))  # fmt: skip
    _sum_usage(root)
    _levels(root)
    factor: dict[str, float] = {}
    _rank(root.children, [len(paths)], factor, len(paths))
    effective: dict[str, float] = {}
    rows: list[ShareRow] = []
    _rows(root, 1.0, -1, factor, effective, rows)
    return FairShare(factor, effective, rows)


def _raw(given: Mapping[tuple[str, ...], float], key: tuple[str, ...]) -> float:
    value = float(given.get(key, 1.0))
    if not value >= 0.0:
        raise ValueError(f"shares of {'/'.join(key)}: expected a number >= 0, got {value}")
    return value


def _sum_usage(node: _Node) -> float:
    if node.children:
        node.usage = sum(_sum_usage(c) for c in node.children)
    return node.usage


def _levels(node: _Node) -> None:
    raw = sum(c.raw for c in node.children)
    used = sum(c.usage for c in node.children)
    for c in node.children:
        c.share = c.raw / raw if raw > 0 else 0.0
        c.used = c.usage / used if used > 0 else 0.0
        if c.share == 0.0:
            c.level = 0.0
        else:
            c.level = float("inf") if c.used == 0.0 else c.share / c.used
        _levels(c)


def _tied(a: float, b: float) -> bool:
    if a == b:
        return True
    if a == float("inf") or b == float("inf"):
        return False
    return abs(a - b) <= TIE * max(abs(a), abs(b))


def _rank(nodes: list[_Node], next_rank: list[int], out: dict[str, float], n: int) -> None:
    """Rank the leaves under ``nodes`` (siblings, or tied accounts' merged children)."""
    order = sorted(nodes, key=lambda c: (-c.level, c.name))
    i = 0
    while i < len(order):
        j = i + 1
        while j < len(order) and _tied(order[j].level, order[i].level):
            j += 1
        group = order[i:j]
        leaves = [c for c in group if c.project is not None]
        for leaf in leaves:
            out[leaf.project] = next_rank[0] / n  # type: ignore[index]
        next_rank[0] -= len(leaves)
        merged = [child for c in group if c.project is None for child in c.children]
        if merged:
            _rank(merged, next_rank, out, n)
        i = j


def _rows(node: _Node, effective: float, depth: int, factor: Mapping[str, float],
          shares: dict[str, float], rows: list[ShareRow]) -> None:  # fmt: skip
    for c in node.children:
        eff = effective * c.share
        if c.project is not None:
            shares[c.project] = eff
        rows.append(ShareRow(depth + 1, c.name, c.raw, c.share, eff, c.usage, c.used, c.level,
                             factor.get(c.project) if c.project else None, c.project))  # fmt: skip
        _rows(c, eff, depth + 1, factor, shares, rows)
