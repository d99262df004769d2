"""Fixtures: every store test runs on SQLite and on PostgreSQL, each in a fresh database.

PostgreSQL databases come from ``tests/support/pg.py``.

Test modules do not import this file (another ``conftest`` module may shadow it); they
take fixtures, and import ``World`` for type checking only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from nacc.adapters.store import make_engine, make_sessionmaker
from nacc.adapters.store import repos_people as people
from nacc.adapters.store import repos_programs as programs
from nacc.adapters.store import repos_projects as projects
from support.pg import migrated_database

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    param: str = request.param
    return param


@pytest.fixture
def empty_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """The URL of an empty database of each backend."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'nacc.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a fresh database at head: SQLite migrated here, PostgreSQL copied from
    the migrated template (``CREATE DATABASE ... TEMPLATE``), dropped after the test."""
    yield from migrated_database(backend, tmp_path, request)


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session_factory(engine: sa.Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as s:
        yield s
        s.rollback()


@dataclass
class World:
    """A small committed world: two organisations, a PI, a reviewer, an officer, a call,
    a proposal and the project it became."""

    uni_id: int
    company_id: int
    pi_id: int
    member_id: int
    reviewer_id: int
    officer_id: int
    program_id: int
    call_id: int
    proposal_id: int
    project_id: int
    t0: datetime = T0


def make_call_spec(title: str = "AI research computing support 2026") -> programs.CallSpec:
    return programs.CallSpec(
        title=title,
        opens_at=T0,
        closes_at=T0 + timedelta(days=30),
        budget_credits=Decimal("1000000"),
        review_opens_at=T0 + timedelta(days=31),
        review_closes_at=T0 + timedelta(days=45),
        criteria={"excellence": 0.5, "impact": 0.3, "feasibility": 0.2},
        min_score=3.0,
        eligible_org_kinds=("university", "company"),
        sector_tags=("academic", "health"),
        blind=True,
    )


def build_world(s: Session) -> World:
    uni = people.create_organisation(s, "KAIST", "university", "Daejeon", capital_area=False)
    co = people.create_organisation(
        s, "Upstage", "company", "Gyeonggi", capital_area=True, company_size="startup"
    )
    pi = people.create_user(s, "Kim PI", "pi@kaist.ac.kr", T0, uni.id)
    member = people.create_user(s, "Lee Member", "member@kaist.ac.kr", T0, uni.id)
    reviewer = people.create_user(s, "Park Reviewer", "rev@upstage.ai", T0, co.id)
    officer = people.create_user(s, "Choi Officer", "officer@nipa.kr", T0)
    program = programs.create_program(s, "AI research computing support 2026", "GPU grants")
    call = programs.create_call(s, program.id, make_call_spec())
    spec = programs.ProposalSpec(
        organisation_id=uni.id,
        pi_user_id=pi.id,
        title="Korean LLM pretraining",
        abstract="We pretrain.",
        requested_credits=Decimal("50000"),
        job_classes=("llm-pretraining",),
        accelerator_types=("H100", "H200"),
        member_ids=(member.id,),
    )
    proposal = programs.create_proposal(s, call.id, spec, T0 + timedelta(days=1))
    project = projects.create_project(
        s,
        projects.ProjectSpec(
            name="kaist-llm",
            valid_from=T0,
            valid_until=T0 + timedelta(days=365),
            proposal_id=proposal.id,
            members={pi.id: "pi", member.id: "member"},
            tranches=((Decimal(25000), "at_award"), (Decimal(25000), "progress_report_accepted")),
        ),
    )
    return World(
        uni.id, co.id, pi.id, member.id, reviewer.id, officer.id, program.id, call.id,
        proposal.id, project.id,
    )  # fmt: skip


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> World:
    with session_factory.begin() as s:
        return build_world(s)


@pytest.fixture
def call_spec() -> programs.CallSpec:
    """A valid call specification (the one the world's call was opened with)."""
    return make_call_spec()
