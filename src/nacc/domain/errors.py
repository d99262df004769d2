"""Error hierarchy. Every error carries a message a user can act on."""

from __future__ import annotations


class NaccError(Exception):
    """Base of every error nacc raises on purpose."""


class InvalidTransition(NaccError):
    """A job was asked to move between two states the lifecycle does not connect."""


class UnknownName(NaccError):
    """A name (policy, reader, accelerator, ...) is not registered."""

    def __init__(self, kind: str, name: str, known: list[str]) -> None:
        super().__init__(f"unknown {kind} {name!r}; known: {', '.join(sorted(known))}")
        self.kind = kind
        self.name = name
        self.known = sorted(known)


class InputError(NaccError):
    """Bad input: names the source (file:line, field) and what was expected."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


class NotFound(NaccError):
    """An id names nothing the caller may see."""

    def __init__(self, kind: str, ident: object) -> None:
        super().__init__(f"no {kind} with id {ident!r}")
        self.kind = kind
        self.ident = ident


class Unauthorized(NaccError):
    """No valid credentials (missing, unknown, expired or revoked token)."""


class Forbidden(NaccError):
    """Authenticated, but the caller's roles do not allow this."""


class Conflict(NaccError):
    """The request contradicts the current state (e.g. a review outside its window)."""
