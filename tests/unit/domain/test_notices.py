"""The pure rules of notices and the award life cycle (hand-worked values)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from nacc.domain import notices as n

T0 = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)


def test_thresholds_of_released_credits() -> None:
    assert n.thresholds_reached(Decimal(200), Decimal(200)) == []
    assert n.thresholds_reached(Decimal(200), Decimal(101)) == []  # 49.5 % used
    assert n.thresholds_reached(Decimal(200), Decimal(100)) == [50]
    assert n.thresholds_reached(Decimal(200), Decimal(40)) == [50, 80]
    assert n.thresholds_reached(Decimal(200), Decimal(-5)) == [50, 80, 100]  # overdraft
    assert n.thresholds_reached(Decimal(0), Decimal(-5)) == []  # nothing released yet


def test_expiry_warnings_the_tighter_one() -> None:
    end = T0 + timedelta(days=100)
    assert n.expiry_due(end, end - timedelta(days=31)) == []
    assert n.expiry_due(end, end - timedelta(days=30)) == [30]
    assert n.expiry_due(end, end - timedelta(days=7)) == [7]
    assert n.expiry_due(end, end) == []


def test_calendar_months_and_nairr_schedule() -> None:
    assert n.add_months(T0, 1) == datetime(2026, 2, 28, 9, 0, tzinfo=UTC)  # Jan 31 + 1 month
    assert n.add_months(T0, 11) == datetime(2026, 12, 31, 9, 0, tzinfo=UTC)
    assert n.add_months(T0, 13) == datetime(2027, 2, 28, 9, 0, tzinfo=UTC)
    year = n.report_schedule(T0, T0 + timedelta(days=365))
    assert [d.date().isoformat() for d in year] == ["2026-02-28", "2026-04-30", "2026-10-31"]
    assert len(n.report_schedule(T0, T0 + timedelta(days=120))) == 2  # 9 months: past the end


def test_report_states_and_what_blocks_a_tranche() -> None:
    due = T0 + timedelta(days=30)
    r1 = n.Report(1, due, None)
    assert n.report_state(r1, due - timedelta(days=8)) is None
    assert n.report_state(r1, due - timedelta(days=7)) is n.Kind.REPORT_DUE
    assert n.report_state(r1, due) is n.Kind.REPORT_OVERDUE
    assert n.report_state(n.Report(1, due, T0), due + timedelta(days=9)) is None
    r2 = n.Report(2, due + timedelta(days=60), None)
    late = due + timedelta(days=90)
    assert n.blocking_report([r2, r1], 2, late) == r1  # tranche 2 waits for report 1
    assert n.blocking_report([r2, r1], 1, late) is None
    assert n.blocking_report([r2, n.Report(1, due, T0)], 2, late) is None  # report 2: tranche 3
    assert n.blocking_report([r2, n.Report(1, due, T0)], 3, late) == r2


def test_returned_at_expiry_and_retries() -> None:
    assert n.returnable(Decimal(230), Decimal(30)) == Decimal(200)
    assert n.returnable(Decimal(10), Decimal(30)) == Decimal(0)
    waits = [n.retry_after(a) for a in range(1, n.MAX_ATTEMPTS + 1)]
    assert [w.total_seconds() if w else None for w in waits] == [30, 60, 120, 240, 480, None]
    assert n.retry_after(20) is None


def test_signature_is_rfc_4231_hmac_sha256() -> None:
    got = n.signature("Jefe", b"what do ya want for nothing?")  # RFC 4231, test case 2
    assert got == "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
