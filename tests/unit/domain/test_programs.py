"""Program rules: scores, conflicts of interest, eligibility, decisions, tranches."""

from __future__ import annotations

from decimal import Decimal

import pytest

from nacc.domain.errors import InputError
from nacc.domain.programs import (
    Candidate,
    Criterion,
    OrgKind,
    conflict_of_interest,
    decide,
    eligible,
    tranches,
    weighted_score,
)
from nacc.domain.reasons import Code, Reason

CRITERIA = [Criterion("merit", 3), Criterion("feasibility", 1)]


def test_weighted_score_hand_value() -> None:
    assert weighted_score(CRITERIA, {"merit": 8, "feasibility": 4}) == pytest.approx(7.0)


@pytest.mark.parametrize(
    ("scores", "field"),
    [({"merit": 8}, "scores"), ({"merit": 8, "feasibility": 11}, "scores.feasibility")],
    ids=["missing criterion", "out of range"],
)
def test_weighted_score_rejects_bad_scores(scores: dict[str, float], field: str) -> None:
    with pytest.raises(InputError) as err:
        weighted_score(CRITERIA, scores)
    assert err.value.where == field


def test_conflicts_of_interest() -> None:
    assert conflict_of_interest("r1", "kaist", "snu", ["u1", "u2"]) is None
    assert "organisation" in (conflict_of_interest("r1", "snu", "snu", ["u1"]) or "")
    assert "team" in (conflict_of_interest("u1", "kaist", "snu", ["u1"]) or "")


def test_eligibility() -> None:
    assert eligible([OrgKind.UNIVERSITY], OrgKind.UNIVERSITY) is None
    assert "company" in (eligible([OrgKind.UNIVERSITY], OrgKind.COMPANY) or "")
    assert eligible([], OrgKind.COMPANY) is None


def test_decide_ranks_within_budget_and_minimum() -> None:
    cands = [
        Candidate("a", 8.0, Decimal(600)),
        Candidate("b", 9.0, Decimal(300)),
        Candidate("c", 7.5, Decimal(200)),
        Candidate("d", 4.0, Decimal(10)),
        Candidate("e", None, Decimal(10)),
    ]
    got = {d.proposal_id: d for d in decide(cands, Decimal(1000), min_score=5.0)}
    assert [got[p].awarded for p in "abcde"] == [True, True, False, False, False]
    # reasons are codes with parameters (text only at the edge, in the reader's language)
    assert got["b"].reason == Reason.of(Code.DECISION_RANKED, rank=1, score="9.00")
    assert got["c"].reason == Reason.of(Code.DECISION_BUDGET_EXHAUSTED, requested="200",
                                        left="100")  # fmt: skip
    assert got["d"].reason == Reason.of(Code.DECISION_BELOW_MINIMUM, score="4.00", minimum="5")
    assert got["e"].reason == Reason.of(Code.DECISION_NOT_REVIEWED)
    assert got["b"].rank == 1


def test_override_is_recorded_and_uses_budget() -> None:
    cands = [Candidate("a", 9.0, Decimal(600)), Candidate("b", 3.0, Decimal(500))]
    got = decide(cands, Decimal(1000), 5.0, {"b": (True, "strategic national need")})
    by = {d.proposal_id: d for d in got}
    assert by["b"].awarded
    assert by["b"].reason == Reason.of(Code.DECISION_OVERRIDE, message="strategic national need")
    assert not by["a"].awarded  # the override took the budget first


def test_tranches_split_exactly() -> None:
    assert tranches(Decimal(1001)) == [Decimal("500.500000000"), Decimal("500.500000000")]
    assert sum(tranches(Decimal("0.000000003"))) == Decimal("0.000000003")
    assert tranches(Decimal(10), Decimal(1)) == [Decimal(10)]
