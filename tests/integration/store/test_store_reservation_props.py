"""Property test (hypothesis), on SQLite and PostgreSQL: under any sequence of
submissions, usage charges (retried or not) and job ends, a project's committed credits
equal what its live jobs hold, ended jobs hold nothing, and balance + overdraft never
falls below what is committed: jobs together cannot take the project below its floor."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from nacc.adapters.store import repos_jobs as jobs
from nacc.adapters.store import repos_ledger as ledger
from nacc.adapters.store import to_credits
from nacc.adapters.store.repos_projects import get_project
from nacc.domain.lifecycle import TERMINAL, JobState

World = Any  # the `world` fixture of this folder's conftest

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("submit"), st.integers(1, 40)),  # estimate in tenths of a credit
        st.tuples(st.just("charge"), st.integers(0, 7), st.integers(0, 100), st.booleans()),
        st.tuples(st.just("end"), st.integers(0, 7), st.sampled_from(sorted(TERMINAL))),
    ),
    max_size=25,
)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(ops=OPS)
def test_reservations_keep_the_books(
    session_factory: sessionmaker[Session], world: World, ops: list[tuple[Any, ...]]
) -> None:
    with session_factory() as s:
        try:
            _run(s, world, ops)
        finally:
            s.rollback()  # each example starts from the same committed world


def _run(s: Session, world: World, ops: list[tuple[Any, ...]]) -> None:
    key, now = f"project:{world.project_id}", world.t0 + timedelta(days=1)
    ledger.ensure_account(s, "funding", "funding", None)
    ledger.ensure_account(s, key, "project")
    ledger.ensure_account(s, "usage", "usage", None)
    ledger.add_journal_entry(s, "fund", now, "t", [("funding", Decimal(-5)), (key, Decimal(5))])
    submitted: list[str] = []
    posted: list[tuple[str, Decimal]] = []  # causes already charged (to retry)
    for n, op in enumerate(ops):
        if op[0] == "submit":
            _submit(s, world, key, now, f"j{n}", Decimal(op[1]) / 10, submitted)
        elif op[0] == "charge" and submitted:
            job_id = submitted[op[1] % len(submitted)]
            if op[3] and posted:  # retry an earlier charge: changes nothing
                cause, amount = posted[op[2] % len(posted)]
                job_id = cause.split("#")[0]
            else:
                row = jobs.get_job(s, job_id)
                assert row is not None
                s.refresh(row)
                if row.state in {t.value for t in TERMINAL}:
                    continue
                # a time limit caps the charge at what the job still holds
                amount = to_credits(row.reserved_credits * op[2] / 100)
                cause = f"{job_id}#{n}"
            legs = [(key, -amount), ("usage", amount)]
            _, fresh = ledger.add_journal_entry(s, cause, now, "use", legs,
                                                enforce_overdraft=False)  # fmt: skip
            if fresh:
                jobs.draw_reservation(s, job_id, amount)
                posted.append((cause, amount))
        elif op[0] == "end" and submitted:
            job_id, dst = submitted[op[1] % len(submitted)], op[2]
            row = jobs.get_job(s, job_id)
            assert row is not None
            s.refresh(row)
            state = JobState(row.state)
            if state in TERMINAL:
                continue
            if state is JobState.PENDING and dst in (JobState.COMPLETED, JobState.FAILED):
                start = jobs.Transition(JobState.RUNNING, now, "start")
                jobs.record_transition(s, job_id, start)  # it must run to complete or fail
            if state is JobState.RUNNING and dst is JobState.REJECTED:
                dst = JobState.CANCELLED  # a running job is not rejected
            jobs.record_transition(s, job_id, jobs.Transition(dst, now, "end"))
        _check(s, world, key, submitted)


def _submit(s: Session, world: World, key: str, now: datetime, job_id: str,
            estimate: Decimal, submitted: list[str]) -> None:  # fmt: skip
    free = _free(s, world, key)
    new = jobs.NewJob(job_id, world.project_id, world.pi_id, "true", 1, "inference")
    try:
        with s.begin_nested():  # the service's transaction, rolled back if unfunded
            job = jobs.insert_if_funded(s, new, now, estimate, key)
    except jobs.NotFunded:
        job = None
    assert (job is not None) == (estimate <= free)
    if job is not None:
        submitted.append(job.id)


def _free(s: Session, world: World, key: str) -> Decimal:
    project = get_project(s, world.project_id)
    assert project is not None
    s.refresh(project)
    return ledger.balance(s, key) + project.overdraft_credits - project.committed_credits


def _check(s: Session, world: World, key: str, submitted: list[str]) -> None:
    s.flush()
    project = get_project(s, world.project_id)
    assert project is not None
    s.refresh(project)
    rows = [jobs.get_job(s, j) for j in submitted]
    for row in rows:
        assert row is not None
        s.refresh(row)
        assert row.reserved_credits >= 0
    live = [r for r in rows if r is not None and r.state in ("pending", "running")]
    ended = [r for r in rows if r is not None and r not in live]
    assert project.committed_credits == sum((r.reserved_credits for r in live), Decimal(0))
    assert all(r.reserved_credits == 0 for r in ended)
    assert _free(s, world, key) >= 0  # never committed beyond balance + overdraft
    assert ledger.balance(s, key) >= -project.overdraft_credits
