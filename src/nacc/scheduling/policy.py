"""The one policy signature and the registry of built-in policies."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from nacc.domain.errors import UnknownName
from nacc.scheduling.plan import Plan
from nacc.scheduling.view import ClusterView


class Policy(Protocol):
    """A scheduling policy.

    Two declared attributes tell the engine when to call ``plan``:
    ``on_events``: after arrivals and completions (event-driven policies);
    ``round_s``: every ``round_s`` seconds (round-based policies such as Gavel's, or
    periodic re-prioritisation as in Tiresias), while jobs are pending, or also while
    only running jobs remain if ``rounds_when_idle`` (Gavel moves running jobs between
    types). A policy may set both.
    """

    name: str
    round_s: float | None
    on_events: bool
    rounds_when_idle: bool

    def plan(self, view: ClusterView) -> Plan: ...


PolicyFactory = Callable[..., Policy]


class Registry:
    """Name -> factory. No import side effects: built-ins are added by ``builtin_policies``."""

    def __init__(self, kind: str) -> None:
        self._kind = kind
        self._items: dict[str, PolicyFactory] = {}

    def register(self, name: str, factory: PolicyFactory) -> None:
        if name in self._items:
            raise ValueError(f"{self._kind} {name!r} registered twice")
        self._items[name] = factory

    def names(self) -> list[str]:
        return sorted(self._items)

    def create(self, name: str, options: Mapping[str, Any] | None = None) -> Policy:
        try:
            factory = self._items[name]
        except KeyError:
            raise UnknownName(self._kind, name, list(self._items)) from None
        return factory(**dict(options or {}))
