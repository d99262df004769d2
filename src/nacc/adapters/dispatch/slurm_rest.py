"""A small client for slurmrestd's REST API v0.0.38 (Slurm 22.05), authenticated by JWT.

Only what the Slurm dispatcher needs: submit, list every job in one call, cancel, ping.
Requests go through httpx when it is installed, else urllib. A call that fails on the
way (connection refused or reset, 502/503/504) is retried with exponential backoff; a
submit is retried only when the request never reached slurmrestd (connection refused),
so a retry cannot make a second job. slurmrestd 22.05 answers a JWT that slurmctld rejects
(expired, wrong key) not with 401 but with HTTP 500 and a generic error (``Unspecified
error``, -1; for a submit ``Zero Bytes were transmitted or received``, 5005): such an answer
fetches a fresh token once and tries again, and the final error says a JWT may be the cause.

The token comes from ``token`` (a fixed JWT, e.g. ``$SLURM_JWT``; or a ``FileToken``,
read again when its file changes) or, by default, from ``scontrol token username=USER
lifespan=S`` on this machine (needs ``SLURM_CONF`` and the cluster's JWT key, as on a
Slurm login node), renewed before it expires.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nacc.domain.errors import NaccError
from nacc.domain.reasons import Code

API = "v0.0.38"
_RETRY_STATUS = frozenset({502, 503, 504})
_AUTH_HINT = "; if every call fails so, slurmrestd may be rejecting the JWT"


def _maybe_auth(method: str, answer: Answer) -> bool:
    """An answer that may mean slurmctld rejected the token (see the module docstring)."""
    if answer.status == 401:
        return True
    if answer.status != 500:
        return False
    nums = {e.get("error_number", e.get("error_code")) for e in answer.body.get("errors") or []
            if isinstance(e, dict)}  # fmt: skip
    return 5005 in nums or (method != "POST" and -1 in nums)


try:  # pragma: no branch - httpx is a dependency of nacc; urllib is the fallback
    import httpx
except ImportError:  # pragma: no cover
    httpx = None  # type: ignore[assignment]


class SlurmError(NaccError):
    """slurmrestd refused a request, or could not be reached (the message says which)."""

    code = Code.DISPATCH_ERROR

    def __init__(self, message: str, status: int | None = None, sent: bool = True) -> None:
        super().__init__(message)
        self.status = status
        self.sent = sent  # False: the request never reached slurmrestd


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: dict[str, Any]


Transport = Callable[[str, str, Mapping[str, str], bytes | None, float], Answer]
"""(method, url, headers, body, timeout) -> Answer; raises SlurmError(sent=...) on the way."""


def _httpx_transport() -> Transport:
    client = httpx.Client(trust_env=False)

    def send(method: str, url: str, headers: Mapping[str, str], body: bytes | None,
             timeout: float) -> Answer:  # fmt: skip
        try:
            r = client.request(method, url, headers=dict(headers), content=body, timeout=timeout)
        except httpx.ConnectError as e:
            raise SlurmError(f"cannot reach slurmrestd at {url}: {e}", sent=False) from e
        except httpx.HTTPError as e:
            raise SlurmError(f"slurmrestd at {url}: {type(e).__name__}: {e}") from e
        return Answer(r.status_code, _json(r.content, url, r.status_code))

    return send


def _urllib_transport() -> Transport:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def send(method: str, url: str, headers: Mapping[str, str], body: bytes | None,
             timeout: float) -> Answer:  # fmt: skip
        req = urllib.request.Request(url, body, dict(headers), method=method)
        try:
            with opener.open(req, timeout=timeout) as r:
                return Answer(r.status, _json(r.read(), url, r.status))
        except urllib.error.HTTPError as e:
            return Answer(e.code, _json(e.read(), url, e.code))
        except ConnectionRefusedError as e:
            raise SlurmError(f"cannot reach slurmrestd at {url}: {e}", sent=False) from e
        except urllib.error.URLError as e:
            sent = not isinstance(e.reason, ConnectionRefusedError)
            raise SlurmError(f"cannot reach slurmrestd at {url}: {e.reason}", sent=sent) from e
        except OSError as e:
            raise SlurmError(f"slurmrestd at {url}: {e}") from e

    return send


def _json(raw: bytes, url: str, status: int) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        snippet = raw[:200].decode("utf-8", "replace")
        return {"errors": [{"error": f"HTTP {status} from {url}, not JSON: {snippet}"}]}
    return data if isinstance(data, dict) else {"value": data}


def errors_of(body: Mapping[str, Any]) -> list[str]:
    """slurmrestd's error messages in a reply (``errors[].error`` / ``description``)."""
    out = []
    for e in body.get("errors") or []:
        if isinstance(e, dict):
            text = e.get("error") or e.get("description") or ""
            num = e.get("error_number") or e.get("errno")
            if text or num:
                out.append(f"{text} (error {num})" if num else str(text))
    return out


class ScontrolToken:
    """JWTs from ``scontrol token``, renewed when a third of the lifespan is left."""

    def __init__(self, user: str, lifespan_s: int = 3600, scontrol: str = "scontrol") -> None:
        self.user, self.lifespan_s, self.scontrol = user, lifespan_s, scontrol
        self._token, self._until = "", 0.0

    def __call__(self, fresh: bool = False) -> str:
        if fresh or not self._token or time.monotonic() > self._until:
            argv = [self.scontrol, "token", f"username={self.user}", f"lifespan={self.lifespan_s}"]
            try:
                out = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True)
            except (OSError, subprocess.SubprocessError) as e:
                detail = getattr(e, "stderr", "") or e
                raise SlurmError(f"cannot get a Slurm JWT ({' '.join(argv)}): {detail}") from e
            self._token = out.stdout.strip().partition("=")[2]
            self._until = time.monotonic() + self.lifespan_s * 2 / 3
        return self._token


class FileToken:
    """A JWT kept in a file (``token_file=`` in the URL): read again whenever the file
    changes, and when slurmrestd rejects the token (``fresh``), so a fresh token written
    there (``scontrol token`` on a login node, a secret rotated by the site) is used
    without a restart. The file holds the token, or ``SLURM_JWT=<token>`` as ``scontrol
    token`` prints it."""

    def __init__(self, path: Path) -> None:
        self.path, self._token, self._seen = path, "", (-1, -1)

    def __call__(self, fresh: bool = False) -> str:
        try:
            info = self.path.stat()
            seen = (info.st_mtime_ns, info.st_size)
            if fresh or seen != self._seen or not self._token:
                text = self.path.read_text(encoding="utf-8").strip()
                self._token, self._seen = text.removeprefix("SLURM_JWT=").strip(), seen
        except OSError as e:
            raise SlurmError(f"cannot read the Slurm JWT from {self.path}: {e}", sent=False) from e
        if not self._token:
            raise SlurmError(f"the Slurm JWT file {self.path} is empty", sent=False)
        return self._token


class SlurmRest:
    """slurmrestd at ``base_url`` (``http://host:port``) as ``user``.

    ``calls`` counts requests sent by (method, path template), retries included, so tests
    and benchmarks can check that polling costs one call per cycle.
    """

    def __init__(
        self,
        base_url: str,
        user: str = "root",
        token: Callable[..., str] | str | None = None,
        timeout_s: float = 10.0,
        attempts: int = 4,
        backoff_s: float = 0.2,
        transport: Transport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.user = user
        self._fixed = isinstance(token, str)
        self._token: Callable[..., str] = (
            ScontrolToken(user) if token is None
            else (lambda fresh=False, t=token: t) if isinstance(token, str)
            else token
        )  # fmt: skip
        self.timeout_s, self.attempts, self.backoff_s = timeout_s, max(1, attempts), backoff_s
        self._send = transport or (_httpx_transport() if httpx is not None else _urllib_transport())
        self.calls: Counter[tuple[str, str]] = Counter()

    def request(self, method: str, path: str, body: Any = None, *, key: str = "",
                plugin: str = "slurm") -> Answer:  # fmt: skip
        """One API call with retries; ``key`` names it in ``calls`` (default: ``path``);
        ``plugin`` ``slurmdb`` for the accounting API (slurmdbd's, ``/slurmdb/v0.0.38``)."""
        url = f"{self.base_url}/{plugin}/{API}/{path.lstrip('/')}"
        data = None if body is None else json.dumps(body).encode()
        fresh, delay, attempt = False, self.backoff_s, 0
        while True:
            attempt += 1
            headers = {"X-SLURM-USER-NAME": self.user, "X-SLURM-USER-TOKEN": self._token(fresh)}
            if data is not None:
                headers["Content-Type"] = "application/json"
            self.calls[(method, key or path)] += 1
            last = attempt >= self.attempts
            try:
                answer = self._send(method, url, headers, data, self.timeout_s)
            except SlurmError as e:
                if last or (method == "POST" and e.sent):
                    raise
            else:
                if not fresh and not self._fixed and _maybe_auth(method, answer):
                    fresh = True  # an expired or rotated key: one more try with a new token
                    attempt -= 1  # not a retry of a fault: also with attempts=1
                    continue
                if answer.status not in _RETRY_STATUS or last:
                    return answer
            time.sleep(delay)
            delay *= 2

    def ok(self, method: str, path: str, body: Any = None, *, key: str = "",
           plugin: str = "slurm") -> dict[str, Any]:  # fmt: skip
        """The reply body of a call that must succeed, else ``SlurmError`` with Slurm's words."""
        answer = self.request(method, path, body, key=key, plugin=plugin)
        errors = errors_of(answer.body)
        if answer.status >= 400 or errors:
            why = "; ".join(errors) or f"HTTP {answer.status}"
            if _maybe_auth(method, answer):
                why += f" (user {self.user}{_AUTH_HINT})"
            where = path if plugin == "slurm" else f"/{plugin}/{path}"
            raise SlurmError(f"slurmrestd {method} {where}: {why}", status=answer.status)
        return answer.body

    def ping(self) -> dict[str, Any]:
        return self.ok("GET", "ping")

    def jobs(self) -> list[dict[str, Any]]:
        """Every job slurmctld knows (pending, running and recently ended): one call."""
        return list(self.ok("GET", "jobs").get("jobs") or [])

    def accounted_jobs(self) -> list[dict[str, Any]]:
        """Every job slurmdbd has accounted (``GET /slurmdb/v0.0.38/jobs``): one call."""
        return list(self.ok("GET", "jobs", plugin="slurmdb", key="slurmdb/jobs").get("jobs") or [])

    def reservations(self) -> list[dict[str, Any]]:
        """Every reservation slurmctld holds: one call (v0.0.38 cannot create them)."""
        return list(self.ok("GET", "reservations").get("reservations") or [])

    def submit(self, script: str, job: Mapping[str, Any]) -> int:
        body = self.ok("POST", "job/submit", {"script": script, "job": dict(job)})
        return int(body["job_id"])

    def cancel(self, slurm_id: int) -> None:
        """Cancel a job; one that already ended is not an error."""
        answer = self.request("DELETE", f"job/{slurm_id}", key="job/{id}")
        errors = errors_of(answer.body)
        if answer.status >= 400 or errors:
            text = "; ".join(errors)
            if "already completed" in text.lower() or "invalid job id" in text.lower():
                return
            raise SlurmError(f"slurmrestd DELETE job/{slurm_id}: {text or answer.status}",
                             status=answer.status)  # fmt: skip
