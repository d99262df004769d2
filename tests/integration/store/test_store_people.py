"""People on the SQL store only: what the rows hold and how the tables agree with the port.

Behaviour (round trips, uniqueness, roles, tokens) is in the contract suite
(tests/contract/store/test_store_people.py), run on SQLite, PostgreSQL and in memory.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from nacc.adapters.store import repos_people as people
from nacc.adapters.store import tables
from nacc.adapters.store.repos_people import ROLES_CHANGED
from nacc.adapters.store.tables import ApiToken
from nacc.ports import store_people_rules as rules

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_token_rows_keep_only_the_hash(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as s:
        uid = people.create_user(s, "PI", "pi@x.kr", T0).id
        token, secret = people.create_api_token(s, uid, T0, label="cli")
        token_id = token.id
    with session_factory() as s:
        stored = s.get(ApiToken, token_id)
        assert stored is not None
        assert secret not in (stored.token_hash, stored.prefix)
        assert stored.token_hash == people.hash_token(secret)
        assert secret.startswith(f"nacc_{stored.prefix}_")


def test_role_changes_flag_the_session(session: Session) -> None:
    uid = people.create_user(session, "Rev", "rev@x.kr", T0).id
    assert not session.info.get(ROLES_CHANGED)
    people.grant_role(session, uid, "reviewer", "call:1")
    assert session.info.pop(ROLES_CHANGED)
    people.revoke_token(session, 999, T0)
    assert session.info.pop(ROLES_CHANGED)


def test_the_tables_check_what_the_port_allows() -> None:
    assert tables.ORG_KINDS == rules.ORG_KINDS
    assert tables.COMPANY_SIZES == rules.COMPANY_SIZES
    assert tables.ROLES == rules.ROLES
    assert tables.SECTOR_TAGS == rules.SECTOR_TAGS
    assert tables.PROPOSAL_STATUSES == rules.PROPOSAL_STATUSES
    assert tables.DECISION_OUTCOMES == rules.DECISION_OUTCOMES
    assert tables.PROJECT_ROLES == rules.PROJECT_ROLES
    assert tables.TRANCHE_CONDITIONS == rules.TRANCHE_CONDITIONS
