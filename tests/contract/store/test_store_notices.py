"""The notices repository through the store port (outbox, preferences, progress
reports), the same on SQLite, PostgreSQL and in memory."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contract.store.people_world import T0, World, build_world
from nacc.ports.store import Store
from nacc.ports.store_notices import Attempt, NewNotice, Prefs
from nacc.ports.store_people import AwardProjectSpec


@pytest.fixture
def world(store: Store) -> World:
    return build_world(store)


def _notice(w: World, key: str, channel: str = "email", at_s: int = 0) -> NewNotice:
    return NewNotice(key, "balance_50", w.pi_id, channel, "ko", "제목", "본문\n",
                     {"pct": 50, "project": "p"}, T0 + timedelta(seconds=at_s))  # fmt: skip


def test_outbox_once_per_key_user_channel_and_attempts(store: Store, world: World) -> None:
    with store.unit() as uow:
        assert uow.notices.enqueue(_notice(world, "balance:1:t1:50"))
        assert not uow.notices.enqueue(_notice(world, "balance:1:t1:50"))  # the same: nothing
        assert uow.notices.enqueue(_notice(world, "balance:1:t1:50", "webhook", 5))
    with store.unit() as uow:
        due = uow.notices.due(T0 + timedelta(seconds=1), 10)
        assert [(n.channel, n.state, n.attempts) for n in due] == [("email", "pending", 0)]
        assert due[0].payload == {"pct": 50, "project": "p"} and due[0].subject == "제목"
        uow.notices.record_attempt(due[0].id, Attempt("pending", 1, T0 + timedelta(minutes=1),
                                                      "HTTP 500" * 100, None))  # fmt: skip
    with store.unit() as uow:
        later = uow.notices.due(T0 + timedelta(seconds=30), 10)
        assert [n.channel for n in later] == ["webhook"]  # the email waits for its retry
        uow.notices.record_attempt(later[0].id, Attempt("sent", 1, T0, None, T0))
    with store.unit() as uow:
        rows = uow.notices.outbox(world.pi_id, 10)
        assert [(n.channel, n.state) for n in rows] == [("webhook", "sent"), ("email", "pending")]
        assert rows[1].last_error is not None and len(rows[1].last_error) == 500
        assert rows[0].sent_at == T0
        assert uow.notices.outbox(world.member_id, 10) == []


def test_prefs_round_trip(store: Store, world: World) -> None:
    prefs = Prefs(world.pi_id, "ko", ("balance_50", "test"), ("email", "webhook"), None,
                  "http://127.0.0.1:9/hook", "s" * 16)  # fmt: skip
    with store.unit() as uow:
        assert uow.notices.prefs(world.pi_id) is None
        uow.notices.set_prefs(prefs)
    with store.unit() as uow:
        assert uow.notices.prefs(world.pi_id) == prefs
        uow.notices.set_prefs(Prefs(world.pi_id, "en", (), ("email",), "x@y.kr", None, None))
    with store.unit() as uow:
        assert uow.notices.prefs(world.pi_id) == Prefs(world.pi_id, "en", (), ("email",),
                                                       "x@y.kr", None, None)  # fmt: skip
        assert uow.notices.job_end_watchers() == []
        watching = Prefs(world.member_id, "en", ("job_ended",), ("email",), None, None, None, T0)
        uow.notices.set_prefs(watching)
    with store.unit() as uow:
        assert uow.notices.job_end_watchers() == [watching]
        assert uow.notices.ended_jobs(world.member_id, T0, 10) == []


def test_progress_reports(store: Store, world: World) -> None:
    dues = [T0 + timedelta(days=d) for d in (30, 91, 273)]
    with store.unit() as uow:
        spec = AwardProjectSpec("p", T0, T0 + timedelta(days=365), proposal_id=world.proposal_id)
        project = uow.awards.create_project(spec).id
        uow.awards.create_project(AwardProjectSpec("not awarded", T0, T0 + timedelta(days=9)))
        assert uow.notices.awarded_projects() == [project]
        uow.notices.add_reports(project, dues)
        uow.notices.add_reports(project, dues[:1])  # kept as they are
    with store.unit() as uow:
        reports = uow.notices.reports_of(project)
        assert [(r.seq, r.due_at, r.accepted_at) for r in reports] == [
            (1, dues[0], None), (2, dues[1], None), (3, dues[2], None)]  # fmt: skip
        assert uow.notices.accept_report(reports[1].id, T0, world.officer_id)
        assert not uow.notices.accept_report(reports[1].id, T0, world.officer_id)
    with store.unit() as uow:
        assert [r.seq for r in uow.notices.open_reports()] == [1, 3]
        assert uow.notices.reports_of(project)[1].accepted_by == world.officer_id
