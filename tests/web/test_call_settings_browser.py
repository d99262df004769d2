"""The program officer edits and closes calls in a real browser against a real server:
from a call's page to its settings, a bad date refused beside its field, an edit saved
(title, budget, closing date), a call with proposals refusing a change of its criteria
(``call_field_locked``), a close, and a second close from a page left open refused
(``call_already_closed``), each message in the visitor's language; both actions in the
audit log. No console errors, no serious axe-core violation. In English on SQLite and
in Korean on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from nacc.domain.reasons import Code, Reason
from nacc.i18n import render
from nacc.service import programs
from nacc.service.call_edits import at
from web.personas import cast
from web.test_personas_browser import Visit
from web.world import Portal


@pytest.mark.parametrize(
    ("portal", "lang"), [("sqlite", "en"), ("postgresql", "ko")], indirect=["portal"]
)  # fmt: skip
def test_the_officer_edits_and_closes_calls(browser: Any, portal: Portal, lang: str) -> None:
    from playwright.sync_api import expect

    c = cast(portal.svc)
    v = Visit(browser, portal, lang, c.officer)
    page = v.go(f"/portal/calls/{c.open_call}/manage")
    v.check()
    page.click("#edit-call")
    expect(page.locator("#call-state .tag")).to_have_text(v.say("edit.state_open"))
    expect(page.locator("#e-title")).to_have_value("2027 상반기 공모")
    v.check()
    page.fill("#e-review_closes_at", "2020-01-01")
    page.click("#save")
    expect(page.locator("#error-review_closes_at")).to_contain_text("review_closes_at")
    expect(page.locator("#e-review_closes_at")).to_have_attribute("aria-invalid", "true")
    v.check()
    later = (portal.svc.clock() + timedelta(days=10)).date().isoformat()
    page.fill("#e-review_closes_at", (portal.svc.clock() + timedelta(days=20)).date().isoformat())
    page.fill("#e-title", "2027 상반기 공모 (연장)")
    page.fill("#e-budget", "6000")
    page.fill("#e-closes_at", later)
    page.click("#save")
    expect(page.locator("#done")).to_have_text(v.say("edit.done_edited"))
    expect(page.locator("h1")).to_contain_text("2027 상반기 공모 (연장)")
    expect(page.locator("#e-closes_at")).to_have_value(f"{later} 00:00")
    stale = v.context.new_page()  # the same settings, left open in a second tab
    stale.goto(page.url)
    page.click("text=" + v.say("edit.back"))
    expect(page.locator("#budget")).to_contain_text("6,000")

    page = v.go(f"/portal/calls/{c.closed_call}/edit")  # closed, with two proposals
    expect(page.locator("#fixed")).to_contain_text(v.say("edit.field_criteria"))
    expect(page.locator("#close-form")).to_have_count(0)
    page.fill("#e-criteria", "novelty:1")
    page.click("#save")
    locked = Reason.of(Code.CALL_FIELD_LOCKED, call=c.closed_call, field="criteria", proposals=2)
    expect(page.locator("#error-criteria")).to_have_text(render(locked, lang))
    v.check()

    page = v.go(f"/portal/calls/{c.open_call}/edit")
    page.click("#close-call")
    expect(page.locator("#done")).to_have_text(v.say("edit.done_closed"))
    expect(page.locator("#call-state .tag")).to_have_text(v.say("edit.state_closed"))
    expect(page.locator("#close-form")).to_have_count(0)
    v.check()
    stale.click("#close-call")  # the call closed meanwhile
    closed_at = at(programs.get_call(portal.svc, c.open_call).closes_at)
    again = Reason.of(Code.CALL_ALREADY_CLOSED, call=c.open_call, closes_at=closed_at)
    expect(stale.locator("#error-close")).to_have_text(render(again, lang))
    v.close()
    with portal.svc.unit() as uow:
        actions = [e.action for e in uow.people.audit_log(5, 0).items]
    assert actions[:2] == ["call.close", "call.edit"]
