"""The usage report page in a real browser (Debian's Chromium) against a real server, in
Korean and English: an operator sees the credits a real job was charged, grouped, with
the CSV download summing to the same total; a PI is refused. No console errors."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import httpx
import pytest

from nacc.bootstrap import first_operator
from nacc.web import text
from support.waiting import wait_until
from web.world import Portal

LOCALES = {"ko": "ko-KR", "en": "en-US"}


ANSWER_S = 60.0  # httpx's default 5 s timed out with two CPU hogs beside `make test`


def _ran_a_job(portal: Portal) -> Decimal:
    auth = {"Authorization": f"Bearer {portal.pi_token}"}
    job = httpx.post(f"{portal.url}/projects/{portal.project_id}/jobs", headers=auth,
                     json={"command": "sleep 0.6", "accelerators": 1, "job_class": "fine-tuning",
                           "time_limit_s": 60}, timeout=ANSWER_S).json()  # fmt: skip

    def ended() -> bool:
        got = httpx.get(f"{portal.url}/jobs/{job['id']}", headers=auth, timeout=ANSWER_S).json()
        return bool(got["state"] == "completed")

    wait_until(ended, 60, "the job to complete", every=0.2)
    with portal.svc.snapshot() as uow:
        return uow.ledger.metered_by_job()[job["id"]]


def _sign_in(page: Any, url: str, token: str) -> None:
    page.goto(url + "/portal/signin")
    page.fill("#token", token)
    page.click("#signin")
    page.wait_for_url(url + "/")


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_an_operator_reads_usage_and_downloads_csv(browser: Any, portal: Portal,
                                                   lang: str) -> None:  # fmt: skip
    from playwright.sync_api import expect

    charged = _ran_a_job(portal)
    ops = first_operator(portal.svc, "Ops", "ops@portal.example")
    context = browser.new_context(locale=LOCALES[lang])
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    _sign_in(page, portal.url, ops)
    page.goto(f"{portal.url}/portal/reports?by=org&period=all")
    expect(page.locator("h1")).to_have_text(text.say(lang, "reports.title"))
    expect(page.locator("#usage tbody tr")).to_have_count(1)
    expect(page.locator("#usage tbody tr td").nth(1)).to_have_text("KAIST")
    expect(page.locator("#total-credits")).to_have_text(f"{charged:,.3f}")
    expect(page.locator("#waits-size tbody tr td").first).to_have_text("1")
    got = page.request.get(f"{portal.url}/portal/reports.csv?by=org&period=all")
    assert got.status == 200 and got.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(got.text())))
    assert sum(Decimal(r["credits"]) for r in rows) == charged
    assert not problems, problems
    page.goto(f"{portal.url}/portal/reports?by=colour")  # answered 422, with the form
    expect(page.locator("#report-error")).to_contain_text("colour")
    context.close()


def test_a_pi_is_refused_the_report(browser: Any, portal: Portal) -> None:
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    _sign_in(page, portal.url, portal.pi_token)
    answer = page.goto(f"{portal.url}/portal/reports")
    assert answer is not None and answer.status == 403
    context.close()
