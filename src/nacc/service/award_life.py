"""The award life cycle: progress reports gate tranches; credits left at expiry return.

- **Reports.** An award schedules reports 1, 2, 3 due 1, 3 and 9 months after the
  project's validity starts (NAIRR's schedule; those inside the validity). An officer of
  the program accepts them (``accept_report``). Tranche n+1 is not released while report
  n, or an earlier one, is overdue (``check_release``: 409 ``report_overdue``), nor once
  the project's validity has ended (409 ``award_ended``). Officers list what is overdue
  (``overdue``).
- **Expiry.** Once a project's validity has ended, the sweep returns its balance, less
  what its live jobs still hold, to the call's budget it came from: one ``transfer``
  entry ``project:<id>`` -> ``program:call-<call>``, cause ``expire:project:<id>``, at
  the sweep's time (``return_at_expiry``). Tranches never released stay in the call's budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from nacc.domain import notices as rules
from nacc.domain.errors import NotFound
from nacc.ledger.accounts import EntryKind
from nacc.ledger.accounts import project as project_account
from nacc.ports.pages import MAX_PAGE
from nacc.ports.store import UnitOfWork
from nacc.ports.store_notices import ReportRow
from nacc.ports.store_people import ProjectTermsView, TrancheView
from nacc.service import audit, award_ledger
from nacc.service.auth import Principal, require
from nacc.service.context import Services, found
from nacc.service.programs import OFFICERS, call_account, find_proposal, officer_scope
from nacc.service.proposal_views import find_call


@dataclass(frozen=True, slots=True)
class ReportView:
    project_id: int
    project: str
    program_id: int
    seq: int
    due_at: datetime
    accepted_at: datetime | None
    state: str  # accepted | overdue | due | scheduled


def schedule_reports(uow: UnitOfWork, proj: ProjectTermsView) -> None:
    uow.notices.add_reports(proj.id, rules.report_schedule(proj.valid_from, proj.valid_until))


def _report(r: ReportRow) -> rules.Report:
    return rules.Report(r.seq, r.due_at, r.accepted_at)


def check_release(uow: UnitOfWork, proj: ProjectTermsView, t: TrancheView, now: datetime) -> None:
    """Refuse releasing tranche ``t`` while an earlier report is overdue, or after the
    project's validity ended."""
    if now >= proj.valid_until:
        raise rules.AwardEnded(proj.id, proj.valid_until)
    reports = [_report(r) for r in uow.notices.reports_of(proj.id)]
    blocking = rules.blocking_report(reports, t.seq, now)
    if blocking is not None:
        raise rules.ReportOverdue(proj.id, t.seq, blocking)


def _state(r: ReportRow, now: datetime) -> str:
    if r.accepted_at is not None:
        return "accepted"
    kind = rules.report_state(_report(r), now)
    if kind is rules.Kind.REPORT_OVERDUE:
        return "overdue"
    return "due" if kind is rules.Kind.REPORT_DUE else "scheduled"


def _program_of(uow: UnitOfWork, proj: ProjectTermsView) -> int:
    if proj.proposal_id is None:
        raise NotFound("project", proj.id)
    return find_call(uow, find_proposal(uow, proj.proposal_id).call_id).program_id


def _view(uow: UnitOfWork, r: ReportRow, now: datetime) -> ReportView:
    proj = found(uow.awards.get_project(r.project_id), "project", r.project_id)
    return ReportView(proj.id, proj.name, _program_of(uow, proj), r.seq, r.due_at,
                      r.accepted_at, _state(r, now))  # fmt: skip


def _officer_of(who: Principal, program_id: int) -> bool:
    return any(who.has(role, officer_scope(program_id)) for role in OFFICERS)


def reports(svc: Services, who: Principal, project_id: int) -> list[ReportView]:
    """A project's reports: its PI and members, officers of its program, operators."""
    now = svc.clock()
    with svc.unit() as uow:
        proj = found(uow.awards.get_project(project_id), "project", project_id)
        program = _program_of(uow, proj)
        member = any(who.has(role, f"project:{proj.id}") for role in ("pi", "member"))
        if not member and not _officer_of(who, program):
            raise NotFound("project", project_id)
        return [_view(uow, r, now) for r in uow.notices.reports_of(project_id)]


def accept_report(
    svc: Services, who: Principal, project_id: int, seq: int
) -> tuple[ReportView, bool]:
    """An officer of the program accepts report ``seq`` (idempotent: True when now)."""
    now = svc.clock()
    with svc.unit() as uow:
        proj = found(uow.awards.get_project(project_id), "project", project_id)
        require(who, *OFFICERS, scope=officer_scope(_program_of(uow, proj)))
        row = next((r for r in uow.notices.reports_of(project_id) if r.seq == seq), None)
        if row is None:
            raise NotFound("progress report", f"{project_id}/{seq}")
        accepted = uow.notices.accept_report(row.id, now, who.user_id)
        audit.record(uow, who, now, "report.accept", f"project:{project_id}", report=seq,
                     accepted=accepted)  # fmt: skip
        row = next(r for r in uow.notices.reports_of(project_id) if r.seq == seq)
        return _view(uow, row, now), accepted


def overdue(svc: Services, who: Principal, program_id: int | None = None) -> list[ReportView]:
    """Reports past their date and not accepted, by due date, in the programs the caller
    is an officer of (all of them for global officers and operators)."""
    if not any(role in OFFICERS for role, _ in who.roles):
        require(who, *OFFICERS)  # an officer of no program: 403, not an empty list
    now = svc.clock()
    with svc.unit() as uow:
        views = [_view(uow, r, now) for r in uow.notices.open_reports() if r.due_at <= now]
    mine = [v for v in views if _officer_of(who, v.program_id)]
    return [v for v in mine if program_id is None or v.program_id == program_id][:MAX_PAGE]


def return_at_expiry(uow: UnitOfWork, proj: ProjectTermsView, now: datetime) -> Decimal | None:
    """At or after the end of its validity, return the project's free balance to its
    call's budget, once; the amount returned now (None if nothing was posted)."""
    if now < proj.valid_until or proj.proposal_id is None:
        return None
    cause = f"expire:project:{proj.id}"
    if uow.ledger.by_cause(cause) is not None:
        return None
    key = project_account(str(proj.id)).key
    amount = rules.returnable(award_ledger.balance(uow, key), proj.committed_credits)
    if amount <= 0:
        return None
    call_id = find_proposal(uow, proj.proposal_id).call_id
    legs = [(key, -amount), (call_account(call_id), amount)]
    memo = f"unused credits of project {proj.id} returned at expiry"
    posted = award_ledger.post(uow, EntryKind.TRANSFER, cause, now, memo, legs)
    return amount if posted else None
