"""Delivering the outbox: each due notice through its channel, outside any transaction.

1. One unit claims up to ``batch`` due rows (on PostgreSQL ``FOR UPDATE SKIP LOCKED``,
   so two servers never take the same row) by counting the attempt and moving its next
   attempt a lease ahead (``LEASE``): a process that dies mid-send leaves the row to be
   retried after the lease.
2. Each is sent (``nacc.ports.notify.Sender``), each with its own timeout: one bad
   endpoint costs its own attempt only, never another notice's.
3. One unit per row records what happened: ``sent``, or pending again after
   ``domain.notices.retry_after(attempts)``, or ``failed`` after ``MAX_ATTEMPTS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from nacc.domain.notices import retry_after
from nacc.ports.notify import DeliveryFailed, Outgoing, Sender
from nacc.ports.store_notices import Attempt, NoticeRow
from nacc.service.context import Services
from nacc.service.notify_outbox import address, prefs_of

LEASE = timedelta(minutes=5)


@dataclass
class Delivered:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def deliver(svc: Services, senders: Mapping[str, Sender] | None = None,
            batch: int = 100) -> Delivered:  # fmt: skip
    """Send what is due now; returns the ids sent, to be retried and given up."""
    senders = svc.senders if senders is None else senders
    now = svc.clock()
    claimed: list[tuple[NoticeRow, Outgoing | None]] = []
    with svc.unit() as uow:
        for row in uow.notices.due(now, batch):
            prefs = prefs_of(uow, row.user_id)
            to = address(uow, prefs, row.channel)
            out = None if to is None else Outgoing(
                row.id, row.key, row.kind, row.lang, row.subject, row.body, row.payload, to,
                prefs.webhook_secret if row.channel == "webhook" else None)  # fmt: skip
            uow.notices.record_attempt(row.id, Attempt("pending", row.attempts + 1, now + LEASE,
                                                       row.last_error, None))  # fmt: skip
            claimed.append((row, out))
    done = Delivered()
    for row, out in claimed:
        error = _send(senders, row.channel, out)
        _record(svc, row, error, svc.clock(), done)
    return done


def _send(senders: Mapping[str, Sender], channel: str, out: Outgoing | None) -> str | None:
    """None when sent, else what went wrong."""
    if out is None:
        return f"no {channel} address for this person"
    sender = senders.get(channel)
    if sender is None:
        return f"the {channel} channel is not configured on this server"
    try:
        sender.send(out)
    except DeliveryFailed as error:
        return str(error)
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    return None


def _record(svc: Services, row: NoticeRow, error: str | None, now: datetime,
            done: Delivered) -> None:  # fmt: skip
    attempts = row.attempts + 1
    if error is None:
        attempt = Attempt("sent", attempts, now, None, now)
        done.sent.append(row.id)
    elif (wait := retry_after(attempts)) is not None:
        attempt = Attempt("pending", attempts, now + wait, error, None)
        done.retrying.append(row.id)
    else:
        attempt = Attempt("failed", attempts, now, error, None)
        done.failed.append(row.id)
    with svc.unit() as uow:
        uow.notices.record_attempt(row.id, attempt)
