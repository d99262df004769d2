"""Organisations, users, roles and API tokens round-trip on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from nacc.adapters.store import Conflict, InvalidReference
from nacc.adapters.store import repos_people as people
from nacc.adapters.store.tables import ApiToken
from nacc.domain.errors import InputError

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the world fixture's t0


def test_organisation_round_trip(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as s:
        org_id = people.create_organisation(
            s, "Rebellions", "company", "Gyeonggi", capital_area=True, company_size="startup"
        ).id
    with session_factory() as s:
        org = people.get_organisation(s, org_id)
        assert org is not None
        assert (org.name, org.kind, org.company_size, org.region, org.capital_area) == (
            "Rebellions", "company", "startup", "Gyeonggi", True,
        )  # fmt: skip
        assert people.list_organisations(s).total == 1


def test_organisation_kind_and_size_are_checked(session: Session) -> None:
    with pytest.raises(InputError, match="not one of"):
        people.create_organisation(session, "X", "club", "Seoul", capital_area=True)
    with pytest.raises(InputError, match="only a company"):
        people.create_organisation(
            session, "Y", "university", "Seoul", capital_area=True, company_size="sme"
        )


def test_user_round_trip_and_unique_email(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as s:
        org = people.create_organisation(s, "SNU", "university", "Seoul", capital_area=True)
        user_id = people.create_user(s, "Kim", "Kim@SNU.ac.kr", T0, org.id).id
    with session_factory() as s:
        user = people.user_by_email(s, "kim@snu.ac.kr")
        assert user is not None and user.id == user_id
        assert user.created_at == T0 and user.created_at.tzinfo is not None
        with pytest.raises(Conflict, match="already exists"):
            people.create_user(s, "Other Kim", "kim@snu.ac.kr", T0)
        # the savepoint kept the transaction usable
        assert people.create_user(s, "Lee", "lee@snu.ac.kr", T0).id > 0
        s.commit()
        assert people.list_users(s).total == 2


def test_user_with_missing_organisation_is_refused(session: Session) -> None:
    with pytest.raises(InvalidReference):
        people.create_user(session, "Ghost", "ghost@nowhere", T0, organisation_id=999)


def test_roles_global_and_scoped(session: Session) -> None:
    uid = people.create_user(session, "Rev", "rev@x.kr", T0).id
    assert people.grant_role(session, uid, "reviewer", "call:1")
    assert not people.grant_role(session, uid, "reviewer", "call:1")
    assert people.grant_role(session, uid, "operator")
    assert people.has_role(session, uid, "reviewer", "call:1")
    assert not people.has_role(session, uid, "reviewer", "call:2")
    assert people.has_role(session, uid, "operator", "anything")  # global covers every scope
    assert [(r.role, r.scope) for r in people.roles_of(session, uid)] == [
        ("operator", ""), ("reviewer", "call:1"),
    ]  # fmt: skip
    assert [u.id for u in people.users_with_role(session, "reviewer", "call:1")] == [uid]
    assert people.revoke_role(session, uid, "operator")
    assert not people.has_role(session, uid, "operator")
    with pytest.raises(InputError):
        people.grant_role(session, uid, "king")


def test_token_lookup_by_hash_expiry_and_revocation(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as s:
        uid = people.create_user(s, "PI", "pi@x.kr", T0).id
        token, secret = people.create_api_token(
            s, uid, T0, expires_at=T0 + timedelta(days=1), label="cli"
        )
        token_id = token.id
    with session_factory() as s:
        stored = s.get(ApiToken, token_id)
        assert stored is not None
        assert secret not in (stored.token_hash, stored.prefix)
        assert secret.startswith(f"nacc_{stored.prefix}_")
        found = people.token_by_hash(s, people.hash_token(secret))
        assert found is not None and found.user_id == uid
        assert people.token_by_hash(s, people.hash_token(secret + "x")) is None
        assert people.active_token(s, secret, T0 + timedelta(hours=1)) is not None
        assert people.active_token(s, secret, T0 + timedelta(days=2)) is None
        assert people.revoke_token(s, token_id, T0 + timedelta(hours=2))
        assert not people.revoke_token(s, token_id, T0 + timedelta(hours=3))
        assert people.active_token(s, secret, T0 + timedelta(hours=4)) is None
        assert [t.id for t in people.tokens_of(s, uid)] == [token_id]
