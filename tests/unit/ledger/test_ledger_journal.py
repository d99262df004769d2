"""The credit journal with hand-worked numbers."""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest

from nacc.ledger.accounts import (
    FUNDING,
    USAGE,
    Account,
    AccountKind,
    CauseConflict,
    Entry,
    EntryKind,
    InsufficientCredits,
    InvalidEntry,
    Posting,
    credit_sum,
    program,
    project,
    to_credits,
    usage_credits,
)
from nacc.ledger.journal import Journal, usage_cause
from nacc.ledger.metering import credits_for
from nacc.ledger.verify import Reservations, verify

D = Decimal


def funded(budget: str = "100", award: str = "40") -> Journal:
    j = Journal()
    j.fund_program("ai2026", budget, "call:ai2026:budget", at=0)
    j.award("ai2026", "p1", award, "award:17:tranche:1", at=10)
    return j


# ---------------------------------------------------------------- amounts


def test_usage_credits_is_exact_and_matches_the_float_meter() -> None:
    # 4 accelerators × 90 s × 1.5 credits/h = 0.15 credits
    assert usage_credits(4, 90, 1.5) == D("0.15")
    assert float(usage_credits(8, 3600.0, 0.7)) == pytest.approx(credits_for(8, 3600.0, 0.7))
    assert usage_credits(1, 0.1, 1) == D("0.000027778")  # 0.1 / 3600 = 2.7777…e-5


def test_usage_credits_rounds_half_to_even_at_the_nano_credit() -> None:
    # 1 × 0.0000018 s × 1 credit/h = 0.5e-9 credit exactly: a tie, rounds to the even 0
    assert usage_credits(1, D("0.0000018"), 1) == 0
    # 3 × 0.0000018 s = 1.5e-9 credit: the tie rounds to 2e-9
    assert usage_credits(3, D("0.0000018"), 1) == D("2e-9")


def test_per_interval_charges_differ_from_one_interval_by_at_most_half_a_nano_each() -> None:
    parts = [usage_credits(1, 0.1, 1) for _ in range(10)]
    whole = usage_credits(1, 1, 1)
    assert credit_sum(parts) == D("0.00027778")  # 10 × 0.000027778
    assert whole == D("0.000277778")
    assert abs(credit_sum(parts) - whole) <= len(parts) * D("0.5e-9")


def test_amounts_refuse_floats_and_bad_input() -> None:
    with pytest.raises(TypeError):
        to_credits(0.1)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        to_credits("NaN")
    with pytest.raises(ValueError):
        usage_credits(-1, 10, 1)
    assert to_credits("1.0000000004") == D("1")
    assert to_credits("1.0000000005") == D("1")  # half to even
    assert to_credits("1.0000000015") == D("1.000000002")


def test_sums_ignore_a_low_precision_thread_context() -> None:
    j = funded(budget="123456789.123456789", award="0.000000001")
    with localcontext() as ctx:
        ctx.prec = 3
        j.charge_usage("p1", "0.000000001", "job:a:usage:0-1", job="a", at=11)
        assert j.balance(program("ai2026")) == D("123456789.123456788")


def test_accounts_parse_and_print() -> None:
    assert str(project("p1")) == "project:p1"
    assert Account.parse("program:ai2026") == program("ai2026")
    assert Account.parse("usage") == USAGE
    with pytest.raises(ValueError, match="expected program:<id>"):
        Account.parse("wallet:x")
    with pytest.raises(ValueError):
        Account(AccountKind.USAGE, "x")


# ---------------------------------------------------------------- posting


def test_award_then_charge_then_balance() -> None:
    j = funded()
    j.charge_usage(
        "p1", usage_credits(4, 3600, 2), usage_cause("job-a", 0, 3600), job="job-a", at=20
    )
    assert j.balance(program("ai2026")) == D("60")
    assert j.balance(project("p1")) == D("32")
    assert j.balance(USAGE) == D("8")
    assert j.balance(FUNDING) == D("-100")
    assert credit_sum(j.balances().values()) == 0
    assert j.charged("job-a") == D("8")
    assert [e.kind for e in j.entries(project("p1"))] == [EntryKind.AWARD, EntryKind.USAGE]


def test_balance_at_a_time() -> None:
    j = funded()
    j.charge_usage("p1", "5", "job:a:usage:20-30", job="a", at=30)
    assert j.balance(project("p1"), at=9) == 0
    assert j.balance(project("p1"), at=10) == D("40")
    assert j.balance(project("p1"), at=29.5) == D("40")
    assert j.balance(project("p1"), at=30) == D("35")


def test_reposting_the_same_cause_is_a_no_op_returning_the_original() -> None:
    j = funded()
    first = j.charge_usage("p1", "5", "job:a:usage:0-60", job="a", at=60, memo="first try")
    again = j.charge_usage("p1", "5", "job:a:usage:0-60", job="a", at=99, memo="retry")
    assert first.applied and not again.applied
    assert again.entry is first.entry and again.seq == first.seq
    assert j.balance(project("p1")) == D("35")
    assert len(j) == 3
    assert j.by_cause("job:a:usage:0-60") == first.entry


def test_a_different_entry_under_an_existing_cause_is_a_conflict() -> None:
    j = funded()
    j.charge_usage("p1", "5", "job:a:usage:0-60", job="a", at=60)
    with pytest.raises(CauseConflict, match="job:a:usage:0-60"):
        j.charge_usage("p1", "6", "job:a:usage:0-60", job="a", at=60)
    with pytest.raises(CauseConflict):
        j.charge_usage("p2", "5", "job:a:usage:0-60", job="a", at=60)
    assert j.balance(project("p1")) == D("35")


def test_overdraft_refusal_names_the_numbers_and_leaves_the_journal_unchanged() -> None:
    j = funded()
    before = (j.entries(), j.balances())
    with pytest.raises(InsufficientCredits) as err:
        j.charge_usage("p1", "45.5", "job:a:usage:0-60", job="a", at=60)
    assert err.value.shortfall == D("5.5")
    assert err.value.balance == D("40") and err.value.amount == D("45.5")
    assert "40" in str(err.value) and "45.5" in str(err.value) and "5.5" in str(err.value)
    assert (j.entries(), j.balances()) == before
    assert j.by_cause("job:a:usage:0-60") is None
    # a refused cause can be posted later when it fits
    j.set_overdraft(project("p1"), "10")
    assert j.charge_usage("p1", "45.5", "job:a:usage:0-60", job="a", at=60).applied
    assert j.balance(project("p1")) == D("-5.5")


def test_a_back_dated_charge_may_not_dip_below_the_limit_in_time_order() -> None:
    j = funded(award="10")
    j.award("ai2026", "p1", "10", "award:17:tranche:2", at=100)
    # 15 credits fit the balance now (20), but at t=50 only 10 had been awarded
    with pytest.raises(InsufficientCredits, match="short by 5"):
        j.charge_usage("p1", "15", "job:a:usage:0-50", job="a", at=50)
    j.charge_usage("p1", "15", "job:a:usage:100-150", job="a", at=150)
    # and an earlier charge that breaks a later balance is refused too
    with pytest.raises(InsufficientCredits):
        j.charge_usage("p1", "6", "job:b:usage:0-50", job="b", at=50)
    assert verify(j, {"a": D("15")}).ok


def test_an_award_beyond_the_program_budget_is_refused() -> None:
    j = funded(budget="100", award="70")
    with pytest.raises(InsufficientCredits, match="program:ai2026"):
        j.award("ai2026", "p2", "30.000000001", "award:18:tranche:1", at=20)
    j.award("ai2026", "p2", "30", "award:18:tranche:1", at=20)
    assert j.balance(program("ai2026")) == 0
    with pytest.raises(InsufficientCredits, match=r"short by 0\.000000001"):
        j.award("ai2026", "p3", "0.000000001", "award:19:tranche:1", at=21)


def test_refunds_return_credits_but_never_more_than_charged() -> None:
    j = funded()
    j.charge_usage("p1", "8", "job:a:usage:0-60", job="a", at=60)
    j.refund("p1", "3", "job:a:refund:node-failure", job="a", at=70)
    assert j.balance(project("p1")) == D("35") and j.balance(USAGE) == D("5")
    with pytest.raises(InvalidEntry, match="exceeds its charges 5"):
        j.refund("p1", "5.5", "job:a:refund:again", job="a", at=80)
    with pytest.raises(InsufficientCredits, match="usage"):
        j.refund("p1", "6", "goodwill:p1", at=80)
    assert verify(j, {"a": D("8")}).ok


@pytest.mark.parametrize(
    ("postings", "problem"),
    [
        ([(FUNDING, "-5"), (program("x"), "4")], "sum to -1"),
        ([(program("x"), "5")], "1 leg"),
        ([(program("x"), "-5"), (program("x"), "5")], "same account"),
        ([(FUNDING, "-0.0000000001"), (program("x"), "0.0000000001")], "nano-credit"),
    ],
)
def test_malformed_entries_are_refused(postings: list[tuple[Account, str]], problem: str) -> None:
    j = Journal()
    entry = Entry("c", 0.0, tuple(Posting(a, D(x)) for a, x in postings))
    with pytest.raises(InvalidEntry, match=problem):
        j.post(entry)
    assert len(j) == 0 and j.balances() == {}


def test_shaped_kinds_must_move_credits_the_right_way() -> None:
    j = funded()
    backwards = Entry(
        "c", 1.0, (Posting(project("p1"), D(-1)), Posting(program("ai2026"), D(1))), EntryKind.AWARD
    )
    with pytest.raises(InvalidEntry, match="from program to project"):
        j.post(backwards)
    no_job = Entry("u", 1.0, (Posting(project("p1"), D(-1)), Posting(USAGE, D(1))), EntryKind.USAGE)
    with pytest.raises(InvalidEntry, match="name its job"):
        j.post(no_job)
    with pytest.raises(ValueError, match="non-negative"):
        j.charge_usage("p1", "-1", "neg", job="a", at=1)


def test_a_general_transfer_returns_unused_budget() -> None:
    j = funded()
    back = Entry(
        "call:ai2026:close",
        50.0,
        (Posting(program("ai2026"), D(-60)), Posting(FUNDING, D(60))),
        memo="call closed",
    )
    assert j.post(back).applied
    assert j.balance(program("ai2026")) == 0 and j.balance(FUNDING) == D(-40)


def test_usage_cause_format() -> None:
    assert usage_cause("abc", 1700000000, 1700000060.0) == "job:abc:usage:1700000000-1700000060"
    assert usage_cause("abc", 0.5, 1.25) == "job:abc:usage:0.5-1.25"


# ---------------------------------------------------------------- verify


def test_verify_passes_a_sound_journal_and_prints_it() -> None:
    j = funded()
    for k in range(3):
        amount = usage_credits(2, 60, 1.5)
        j.charge_usage("p1", amount, usage_cause("a", 60 * k, 60 * k + 60), job="a", at=60 * k + 60)
    report = verify(j, {"a": credit_sum(usage_credits(2, 60, 1.5) for _ in range(3))})
    assert report.ok, str(report)
    assert report.entries == 5 and report.jobs == 1
    assert "OK" in str(report)


def test_verify_catches_an_unbalanced_entry_injected_in_the_store() -> None:
    sound = funded().entries()
    forged = Entry(
        "award:99:tranche:1",
        20.0,
        (Posting(program("ai2026"), D(-1)), Posting(project("p1"), D(1000))),
        EntryKind.AWARD,
    )
    report = verify(Journal.restore([*sound, forged]), {})
    assert not report.ok
    assert any("sum to 999 credits, not 0" in v.message for v in report.violations)
    assert "FAIL" in str(report)


def test_verify_catches_a_double_cause() -> None:
    j = funded()
    charge = j.charge_usage("p1", "5", "job:a:usage:0-60", job="a", at=60).entry
    report = verify(Journal.restore([*j.entries(), charge]), {"a": D(5)})
    messages = [v.message for v in report.violations]
    assert any("posted 2 times" in m for m in messages)
    assert any("job a: charged 10 credits in 2 interval(s) but metered 5" in m for m in messages)


def test_verify_catches_a_charge_metering_mismatch() -> None:
    j = funded()
    j.charge_usage("p1", "5", "job:a:usage:0-60", job="a", at=60)
    j.charge_usage("p1", "2", "job:b:usage:0-60", job="b", at=60)
    report = verify(j, {"a": D("5.000000001"), "c": D("1")})
    messages = sorted(v.message for v in report.violations)
    assert len(messages) == 3
    assert "undercharged by 0.000000001" in messages[0]
    assert messages[1].startswith("job b: charged 2 credits") and "overcharged by 2" in messages[1]
    assert messages[2].startswith("job c: charged 0 credits")


def test_verify_catches_an_overdraft_in_time_order() -> None:
    j = funded()
    early = Entry(
        "job:a:usage:0-5",
        5.0,
        (Posting(project("p1"), D(-3)), Posting(USAGE, D(3))),
        EntryKind.USAGE,
        job="a",
    )
    report = verify(Journal.restore([*j.entries(), early]), {"a": D(3)})
    assert [v.check for v in report.violations] == [2]
    assert "project:p1 falls to -3 credits at t=5.0" in report.violations[0].message


def test_verify_catches_reservation_books_that_disagree() -> None:
    sound = Reservations("7", D("4.5"), D("4.5"), D(0))
    assert verify(Journal(), {}, [sound]).ok
    drifted = Reservations("8", D(5), D(3), D(0))  # committed more than live jobs hold
    leaked = Reservations("9", D(0), D(0), D("0.25"))  # an ended job still holds credits
    report = verify(Journal(), {}, [sound, drifted, leaked])
    assert [v.check for v in report.violations] == [4, 4]
    text = str(report)
    assert "project:8 has committed 5" in text and "live jobs hold 3" in text
    assert "project:9's ended jobs still hold 0.25" in text
