"""A project awarded through a proposal (program, call, organisation kind, sector,
job classes, accelerator types), made through the store port and funded."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

from jobsetup import Funded, _user

from nacc.ledger.accounts import EntryKind
from nacc.ports.store_people import AwardProjectSpec, CallSpec, ProposalSpec
from nacc.service import posting
from nacc.service.context import Services


def awarded_project(
    svc: Services, name: str, *, program: str, org_kind: str = "university",
    sector: str = "general-research", classes: Sequence[str] = ("fine-tuning",),
    types: Sequence[str] | None = None, credits: Decimal = Decimal(100),
) -> Funded:  # fmt: skip
    now = svc.clock()
    with svc.unit() as uow:
        org = uow.people.create_organisation(f"{name} org", org_kind, "Seoul", capital_area=True)
        prog = uow.programs.program_by_name(program) or uow.programs.create_program(program)
        spec = CallSpec(f"{name} call", now - timedelta(days=9), now - timedelta(days=5),
                        Decimal(10_000), now - timedelta(days=4), now - timedelta(days=2),
                        {"merit": 1.0}, 0.0, sector_tags=(sector,))  # fmt: skip
        call = uow.programs.create_call(prog.id, spec)
        pi = uow.people.create_user(f"{name} pi", f"{name}-pi@x.example", now, org.id)
        prop = uow.programs.create_proposal(call.id, ProposalSpec(
            org.id, pi.id, name, "abstract", credits, classes, types), now)  # fmt: skip
        valid = (now - timedelta(days=1), now + timedelta(days=30))
        proj = uow.awards.create_project(AwardProjectSpec(name, *valid, proposal_id=prop.id))
        scope = f"project:{proj.id}"
        uow.people.grant_role(pi.id, "pi", scope)
        _, pi_token = uow.people.create_token(pi.id, now)
        member = _user(svc, uow, f"{name} member", org.id, [("member", scope)])
        outsider = _user(svc, uow, f"{name} outsider", org.id, [])
        if uow.ledger.get_account("funding") is None:
            uow.ledger.open_account("funding", "funding", None)
        uow.ledger.open_account(scope, "project", Decimal(0))
        legs = [("funding", -credits), (scope, credits)]
        posting.post(uow, posting.entry(EntryKind.TRANSFER, legs, f"test-fund:{proj.id}", now,
                                        "test funding"))  # fmt: skip
        return Funded(proj.id, pi_token, member, outsider)
