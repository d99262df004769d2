"""Error hierarchy. Every error carries a message a user can act on.

Each error also carries a stable ``code`` (a ``nacc.domain.reasons.Code``) and its
``params``, so the API can answer in the caller's language (problem+json ``code``,
``params``, a localised ``detail``) while ``str(error)`` stays English for logs and tests.
A class sets its default code (whose only parameter is ``message``, the English text); a
raise site may name a more precise code with that code's parameters (docs/reasons.md):
``Forbidden("needs role operator; kim has none of them", code=Code.ROLE_REQUIRED,
params={"roles": "operator", "name": "kim"})``.
"""

from __future__ import annotations

from collections.abc import Mapping

from nacc.domain.reasons import Code, Param, Reason


def plain(value: object) -> Param:
    """``value`` as a parameter that survives JSON unchanged (else its text)."""
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


class NaccError(Exception):
    """Base of every error nacc raises on purpose."""

    code: str = Code.ERROR

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        if code is not None:
            self.code = str(code)
        if params is None:  # a named code takes its own params; the class code, the message
            params = {} if code is not None else {"message": message}
        self.params: dict[str, Param] = {k: plain(v) for k, v in params.items()}

    @property
    def reason(self) -> Reason:
        """The code and parameters, to render in any language (``nacc.i18n.render``)."""
        return Reason.of(self.code, **self.params)


class InvalidTransition(NaccError):
    """A job was asked to move between two states the lifecycle does not connect."""

    code = Code.INVALID_TRANSITION


class UnknownName(NaccError):
    """A name (policy, reader, accelerator, ...) is not registered."""

    code = Code.UNKNOWN_NAME

    def __init__(self, kind: str, name: str, known: list[str]) -> None:
        listed = ", ".join(sorted(known))
        super().__init__(
            f"unknown {kind} {name!r}; known: {listed}",
            params={"kind": kind, "name": name, "known": listed},
        )
        self.kind = kind
        self.name = name
        self.known = sorted(known)


class InputError(NaccError):
    """Bad input: names the source (file:line, field) and what was expected."""

    code = Code.INPUT_INVALID

    def __init__(self, where: str, problem: str, *, code: str | None = None) -> None:
        super().__init__(
            f"{where}: {problem}", code=code, params={"field": where, "problem": problem}
        )
        self.where = where
        self.problem = problem


class NotFound(NaccError):
    """An id names nothing the caller may see."""

    code = Code.NOT_FOUND

    def __init__(self, kind: str, ident: object) -> None:
        super().__init__(f"no {kind} with id {ident!r}", params={"kind": kind, "id": ident})
        self.kind = kind
        self.ident = ident


class Unauthorized(NaccError):
    """No valid credentials (missing, unknown, expired or revoked token)."""

    code = Code.UNAUTHORIZED


class Forbidden(NaccError):
    """Authenticated, but the caller's roles do not allow this."""

    code = Code.FORBIDDEN


class Conflict(NaccError):
    """The request contradicts the current state (e.g. a review outside its window)."""

    code = Code.CONFLICT
