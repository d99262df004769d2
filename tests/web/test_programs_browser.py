"""The issue-12 pages in a real browser against a real server (live scheduler, real
evaluation jobs), one walk per persona: the PI reads the dataset catalog, sees the
dataset its job names, asks for access to another, submits a challenge entry and is
told when the day's quota resets, and sets its notifications (a webhook without its URL
refused); the officer refuses a request without a reason (refused), approves and then
revokes it, disqualifies an entry (first without a reason: refused) and reruns another's
evaluation, accepts a progress report past due, books a block, is refused an
overlapping one that names it, and cancels it. Every page visited is checked by axe and
for console errors. Korean on SQLite, English on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from support.waiting import wait_until
from web.personas import Cast, cast
from web.programs_cast import Programs, seed
from web.test_personas_browser import Visit
from web.world import Portal


def _pi(browser: Any, portal: Portal, lang: str, p: Programs) -> None:
    from playwright.sync_api import expect

    v = Visit(browser, portal, lang, portal.pi_token)
    page = v.go(f"/portal/projects/{portal.project_id}")
    expect(page.locator("#jobs .job-datasets")).to_have_text(["ko-wiki"])
    page.click(f"a[href='/portal/jobs/{p.job_id}']")
    expect(page.locator("#job-datasets")).to_have_text("ko-wiki")
    page.click("#nav-datasets")
    rows = page.locator("#datasets tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#dataset-kor-med td").nth(1)).to_have_text("3.0 TB")
    expect(page.locator("#dataset-kor-med td").nth(3)).to_have_text(v.say("residency.domestic"))
    v.check()
    page.click("a[href='/portal/datasets/kor-med']")
    expect(page.locator("#sites")).to_have_text("localhost")
    expect(page.locator("#no-accesses")).to_be_visible()
    page.fill("#purpose", "clinical notes")
    page.click("#ask")
    expect(page.locator("#accesses .access-state")).to_have_text([v.say("access.state_requested")])
    page.click("#ask")  # once is enough: the service refuses a second open request
    expect(page.locator("#error-request")).to_contain_text("already")
    v.check()

    page.click("#nav-challenges")
    expect(page.locator(f"#challenge-{p.challenge} .board-link")).to_be_visible()
    v.check()
    page.click(f"#challenge-{p.challenge} .team-link")
    expect(page.locator("#quota")).to_contain_text(v.say("entries.quota_today", used=0, day=1))
    page.fill("#model_ref", "0.8:0.7")
    page.click("#submit-entry")
    expect(page.locator("#entries tbody tr")).to_have_count(1)
    expect(page.locator("#quota")).to_contain_text(v.say("entries.quota_today", used=1, day=1))
    page.fill("#model_ref", "0.9:0.9")
    page.click("#submit-entry")  # one a day: the 429, shown as the time it resets
    expect(page.locator("#error-quota")).to_contain_text("00:00")
    expect(page.locator("#entries tbody tr")).to_have_count(1)
    v.check()

    page.click("#nav-notify")
    page.check("#channel-webhook")
    page.click("#save-notify")
    expect(page.locator("#error-channels")).to_contain_text("webhook_url")
    v.check()
    page.uncheck("#channel-webhook")
    page.check("input[name='kind.job_ended']")
    page.fill("#n-email", "kim@lab.example")
    page.click("#save-notify")
    expect(page.locator("#saved")).to_be_visible()
    expect(page.locator("input[name='kind.job_ended']")).to_be_checked()
    expect(page.locator("#n-email")).to_have_value("kim@lab.example")
    v.check()
    v.close()


def _officer(browser: Any, portal: Portal, lang: str, p: Programs, token: str) -> None:
    from playwright.sync_api import expect

    v = Visit(browser, portal, lang, token)
    page = v.go("/portal/datasets/kor-med")
    row = page.locator("#accesses tbody tr").first
    row.locator("button.refuse").click()  # no reason
    expect(page.locator("#accesses .error")).to_contain_text("reason")
    v.check()
    page.locator("#accesses tbody tr").first.locator("button.approve").click()
    state = page.locator("#accesses .access-state")
    expect(state).to_have_text([v.say("access.state_approved")])
    page.locator("#accesses input[name='reason']").fill("the licence ended")
    page.locator("#accesses button.revoke").click()
    expect(state).to_have_text([v.say("access.state_revoked")])
    expect(page.locator("#accesses")).to_contain_text("the licence ended")
    v.check()

    page.click("#nav-challenges")
    page.click(f"#challenge-{p.challenge} .entries-link")
    entry = page.locator("#entries tbody tr").first
    expect(entry.locator(".entry-state")).to_have_text(v.say("entries.state_scored"))
    entry_id = int((entry.get_attribute("id") or "entry-0")[6:])
    first_job = _job_of(portal, entry_id)
    entry.locator("button.rerun").click()
    wait_until(lambda: _job_of(portal, entry_id) != first_job, what="a new evaluation job")
    page.locator("#entries tbody tr").first.locator("button.disqualify").click()  # no reason
    expect(page.locator(f"#error-entry-{entry_id}")).to_contain_text("reason")
    v.check()
    page.fill(f"#dq-{entry_id}", "trained on the test set")
    page.locator("#entries tbody tr").first.locator("button.disqualify").click()
    expect(page.locator("#entries .entry-state")).to_have_text([v.say("entries.disqualified")])
    v.check()

    page.click("#nav-progress")
    rows = page.locator("#progress-reports tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.locator(".report-state")).to_have_text(v.say("reports_due.state_overdue"))
    v.check()
    page.click(".accept-due")
    expect(page.locator("#no-reports")).to_be_visible()

    page.click("#nav-blocks")
    expect(page.locator("#no-blocks")).to_be_visible()
    v.check()
    start = (portal.svc.clock() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    _book(page, "maintenance-1", "2", start, start + timedelta(hours=1), p.pool)
    expect(page.locator("#blocks tbody tr")).to_have_count(1)
    _book(page, "maintenance-2", "1", start, start + timedelta(hours=2), p.pool)
    expect(page.locator("#error-form")).to_contain_text("maintenance-1")  # the one in the way
    expect(page.locator("#blocks tbody tr")).to_have_count(1)
    v.check()
    page.click(".cancel-block")
    expect(page.locator("#blocks .block-state")).to_have_text([v.say("blocks.cancelled")])
    v.close()


def _book(page: Any, name: str, count: str, start: Any, end: Any, pool: str) -> None:
    page.fill("#b-name", name)
    page.fill("#b-count", count)
    page.fill("#b-start", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#b-end", end.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#b-projects", "1")
    page.select_option("#b-pool", pool)
    page.click("#book")


def _job_of(portal: Portal, entry_id: int) -> str | None:
    with portal.svc.unit() as uow:
        row = uow.challenges.entry(entry_id)
    return None if row is None else row.job_id


@pytest.mark.parametrize(
    ("portal", "lang"), [("sqlite", "ko"), ("postgresql", "en")], indirect=["portal"]
)  # fmt: skip
def test_the_programs_pages(browser: Any, portal: Portal, lang: str, tmp_path: Path) -> None:
    c: Cast = cast(portal.svc)
    p = seed(portal.svc, c, portal.pi_token, portal.project_id, tmp_path)
    _pi(browser, portal, lang, p)
    _officer(browser, portal, lang, p, c.officer)
