"""Zero server errors under fuzzing (issue 11): schemathesis against the served API as
every role, on SQLite and PostgreSQL; every check must pass.

``make test`` runs the short fuzz (``test_short_fuzz``: a few random inputs per
operation, every role). ``make fuzz`` sets ``NACC_FUZZ_EXAMPLES`` and runs the long one
(``test_fuzz``: every phase, that many inputs per operation and phase, one test per role)
and records each tally in ``NACC_FUZZ_RECORD`` (JSON lines); ``NACC_FUZZ_SEED`` picks
another seed. docs/reliability.md has its figures.
"""

from __future__ import annotations

import json
import os

import pytest
from fuzzer import Tally, fuzz
from world import ROLES, Served

EXAMPLES = int(os.environ.get("NACC_FUZZ_EXAMPLES", "0"))
RECORD = os.environ.get("NACC_FUZZ_RECORD")
SEED = int(os.environ.get("NACC_FUZZ_SEED", "0"))
SHORT_EXAMPLES = 1
SHORT_ROLES = {
    "sqlite": ("operator", "reviewer", "member"),
    "postgresql": ("operator", "program_officer", "pi", "anonymous"),
}
assert {r for roles in SHORT_ROLES.values() for r in roles} == set(ROLES)


def _verdict(served: Served, tally: Tally) -> None:
    print(f"fuzz {served.db} {tally.summary()}")
    if RECORD:
        with open(RECORD, "a") as out:
            out.write(json.dumps(tally.record(served.db)) + "\n")
    shown = "\n".join(str(f) for f in tally.failures[:20])
    assert tally.requests > 0
    assert tally.server_errors == 0, shown
    assert not tally.failures, shown
    assert not tally.errors, "\n".join(tally.errors[:20])


@pytest.mark.slow  # six roles' fuzz of a served API: 10-60 s
@pytest.mark.skipif(EXAMPLES > 0, reason="make fuzz runs the long fuzz instead")
def test_short_fuzz(served: Served) -> None:
    # The operator reaches every route, so it fuzzes both databases; the other roles are
    # split between them (each role and each database is fuzzed; make fuzz runs every
    # role on both). The short fuzz was make test's costliest test (172 s of 1,166).
    for role in SHORT_ROLES[served.db]:
        tally = fuzz(served.url, role, served.tokens[role], SHORT_EXAMPLES, quick=True)
        _verdict(served, tally)
        # the roles share one loaded schema; each run sent its own caller's token (or none):
        # only a caller creates anything (201); the anonymous one reads public routes at most
        # (401s are expected of every role: the bearer scheme is declared, and schemathesis
        # checks that a request without it is refused)
        said = tally.before_revoke
        assert (201 in said) == (role != "anonymous"), (role, said)
        # (the public challenge reads also answer 404 for an unknown id, 422 for a bad one)
        assert role != "anonymous" or set(said) <= {200, 401, 404, 422}, said


@pytest.mark.skipif(EXAMPLES == 0, reason="the long fuzz: make fuzz (NACC_FUZZ_EXAMPLES)")
@pytest.mark.parametrize("role", ROLES)
def test_fuzz(served: Served, role: str) -> None:
    _verdict(served, fuzz(served.url, role, served.tokens[role], EXAMPLES, seed=SEED))
