"""The data of ``bench/portal_pages.py``: the issue's scale (10,000 jobs, 1,000 projects,
a year of ledger entries) written by bulk inserts into a migrated database, plus the four
personas the pages are timed as.

Only the bench writes rows this way (SQLAlchemy Core on the store's own tables, in one
transaction): the services would take minutes to make a year of history. The shapes
are the services' own: a program is funded (``funding`` -> ``program:N``), each project
gets its award (``program:N`` -> ``project:N``, kind ``award``) and each metered
interval of a job is a usage entry (``project:N`` -> ``usage``) beside its
``usage_intervals`` row, so ``ledger verify`` and the reports read what they would read
in production. Seeded with a fixed ``random.Random``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from nacc.adapters.store import tables as t
from nacc.adapters.store import tables_identity as ti
from nacc.domain.pools import Pool
from nacc.ports.store_people import hash_token
from nacc.service.context import Services

ORG_KINDS = ("university", "company", "research_institute", "public_agency")
CLASSES = ("llm-pretraining", "fine-tuning", "inference", "vision-training", "evaluation")
YEAR = timedelta(days=365)
INTERVALS = 3  # metered intervals (and usage entries) per job that ran


@dataclass(frozen=True)
class Scale:
    jobs: int = 10_000
    projects: int = 1_000
    heavy_jobs: int = 1_000  # of ``jobs``, on the PI's own project (the heaviest page)
    organisations: int = 100
    programs: int = 5
    calls_per_program: int = 4
    reviewed_proposals: int = 50  # on the reviewer's call


@dataclass(frozen=True)
class Cast:
    """Who the pages are timed as, and the ids their pages name."""

    tokens: dict[str, str]  # persona -> API token
    project: int  # the PI's project (``heavy_jobs`` jobs)
    job: str  # one of its ended jobs
    call: int  # the reviewer's call, managed by the officer
    proposal: int  # a proposal on it
    open_call: int  # a call open now (the PI's apply page)
    rows: dict[str, int]  # table -> rows written


def _token(secret: str, user: int, now: datetime, tid: int) -> dict[str, Any]:
    return {"id": tid, "user_id": user, "label": "bench", "token_hash": hash_token(secret),
            "prefix": secret[:8], "created_at": now}  # fmt: skip


def _people(s: Scale, now: datetime) -> dict[str, list[dict[str, Any]]]:
    orgs = [{"id": i, "name": f"org-{i:04d}", "kind": ORG_KINDS[i % 4], "region": "Daejeon",
             "capital_area": i % 3 == 0} for i in range(1, s.organisations + 1)]  # fmt: skip
    users = [{"id": i, "name": f"PI {i}", "email": f"pi{i}@bench.example", "created_at": now,
              "organisation_id": 1 + i % s.organisations}
             for i in range(1, s.projects + 1)]  # fmt: skip
    staff = {"operator": s.projects + 1, "officer": s.projects + 2, "reviewer": s.projects + 3}
    for name, uid in staff.items():
        users.append({"id": uid, "name": name, "email": f"{name}@bench.example",
                      "created_at": now, "organisation_id": 1})  # fmt: skip
    roles = [{"user_id": i, "role": "pi", "scope": f"project:{i}"}
             for i in range(1, s.projects + 1)]  # fmt: skip
    roles += [{"user_id": staff["operator"], "role": "operator", "scope": ""},
              {"user_id": staff["officer"], "role": "program_officer", "scope": ""},
              {"user_id": staff["reviewer"], "role": "reviewer", "scope": "call:1"}]  # fmt: skip
    members = [{"project_id": i, "user_id": i, "role": "pi"} for i in range(1, s.projects + 1)]
    tokens = [_token(f"bench-{who}-secret-token", uid, now, n)
              for n, (who, uid) in enumerate({"pi": 1, **staff}.items(), 1)]  # fmt: skip
    return {"organisations": orgs, "users": users, "role_assignments": roles,
            "api_tokens": tokens, "project_members": members}  # fmt: skip


def _calls(s: Scale, now: datetime) -> dict[str, list[dict[str, Any]]]:
    programs = [{"id": i, "name": f"program {i}", "description": "bench"}
                for i in range(1, s.programs + 1)]  # fmt: skip
    calls = []
    n = s.programs * s.calls_per_program
    for c in range(1, n + 1):
        opens = now - YEAR - timedelta(days=30) + timedelta(days=c)
        if c == n:  # the last call is open now
            opens = now - timedelta(days=1)
        calls.append({"id": c, "program_id": 1 + (c - 1) % s.programs, "title": f"call {c}",
                      "opens_at": opens, "closes_at": opens + timedelta(days=20),
                      "budget_credits": Decimal(10**7), "eligible_org_kinds": [],
                      "sector_tags": ["general-research"],
                      "review_criteria": [{"name": "merit", "weight": 1.0}],
                      "min_score": 0.0, "blind": c == 1, "review_opens_at": opens,
                      "review_closes_at": now + timedelta(days=30)})  # fmt: skip
    return {"programs": programs, "calls": calls}


def _projects(s: Scale, now: datetime) -> dict[str, list[dict[str, Any]]]:
    decided_calls = s.programs * s.calls_per_program - 1
    proposals, projects, decisions, tranches, reviews = [], [], [], [], []
    for p in range(1, s.projects + 1):
        call = 1 if p <= s.reviewed_proposals else 2 + p % (decided_calls - 1)
        start = now - YEAR + timedelta(hours=p % 48)
        proposals.append({"id": p, "call_id": call, "organisation_id": 1 + p % s.organisations,
                          "pi_user_id": p, "title": f"proposal {p}", "abstract": "bench",
                          "requested_credits": Decimal(20_000), "job_classes": list(CLASSES),
                          "status": "awarded",
                          "submitted_at": start - timedelta(days=40)})  # fmt: skip
        projects.append({"id": p, "proposal_id": p, "name": f"project {p}", "valid_from": start,
                         "valid_until": start + YEAR + timedelta(days=90),
                         "overdraft_credits": Decimal(0)})  # fmt: skip
        decisions.append({"proposal_id": p, "outcome": "awarded", "weighted_score": 7.0,
                          "awarded_credits": Decimal(20_000), "override": False, "reason": "",
                          "decided_by": s.projects + 2, "decided_at": start})  # fmt: skip
        tranches += [{"project_id": p, "seq": 1, "amount": Decimal(10_000),
                      "release_condition": "at_award", "released_at": start},
                     {"project_id": p, "seq": 2, "amount": Decimal(10_000),
                      "release_condition": "progress_report_accepted",
                      "released_at": start + timedelta(days=180)}]  # fmt: skip
        if p <= s.reviewed_proposals // 2:
            reviews.append({"proposal_id": p, "reviewer_id": s.projects + 3,
                            "scores": {"merit": 7.0}, "comment": "",
                            "created_at": start})  # fmt: skip
    return {"proposals": proposals, "projects": projects, "decisions": decisions,
            "tranches": tranches, "reviews": reviews}  # fmt: skip


class _Ledger:
    """Rows of accounts, entries and legs, numbered as they are added."""

    def __init__(self) -> None:
        self.accounts: list[dict[str, Any]] = []
        self.entries: list[dict[str, Any]] = []
        self.legs: list[dict[str, Any]] = []

    def account(self, key: str, kind: str, overdraft: Decimal | None) -> None:
        self.accounts.append({"key": key, "kind": kind, "overdraft": overdraft})

    def post(self, kind: str, cause: str, at: datetime, src: str, dst: str, amount: Decimal,
             job: str | None = None) -> None:  # fmt: skip
        eid = len(self.entries) + 1
        self.entries.append({"id": eid, "cause": cause, "at": at, "memo": "", "kind": kind,
                             "job_id": job})  # fmt: skip
        self.legs += [{"entry_id": eid, "account_key": src, "amount": -amount},
                      {"entry_id": eid, "account_key": dst, "amount": amount}]  # fmt: skip


def _funding(s: Scale, now: datetime, book: _Ledger) -> None:
    book.account("funding", "funding", None)
    book.account("usage", "usage", None)
    per_program = Decimal(20_000) * s.projects  # enough for every award
    for g in range(1, s.programs + 1):
        book.account(f"program:{g}", "program", Decimal(0))
        book.post("funding", f"fund:program:{g}", now - YEAR - timedelta(days=60), "funding",
                  f"program:{g}", per_program)  # fmt: skip
    for p in range(1, s.projects + 1):
        book.account(f"project:{p}", "project", Decimal(0))
        program = 1 + (p - 1) % s.programs
        start = now - YEAR + timedelta(hours=p % 48)
        for seq, at in ((1, start), (2, start + timedelta(days=180))):
            book.post("award", f"award:project:{p}:tranche:{seq}", at, f"program:{program}",
                      f"project:{p}", Decimal(10_000))  # fmt: skip


def _job_rows(s: Scale, now: datetime, pools: Sequence[Pool], rng: random.Random,
              book: _Ledger) -> dict[str, list[dict[str, Any]]]:  # fmt: skip
    jobs, usage = [], []
    for n in range(s.jobs):
        project = 1 if n < s.heavy_jobs else 2 + n % (s.projects - 1)
        pool = pools[n % len(pools)]
        submitted = now - YEAR + timedelta(seconds=rng.uniform(0, YEAR.total_seconds() - 7200))
        jid = f"j-bench{n:06d}"
        state = "completed" if n % 10 < 7 else ("failed" if n % 10 == 7 else "cancelled")
        if n % 50 == 1:
            state, submitted = "pending", now - timedelta(minutes=n % 300)
        elif n % 50 == 2:
            state, submitted = "running", now - timedelta(hours=1 + n % 20)
        count = rng.choice((1, 2, 4, 8))
        row: dict[str, Any] = {
            "id": jid, "project_id": project, "submitted_by": project,
            "command": "python train.py", "accelerators": count, "job_class": CLASSES[n % 5],
            "accelerator_types": None, "time_limit_s": 86400, "gang": False, "state": state,
            "reason": "", "reason_code": "", "submitted_at": submitted, "pool_id": None,
            "started_at": None, "finished_at": None, "exit_code": None, "device_ids": None,
        }  # fmt: skip
        jobs.append(row)
        if state == "pending":
            continue
        started = submitted + timedelta(seconds=rng.uniform(5, 3600))
        row.update(
            pool_id=str(pool.id), started_at=started, device_ids=[str(i) for i in range(count)]
        )
        step = timedelta(minutes=rng.uniform(10, 120))
        end = started
        for i in range(INTERVALS):
            end = started + step * (i + 1)
            credits = Decimal(count) * Decimal(round(step.total_seconds() / 3600, 6))
            usage.append({"job_id": jid, "start_at": started + step * i, "end_at": end,
                          "accelerator_type": pool.accel_type, "count": count,
                          "credits": credits})  # fmt: skip
            book.post("usage", f"job:{jid}:usage:{i}", end, f"project:{project}", "usage",
                      credits, job=jid)  # fmt: skip
        if state != "running":
            row.update(finished_at=end, exit_code=0 if state == "completed" else 1)
    return {"jobs": jobs, "usage_intervals": usage}


TABLES = {m.__tablename__: m.__table__ for m in (
    t.Organisation, t.User, t.RoleAssignment, t.ApiToken, t.Program, t.Call, t.Proposal,
    t.Project, t.ProjectMember, t.Decision, t.Tranche, t.Review, t.Account, t.JournalEntry,
    t.JournalLeg, t.Job, t.UsageInterval)}  # fmt: skip
ORDER = ("organisations", "users", "role_assignments", "api_tokens", "programs", "calls",
         "proposals", "projects", "project_members", "decisions", "tranches", "reviews",
         "accounts", "journal_entries", "journal_legs", "jobs", "usage_intervals")  # fmt: skip
SEQUENCED = ("organisations", "users", "api_tokens", "programs", "calls", "proposals",
             "projects", "journal_entries")  # fmt: skip


def seed(svc: Services, pools: Sequence[Pool], scale: Scale = Scale(),
         step: Callable[[str, int], None] = lambda name, n: None) -> Cast:  # fmt: skip
    """Write the bench's world into ``svc``'s (empty, migrated) database."""
    assert ti is not None  # the identity tables are part of the metadata
    now = svc.clock()
    rng = random.Random(20261203)
    book = _Ledger()
    rows = {**_people(scale, now), **_calls(scale, now), **_projects(scale, now)}
    _funding(scale, now, book)
    rows.update(_job_rows(scale, now, pools, rng, book))
    rows.update(accounts=book.accounts, journal_entries=book.entries, journal_legs=book.legs)
    engine = svc.sessions.kw["bind"]
    with engine.begin() as conn:
        for name in ORDER:
            for lo in range(0, len(rows[name]), 5000):
                conn.execute(sa.insert(TABLES[name]), rows[name][lo : lo + 5000])
            step(name, len(rows[name]))
        if engine.dialect.name == "postgresql":  # explicit ids: move the sequences on
            for name in SEQUENCED:
                conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                     f"(SELECT max(id) FROM {name}))"))  # fmt: skip
        conn.execute(sa.text("ANALYZE"))  # as autovacuum would soon: plans see the rows
    return cast(scale, {k: len(v) for k, v in rows.items()})


def cast(scale: Scale, rows: dict[str, int]) -> Cast:
    """The personas and ids of a database ``seed`` wrote at ``scale`` (the same every
    time: the seed is fixed), with the ``rows`` written."""
    tokens = {"pi": "bench-pi-secret-token", "operator": "bench-operator-secret-token",
              "officer": "bench-officer-secret-token",
              "reviewer": "bench-reviewer-secret-token"}  # fmt: skip
    calls = scale.programs * scale.calls_per_program
    return Cast(tokens, 1, "j-bench000000", 1, 1, calls, rows)
