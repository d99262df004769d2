"""Usage reports over HTTP after real jobs ran (SQLite and PostgreSQL): the report's sums
equal the ledger's usage that ``ledger verify`` proves."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from jobsetup import funded_project
from jobsetup import submit_job as _submit
from jobsetup import wait_job as _wait

from conftest import Api
from nacc.service.reports import verify_ledger


def test_usage_report_sums_equal_the_verified_ledger(live_api: Api) -> None:
    a = funded_project(live_api.svc, org_name="KAIST")
    b = funded_project(live_api.svc, org_name="Naver", who="b-")
    ran = [
        _submit(live_api, a.pi, a.project_id, command="sleep 0.6", accelerators=2,
                accelerator_types=["H100-SXM"]).json(),
        _submit(live_api, b.pi, b.project_id, command="sleep 0.6",
                accelerator_types=["RNGD"], job_class="inference").json(),
    ]  # fmt: skip
    for job, token in zip(ran, (a.pi, b.pi), strict=True):
        assert _wait(live_api, token, job["id"], {"completed"})["state"] == "completed"
    ops = live_api.as_(live_api.operator)
    got = live_api.client.get("/reports/usage", params={"by": "project,type", "period": "day"},
                              headers=ops)  # fmt: skip
    assert got.status_code == 200, got.text
    body = got.json()
    with live_api.svc.snapshot() as uow:
        metered = uow.ledger.metered_by_job()
        usage_account = uow.ledger.balance("usage")
    assert verify_ledger(live_api.svc).ok
    total = Decimal(body["total_credits"])
    assert total == sum(metered.values()) == usage_account > 0
    by_type = {r["group"]["type"]: Decimal(r["credits"]) for r in body["rows"]}
    assert set(by_type) == {"H100-SXM", "RNGD"}
    assert by_type["H100-SXM"] == metered[ran[0]["id"]]
    assert by_type["RNGD"] == metered[ran[1]["id"]]
    assert sum(r["jobs"] for r in body["rows"]) == 2
    # 2 accelerators for about 0.6 s: accelerator-hours follow the intervals' spans
    h100 = next(r for r in body["rows"] if r["group"]["type"] == "H100-SXM")
    assert 2 * 0.5 / 3600 < h100["accelerator_hours"] < 2 * 5 / 3600
    # the CSV has the same rows and sums to the same total
    text = live_api.client.get("/reports/usage", headers=ops,
                               params={"by": "org", "period": "all", "format": "csv"})  # fmt: skip
    assert text.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(text.text)))
    assert list(rows[0]) == ["period", "org", "credits", "accelerator_hours", "jobs"]
    assert sum(Decimal(r["credits"]) for r in rows) == total
    waits = live_api.client.get("/reports/waits", params={"by": "size"}, headers=ops).json()
    assert {r["group"]: r["jobs"] for r in waits["rows"]} == {"1": 1, "2-8": 1}
    assert all(0 <= r["p50_s"] <= r["p99_s"] <= r["max_s"] for r in waits["rows"])


def test_usage_report_refuses_pis_and_unknown_dimensions(api: Api) -> None:
    f = funded_project(api.svc)
    assert api.client.get("/reports/usage", headers=api.as_(f.pi)).status_code == 403
    bad = api.client.get("/reports/usage", params={"by": "colour"},
                         headers={**api.as_(api.operator), "Accept-Language": "en"})  # fmt: skip
    assert bad.status_code == 422
    assert "colour" in bad.text and "org_kind" in bad.text


def test_report_times_are_iso_text_and_every_answer_is_documented(api: Api) -> None:
    """Found by `make fuzz`: ``until=0.5`` was read as a time (seconds after 1970), the
    CSV answers and the 404 of /history for a project that is not there were undocumented."""
    ops = api.as_(api.operator)
    for path in ("/reports/usage", "/reports/waits"):
        bad = api.client.get(path, params={"until": "0.5"}, headers=ops)
        assert bad.status_code == 422 and "until" in bad.text, bad.text
        good = api.client.get(path, params={"until": "2026-12-01T00:00:00Z", "format": "csv"},
                              headers=ops)  # fmt: skip
        assert good.status_code == 200 and good.headers["content-type"].startswith("text/csv")
    assert api.client.get("/history", params={"project": 13315}, headers=ops).status_code == 404
    spec = api.client.get("/openapi.json").json()["paths"]
    for path in ("/reports/usage", "/reports/waits"):
        assert "text/csv" in spec[path]["get"]["responses"]["200"]["content"]
    assert "404" in spec["/history"]["get"]["responses"]
