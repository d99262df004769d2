"""The reviewer's, the program officer's, the operator's and the PI's further pages in a
real browser against a real server, each persona's main flow end to end: a PI applies to
an open call and sees the burn-down; a reviewer scores a blind proposal (no names shown)
and declares a conflict on another; an officer creates a program, opens a call, assigns
a reviewer, previews a decision with an override and its reason, decides and releases the
next tranche; an operator reads the fleet, grants a role, issues and revokes a token.
No console errors, and no serious axe-core violation on any page visited. Once in English
on SQLite and once in Korean on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from nacc.web import text
from web.axe import serious_violations
from web.personas import Cast, cast
from web.world import Portal

LOCALES = {"ko": "ko-KR", "en": "en-US"}
WAIT_MS = 30_000  # only bounds a failing run


class Visit:
    """One persona's browser context: console errors and axe findings of every page."""

    def __init__(self, browser: Any, portal: Portal, lang: str, token: str) -> None:
        from playwright.sync_api import expect

        expect.set_options(timeout=WAIT_MS)
        self.lang, self.url = lang, portal.url
        self.context = browser.new_context(
            locale=LOCALES[lang], viewport={"width": 1000, "height": 800}
        )
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on(
            "console", lambda m: self.problems.append(m.text) if m.type == "error" else None
        )
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))
        self.page.goto(portal.url + "/portal/signin")
        self.page.fill("#token", token)
        self.page.click("#signin")
        expect(self.page.locator("h1")).to_have_text(self.say("projects.title"))

    def say(self, key: str, **params: object) -> str:
        return text.say(self.lang, key, **params)

    def go(self, path: str) -> Any:
        self.page.goto(self.url + path)
        return self.page

    def check(self) -> None:
        """The page as it is now: no serious accessibility violation."""
        found = serious_violations(self.page)
        assert not found, (self.page.url, found)

    def close(self) -> None:
        assert not self.problems, self.problems
        self.context.close()


def _pi(browser: Any, portal: Portal, lang: str, c: Cast) -> None:
    from playwright.sync_api import expect

    v = Visit(browser, portal, lang, portal.pi_token)
    page = v.go(f"/portal/projects/{portal.project_id}")
    expect(page.locator("#burndown-chart")).to_have_attribute("data-drawn", "1")
    expect(page.locator("#validity")).to_contain_text(v.say("burn.expires", date="", days="")[:4])
    v.check()
    page.click("#nav-calls")
    expect(page.locator(f"#open-call-{c.open_call}")).to_be_visible()
    expect(page.locator(f"#open-call-{c.closed_call} .mine tbody tr")).to_have_count(1)
    v.check()
    page.click(f"#open-call-{c.open_call} a.button")
    page.fill("#requested_credits", "-5")
    page.click("#apply")  # nothing else typed
    expect(page.locator("#error-title")).to_have_text(v.say("form.required"))
    expect(page.locator("#error-requested_credits")).to_have_text(v.say("form.positive_number"))
    expect(page.locator("#error-job_classes")).to_have_text(v.say("form.pick_one"))
    v.check()
    page.fill("#title", "멀티모달 사전학습")
    page.fill("#abstract", "a proposal typed in the portal")
    page.fill("#requested_credits", "9999")  # more than the call's budget: the service says
    page.check("input[name='class.fine-tuning']")
    page.click("#apply")
    expect(page.locator("#error-requested_credits")).to_contain_text("5000")
    page.fill("#requested_credits", "1200")
    page.click("#apply")
    mine = page.locator(f"#open-call-{c.open_call} .mine tbody tr")
    expect(mine).to_have_count(1)
    expect(mine.locator("td").nth(2)).to_have_text(v.say("status.submitted"))
    v.close()


def _reviewer(browser: Any, portal: Portal, lang: str, c: Cast) -> None:
    from playwright.sync_api import expect

    v = Visit(browser, portal, lang, c.reviewer)
    page = v.go("/portal/review")
    rows = page.locator(f"#call-{c.closed_call} tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("td").nth(1)).to_have_text(v.say("proposal.hidden"))  # blind
    expect(page.locator("main")).not_to_contain_text("KAIST")
    v.check()
    page.click(f"a[href='/portal/review/proposals/{c.proposals[0]}']")
    expect(page.locator("#pi")).to_have_text(v.say("proposal.hidden"))
    page.fill("#s-1", "11")
    page.fill("#s-2", "7")
    page.click("#score")
    expect(page.locator("#error-s-1")).to_contain_text("0..10")
    v.check()
    page.fill("#s-1", "8")
    page.click("#score")
    expect(page.locator("#reviewed")).to_have_text(v.say("review.done"))
    page.goto(f"{portal.url}/portal/review/proposals/{c.proposals[1]}")
    page.fill("#note", "former employer")
    page.click("#declare")
    expect(page.locator("#declared")).to_have_text(v.say("review.conflict_declared"))
    page.click("text=" + v.say("review.back"))
    statuses = page.locator(f"#call-{c.closed_call} .review-status")
    expect(statuses).to_have_text([v.say("review.done"), v.say("review.conflict_declared")])
    v.close()


def _officer(browser: Any, portal: Portal, lang: str, c: Cast) -> None:
    from playwright.sync_api import expect

    v = Visit(browser, portal, lang, c.officer)
    page = v.go("/portal/programs")
    v.check()
    page.fill("#name", "NPU 생태계")
    page.click("#create-program")
    section = page.locator("section.card").filter(has_text="NPU 생태계")
    expect(section.locator("h2")).to_have_text("NPU 생태계")
    section.locator("summary").click()
    form = section.locator("form.call-form")
    for name, value in (("title", "NPU 공모"), ("budget", "800"), ("opens_at", "2027-01-01"),
                        ("closes_at", "2027-02-01"), ("review_opens_at", "2027-02-01"),
                        ("review_closes_at", "2026-12-01"), ("criteria", "novelty:1")):  # fmt: skip
        form.locator(f"input[name='{name}']").fill(value)
    form.locator("button").click()  # review closes before it opens: the service says
    expect(page.locator("#error-review_closes_at")).to_contain_text("review_opens_at")
    form = page.locator("section.card").filter(has_text="NPU 생태계").locator("form.call-form")
    form.locator("input[name='review_closes_at']").fill("2027-03-01")
    form.locator("button").click()
    expect(page.locator("h1")).to_have_text("NPU 공모")
    expect(page.locator("#budget")).to_contain_text("800")

    page = v.go(f"/portal/calls/{c.closed_call}/manage")
    first, second = (page.locator(f"#proposal-{p}") for p in c.proposals)
    expect(first.locator("td").nth(4)).to_have_text("7.67")  # (8 x 2 + 7 x 1) / 3
    expect(second.locator("td").nth(4)).to_have_text("—")  # the reviewer declared a conflict
    v.check()
    page.fill("#user_id", str(c.second_reviewer_id))
    page.click("#assign")
    expect(page.locator("#error-user_id")).to_have_count(0)
    page.select_option(f"#o-{c.proposals[1]}", "award")
    page.click("#preview")  # an override without its reason
    expect(page.locator(f"#error-r-{c.proposals[1]}")).to_have_text(v.say("decide.reason_required"))
    page.fill(f"#r-{c.proposals[1]}", "domestic NPU porting is a priority")
    page.click("#preview")
    expect(page.locator("#preview-budget")).to_have_text(
        v.say("decide.uses", used="500", budget="1,000", left="500"))  # fmt: skip
    v.check()
    expect(page.locator("#budget")).to_contain_text("1,000")  # nothing moved yet
    page.click("#decide")
    expect(second.locator("td").nth(5)).to_contain_text(v.say("outcome.awarded"))
    expect(first.locator("td").nth(5)).to_contain_text(v.say("outcome.rejected"))
    awarded = page.locator("#awarded tbody tr")
    expect(awarded.locator("td").nth(2)).to_have_text("250 / 500")  # first tranche
    page.click(".accept-report")
    expect(awarded.locator("td").nth(2)).to_have_text("500 / 500")
    expect(awarded.locator("td").nth(3)).to_have_text(v.say("tranche.all_released"))
    v.check()
    v.close()


def _operator(browser: Any, portal: Portal, lang: str, c: Cast) -> None:
    from playwright.sync_api import expect

    v = Visit(browser, portal, lang, c.operator)
    page = v.go("/portal/fleet")
    row = page.locator("#pools tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(3)).to_have_text("2")
    expect(page.locator("#utilisation-chart")).to_have_attribute("data-drawn", "1")
    v.check()
    page = v.go("/portal/people")
    v.check()
    page.fill("#g-user", str(c.second_reviewer_id))
    page.select_option("#g-role", "reviewer")
    page.fill("#g-scope", f"call:{c.open_call}")
    page.click("#grant")
    expect(page.locator(f"#user-{c.second_reviewer_id}")).to_contain_text(
        f"reviewer@call:{c.open_call}"
    )
    page.fill("#t-user", str(c.second_reviewer_id))
    page.fill("#t-label", "laptop")
    page.click("#issue")
    expect(page.locator("#secret")).not_to_be_empty()
    secret = page.locator("#secret").inner_text()
    tokens = page.locator(f"#user-{c.second_reviewer_id} .revoke-token")
    expect(tokens).to_have_count(2)
    tokens.last.click()
    expect(page.locator(f"#user-{c.second_reviewer_id} .revoke-token")).to_have_count(1)
    expect(page.locator("main")).not_to_contain_text(secret)  # shown once only

    elsewhere: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(v.url) else elsewhere.append(r.url))
    page = v.go("/docs")  # Swagger UI from the vendored files, nothing from a CDN
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("nacc")
    page.locator("button.authorize").first.click()
    expect(page.locator(".auth-container input")).to_be_visible()  # the bearer token field
    assert not elsewhere, elsewhere
    v.close()


@pytest.mark.parametrize(
    ("portal", "lang"), [("sqlite", "en"), ("postgresql", "ko")], indirect=["portal"]
)  # fmt: skip
def test_each_persona_walks_its_pages(browser: Any, portal: Portal, lang: str) -> None:
    c = cast(portal.svc)
    _reviewer(browser, portal, lang, c)
    _officer(browser, portal, lang, c)
    _pi(browser, portal, lang, c)
    _operator(browser, portal, lang, c)
