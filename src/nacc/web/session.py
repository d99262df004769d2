"""Signed session cookies and CSRF tokens (HMAC-SHA256 with a per-install secret).

A session cookie holds the hash of the API token that signed in (never the token), when
it was issued and a random nonce, signed with the server secret; it is HttpOnly,
SameSite=Strict and Secure when the request came over TLS. A session older than
``lifetime_s`` (by ``clock``) is refused. Every form carries the session's CSRF token,
an HMAC of its nonce; a POST without the right one is refused.

The secret comes from ``NACC_WEB_SECRET`` or the file ``$NACC_HOME/web-secret``, which is
generated (32 random bytes, mode 0600) on first use: no secret lives in the repository.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

COOKIE = "nacc_session"
PRE_COOKIE = "nacc_pre"  # the nonce the sign-in form's CSRF token is bound to
LANG_COOKIE = "nacc_lang"
DEFAULT_LIFETIME_S = 8 * 3600.0
_lock = threading.Lock()


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Session:
    token_hash: str
    issued: float  # POSIX seconds
    nonce: str


def install_secret(home: Path) -> bytes:
    """The secret in ``home/web-secret``, created on first use (0600, not overwritten
    when two processes race: the first file written wins)."""
    path = home / "web-secret"
    with _lock:
        if not path.exists():
            home.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "w") as f:
                    f.write(secrets.token_hex(32))
        return bytes.fromhex(path.read_text().strip())


def secret_from_environment() -> bytes:
    given = os.environ.get("NACC_WEB_SECRET", "").strip()
    if given:
        return given.encode()
    return install_secret(Path(os.environ.get("NACC_HOME") or "."))


def lifetime_from_environment() -> float:
    """``NACC_WEB_SESSION_S`` (a positive number of seconds), else eight hours."""
    raw = os.environ.get("NACC_WEB_SESSION_S", "").strip()
    if not raw:
        return DEFAULT_LIFETIME_S
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise ValueError(f"NACC_WEB_SESSION_S: expected a positive number of seconds, got {raw!r}")
    return value


@dataclass
class Sessions:
    """Issues and checks session cookies and CSRF tokens."""

    secret: bytes
    lifetime_s: float = DEFAULT_LIFETIME_S
    clock: Callable[[], datetime] = field(default=_now)

    def _sign(self, data: bytes) -> str:
        return hmac.new(self.secret, data, hashlib.sha256).hexdigest()

    def issue(self, token_hash: str) -> str:
        body = {"h": token_hash, "t": self.clock().timestamp(), "n": secrets.token_hex(16)}
        data = base64.urlsafe_b64encode(json.dumps(body).encode()).decode()
        return f"{data}.{self._sign(data.encode())}"

    def read(self, cookie: str | None) -> Session | None:
        """The session of a cookie that is well signed and not expired, else None."""
        data, _, mac = (cookie or "").partition(".")
        if not data or not hmac.compare_digest(mac, self._sign(data.encode())):
            return None
        try:
            body = json.loads(base64.urlsafe_b64decode(data.encode()))
            found = Session(str(body["h"]), float(body["t"]), str(body["n"]))
        except (ValueError, KeyError, TypeError):
            return None
        return found if not self.expired(found) else None

    def expired(self, session: Session) -> bool:
        return self.clock().timestamp() - session.issued > self.lifetime_s

    def csrf(self, nonce: str) -> str:
        """The CSRF token of a session (or pre-session) nonce."""
        return self._sign(f"csrf:{nonce}".encode())

    def csrf_ok(self, nonce: str | None, given: str | None) -> bool:
        return bool(nonce and given) and hmac.compare_digest(self.csrf(nonce or ""), given or "")


def new_nonce() -> str:
    return secrets.token_hex(16)
