"""Schemathesis's own engine (every phase: examples, coverage, fuzzing, stateful; every
check) against a served API as one caller, tallied: requests sent, server errors, and
each failed check with the request that failed it.

``make fuzz`` and the short fuzz in ``make test`` both call ``fuzz``; they differ only
in the number of examples per operation.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import schemathesis
from schemathesis.engine import events, from_schema
from schemathesis.schemas import BaseSchema

ACCEPTED = ["2xx", "401", "402", "403", "404", "409", "422", "429"]
"""What the positive_data_acceptance check takes for schema-valid data: besides 2xx and
what the caller may not do (401, 403, 404), the refusals a schema cannot express: 409
(a state conflict: a call already decided, a review given twice) and 422 (a rule across
fields or rows: a call closing before it opens, an unknown accelerator type, a budget
over the call's) and 402 (the project's credits do not cover the job)."""


@dataclasses.dataclass
class Failure:
    check: str
    operation: str
    title: str
    status: int | None
    request: str

    def __str__(self) -> str:
        return f"{self.check} {self.operation} -> {self.status}: {self.title}\n  {self.request}"


@dataclasses.dataclass
class Tally:
    role: str
    requests: int = 0
    server_errors: int = 0
    statuses: dict[int, int] = dataclasses.field(default_factory=dict)
    failures: list[Failure] = dataclasses.field(default_factory=list)
    errors: list[str] = dataclasses.field(default_factory=list)
    before_revoke: dict[int, int] = dataclasses.field(default_factory=dict)
    """The statuses before the run of ``DELETE /tokens/{id}``, which may revoke the
    caller's own token (every later request of the role is then a 401)."""

    def record(self, db: str) -> dict[str, Any]:
        return {"db": db, "role": self.role, "requests": self.requests,
                "server_errors": self.server_errors, "failed_checks": len(self.failures),
                "engine_errors": len(self.errors),
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())}}  # fmt: skip

    def summary(self) -> str:
        return (
            f"{self.role}: {self.requests} requests, {self.server_errors} server errors, "
            f"{len(self.failures)} failed checks, {len(self.errors)} engine errors"
        )


QUICK_PHASES = {"coverage": {"enabled": False}, "stateful": {"enabled": False}}
"""The short fuzz in ``make test``: explicit examples and random inputs only (the coverage
phase's boundary cases and the stateful phase's sequences are ``make fuzz``'s)."""


def config(examples: int, seed: int, quick: bool, stateful: bool = True) -> schemathesis.Config:
    phases = QUICK_PHASES if quick else {} if stateful else {"stateful": {"enabled": False}}
    data: dict[str, Any] = {
        "seed": seed,
        "generation": {"max-examples": examples, "database": "none"},
        "phases": phases,
        "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
        "request-timeout": 60,
        # Hypothesis's timing check: on a busy machine generation is slow, not wrong
        "suppress-health-check": ["too_slow"],
    }
    return schemathesis.Config.from_dict(data)


_schemas: dict[tuple[str, int, int, bool, bool], BaseSchema] = {}
"""One loaded schema per served API and settings, shared by every role's run: building
the operations' input strategies is most of a short fuzz's cost (about 8 s a role on a
busy machine, 1 s once built), and a role's run changes only the caller's header."""


def _schema(url: str, examples: int, seed: int, quick: bool, stateful: bool = True) -> BaseSchema:
    key = (url, examples, seed, quick, stateful)
    if key not in _schemas:
        found = config(examples, seed, quick, stateful)
        _schemas[key] = schemathesis.openapi.from_url(f"{url}/openapi.json", config=found)
    return _schemas[key]


def _record(tally: Tally, recorder: Any) -> None:
    for case_id, interaction in recorder.interactions.items():
        tally.requests += 1
        status = None if interaction.response is None else interaction.response.status_code
        if status is not None:
            tally.statuses[status] = tally.statuses.get(status, 0) + 1
            tally.server_errors += status >= 500
        for check in recorder.checks.get(case_id, []):
            info = check.failure_info
            if info is None:
                continue
            req, failure = interaction.request, info.failure
            sent = f"{req.method} {req.uri} {_body(req)}"
            tally.failures.append(
                Failure(check.name, str(failure.operation), failure.title, status, sent)
            )


def _body(request: Any) -> str:
    body = request.body
    if body is None:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    return text if len(text) <= 300 else text[:300] + "..."


def fuzz(
    url: str, role: str, token: str | None, examples: int, seed: int = 0, quick: bool = False
) -> Tally:
    """Run every check (and every phase unless ``quick``) against ``url`` as ``role``
    (``token`` None: anonymous), ``examples`` generated inputs per operation and phase."""
    # a fuzzed token id can be the caller's own: revoking it last keeps the role's run whole
    # (alone, the operation has no links to follow: no stateful phase for it)
    revoke = {"method": "DELETE", "path": "/tokens/{token_id}"}
    tally = Tally(role)
    for stateful in (True, False):
        schema = _schema(url, examples, seed, quick, stateful)
        # replaced, not merged (``config.update`` merges): the anonymous run sends no token
        schema.config.headers = None if token is None else {"Authorization": f"Bearer {token}"}
        if stateful:
            _run(schema.exclude(**revoke), tally)
            tally.before_revoke = dict(tally.statuses)
        else:
            _run(schema.include(**revoke), tally)
    return tally


def _run(schema: Any, tally: Tally) -> None:
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            _record(tally, event.recorder)
        elif isinstance(event, events.NonFatalError | events.FatalError):
            what = getattr(event, "value", getattr(event, "exception", ""))
            tally.errors.append(f"{type(event).__name__}: {getattr(event, 'label', '')} {what}")
