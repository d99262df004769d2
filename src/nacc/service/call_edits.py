"""Closing a call early and editing it: the program officer's changes after ``open_call``.

Who: operators and the program's officers (as for opening). What may change depends on
where the call stands (each refusal is a coded reason naming the call and the field):

* a decided call changes no more (``call_decided``);
* closing ends submissions now (``closes_at`` becomes the present); a call already closed
  (``call_already_closed``) or not yet open (``call_not_yet_open``: change its dates) is
  not closed;
* a closed call keeps its submission window (``opens_at``, ``closes_at``: it does not
  reopen, ``call_closed_dates``); its title, budget, terms and review window may change
  as below;
* once proposals exist, what they were written and will be scored against stays: the
  opening, the eligible kinds, sector tags, criteria, minimum score and blindness
  (``call_field_locked``); the budget may rise but not fall (``call_budget_locked``);
* a new ``closes_at`` of an open call is in the future (``call_closes_in_past``: closing
  is its own action); the windows are checked as when opening (``input_invalid``).

A budget change moves the difference between ``funding`` and the call's account in the
same unit of work (a ``funding`` entry for a rise, a ``transfer`` back for a cut; the n-th
change has cause ``fund:call:<id>:budget:<n>``). Both
actions are written to the audit log (``call.close``, ``call.edit`` with the fields that
changed); an edit that changes nothing writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from decimal import Decimal

from nacc.domain.errors import Conflict
from nacc.domain.reasons import Code, Param, Reason
from nacc.i18n import render
from nacc.ledger.accounts import FUNDING, EntryKind
from nacc.ports.store import UnitOfWork
from nacc.ports.store_people import CallSpec, CallView
from nacc.service import audit, award_ledger
from nacc.service.auth import Principal, require
from nacc.service.context import Services
from nacc.service.programs import (
    OFFICERS,
    CallDetails,
    call_account,
    call_details,
    check_windows,
    officer_scope,
)
from nacc.service.proposal_views import find_call

FIXED_ONCE_PROPOSED = ("opens_at", "eligible_org_kinds", "sector_tags", "criteria",
                       "min_score", "blind")  # fmt: skip
FIXED_ONCE_CLOSED = ("opens_at", "closes_at")


class CallRefused(Conflict):
    """A close or an edit the call's state does not allow; ``where``: the field (or "").
    Its English text is the catalog's, so the API says the same in every language."""

    def __init__(self, code: Code, where: str = "", **params: Param) -> None:
        super().__init__(render(Reason.of(code, **params), "en"), code=code, params=params)
        self.where = where


@dataclass(frozen=True, slots=True)
class CallChanges:
    """What an edit states; ``None``: unchanged."""

    title: str | None = None
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    review_opens_at: datetime | None = None
    review_closes_at: datetime | None = None
    budget_credits: Decimal | None = None
    criteria: Mapping[str, float] | None = None
    min_score: float | None = None
    eligible_org_kinds: Sequence[str] | None = None
    sector_tags: Sequence[str] | None = None
    blind: bool | None = None


@dataclass(frozen=True, slots=True)
class Editable:
    """A call as its officer may change it: ``state`` (``upcoming``, ``open``, ``closed``,
    ``decided``), how many proposals it has, and the fields (``CallSpec``'s names) that can
    no longer change (``budget_credits``: it may only rise)."""

    call: CallDetails
    state: str
    proposals: int
    fixed: tuple[str, ...]


def editable(svc: Services, who: Principal, call_id: int) -> Editable:
    """The call and what of it may change, to its program's officers and operators."""
    now = svc.clock()
    with svc.unit() as uow:
        call = find_call(uow, call_id)
        require(who, *OFFICERS, scope=officer_scope(call.program_id))
        shown = call_details(uow, call)
        proposals = uow.programs.list_proposals(call_id, limit=1).total
    if shown.decided:
        return Editable(shown, "decided", proposals, tuple(f.name for f in fields(CallSpec)))
    state = "upcoming" if now <= call.opens_at else "open" if now < call.closes_at else "closed"
    fixed = list(FIXED_ONCE_CLOSED) if state == "closed" else []
    if proposals:
        fixed += [n for n in (*FIXED_ONCE_PROPOSED, "budget_credits") if n not in fixed]
    return Editable(shown, state, proposals, tuple(fixed))


def at(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def close_call(svc: Services, who: Principal, call_id: int) -> CallDetails:
    """End the call's submissions now (it may then be decided)."""
    now = svc.clock()
    with svc.unit() as uow:
        call = _officers_call(uow, who, call_id)
        if now >= call.closes_at:
            raise CallRefused(Code.CALL_ALREADY_CLOSED, call=call_id, closes_at=at(call.closes_at))
        if now <= call.opens_at:
            raise CallRefused(Code.CALL_NOT_YET_OPEN, call=call_id, opens_at=at(call.opens_at))
        row = uow.programs.update_call(call_id, replace(spec_of(call), closes_at=now))
        audit.record(uow, who, now, "call.close", f"call:{call_id}",
                     was=call.closes_at.isoformat())  # fmt: skip
        return call_details(uow, row)


def edit_call(svc: Services, who: Principal, call_id: int, changes: CallChanges) -> CallDetails:
    """Change what the call states, as far as its state allows (the module's rules)."""
    now = svc.clock()
    with svc.unit() as uow:
        call = _officers_call(uow, who, call_id)
        old = spec_of(call)
        new = merged(old, changes)
        changed = [f.name for f in fields(CallSpec) if _differs(old, new, f.name)]
        if not changed:
            return call_details(uow, call)
        check_windows(new)
        _check_state(uow, call, new, changed, now)
        row = uow.programs.update_call(call_id, new)
        if new.budget_credits != old.budget_credits:
            _rebudget(uow, call_id, old.budget_credits, new.budget_credits, now)
        audit.record(uow, who, now, "call.edit", f"call:{call_id}", fields=",".join(changed),
                     budget=str(new.budget_credits))  # fmt: skip
        return call_details(uow, row)


def _officers_call(uow: UnitOfWork, who: Principal, call_id: int) -> CallView:
    call = find_call(uow, call_id, lock=True)
    require(who, *OFFICERS, scope=officer_scope(call.program_id))
    if uow.programs.decisions_of_call(call_id):
        raise CallRefused(Code.CALL_DECIDED, call=call_id)
    return call


def _check_state(
    uow: UnitOfWork, call: CallView, new: CallSpec, changed: list[str], now: datetime
) -> None:
    closed = now >= call.closes_at
    for name in FIXED_ONCE_CLOSED if closed else ():
        if name in changed:
            raise CallRefused(Code.CALL_CLOSED_DATES, name, call=call.id, field=name,
                              closes_at=at(call.closes_at))  # fmt: skip
    proposals = uow.programs.list_proposals(call.id, limit=1).total
    for name in FIXED_ONCE_PROPOSED if proposals else ():
        if name in changed:
            raise CallRefused(Code.CALL_FIELD_LOCKED, name, call=call.id, field=name,
                              proposals=proposals)  # fmt: skip
    if proposals and new.budget_credits < call.budget_credits:
        raise CallRefused(Code.CALL_BUDGET_LOCKED, "budget_credits", call=call.id,
                          budget=str(call.budget_credits), proposals=proposals)  # fmt: skip
    if not closed and "closes_at" in changed and new.closes_at <= now:
        raise CallRefused(Code.CALL_CLOSES_IN_PAST, "closes_at", call=call.id,
                          closes_at=at(new.closes_at), now=at(now))  # fmt: skip


def _rebudget(uow: UnitOfWork, call_id: int, was: Decimal, now_is: Decimal,
              when: datetime) -> None:  # fmt: skip
    """``funding`` -> call for a rise (a funding entry), back for a cut (a transfer); the
    n-th change of the call's budget has cause ``fund:call:<id>:budget:<n>``."""
    delta = now_is - was
    legs = [(FUNDING.key, -delta), (call_account(call_id), delta)]
    seq = 1
    while uow.ledger.by_cause(f"fund:call:{call_id}:budget:{seq}") is not None:
        seq += 1
    kind = EntryKind.FUNDING if delta > 0 else EntryKind.TRANSFER
    memo = f"budget of call {call_id} from {was} to {now_is}"
    award_ledger.post(uow, kind, f"fund:call:{call_id}:budget:{seq}", when, memo, legs)


def spec_of(call: CallView) -> CallSpec:
    return CallSpec(
        title=call.title, opens_at=call.opens_at, closes_at=call.closes_at,
        budget_credits=call.budget_credits, review_opens_at=call.review_opens_at,
        review_closes_at=call.review_closes_at,
        criteria={c.name: c.weight for c in call.criteria}, min_score=call.min_score,
        eligible_org_kinds=tuple(call.eligible_org_kinds), sector_tags=tuple(call.sector_tags),
        blind=call.blind,
    )  # fmt: skip


def merged(old: CallSpec, changes: CallChanges) -> CallSpec:
    given = {f.name: getattr(changes, f.name) for f in fields(CallChanges)}
    stated = {k: v for k, v in given.items() if v is not None}
    for name in ("eligible_org_kinds", "sector_tags"):
        if name in stated:
            stated[name] = tuple(stated[name])
    if "criteria" in stated:
        stated["criteria"] = {str(k): float(w) for k, w in stated["criteria"].items()}
    return replace(old, **stated)


def _differs(old: CallSpec, new: CallSpec, name: str) -> bool:
    a, b = getattr(old, name), getattr(new, name)
    if name in ("eligible_org_kinds", "sector_tags"):
        return sorted(a) != sorted(b)
    if name == "criteria":
        return dict(a) != dict(b)
    return bool(a != b)
