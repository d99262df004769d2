"""People through the store port: organisations, users, roles and API tokens, the same on
SQLite, PostgreSQL and in memory."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contract.store.people_world import T0
from nacc.domain.errors import InputError
from nacc.ports.pages import MAX_PAGE, Conflict, InvalidReference
from nacc.ports.store import Store
from nacc.ports.store_people import hash_token


def test_organisation_round_trip_and_unique_name(store: Store) -> None:
    with store.unit() as uow:
        made = uow.people.create_organisation(
            "Rebellions", "company", "Gyeonggi", capital_area=True, company_size="startup"
        )
    with store.unit() as uow:
        org = uow.people.get_organisation(made.id)
        assert org == made
        assert org is not None
        assert (org.name, org.kind, org.company_size, org.region, org.capital_area) == (
            "Rebellions", "company", "startup", "Gyeonggi", True,
        )  # fmt: skip
        assert uow.people.list_organisations().total == 1
        assert uow.people.get_organisation(made.id + 1) is None
        with pytest.raises(Conflict, match="organisation 'Rebellions': already exists"):
            uow.people.create_organisation("Rebellions", "university", "Seoul", capital_area=True)


def test_organisation_kind_and_size_are_checked(store: Store) -> None:
    with store.unit() as uow:
        with pytest.raises(InputError, match=r"organisation.kind: 'club' is not one of"):
            uow.people.create_organisation("X", "club", "Seoul", capital_area=True)
        with pytest.raises(InputError, match="only a company"):
            uow.people.create_organisation(
                "Y", "university", "Seoul", capital_area=True, company_size="sme"
            )
        with pytest.raises(InputError, match=r"organisation\.company_size"):
            uow.people.create_organisation(
                "Z", "company", "Seoul", capital_area=True, company_size="huge"
            )
        assert uow.people.list_organisations().total == 0


def test_user_round_trip_and_unique_email(store: Store) -> None:
    with store.unit() as uow:
        org = uow.people.create_organisation("SNU", "university", "Seoul", capital_area=True)
        user_id = uow.people.create_user("Kim", " Kim@SNU.ac.kr ", T0, org.id).id
    with store.unit() as uow:
        user = uow.people.user_by_email("KIM@snu.ac.kr")
        assert user is not None and user.id == user_id
        assert user.email == "kim@snu.ac.kr" and user.organisation_id == org.id
        assert user.created_at == T0 and user.created_at.tzinfo is not None
        assert uow.people.get_user(user_id) == user
        with pytest.raises(Conflict, match=r"user e-mail 'kim@snu\.ac\.kr': already exists"):
            uow.people.create_user("Other Kim", "kim@snu.ac.kr", T0)
        # the unit stays usable after a refused write
        assert uow.people.create_user("Lee", "lee@snu.ac.kr", T0).id != user_id
    with store.unit() as uow:
        assert [u.name for u in uow.people.list_users().items] == ["Kim", "Lee"]


def test_user_with_missing_organisation_is_refused(store: Store) -> None:
    with store.unit() as uow, pytest.raises(InvalidReference, match="ghost@nowhere"):
        uow.people.create_user("Ghost", "ghost@nowhere", T0, organisation_id=999)


def test_a_unit_that_raises_changes_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.unit() as uow:
        uid = uow.people.create_user("Rev", "rev@x.kr", T0).id
        uow.people.grant_role(uid, "operator")
        raise RuntimeError("refused")
    with store.unit() as uow:
        assert uow.people.list_users().total == 0
        assert uow.people.user_by_email("rev@x.kr") is None


def test_roles_global_and_scoped(store: Store) -> None:
    with store.unit() as uow:
        people = uow.people
        uid = people.create_user("Rev", "rev@x.kr", T0).id
        other = people.create_user("Other", "other@x.kr", T0).id
        assert people.grant_role(uid, "reviewer", "call:1")
        assert not people.grant_role(uid, "reviewer", "call:1")
        assert people.grant_role(uid, "operator")
        assert people.grant_role(other, "reviewer", "call:2")
        assert people.has_role(uid, "reviewer", "call:1")
        assert not people.has_role(uid, "reviewer", "call:2")
        assert not people.has_role(uid, "reviewer")  # scoped is not global
        assert people.has_role(uid, "operator", "anything")  # global covers every scope
        assert people.roles_of(uid) == [("operator", ""), ("reviewer", "call:1")]
        assert [u.id for u in people.users_with_role("reviewer", "call:1")] == [uid]
        assert people.revoke_role(uid, "operator")
        assert not people.revoke_role(uid, "operator")
        assert not people.has_role(uid, "operator")
        with pytest.raises(InputError, match="role: 'king' is not one of"):
            people.grant_role(uid, "king")
        with pytest.raises(InvalidReference, match="user 999"):
            people.grant_role(999, "operator")
    with store.unit() as uow:
        assert uow.people.roles_of(uid) == [("reviewer", "call:1")]


def test_role_and_token_changes_run_the_hook_after_commit(store: Store) -> None:
    calls: list[str] = []
    store.after_roles_changed(lambda: calls.append("dropped"))
    with store.unit() as uow:
        uid = uow.people.create_user("PI", "pi@x.kr", T0).id
        token, _ = uow.people.create_token(uid, T0)
    assert calls == []
    with store.unit() as uow:
        uow.people.grant_role(uid, "pi", "project:1")
    assert calls == ["dropped"]
    with store.unit() as uow:
        uow.people.revoke_token(token.id, T0)
    assert calls == ["dropped", "dropped"]
    with store.unit() as uow:
        uow.people.revoke_role(uid, "pi", "project:1")
    assert len(calls) == 3


def test_token_lookup_by_hash_expiry_and_revocation(store: Store) -> None:
    with store.unit() as uow:
        org = uow.people.create_organisation("SNU", "university", "Seoul", capital_area=True)
        uid = uow.people.create_user("PI", "pi@x.kr", T0, org.id).id
        uow.people.grant_role(uid, "pi", "project:7")
        token, secret = uow.people.create_token(
            uid, T0, expires_at=T0 + timedelta(days=1), label="cli"
        )
    assert secret.startswith(f"nacc_{token.prefix}_") and len(secret) > 40
    assert (token.user_id, token.label, token.created_at, token.revoked_at) == (uid, "cli", T0,
                                                                                 None)  # fmt: skip
    key = hash_token(secret)
    with store.unit() as uow:
        people = uow.people
        assert people.token_by_hash(key) == token
        assert people.token_by_hash(hash_token(secret + "x")) is None
        holder = people.token_holder(key, T0 + timedelta(hours=1))
        assert holder is not None
        assert (holder.token_id, holder.user_id, holder.name, holder.organisation_id) == (
            token.id, uid, "PI", org.id,
        )  # fmt: skip
        assert holder.roles == frozenset({("pi", "project:7")})
        assert holder.expires_at == T0 + timedelta(days=1)
        assert people.token_holder(key, T0 + timedelta(days=1)) is None  # expired
        assert people.revoke_token(token.id, T0 + timedelta(hours=2))
        assert not people.revoke_token(token.id, T0 + timedelta(hours=3))
        assert people.token_holder(key, T0 + timedelta(hours=4)) is None
        (listed,) = people.tokens_of(uid)
        assert listed.id == token.id and listed.revoked_at == T0 + timedelta(hours=2)
        assert people.tokens_of(uid + 1) == []


def test_token_for_missing_user_is_refused(store: Store) -> None:
    with store.unit() as uow, pytest.raises(InvalidReference, match="API token for user 999"):
        uow.people.create_token(999, T0)


def test_tokens_without_expiry_and_distinct_secrets(store: Store) -> None:
    with store.unit() as uow:
        uid = uow.people.create_user("PI", "pi@x.kr", T0).id
        first, one = uow.people.create_token(uid, T0)
        second, two = uow.people.create_token(uid, T0)
    assert one != two and first.id != second.id and first.expires_at is None
    with store.unit() as uow:
        holder = uow.people.token_holder(hash_token(two), T0 + timedelta(days=3650))
        assert holder is not None and holder.token_id == second.id and holder.roles == frozenset()
        assert [t.id for t in uow.people.tokens_of(uid)] == [first.id, second.id]


def test_pages_of_users(store: Store) -> None:
    with store.unit() as uow:
        ids = [uow.people.create_user(f"U{i}", f"u{i}@x.kr", T0).id for i in range(5)]
    assert ids == sorted(ids) and len(set(ids)) == 5
    with store.unit() as uow:
        page = uow.people.list_users(limit=2, offset=1)
        assert [u.id for u in page.items] == ids[1:3]
        assert (page.total, page.limit, page.offset) == (5, 2, 1)
        assert uow.people.list_users(limit=10, offset=5).items == []
        with pytest.raises(InputError, match="limit"):
            uow.people.list_users(limit=0)
        with pytest.raises(InputError, match="limit"):
            uow.people.list_organisations(limit=MAX_PAGE + 1)
        with pytest.raises(InputError, match="offset"):
            uow.people.list_users(offset=-1)
