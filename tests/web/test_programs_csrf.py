"""The issue-12 forms refuse a POST without its CSRF token (403, nothing changed), and
the officers' pages refuse a PI (the service's 403, shown as a page)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from nacc.bootstrap import Settings, build_app
from nacc.service import challenge_entries, datasets, notify_prefs, reservations
from nacc.web.session import Sessions
from web.personas import Cast, cast
from web.programs_cast import Programs, seed, who
from web.test_persona_csrf import _sign_in
from web.world import fund

Site = tuple[TestClient, Cast, str, Programs]


@pytest.fixture
def site(tmp_path: Path, sqlite_url: str) -> Iterator[Site]:
    settings = Settings(database_url=sqlite_url, workdir=tmp_path / "j",
                        devices={"H100-SXM": 2})  # fmt: skip
    app, svc = build_app(settings, live=False)
    app.state.web_sessions = Sessions(b"csrf-test-secret", 3600.0)
    project, pi_token = fund(svc)
    c = cast(svc)
    p = seed(svc, c, pi_token, project, tmp_path)
    with TestClient(app) as client:
        yield client, c, pi_token, p
    svc.sessions.kw["bind"].dispose()


def test_forms_without_their_token_change_nothing(site: Site) -> None:
    client, c, pi, p = site
    posts = [
        (pi, "/portal/datasets/kor-med/access", {"project_id": "1", "purpose": "forged"}),
        (c.officer, "/portal/datasets/ko-wiki/access/1", {"action": "revoke", "reason": "x"}),
        (pi, f"/portal/challenges/{p.challenge}/teams/1/entries", {"model_ref": "forged"}),
        (c.officer, f"/portal/challenges/{p.challenge}/entries/1/rerun", {}),
        (pi, "/portal/me/notify", {"lang": "en", "email": "forged@x.example"}),
        (c.officer, f"/portal/progress-reports/{p.report_project}/1/accept", {}),
        (c.officer, "/portal/blocks", {"name": "forged", "count": "1", "start": "2030-01-01",
                                       "end": "2030-01-02", "projects": "1"}),
        (c.officer, "/portal/blocks/1/cancel", {}),
    ]  # fmt: skip
    for token, url, data in posts:
        _sign_in(client, token)
        for csrf in ({}, {"csrf": "0" * 64}):
            answer = client.post(url, data=data | csrf, follow_redirects=False)
            assert answer.status_code == 403, (url, answer.status_code)
    svc = client.app.state.services  # type: ignore[attr-defined]
    assert datasets.accesses(svc, who(svc, c.officer), "kor-med") == []
    assert [a.state for a in datasets.accesses(svc, who(svc, c.officer), "ko-wiki")] == ["approved"]
    _, entries, _ = challenge_entries.entries(svc, who(svc, c.officer), p.challenge, None)
    assert entries == []
    assert notify_prefs.get(svc, who(svc, pi)).email is None
    assert reservations.listed(svc, include_cancelled=True) == []


def test_officers_pages_refuse_a_pi(site: Site) -> None:
    client, _, pi, p = site
    csrf = _sign_in(client, pi)
    assert client.get("/portal/progress-reports").status_code == 403
    assert client.get(f"/portal/challenges/{p.challenge}/entries").status_code == 403
    blocks = client.get("/portal/blocks")
    assert blocks.status_code == 200 and 'id="block-form"' not in blocks.text
    booked = client.post("/portal/blocks", data={
        "csrf": csrf, "name": "mine", "count": "1", "start": "2030-01-01", "end": "2030-01-02",
        "projects": "1", "charge": "capacity", "idle_fee": "0"})  # fmt: skip
    assert booked.status_code == 200 and 'class="error"' in booked.text
    svc = client.app.state.services  # type: ignore[attr-defined]
    assert reservations.listed(svc) == []
    page = client.get("/portal/datasets/kor-med").text
    assert "value='approve'" not in page and 'value="approve"' not in page  # not a steward
    client.cookies.clear()
    listed = client.get("/portal/challenges")  # public: no sign-in
    assert listed.status_code == 200 and f'id="challenge-{p.challenge}"' in listed.text
