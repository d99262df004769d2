"""``Journal.opening``: a journal standing at the head of a stored one checks a new entry
by the same rules as the whole journal would (what ``nacc.service.posting`` relies on)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from nacc.ledger.accounts import USAGE, InsufficientCredits, InvalidEntry, project
from nacc.ledger.journal import Journal

P = project("7")
D = Decimal


def test_opening_balances_and_floors_decide_like_the_full_journal() -> None:
    full = Journal({P: D(5)})
    full.fund_program("1", D(10), "fund", at=0)
    full.award("1", "7", D(10), "award", at=0)
    full.charge_usage("7", D(12), "c1", job="j", at=1)
    books = {P: full.balance(P), USAGE: full.balance(USAGE)}
    head = Journal.opening(books, {P: D(5)}, charged={"j": D(12)})
    for journal in (full, head):
        assert journal.charge_usage("7", D(3), "c2", job="j", at=2).applied
        with pytest.raises(InsufficientCredits) as info:
            journal.charge_usage("7", D("0.000000001"), "c3", job="j", at=3)
        assert info.value.shortfall == D("0.000000001")
        with pytest.raises(InvalidEntry, match="exceeds its charges"):
            journal.refund("7", D(16), "r1", at=4, job="j")
        assert journal.refund("7", D(15), "r2", at=4, job="j").applied
        assert journal.balance(P) == D(10) and journal.charged("j") == D(15)


def test_opening_without_floors_takes_usage_already_run() -> None:
    head = Journal.opening({P: D(0)}, {P: None, USAGE: None})
    assert head.charge_usage("7", D(2), "c", job="j", at=0).applied
    assert head.balance(P) == D(-2)
