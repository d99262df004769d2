"""The batch reads pages use (one query per kind of fact for a list of proposals, calls,
projects, users or jobs) give what the single reads give, on every store."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from contract.store.jobs_world import NOW, build_jobs_world
from contract.store.people_world import T0, build_world, proposal_spec
from nacc.domain.lifecycle import JobState
from nacc.domain.reasons import Code, Reason
from nacc.ports.store import Store
from nacc.ports.store_jobs import JobChange, UsageView
from nacc.ports.store_people import DecisionSpec


def test_people_and_programs_in_batches(store: Store) -> None:
    w = build_world(store)
    with store.unit() as uow:
        second = uow.programs.create_proposal(w.call_id, proposal_spec(w, "Second"), T0)
        uow.programs.add_review(w.proposal_id, w.reviewer_id, {"novelty": 7.0}, "ok", T0)
        uow.programs.record_decision(second.id, DecisionSpec("rejected", w.officer_id), T0)
        uow.people.create_token(w.pi_id, T0, label="a")
        uow.people.create_token(w.pi_id, T0, label="b")
        uow.people.grant_role(w.pi_id, "reviewer", f"call:{w.call_id}")
    ids = [w.proposal_id, second.id, 10_000]
    users = [w.pi_id, w.member_id, w.reviewer_id, 10_000]
    with store.snapshot() as uow:
        p = uow.programs
        assert p.members_of_proposals(ids) == {i: p.proposal_member_ids(i) for i in ids}
        assert p.members_of_proposals(ids)[w.proposal_id] == sorted([w.pi_id, w.member_id])
        assert p.reviews_of_proposals(ids) == {i: p.reviews_for(i) for i in ids}
        assert len(p.reviews_of_proposals(ids)[w.proposal_id]) == 1
        decided = p.decision_for(second.id)
        assert decided is not None
        assert p.decisions_of_proposals(ids) == {second.id: decided}
        assert p.decided_calls([w.call_id, 10_000]) == {w.call_id}
        people = uow.people
        assert people.users_by_id(users) == {u: people.get_user(u) for u in users[:3]}
        assert people.organisations_by_id([w.uni_id, 10_000]) == {
            w.uni_id: people.get_organisation(w.uni_id)}  # fmt: skip
        assert people.roles_of_users(users) == {u: people.roles_of(u) for u in users}
        assert people.tokens_of_users(users) == {u: people.tokens_of(u) for u in users}
        assert [t.label for t in people.tokens_of_users(users)[w.pi_id]] == ["a", "b"]
        assert people.users_by_id([]) == {} and p.members_of_proposals([]) == {}


def test_projects_and_jobs_in_batches(store: Store) -> None:
    w = build_jobs_world(store)
    start = NOW + timedelta(hours=1)
    with store.unit() as uow:
        proposal = uow.awards.get_project(w.project_id)
        assert proposal is not None and proposal.proposal_id is not None
        uow.jobs.create(w.job("j-1"), NOW)
        uow.jobs.create(w.job("j-2"), NOW)
        why = Reason.of(Code.STARTED, pool="kisti-h100")
        uow.jobs.transition("j-1", JobChange(JobState.RUNNING, start, why, pool_id="kisti-h100"))
        for i in range(2):
            at = start + timedelta(hours=i)
            uow.ledger.record_usage(UsageView("j-1", at, at + timedelta(minutes=30), "H100", 2,
                                              Decimal("1.5")))  # fmt: skip
    jobs = ["j-1", "j-2", "j-none"]
    with store.snapshot() as uow:
        a = uow.awards
        pid = proposal.proposal_id
        found = a.project_for_proposal(pid)
        assert a.projects_for_proposals([pid, 10_000]) == {pid: found}
        assert a.members_of_projects([w.project_id]) == {
            w.project_id: a.project_members(w.project_id)}  # fmt: skip
        assert a.tranches_of_projects([w.project_id, 10_000]) == {
            w.project_id: a.tranches_of(w.project_id), 10_000: []}  # fmt: skip
        led = uow.ledger
        assert led.jobs_usage(jobs) == {j: led.job_usage(j) for j in jobs}
        assert led.usage_for_jobs(jobs) == {j: led.usage_for_job(j) for j in jobs}
        assert len(led.usage_for_jobs(jobs)["j-1"]) == 2
        moves = led.account_moves(w.account, 100, 0)
        entries = led.journal(w.account, 100, 0).items
        assert [(m.at, m.kind, m.amount) for m in moves] == [
            (e.at, e.kind, sum((x for k, x in e.legs if k == w.account), Decimal(0)))
            for e in entries]  # fmt: skip
        assert sum((m.amount for m in moves), Decimal(0)) == led.balance(w.account)
        assert led.account_moves(w.account, 1, 1) == moves[1:2]
