"""Team invitations and the audit log through the store port, the same on SQLite,
PostgreSQL and in memory."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contract.store.people_world import T0, World, build_world
from nacc.domain.errors import InputError
from nacc.ports.pages import Conflict, InvalidReference
from nacc.ports.store import Store
from nacc.ports.store_people import AuditEntry

T1 = T0 + timedelta(days=2)


@pytest.fixture
def world(store: Store) -> World:
    return build_world(store)


def _newcomer(store: Store, email: str = "new@kaist.ac.kr") -> int:
    with store.unit() as uow:
        return uow.people.create_user("New Comer", email, T0, None).id


def test_an_accepted_invitation_joins_the_team(store: Store, world: World) -> None:
    user = _newcomer(store)
    with store.unit() as uow:
        inv = uow.programs.invite(world.proposal_id, world.pi_id, T1, user_id=user)
        assert (inv.status, inv.user_id, inv.email, inv.answered_at) == ("pending", user,
                                                                         None, None)  # fmt: skip
        assert user not in uow.programs.proposal_member_ids(world.proposal_id)
    with store.unit() as uow:
        done = uow.programs.answer_invitation(inv.id, "accepted", T1, user_id=user)
        assert (done.status, done.answered_at) == ("accepted", T1)
        assert user in uow.programs.proposal_member_ids(world.proposal_id)
        assert uow.programs.get_invitation(inv.id) == done
        assert uow.programs.invitations_of_proposal(world.proposal_id) == [done]


def test_a_declined_invitation_joins_nothing(store: Store, world: World) -> None:
    user = _newcomer(store)
    with store.unit() as uow:
        inv = uow.programs.invite(world.proposal_id, world.pi_id, T1, user_id=user)
        uow.programs.answer_invitation(inv.id, "declined", T1, user_id=user)
        assert user not in uow.programs.proposal_member_ids(world.proposal_id)
        with pytest.raises(Conflict, match="already declined"):
            uow.programs.answer_invitation(inv.id, "accepted", T1, user_id=user)


def test_an_invitation_by_email_waits_for_its_holder(store: Store, world: World) -> None:
    with store.unit() as uow:
        inv = uow.programs.invite(world.proposal_id, world.pi_id, T1, email=" Later@KAIST.ac.kr ")
        assert (inv.user_id, inv.email) == (None, "later@kaist.ac.kr")
    user = _newcomer(store, "later@kaist.ac.kr")
    with store.unit() as uow:
        assert [i.id for i in uow.programs.invitations_for(user, "later@kaist.ac.kr")] == [inv.id]
        assert uow.programs.invitations_for(world.member_id, "member@kaist.ac.kr") == []
        done = uow.programs.answer_invitation(inv.id, "accepted", T1, user_id=user)
        assert done.user_id == user
        assert user in uow.programs.proposal_member_ids(world.proposal_id)


def test_invitations_refuse_doubles_and_bad_references(store: Store, world: World) -> None:
    user = _newcomer(store)
    with store.unit() as uow:
        uow.programs.invite(world.proposal_id, world.pi_id, T1, user_id=user)
    with store.unit() as uow, pytest.raises(Conflict):
        uow.programs.invite(world.proposal_id, world.pi_id, T1, user_id=user)
    with store.unit() as uow, pytest.raises(InvalidReference):
        uow.programs.invite(world.proposal_id, world.pi_id, T1, user_id=10**6)
    with store.unit() as uow, pytest.raises(InvalidReference):
        uow.programs.invite(10**6, world.pi_id, T1, user_id=user)
    with store.unit() as uow, pytest.raises(InputError, match="one of them"):
        uow.programs.invite(world.proposal_id, world.pi_id, T1, user_id=user, email="a@b.c")
    with store.unit() as uow, pytest.raises(InputError, match=r"invitation\.status"):
        uow.programs.answer_invitation(1, "maybe", T1, user_id=user)
    with store.unit() as uow:
        assert len(uow.programs.invitations_of_proposal(world.proposal_id)) == 1


def test_audit_log_is_paged_newest_first_and_filtered(store: Store, world: World) -> None:
    with store.unit() as uow:
        for n in range(3):
            uow.people.record_audit(AuditEntry(world.officer_id, "role.grant", f"user:{n}",
                                               T0 + timedelta(minutes=n), "10.0.0.1",
                                               {"role": "reviewer", "n": n}))  # fmt: skip
        uow.people.record_audit(AuditEntry(world.pi_id, "token.revoke", "token:1", T1))
    with store.unit() as uow:
        page = uow.people.audit_log(limit=2, offset=0)
        assert page.total == 4 and [e.action for e in page.items] == ["token.revoke", "role.grant"]
        first = uow.people.audit_log(limit=10, offset=3).items[0]
        assert (first.actor_id, first.target, first.address) == (world.officer_id, "user:0",
                                                                 "10.0.0.1")  # fmt: skip
        assert first.details == {"role": "reviewer", "n": 0} and first.at == T0
        assert uow.people.audit_log(action="token.revoke").total == 1
        assert uow.people.audit_log(actor_id=world.officer_id).total == 3


def test_audit_entries_are_checked(store: Store, world: World) -> None:
    with store.unit() as uow, pytest.raises(InputError, match=r"audit\.action"):
        uow.people.record_audit(AuditEntry(world.pi_id, "", "x", T1))
    with store.unit() as uow:
        assert uow.people.audit_log().total == 0


def test_the_revocation_generation_grows_with_role_and_token_changes_only(
    store: Store, world: World
) -> None:
    user = _newcomer(store)
    before = store.auth_generation()
    with store.unit() as uow:
        token, _ = uow.people.create_token(user, T0, label="t")
        uow.programs.invite(world.proposal_id, world.pi_id, T1, user_id=user)
    assert store.auth_generation() == before  # a new token or other writes: no change
    with store.unit() as uow:
        uow.people.grant_role(user, "member", "project:1")
    granted = store.auth_generation()
    assert granted > before
    with store.unit() as uow:
        uow.people.revoke_role(user, "member", "project:1")
    assert store.auth_generation() > granted
    revoked_role = store.auth_generation()
    with store.unit() as uow:
        uow.people.revoke_token(token.id, T1)
    after = store.auth_generation()
    assert after > revoked_role
    with pytest.raises(RuntimeError), store.unit() as uow:  # rolled back: no change
        uow.people.grant_role(user, "member", "project:1")
        raise RuntimeError
    assert store.auth_generation() == after
