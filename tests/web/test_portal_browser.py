"""The portal in a real browser against a real server: sign in, see the project, submit
a job (an invalid one first), watch it complete and its log, cancel one, sign out — in
Korean and in English; a form without its CSRF token is refused; a session past its
lifetime is sent back to sign in. No console errors on any page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from nacc.web import text
from support import calls
from web.world import LIFETIME_S, Portal

LOCALES = {"ko": "ko-KR", "en": "en-US"}
WAIT_MS = 30_000  # only bounds a failing run


def _say(lang: str, key: str, **params: object) -> str:
    return text.say(lang, key, **params)


def _open(browser: Any, portal: Portal, lang: str) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(locale=LOCALES[lang])
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return context, page, problems


def _sign_in(page: Any, portal: Portal, lang: str) -> None:
    from playwright.sync_api import expect

    page.goto(portal.url + "/")
    expect(page.locator("h1")).to_have_text(_say(lang, "signin.title"))
    page.fill("#token", portal.pi_token)
    page.click("#signin")
    expect(page.locator("h1")).to_have_text(_say(lang, "projects.title"))


# Korean on SQLite and English on PostgreSQL (browser tests are slow; the persona walk,
# test_personas_browser.py, takes the other pairing)
@pytest.mark.parametrize(
    ("portal", "lang"), [("sqlite", "ko"), ("postgresql", "en")], indirect=["portal"]
)  # fmt: skip
def test_a_pi_runs_and_cancels_jobs(browser: Any, portal: Portal, lang: str) -> None:
    from playwright.sync_api import expect

    context, page, problems = _open(browser, portal, lang)
    expect.set_options(timeout=WAIT_MS)
    _sign_in(page, portal, lang)
    cookie = next(c for c in context.cookies() if c["name"] == "nacc_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and not cookie["secure"]
    row = page.locator("#projects tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(1)).to_have_text("100.00")

    row.locator("a").click()
    page.fill("#accelerators", "0")
    page.click("#submit")  # nothing typed as the command, and no accelerators
    expect(page.locator("#error-command")).to_have_text(_say(lang, "form.required"))
    expect(page.locator("#error-accelerators")).to_have_text(
        _say(lang, "form.accelerators_range"))  # fmt: skip
    expect(page.locator("#no-jobs")).to_be_visible()  # nothing was stored

    page.fill("#command", "echo hello-portal; echo '[/red] <b>kept</b>'")
    page.fill("#accelerators", "1")
    page.fill("#accelerator_types", "TPU-X")  # the service refuses: the fleet has none
    page.click("#submit")
    expect(page.locator("#error-accelerator_types")).to_contain_text("TPU-X")
    expect(page.locator("#command")).to_have_value("echo hello-portal; echo '[/red] <b>kept</b>'")
    page.fill("#accelerator_types", "")
    page.click("#submit")
    expect(page.locator("#state")).to_have_text(_say(lang, "state.completed"))
    expect(page.locator("#log")).to_contain_text("hello-portal\n[/red] <b>kept</b>")

    page.goto(f"{portal.url}/portal/projects/{portal.project_id}")
    expect(page.locator("#jobs tbody tr")).to_have_count(1)
    page.fill("#command", "sleep 300")
    page.click("#submit")
    expect(page.locator("#state")).to_have_text(_say(lang, "state.running"))
    page.click("#cancel")
    expect(page.locator("#state")).to_have_text(_say(lang, "state.cancelled"))

    page.click("#signout")
    expect(page.locator("h1")).to_have_text(_say(lang, "signin.title"))
    page.goto(portal.url + "/")
    expect(page.locator("h1")).to_have_text(_say(lang, "signin.title"))
    assert not problems, problems
    context.close()


def test_forms_without_their_csrf_token_are_refused(browser: Any, portal: Portal) -> None:
    from playwright.sync_api import expect

    context, page, problems = _open(browser, portal, "en")
    expect.set_options(timeout=WAIT_MS)
    _sign_in(page, portal, "en")
    session = next(c["value"] for c in context.cookies() if c["name"] == "nacc_session")
    url = f"{portal.url}/portal/projects/{portal.project_id}/jobs"
    job = {"command": "echo forged", "accelerators": "1", "job_class": "fine-tuning",
           "time_limit_s": "60", "accelerator_types": ""}  # fmt: skip
    with calls.client(cookies={"nacc_session": session}) as client:
        for csrf in ({}, {"csrf": "0" * 64}):
            answer = client.post(url, data=job | csrf)
            assert answer.status_code == 403, answer.text
            assert "CSRF" in answer.text
        signin = client.post(f"{portal.url}/portal/signin", data={"token": portal.pi_token})
        assert signin.status_code == 403 and "nacc_session" not in signin.cookies
        signin_page = client.get(f"{portal.url}/portal/signin")
        assert "script-src 'self'" in signin_page.headers["content-security-policy"]
        schema = client.get(f"{portal.url}/openapi.json").json()["paths"]
        assert not [p for p in schema if p == "/" or p.startswith("/portal")]
    page.click("#lang-ko")  # the switch, then remembered by a cookie
    expect(page.locator("h1")).to_have_text(_say("ko", "projects.title"))
    page.goto(portal.url + "/")
    expect(page.locator("h1")).to_have_text(_say("ko", "projects.title"))  # still signed in
    page.goto(f"{portal.url}/portal/projects/{portal.project_id}")
    expect(page.locator("#no-jobs")).to_be_visible()  # nothing forged was stored
    assert not problems, problems
    context.close()


def test_a_session_past_its_lifetime_signs_in_again(browser: Any, portal: Portal) -> None:
    from playwright.sync_api import expect

    context, page, problems = _open(browser, portal, "ko")
    expect.set_options(timeout=WAIT_MS)
    _sign_in(page, portal, "ko")
    portal.clock.ahead = timedelta(seconds=LIFETIME_S - 5)
    page.reload()
    expect(page.locator("h1")).to_have_text(_say("ko", "projects.title"))  # not yet
    portal.clock.ahead = timedelta(seconds=LIFETIME_S + 5)
    page.reload()
    expect(page.locator("#expired")).to_have_text(_say("ko", "signin.expired"))
    assert "/portal/signin" in page.url
    assert not problems, problems
    context.close()
