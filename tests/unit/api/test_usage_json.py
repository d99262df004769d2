"""``GET /reports/usage`` writes its rows itself (``usage_json``): the same document the
model would write, and one the model accepts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from nacc.api.routes.reports import UsageOut, UsageRowOut, usage_json
from nacc.service.reports_usage import UsageReport, UsageRow


def _report() -> UsageReport:
    rows = (
        UsageRow("2026-12-01", ("한국과학기술원 \"KAIST\"", "H100-SXM"), Decimal("1.250000000"),
                 1.2500004999, 3),
        UsageRow("2026-12-01", ("Naver\\Cloud", "RNGD"), Decimal("0E-9"), 1e-7, 1),
        UsageRow("2026-12-02", ("-", "B200"), Decimal("123456789.123456789"), 36000.0, 12),
    )  # fmt: skip
    return UsageReport(("org", "type"), "day", datetime(2026, 12, 1, tzinfo=UTC), None, rows,
                       sum((r.credits for r in rows), Decimal(0)),
                       sum(r.accelerator_hours for r in rows))  # fmt: skip


def test_the_rows_written_by_hand_are_the_models_document() -> None:
    r = _report()
    model = UsageOut(
        by=list(r.by), period=r.period, since=r.since, until=r.until,
        rows=[UsageRowOut(period=x.period, group=dict(zip(r.by, x.group, strict=True)),
                          credits=x.credits, accelerator_hours=round(x.accelerator_hours, 6),
                          jobs=x.jobs) for x in r.rows],
        total_credits=r.total_credits,
        total_accelerator_hours=round(r.total_accelerator_hours, 6),
    )  # fmt: skip
    text = usage_json(r)
    assert json.loads(text) == json.loads(model.model_dump_json())
    assert UsageOut.model_validate_json(text) == model
    assert '"credits":"0E-9"' in text and '"since":"2026-12-01T00:00:00Z"' in text


def test_an_empty_report_has_no_rows() -> None:
    r = UsageReport(("program",), "all", None, None, (), Decimal(0), 0.0)
    assert json.loads(usage_json(r)) == {
        "by": ["program"], "period": "all", "since": None, "until": None, "rows": [],
        "total_credits": "0", "total_accelerator_hours": 0.0,
    }  # fmt: skip
