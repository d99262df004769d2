"""The datasets repository through the store port: the catalog, access requests and
decisions, and the datasets each job uses — the same on SQLite, PostgreSQL and in memory."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contract.store.jobs_world import NOW, JobsWorld, build_jobs_world
from nacc.domain.datasets import Copy
from nacc.ports.store import Store
from nacc.ports.store_datasets import NewDataset


@pytest.fixture
def world(store: Store) -> JobsWorld:
    return build_jobs_world(store)


def _new(name: str, org: int, by: int, *copies: Copy) -> NewDataset:
    return NewDataset(name, org, 10**12, "CC-BY-4.0", "domestic", "personal", copies, (by,),
                      "notes", by, NOW)  # fmt: skip


def test_catalog_access_and_job_links(store: Store, world: JobsWorld) -> None:
    later = NOW + timedelta(hours=1)
    with store.unit() as uow:
        user = uow.people.get_user(world.pi_id)
        assert user is not None and user.organisation_id is not None
        org = user.organisation_id
        med = uow.datasets.add(_new("kor-med", org, world.pi_id, Copy("seoul", "/s/med"),
                                    Copy("daejeon", "/d/med")))  # fmt: skip
        web = uow.datasets.add(_new("a-web", org, world.pi_id, Copy("seoul", "/s/web")))
        asked = uow.datasets.request(med.id, world.project_id, "summaries", world.pi_id, NOW)
        uow.jobs.create(world.job("j-1"), NOW)
        uow.jobs.create(world.job("j-2"), NOW)
        uow.datasets.link_job("j-1", [med.id, web.id])
    with store.unit() as uow:
        assert [d.name for d in uow.datasets.listed()] == ["a-web", "kor-med"]
        got = uow.datasets.by_name("kor-med")
        assert got == med and got.copies == (Copy("seoul", "/s/med"), Copy("daejeon", "/d/med"))
        assert uow.datasets.get(web.id) == web and uow.datasets.by_name("nope") is None
        assert [d.name for d in uow.datasets.by_names(["kor-med", "nope"])] == ["kor-med"]
        assert uow.datasets.approved(world.project_id, [med.id, web.id]) == set()
        assert uow.datasets.access(asked.id) == asked and asked.state == "requested"
        done = uow.datasets.decide(asked.id, "approved", world.pi_id, later, None)
        assert (done.state, done.decided_by, done.decided_at) == ("approved", world.pi_id, later)
    with store.unit() as uow:
        assert uow.datasets.approved(world.project_id, [med.id, web.id]) == {med.id}
        assert [a.id for a in uow.datasets.accesses(med.id)] == [asked.id]
        assert [a.id for a in uow.datasets.accesses(project_id=world.project_id)] == [asked.id]
        assert uow.datasets.accesses(web.id) == []
        links = uow.datasets.of_jobs(["j-1", "j-2", "j-3"])
        assert {j: [d.name for d in rows] for j, rows in links.items()} == {
            "j-1": ["a-web", "kor-med"]}  # fmt: skip


def test_a_failed_unit_keeps_nothing(store: Store, world: JobsWorld) -> None:
    with pytest.raises(RuntimeError), store.unit() as uow:
        user = uow.people.get_user(world.pi_id)
        assert user is not None and user.organisation_id is not None
        uow.datasets.add(_new("gone", user.organisation_id, world.pi_id, Copy("s", "/x")))
        raise RuntimeError("refused later in the same unit")
    with store.unit() as uow:
        assert uow.datasets.listed() == []
