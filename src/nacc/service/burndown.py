"""A project's burn-down: what is left of its award over time, against the plan (the
award spent evenly from ``valid_from`` to ``valid_until``) and the tranches released.

Read from the project's ledger account (``project:<id>``): every entry that takes credits
out of it is spending (usage charges), every one that puts credits in is a release or a
refund. Readers as ``project_views.get_project`` (the PI, members, officers, operators).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from nacc.ledger.accounts import project as project_account
from nacc.ports.pages import MAX_PAGE
from nacc.service import project_views
from nacc.service.auth import Principal
from nacc.service.context import Services


@dataclass(frozen=True, slots=True)
class BurnDown:
    project_id: int
    awarded: Decimal
    valid_from: datetime
    valid_until: datetime
    days_left: int  # whole days until ``valid_until`` (0 once expired)
    expired: bool
    left: list[tuple[datetime, Decimal]]  # award minus credits spent so far, by time
    released: list[tuple[datetime, Decimal]]  # credits released so far, by time
    plan: list[tuple[datetime, Decimal]]  # the even plan: awarded at start, 0 at the end


def burn_down(svc: Services, who: Principal, project_id: int) -> BurnDown:
    details = project_views.get_project(svc, who, project_id)  # refuses who may not read it
    now = svc.clock()
    key = project_account(str(project_id)).key
    with svc.unit() as uow:
        flows = [(m, m.amount) for m in uow.ledger.account_moves(key, MAX_PAGE, 0)]
    funded = sum((m for e, m in flows if m > 0 and e.kind != "refund"), Decimal(0))
    awarded = details.awarded_credits or funded  # a project funded without an award
    spent, refunded = Decimal(0), Decimal(0)
    left: list[tuple[datetime, Decimal]] = [(details.valid_from, awarded)]
    for entry, moved in flows:
        if moved < 0:
            spent -= moved
        elif entry.kind == "refund":
            refunded += moved
        left.append((entry.at, awarded - spent + refunded))
    left.append((min(now, details.valid_until), awarded - spent + refunded))
    released: list[tuple[datetime, Decimal]] = []
    total = Decimal(0)
    for t in sorted((t for t in details.tranches if t.released_at), key=lambda t: t.seq):
        assert t.released_at is not None
        total += t.amount
        released.append((t.released_at, total))
    plan = [(details.valid_from, awarded), (details.valid_until, Decimal(0))]
    remaining = details.valid_until - now
    return BurnDown(project_id, awarded, details.valid_from, details.valid_until,
                    max(0, remaining.days), remaining.total_seconds() <= 0, left, released,
                    plan)  # fmt: skip
