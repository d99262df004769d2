"""The notification port: a channel that delivers one rendered notice.

Adapters (``nacc.adapters.notify``): e-mail over SMTP and webhooks (HTTP POST of JSON
with an HMAC signature). ``send`` returns when the receiver took the notice and raises
``DeliveryFailed`` (with what went wrong, in English, for the outbox's ``last_error``)
otherwise; it never waits longer than its own timeout, so one bad endpoint holds up
nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class DeliveryFailed(Exception):
    """The receiver refused the notice or could not be reached."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    notice_id: int
    key: str
    kind: str
    lang: str
    subject: str
    body: str
    payload: dict[str, Any]
    to: str  # an e-mail address or a webhook URL
    secret: str | None = None  # a webhook's signing secret


class Sender(Protocol):
    def send(self, msg: Outgoing) -> None: ...
