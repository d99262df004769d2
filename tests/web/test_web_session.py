"""Session cookies and CSRF tokens: signed, tamper-evident, expiring by the clock; the
secret is generated per install, never shipped."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from nacc.web import session as web

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _sessions(now: list[datetime]) -> web.Sessions:
    return web.Sessions(b"k" * 32, lifetime_s=600, clock=lambda: now[0])


def test_a_cookie_reads_back_until_its_lifetime_is_over() -> None:
    now = [T0]
    s = _sessions(now)
    cookie = s.issue("abc")
    found = s.read(cookie)
    assert found is not None and found.token_hash == "abc"
    now[0] = T0 + timedelta(seconds=600)
    assert s.read(cookie) is not None
    now[0] = T0 + timedelta(seconds=601)
    assert s.read(cookie) is None


def test_a_changed_or_foreign_cookie_is_refused() -> None:
    now = [T0]
    s = _sessions(now)
    data, _, mac = s.issue("abc").partition(".")
    other = web.Sessions(b"x" * 32, 600, lambda: T0).issue("abc")

    def changed(text: str) -> str:  # its last character, surely another (the nonce is random)
        return text[:-1] + ("1" if text[-1] == "0" else "0")

    for bad in (f"{data}.{changed(mac)}", f"{changed(data)}.{mac}", other, "", "no-dot", None):
        assert s.read(bad) is None, bad


def test_csrf_tokens_belong_to_their_nonce() -> None:
    s = _sessions([T0])
    token = s.csrf("n1")
    assert s.csrf_ok("n1", token)
    assert not s.csrf_ok("n2", token)
    assert not s.csrf_ok("n1", None) and not s.csrf_ok(None, token)


def test_the_install_secret_is_generated_once_and_private(tmp_path: Path) -> None:
    first = web.install_secret(tmp_path / "home")
    assert len(first) == 32
    assert web.install_secret(tmp_path / "home") == first
    mode = (tmp_path / "home" / "web-secret").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
    assert web.install_secret(tmp_path / "other") != first


def test_a_bad_session_lifetime_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NACC_WEB_SESSION_S", "soon")
    with pytest.raises(ValueError, match="NACC_WEB_SESSION_S: expected a positive number"):
        web.lifetime_from_environment()
    monkeypatch.setenv("NACC_WEB_SESSION_S", "90")
    assert web.lifetime_from_environment() == 90.0
