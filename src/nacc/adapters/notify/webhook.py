"""Webhooks: the notice as JSON, POSTed with ``X-Nacc-Signature: sha256=<HMAC>`` of the
exact body under the receiver's secret. Any answer but 2xx, or no answer within the
timeout, is a failure (retried by the outbox)."""

from __future__ import annotations

import json

import httpx

from nacc.domain.notices import SIGNATURE_HEADER, signature
from nacc.ports.notify import DeliveryFailed, Outgoing


def body_of(msg: Outgoing) -> bytes:
    doc = {"id": msg.notice_id, "key": msg.key, "kind": msg.kind, "lang": msg.lang,
           "subject": msg.subject, "body": msg.body, "data": msg.payload}  # fmt: skip
    return json.dumps(doc, ensure_ascii=False, sort_keys=True).encode()


class WebhookSender:
    def __init__(self, timeout_s: float = 5.0) -> None:
        self.timeout_s = timeout_s
        # one client (its TLS context and connection pool) for every POST; thread-safe
        self._client = httpx.Client(timeout=timeout_s, follow_redirects=False)

    def send(self, msg: Outgoing) -> None:
        body = body_of(msg)
        headers = {"Content-Type": "application/json", "User-Agent": "nacc-notify"}
        if msg.secret:
            headers[SIGNATURE_HEADER] = signature(msg.secret, body)
        try:
            r = self._client.post(msg.to, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"webhook {msg.to}: {type(error).__name__}: {error}") from None
        if not 200 <= r.status_code < 300:
            raise DeliveryFailed(f"webhook {msg.to}: HTTP {r.status_code}")
