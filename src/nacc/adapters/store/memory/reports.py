"""Usage reports over the in-memory tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from nacc.ports.store_people_data import OrganisationView
from nacc.ports.store_report_groups import UsageGroup, WaitGroup, size_bucket, wait_group
from nacc.ports.store_reports import ProjectFacts, StartFact, UsageDay, UsageFact

if TYPE_CHECKING:
    from nacc.adapters.store.memory import Tables


def _inside(at: datetime, since: datetime | None, until: datetime | None) -> bool:
    return (since is None or at >= since) and (until is None or at < until)


class MemReports:
    def __init__(self, tables: Tables) -> None:
        self.t = tables

    def usage(self, since: datetime | None, until: datetime | None) -> list[UsageFact]:
        jobs = self.t.jobs.jobs
        out = [
            UsageFact(
                u.job_id,
                jobs[u.job_id].project_id,
                jobs[u.job_id].pool_id,
                u.accelerator_type,
                u.start_at,
                u.end_at,
                u.count,
                u.credits,
            )
            for u in self.t.jobs.usage.values()
            if _inside(u.start_at, since, until)
        ]
        return sorted(out, key=lambda f: f.start_at)

    def usage_days(self, since: datetime | None, until: datetime | None) -> list[UsageDay]:
        sums: dict[tuple[date, str, str], tuple[UsageFact, Decimal, float]] = {}
        for f in self.usage(since, until):
            key = (f.start_at.astimezone(UTC).date(), f.job_id, f.accelerator_type)
            _, credits, secs = sums.get(key, (f, Decimal(0), 0.0))
            span = (f.end_at - f.start_at).total_seconds() * f.count
            sums[key] = (f, credits + f.credits, secs + span)
        return [UsageDay(f.job_id, f.project_id, f.pool_id, f.accelerator_type, day, c, s)
                for (day, _, _), (f, c, s) in sorted(sums.items())]  # fmt: skip

    def usage_overlapping(self, since: datetime, until: datetime) -> list[UsageFact]:
        return [f for f in self.usage(None, until) if f.end_at > since]

    def summarised_by_job(self) -> dict[str, Decimal]:  # no summary here: the intervals
        out: dict[str, Decimal] = {}
        for f in self.usage(None, None):
            out[f.job_id] = out.get(f.job_id, Decimal(0)) + f.credits
        return out

    def delivered_by_pool(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for f in self.usage(None, None):
            if f.pool_id is not None:
                out[f.pool_id] = out.get(f.pool_id, Decimal(0)) + f.credits
        return out

    def projects(self) -> list[ProjectFacts]:
        p = self.t.people
        out = []
        for proj in p.projects.values():
            prop = p.proposals.get(proj.proposal_id) if proj.proposal_id is not None else None
            call = p.calls.get(prop.call_id) if prop is not None else None
            prog = p.programs.get(call.program_id) if call is not None else None
            org = p.organisations.get(prop.organisation_id) if prop is not None else None
            if org is None:  # made without a proposal: the organisation of its PI
                org = self._pi_org(proj.id)
            out.append(ProjectFacts(
                proj.id, proj.name, prog.name if prog else "", org.name if org else "",
                org.kind if org else "", call.sector_tags if call else (),
            ))  # fmt: skip
        return out

    def _pi_org(self, project_id: int) -> OrganisationView | None:
        p = self.t.people
        for user_id, role, scope in sorted(p.roles):
            user = p.users.get(user_id)
            mine = role == "pi" and scope == f"project:{project_id}"
            if mine and user is not None and user.organisation_id is not None:
                return p.organisations.get(user.organisation_id)
        return None

    def starts(self, since: datetime | None, until: datetime | None) -> list[StartFact]:
        out = [
            StartFact(j.id, j.project_id, j.accelerators, j.submitted_at, j.started_at)
            for j in self.t.jobs.jobs.values()
            if j.started_at is not None and _inside(j.started_at, since, until)
        ]
        return sorted(out, key=lambda f: (f.started_at, f.job_id))

    def _keys(self) -> dict[int, dict[str, str]]:
        """Each project's program, organisation, kind, call and name (report keys)."""
        p = self.t.people
        calls = {proj.id: p.proposals[proj.proposal_id].call_id for proj in p.projects.values()
                 if proj.proposal_id is not None and proj.proposal_id in p.proposals}  # fmt: skip
        return {f.project_id: {"program": f.program, "org": f.organisation, "org_kind": f.org_kind,
                               "call": str(calls.get(f.project_id, "")), "project": f.project}
                for f in self.projects()}  # fmt: skip

    def usage_groups(self, since: datetime | None, until: datetime | None, period: str,
                     keys: Sequence[str]) -> list[UsageGroup]:  # fmt: skip
        facts = self._keys()
        sums: dict[tuple[str, tuple[str, ...]], tuple[Decimal, float, set[str]]] = {}
        for f in self.usage(since, until):
            of = facts.get(f.project_id, {}) | {"type": f.accelerator_type, "pool": f.pool_id or ""}
            key = (_period(f.start_at, period), tuple(of.get(k, "") for k in keys))
            credits, secs, jobs = sums.get(key, (Decimal(0), 0.0, set()))
            jobs.add(f.job_id)
            span = (f.end_at - f.start_at).total_seconds() * f.count
            sums[key] = (credits + f.credits, secs + span, jobs)
        return [UsageGroup(day, k, c, s, len(j)) for (day, k), (c, s, j) in sums.items()]

    def wait_groups(self, since: datetime | None, until: datetime | None, key: str,
                    buckets: Sequence[tuple[int, str]], rest: str) -> list[WaitGroup]:  # fmt: skip
        facts = self._keys()
        groups: dict[str, list[float]] = {}
        for s in self.starts(since, until):
            name = (size_bucket(s.accelerators, buckets, rest) if key == "size"
                    else facts.get(s.project_id, {}).get(key, ""))  # fmt: skip
            wait = max(0.0, (s.started_at - s.submitted_at).total_seconds())
            groups.setdefault(name, []).append(wait)
        return [wait_group(name, values) for name, values in groups.items()]


def _period(at: datetime, period: str) -> str:
    day = at.astimezone(UTC).date()
    if period == "day":
        return day.isoformat()
    if period == "week":
        return (day - timedelta(days=day.weekday())).isoformat()
    if period == "month":
        return day.replace(day=1).isoformat()
    return ""
