"""The sweep: find what happened to every awarded project, queue the notices, return
what expired, then deliver the outbox. Run periodically by the server
(``NACC_NOTIFY_EVERY_S``) or on demand (``POST /notify/sweep``, ``nacc notify sweep``).

Each project is swept in its own unit of work, so one project's failure is reported and
skipped, never blocking the others. Every notice has a key naming its event, so sweeping
twice (or from two servers at once) queues each notice once:

- ``balance_50/80/100`` (key ``balance:<project>:t<tranches released>:<pct>``, to the
  members): that share of the credits released so far used;
- ``expiry_30``, ``expiry_7`` (``expiry:<project>:<days>``, members): days before the
  validity ends (only the tighter one when both are due at the first look);
- ``report_due`` (``report:<project>:<n>:due``, the PI): 7 days before report n's date;
- ``report_overdue`` (``report:<project>:<n>:overdue``, the PI): its date passed and it
  is not accepted;
- ``credits_returned`` (``returned:<project>``, members): the validity ended and the
  free balance went back to the call's budget.

``job_ended`` (opt-in; ``job:<id>:ended``, to whoever submitted the job): a job ended
after they opted in.

``proposal_decided`` (``decision:<proposal>``, to the applicant and the team who
accepted) is queued by the decision itself (``nacc.service.awards.decide``).
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal

from nacc.domain import notices as rules
from nacc.ledger.accounts import fmt
from nacc.ports.store import UnitOfWork
from nacc.ports.store_people import ProjectTermsView
from nacc.service import award_ledger, award_life
from nacc.service.context import Services
from nacc.service.notify_deliver import Delivered, deliver
from nacc.service.notify_outbox import notify

log = logging.getLogger(__name__)


@dataclass
class Swept:
    queued: int = 0
    returned: dict[int, Decimal] = field(default_factory=dict)  # project -> credits
    errors: dict[int, str] = field(default_factory=dict)  # project -> what went wrong
    delivered: Delivered = field(default_factory=Delivered)


def sweep(svc: Services) -> Swept:
    """Detect, queue and deliver (see the module's table)."""
    out = Swept()
    with svc.unit() as uow:
        projects = uow.notices.awarded_projects()
    try:
        out.queued += _job_ends(svc)
    except Exception as error:
        log.exception("notify sweep: job ends")
        out.errors[0] = f"job ends: {type(error).__name__}: {error}"
    for project_id in projects:
        try:
            with svc.unit() as uow:
                out.queued += _project(uow, project_id, svc.clock(), out)
        except Exception as error:
            log.exception("notify sweep: project %s", project_id)
            out.errors[project_id] = f"{type(error).__name__}: {error}"
    out.delivered = deliver(svc)
    return out


def _job_ends(svc: Services) -> int:
    """``job_ended`` (key ``job:<id>:ended``, to whoever submitted it) for the jobs of
    the people who opted in, ended since they did; their mark then moves to the last
    end seen, so each sweep reads only new ends."""
    now, queued = svc.clock(), 0
    with svc.unit() as uow:
        for prefs in uow.notices.job_end_watchers():
            assert prefs.job_end_since is not None
            ended = uow.notices.ended_jobs(prefs.user_id, prefs.job_end_since, 500)
            for job in ended:
                params = {"job": job.id, "project": job.project_id, "state": job.state,
                          "exit_code": job.exit_code,
                          "finished": _when(job.finished_at)}  # fmt: skip
                queued += notify(uow, [prefs.user_id], rules.Kind.JOB_ENDED,
                                 f"job:{job.id}:ended", params, now)  # fmt: skip
            if ended:
                uow.notices.set_prefs(replace(prefs, job_end_since=ended[-1].finished_at))
    return queued


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")


def _project(uow: UnitOfWork, project_id: int, now: datetime, out: Swept) -> int:
    proj = uow.awards.get_project(project_id)
    if proj is None:
        return 0
    members = [m.user_id for m in uow.awards.project_members(proj.id)]
    pis = [m.user_id for m in uow.awards.project_members(proj.id) if m.role == "pi"] or members
    queued = _balance(uow, proj, members, now) + _reports(uow, proj, pis, now)
    for days in rules.expiry_due(proj.valid_until, now):
        left = math.ceil((proj.valid_until - now) / timedelta(days=1))
        params = {"project": proj.name, "days": left, "valid_until": _when(proj.valid_until)}
        queued += notify(uow, members, rules.Kind(f"expiry_{days}"),
                         f"expiry:{proj.id}:{days}", params, now)  # fmt: skip
    returned = award_life.return_at_expiry(uow, proj, now)
    if returned is not None:
        out.returned[proj.id] = returned
        params = {"project": proj.name, "amount": fmt(returned),
                  "valid_until": _when(proj.valid_until)}  # fmt: skip
        queued += notify(uow, members, rules.Kind.CREDITS_RETURNED, f"returned:{proj.id}",
                         params, now)  # fmt: skip
    return queued


def _balance(uow: UnitOfWork, proj: ProjectTermsView, members: list[int], now: datetime) -> int:
    if now >= proj.valid_until:
        return 0  # the return at expiry is not use
    released = [t for t in uow.awards.tranches_of(proj.id) if t.released_at is not None]
    total = sum((t.amount for t in released), Decimal(0))
    balance = award_ledger.balance(uow, f"project:{proj.id}")
    queued = 0
    for pct in rules.thresholds_reached(total, balance):
        params = {"project": proj.name, "pct": pct, "used": fmt(total - balance),
                  "released": fmt(total), "balance": fmt(balance)}  # fmt: skip
        key = f"balance:{proj.id}:t{len(released)}:{pct}"
        queued += notify(uow, members, rules.balance_kind(pct), key, params, now)
    return queued


def _reports(uow: UnitOfWork, proj: ProjectTermsView, pis: list[int], now: datetime) -> int:
    if not uow.notices.reports_of(proj.id):
        award_life.schedule_reports(uow, proj)  # projects awarded before reports existed
    queued = 0
    for r in uow.notices.reports_of(proj.id):
        kind = rules.report_state(rules.Report(r.seq, r.due_at, r.accepted_at), now)
        if kind is None:
            continue
        word = "overdue" if kind is rules.Kind.REPORT_OVERDUE else "due"
        params = {"project": proj.name, "report": r.seq, "due": _when(r.due_at)}
        queued += notify(uow, pis, kind, f"report:{proj.id}:{r.seq}:{word}", params, now)
    return queued


class Sweeper:
    """The notice sweep (``nacc.service.notify_sweep``) every ``every_s`` in a thread of
    the server; a failed sweep is logged and the next one runs as usual."""

    def __init__(self, svc: Services, every_s: float) -> None:
        self.svc, self.every_s = svc, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="nacc-notify", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                sweep(self.svc)
            except Exception:  # the database may be briefly away: the next sweep runs
                log.exception("nacc notify: sweep failed")
