"""Programs and projects on the SQL store only (SQLite and PostgreSQL): row locks,
savepoints, and the project queries of ``repos_projects``.

Behaviour of programs, calls, proposals, reviews, decisions and tranches through the port
is in the contract suite (tests/contract/store/test_store_programs.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, sessionmaker

from nacc.adapters.store import Conflict, InvalidReference
from nacc.adapters.store import repos_programs as programs
from nacc.adapters.store import repos_projects as projects
from nacc.adapters.store.sql_people import SqlPrograms
from nacc.adapters.store.tables import Call

if TYPE_CHECKING:
    from conftest import World

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the world fixture's t0


def test_two_units_deciding_one_call_are_serialised(
    session_factory: sessionmaker[Session], world: World
) -> None:
    """``get_call(lock=True)`` takes the call's row lock (FOR UPDATE on PostgreSQL)."""
    with session_factory() as s:
        stmt = str(
            sa.select(Call)
            .where(Call.id == world.call_id)
            .with_for_update()
            .compile(dialect=postgresql.dialect())
        )
        assert "FOR UPDATE" in stmt
        call = SqlPrograms(s).get_call(world.call_id, lock=True)
        assert call is not None and call.id == world.call_id


def test_a_refused_team_member_leaves_no_proposal(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with session_factory() as s:
        spec = programs.ProposalSpec(world.uni_id, world.pi_id, "ghosts", "a", Decimal(1),
                                     ("inference",), member_ids=(999,))  # fmt: skip
        with pytest.raises(InvalidReference, match="proposal member 999"):
            SqlPrograms(s).create_proposal(world.call_id, spec, T0)
        assert programs.list_proposals(s, world.call_id).total == 1


def test_project_members_and_tranches(session_factory: sessionmaker[Session], world: World) -> None:
    with session_factory() as s:
        project = projects.project_for_proposal(s, world.proposal_id)
        assert project is not None and project.id == world.project_id
        assert project.overdraft_credits == Decimal(0)
        assert projects.member_role(s, project.id, world.pi_id) == "pi"
        assert projects.member_role(s, project.id, world.reviewer_id) is None
        assert [p.id for p in projects.projects_of_user(s, world.member_id)] == [project.id]
        assert len(projects.project_members(s, project.id)) == 2
        first, second = projects.tranches_of(s, project.id)
        assert (first.seq, first.amount, first.release_condition) == (1, Decimal(25000), "at_award")
        assert second.release_condition == "progress_report_accepted"
        assert projects.release_tranche(s, first.id, T0)
        assert not projects.release_tranche(s, first.id, T0 + timedelta(hours=1))
        s.commit()
        assert projects.tranches_of(s, project.id)[0].released_at == T0
        assert projects.list_projects(s).total == 1


def test_project_name_unique(session: Session, world: World) -> None:
    spec = projects.ProjectSpec("kaist-llm", T0, T0 + timedelta(days=1))
    with pytest.raises(Conflict):
        projects.create_project(session, spec)
