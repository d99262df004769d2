"""The audit log: every privileged action, who did it, when and from which address.

A use case that changes what others may do (people, roles, tokens, programs, calls,
reviewers, decisions, tranches, team invitations) calls ``record`` inside its own unit of
work, so the entry is committed with the action or not at all. Operators read the log
(``read``), newest first.
"""

from __future__ import annotations

from datetime import datetime

from nacc.ports.pages import Page
from nacc.ports.store import UnitOfWork
from nacc.ports.store_people import AuditEntry, AuditView
from nacc.service.auth import Principal, require
from nacc.service.context import Services

Detail = str | int | float | bool | None


def record(
    uow: UnitOfWork, who: Principal, now: datetime, action: str, target: str,
    **details: Detail,
) -> AuditView:  # fmt: skip
    """Append ``action`` on ``target`` by ``who`` to the log, in ``uow``."""
    entry = AuditEntry(who.user_id, action, target, now, who.address, details)
    return uow.people.record_audit(entry)


def read(
    svc: Services, who: Principal, limit: int, offset: int, actor_id: int | None = None,
    action: str | None = None,
) -> Page[AuditView]:  # fmt: skip
    """Operators only: the log, newest first, optionally one actor's or one action's."""
    require(who, "operator")
    with svc.unit() as uow:
        return uow.people.audit_log(limit, offset, actor_id=actor_id, action=action)
