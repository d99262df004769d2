"""``GET /shares`` and ``nacc shares`` after real jobs ran (SQLite and PostgreSQL): the
tree is program -> organisation -> project, usage is the metered credits, decayed, and a
PI sees the programs and organisations but only their own projects."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path as FilePath

import pytest
from awardsetup import awarded_project
from fastapi.testclient import TestClient
from jobsetup import submit_job, wait_job

from conftest import Api
from nacc.bootstrap import Settings, build_app, first_operator
from nacc.scheduling.fairtree import Path
from nacc.service.live_tree import TreeSync
from support.waiting import wait_until


def test_the_tree_its_usage_and_who_sees_which_projects(live_api: Api) -> None:
    a1 = awarded_project(live_api.svc, "a1", program="A")
    a2 = awarded_project(live_api.svc, "a2", program="A")
    b1 = awarded_project(live_api.svc, "b1", program="B")
    job = submit_job(live_api, a1.pi, a1.project_id, command="sleep 0.3").json()
    assert wait_job(live_api, a1.pi, job["id"], {"completed"})["state"] == "completed"
    with live_api.svc.snapshot() as uow:
        charged = float(uow.ledger.metered_by_job()[job["id"]])
    assert charged > 0
    ops = live_api.as_(live_api.operator)
    got = live_api.client.get("/shares", params={"half_life_s": 86400}, headers=ops)
    assert got.status_code == 200, got.text
    rows = {(r["depth"], r["name"]): r for r in got.json()["rows"]}
    assert [k for k in rows] == [(0, "A"), (1, "a1 org"), (2, "a1"), (1, "a2 org"), (2, "a2"),
                                 (0, "B"), (1, "b1 org"), (2, "b1")]  # fmt: skip
    # a1's usage is its charge, decayed for the moments since the job ended (< 1 day)
    assert rows[(2, "a1")]["usage"] == pytest.approx(charged, rel=1e-3)
    assert rows[(0, "A")]["usage"] == rows[(2, "a1")]["usage"]
    # A used everything: S .5 / U 1 -> LF .5; B used nothing: LF infinite (null), ranks first
    assert rows[(0, "A")]["level_fs"] == pytest.approx(0.5) and rows[(0, "B")]["level_fs"] is None
    assert rows[(2, "b1")]["factor"] == 1.0
    assert rows[(2, "a2")]["factor"] == pytest.approx(2 / 3)  # A's unused organisation next
    assert rows[(2, "a1")]["factor"] == pytest.approx(1 / 3)
    assert math.isclose(sum(r["effective_share"] for r in rows.values() if r["depth"] == 2), 1.0)
    assert rows[(2, "a1")]["effective_share"] == pytest.approx(0.25)
    # a PI sees the tree's programs and organisations, and only their own project
    mine = live_api.client.get("/shares", headers=live_api.as_(a2.pi)).json()["rows"]
    assert [r["name"] for r in mine if r["depth"] == 2] == ["a2"]
    assert {r["name"] for r in mine if r["depth"] == 0} == {"A", "B"}
    assert Decimal(str(next(r for r in mine if r["name"] == "A")["usage"])) > 0
    assert live_api.client.get("/shares", params={"half_life_s": 1}, headers=ops).status_code == 422
    assert live_api.client.get("/shares").status_code == 401
    del b1


def test_the_live_scheduler_ranks_by_the_tree_when_asked(db_url: str, tmp_path: FilePath) -> None:
    """``NACC_FAIR_TREE=1``: the live engine's tree is the store's program -> organisation ->
    project, kept up to date, with the usage metered before the scheduler started."""
    settings = Settings(database_url=db_url, workdir=tmp_path / "jobs", devices={"H100-SXM": 2},
                        tick_s=0.1, meter_s=0.5, fair_tree=True)  # fmt: skip
    app, svc = build_app(settings, live=True)
    secret = first_operator(svc, "Ops", "ops@nacc.example")
    a1 = awarded_project(svc, "a1", program="A")
    with TestClient(app) as client:  # a first scheduler runs a1's job
        api = Api(client, svc, secret)
        job = submit_job(api, a1.pi, a1.project_id, command="sleep 0.5").json()
        assert wait_job(api, a1.pi, job["id"], {"completed"})["state"] == "completed"
    with svc.snapshot() as uow:
        first = float(uow.ledger.metered_by_job()[job["id"]])
    svc.sessions.kw["bind"].dispose()
    app, svc = build_app(settings, live=True)  # a second one, started after it
    with TestClient(app) as client:
        b1 = awarded_project(svc, "b1", program="B")
        live = client.app.state.live  # type: ignore[attr-defined]
        hook = next(h for h in live.after_step if isinstance(h, TreeSync))
        hook._last = None  # read the store at the next step, not a minute after b1 came
        wait_until(lambda: str(b1.project_id) in (live.engine.config.tree or {}), 30,
                   "the tree to hold b1")  # fmt: skip
        tree = live.engine.config.tree
        assert tree[str(a1.project_id)] == Path("A", "a1 org")
        assert tree[str(b1.project_id)] == Path("B", "b1 org")
        # a1's usage from before this scheduler started is in the engine, decayed a little
        assert 0 < live.engine.usage.value(str(a1.project_id), live.clock()) <= first
        view = live.engine.snapshot(live.clock())
        assert view.fairshare is not None
        assert view.fairshare[str(b1.project_id)] > view.fairshare[str(a1.project_id)]
    svc.sessions.kw["bind"].dispose()
