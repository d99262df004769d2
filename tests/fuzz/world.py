"""The world the fuzzer meets: the demo's programs, calls, people and funded projects
(``nacc serve --demo``), plus a project member and a call open for applications, so that
generated ids hit real rows and every role has something it may and may not do.

``seed_world`` returns one token per role; the anonymous caller has none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from nacc.ports.store_people import CallSpec
from nacc.service import demo, programs, reviews
from nacc.service.auth import Principal
from nacc.service.context import Services


@dataclass(frozen=True)
class Served:
    """The API at ``url`` over the ``db`` kind of database, and each role's token."""

    db: str
    url: str
    tokens: dict[str, str | None]


ROLES = ("operator", "program_officer", "reviewer", "pi", "member", "anonymous")


def seed_world(svc: Services) -> dict[str, str | None]:
    """Seed ``svc``'s empty database; the token of each role in ``ROLES``."""
    by_email = {p.email: p.token for p in demo.seed(svc).people}
    now = svc.clock()
    with svc.unit() as uow:
        pi = uow.people.user_by_email("pi@kaist.example")
        assert pi is not None, "the demo has no PI KAIST"
        member = uow.people.create_user("Member KAIST", "member@kaist.example", now,
                                        pi.organisation_id)  # fmt: skip
        uow.people.grant_role(member.id, "member", "project:1")
        _, member_token = uow.people.create_token(member.id, now, label="fuzz")
        officer = uow.people.user_by_email("officer@nipa.example")
        reviewer = uow.people.user_by_email("reviewerA@review.example")
        assert officer is not None and reviewer is not None
        reviewer_id = reviewer.id
    who = Principal(officer.id, officer.name, None, frozenset({("program_officer", "")}))
    spec = CallSpec(
        title="open call (fuzz)", opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30), budget_credits=Decimal(1000),
        review_opens_at=now - timedelta(days=1), review_closes_at=now + timedelta(days=60),
        criteria={"merit": 1.0}, min_score=1.0,
        eligible_org_kinds=[], sector_tags=["general-research"],
    )  # fmt: skip
    call = programs.open_call(svc, who, 1, spec)
    reviews.assign_reviewer(svc, who, call.id, reviewer_id)
    return {
        "operator": by_email["ops@nacc.example"],
        "program_officer": by_email["officer@nipa.example"],
        "reviewer": by_email["reviewerA@review.example"],
        "pi": by_email["pi@kaist.example"],
        "member": member_token,
        "anonymous": None,
    }
