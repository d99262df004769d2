"""Long lists come a page at a time (issue 10's benchmark: 1,000 users, 1,000 jobs on a
project): the operator's people page shows 50 users and links to the next page, in
Korean and English, in a real browser; axe finds nothing serious; no console errors."""

from __future__ import annotations

from typing import Any

import pytest

from nacc.bootstrap import first_operator
from nacc.web import text
from web.axe import serious_violations
from web.world import Portal

LOCALES = {"ko": "ko-KR", "en": "en-US"}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_people_come_fifty_to_a_page(browser: Any, portal: Portal, lang: str) -> None:
    from playwright.sync_api import expect

    ops = first_operator(portal.svc, "Ops", "ops@portal.example")
    now = portal.svc.clock()
    with portal.svc.unit() as uow:
        for n in range(58):  # with the PI and the operator: 60 users, two pages
            uow.people.create_user(f"user {n}", f"u{n}@paging.example", now, None)
    context = browser.new_context(locale=LOCALES[lang])
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(portal.url + "/portal/signin")
    page.fill("#token", ops)
    page.click("#signin")
    page.wait_for_url(portal.url + "/")
    page.goto(portal.url + "/portal/people")
    expect(page.locator("#users tbody tr")).to_have_count(50)
    pager = page.locator("nav.pager")
    expect(pager).to_contain_text(text.say(lang, "pager.at", page=1, pages=2, total=60))
    assert serious_violations(page) == []
    pager.locator("a[rel=next]").click()
    page.wait_for_url(portal.url + "/portal/people?page=2")
    expect(page.locator("#users tbody tr")).to_have_count(10)
    expect(page.locator("nav.pager a[rel=prev]")).to_be_visible()
    page.goto(portal.url + "/portal/people?page=x")  # not a page number: the first
    expect(page.locator("#users tbody tr")).to_have_count(50)
    assert not problems, problems
    context.close()


def test_usage_rows_come_a_page_at_a_time(browser: Any, portal: Portal,
                                          monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """The report page shows ``ROWS`` usage rows a page; the pager keeps the report's
    query; the totals are of every row on every page."""
    from datetime import timedelta
    from decimal import Decimal

    from playwright.sync_api import expect

    from nacc.ports.store_jobs import NewJob, UsageView
    from nacc.web import reports

    monkeypatch.setattr(reports, "ROWS", 2)
    ops = first_operator(portal.svc, "Ops", "ops@portal.example")
    now = portal.svc.clock()
    with portal.svc.unit() as uow:
        pi = uow.people.user_by_email("pi@kaist.example")
        assert pi is not None
        # 64 accelerators: more than the portal has, so it never starts and adds no usage
        uow.jobs.create(NewJob("j-paged", portal.project_id, pi.id, "true", 64, "fine-tuning",
                               time_limit_s=60), now)  # fmt: skip
        for day in range(3):  # three days: three rows by type and day
            at = now - timedelta(days=day + 1)
            uow.ledger.record_usage(UsageView("j-paged", at, at + timedelta(minutes=30),
                                              "H100-SXM", 1, Decimal("0.5")))  # fmt: skip
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(portal.url + "/portal/signin")
    page.fill("#token", ops)
    page.click("#signin")
    page.wait_for_url(portal.url + "/")
    page.goto(portal.url + "/portal/reports?by=type&period=day")
    expect(page.locator("#usage tbody tr")).to_have_count(2)
    expect(page.locator("#total-credits")).to_have_text("1.500")
    expect(page.locator("nav.pager")).to_contain_text(
        text.say("en", "pager.at", page=1, pages=2, total=3))  # fmt: skip
    page.locator("nav.pager a[rel=next]").click()
    page.wait_for_url(portal.url + "/portal/reports?by=type&period=day&page=2")
    expect(page.locator("#usage tbody tr")).to_have_count(1)
    expect(page.locator("#total-credits")).to_have_text("1.500")
    context.close()
