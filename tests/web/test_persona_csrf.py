"""Every form of the persona pages refuses a POST without its CSRF token (403, nothing
changed), and a page for a role the visitor lacks is refused by the service, not shown."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from nacc.bootstrap import Settings, build_app
from nacc.web.session import Sessions
from web.personas import Cast, cast
from web.world import fund


@pytest.fixture
def site(tmp_path: Path, sqlite_url: str) -> Iterator[tuple[TestClient, Cast, str]]:
    settings = Settings(database_url=sqlite_url, workdir=tmp_path / "j",
                        devices={"H100-SXM": 1})  # fmt: skip
    app, svc = build_app(settings, live=False)
    app.state.web_sessions = Sessions(b"csrf-test-secret", 3600.0)
    _, pi_token = fund(svc)
    c = cast(svc)
    with TestClient(app) as client:
        yield client, c, pi_token
    svc.sessions.kw["bind"].dispose()


def _sign_in(client: TestClient, token: str) -> str:
    client.cookies.clear()
    form = client.get("/portal/signin").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf is not None
    client.post("/portal/signin", data={"csrf": csrf.group(1), "token": token})
    home = client.get("/")
    found = re.search(r'name="csrf" value="([^"]+)"', home.text)
    assert found is not None  # the sign-out form's
    return found.group(1)


def test_forms_without_their_token_change_nothing(site: tuple[TestClient, Cast, str]) -> None:
    client, c, pi = site
    p0, p1 = c.proposals
    posts = [
        (c.officer, "/portal/programs", {"name": "forged"}),
        (c.officer, "/portal/programs/1/calls", {"title": "forged"}),
        (c.officer, f"/portal/calls/{c.closed_call}/reviewers", {"user_id": "1"}),
        (c.officer, f"/portal/calls/{c.closed_call}/decide", {"action": "decide"}),
        (c.officer, f"/portal/calls/{c.open_call}/edit", {"title": "forged"}),
        (c.officer, f"/portal/calls/{c.open_call}/close", {}),
        (c.reviewer, f"/portal/review/proposals/{p0}/score", {"score.novelty": "9"}),
        (c.reviewer, f"/portal/review/proposals/{p1}/conflict", {"note": "x"}),
        (pi, f"/portal/calls/{c.open_call}/apply", {"title": "forged"}),
        (c.operator, "/portal/people/grant", {"user_id": "1", "role": "operator"}),
        (c.operator, "/portal/people/tokens", {"user_id": "1"}),
    ]
    for token, url, data in posts:
        real = _sign_in(client, token)
        for csrf in ({}, {"csrf": "0" * 64}):
            answer = client.post(url, data=data | csrf, follow_redirects=False)
            assert answer.status_code == 403, (url, answer.status_code)
        assert real  # the right token exists; it was not sent
    _sign_in(client, c.officer)
    manage = client.get(f"/portal/calls/{c.closed_call}/manage").text
    assert "forged" not in client.get("/portal/programs").text
    assert 'id="awarded"' not in manage  # not decided
    svc = client.app.state.services  # type: ignore[attr-defined]
    with svc.unit() as uow:
        assert ("operator", "") not in uow.people.roles_of(1)  # the PI's roles unchanged
        assert len(uow.people.tokens_of(1)) == 1
        assert uow.programs.reviews_for(p0) == []
        assert not uow.programs.program_by_name("forged")
        still = uow.programs.get_call(c.open_call)
        assert still is not None and still.title != "forged" and still.closes_at > svc.clock()


def test_pages_of_another_role_are_refused(site: tuple[TestClient, Cast, str]) -> None:
    client, c, pi = site
    _sign_in(client, pi)
    assert client.get("/portal/fleet").status_code == 403
    assert client.get("/portal/people").status_code == 403
    assert client.get(f"/portal/calls/{c.closed_call}/manage").status_code in (403, 404)
    assert client.get(f"/portal/calls/{c.open_call}/edit").status_code == 403
    review = client.get("/portal/review")
    assert review.status_code == 200 and 'id="no-calls"' in review.text


def test_the_decision_preview_gives_reasons_in_the_pages_language(
    site: tuple[TestClient, Cast, str],
) -> None:
    client, c, _ = site
    csrf = _sign_in(client, c.officer)
    url = f"/portal/calls/{c.closed_call}/decide"
    ko = client.post(url + "?lang=ko", data={"csrf": csrf, "action": "preview"})
    en = client.post(url + "?lang=en", data={"csrf": csrf, "action": "preview"})
    assert ko.status_code == en.status_code == 200
    # nobody has reviewed the closed call's proposals yet
    assert "심사를 받지 않았어요" in ko.text and "not reviewed" not in ko.text
    assert "<td>not reviewed</td>" in en.text
