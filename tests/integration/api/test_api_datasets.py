"""Datasets over HTTP on SQLite and PostgreSQL: register, request access, the owner's
decision, jobs naming datasets (refused without an approved access), and the live
scheduler placing domestic-only data only on pools at domestic sites, preferring the
site that holds a job's data and giving the job each dataset's path.

The fleet (a scenario in miniature, real local processes): ``us-h100`` at a site abroad,
first in scenario order; ``daejeon-h100`` and ``seoul-rngd`` at home."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jobsetup import funded_project, submit_job, wait_job

from conftest import Api, app_with
from nacc.bootstrap import Settings

SITES = [("us-east", "US"), ("daejeon", "KR"), ("seoul", "KR")]
POOLS = [("us-h100", "us-east", "H100-SXM"), ("daejeon-h100", "daejeon", "H100-SXM"),
         ("seoul-rngd", "seoul", "RNGD")]  # fmt: skip


def _scenario(tmp_path: Path) -> Path:
    data = {
        "name": "home-and-abroad",
        "providers": [{"id": "p1", "kind": "public", "name": "Provider one"}],
        "sites": [{"id": s, "provider": "p1", "region": s, "capital_area": False, "country": c}
                  for s, c in SITES],
        "pools": [{"id": p, "site": s, "accelerator": a, "count": 8, "node_size": 8,
                   "engine": "local"} for p, s, a in POOLS],
    }  # fmt: skip
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _world(db_url: str, tmp_path: Path, live: bool) -> Iterator[Api]:
    settings = Settings(database_url=db_url, workdir=tmp_path / "jobs",
                        scenario=_scenario(tmp_path), devices_per_pool=2, tick_s=0.1,
                        meter_s=0.5)  # fmt: skip
    yield from app_with(settings, live)


@pytest.fixture
def fleet_api(db_url: str, tmp_path: Path) -> Iterator[Api]:
    yield from _world(db_url, tmp_path, live=False)


@pytest.fixture
def fleet_live(db_url: str, tmp_path: Path) -> Iterator[Api]:
    yield from _world(db_url, tmp_path, live=True)


def _me(api: Api, token: str) -> Any:
    return api.client.get("/me", headers=api.as_(token)).json()


def _dataset(name: str, org: int, residency: str, *copies: tuple[str, str]) -> dict[str, Any]:
    return {"name": name, "owner_org_id": org, "size_bytes": 3 * 10**12, "licence": "CC-BY-4.0",
            "residency": residency, "sensitivity": "personal",
            "copies": [{"site": s, "path": p} for s, p in copies]}  # fmt: skip


def _approved(api: Api, steward: str, name: str, project: int, pi: str) -> None:
    asked = api.client.post(f"/datasets/{name}/access", json={"project_id": project},
                            headers=api.as_(pi))  # fmt: skip
    assert asked.status_code == 201, asked.text
    done = api.client.post(f"/datasets/{name}/access/{asked.json()['id']}/approve",
                           headers=api.as_(steward))  # fmt: skip
    assert done.status_code == 200 and done.json()["state"] == "approved", done.text


def test_register_request_decide_and_refusals(fleet_api: Api) -> None:
    api = fleet_api
    team = funded_project(api.svc, org_name="KAIST")
    owner = funded_project(api.svc, org_name="NIA", who="nia-")
    steward, org = owner.pi, _me(api, owner.pi)["organisation_id"]
    body = _dataset("kor-med", org, "domestic", ("seoul", "/data/kor-med"))
    # domestic data may not have a copy abroad; an unknown site; another organisation's
    abroad = _dataset("kor-med", org, "domestic", ("seoul", "/a"), ("us-east", "/b"))
    bad = api.client.post("/datasets", json=abroad, headers=api.as_(steward))
    assert bad.status_code == 422 and bad.json()["field"] == "body.copies[1].site"
    assert "not a domestic site" in bad.json()["detail"]
    nowhere = _dataset("kor-med", org, "any", ("mars", "/a"))
    assert (
        api.client.post("/datasets", json=nowhere, headers=api.as_(steward)).json()["field"]
        == "body.copies[0].site"
    )
    assert api.client.post("/datasets", json=body, headers=api.as_(team.pi)).status_code == 403
    made = api.client.post("/datasets", json=body, headers=api.as_(steward))
    assert made.status_code == 201, made.text
    entry = made.json()
    assert entry["env"] == "NACC_DATASET_KOR_MED" and entry["stewards"] == [_me(api, steward)["id"]]
    assert api.client.post("/datasets", json=body, headers=api.as_(steward)).status_code == 409
    listed = api.client.get("/datasets", headers=api.as_(team.member)).json()
    assert [d["name"] for d in listed] == ["kor-med"]
    # a job naming it before access is approved: 403, coded, nothing stored
    refused = submit_job(api, team.pi, team.project_id, command="true", datasets=["kor-med"])
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "dataset_access_required"
    assert refused.json()["params"] == {"dataset": "kor-med", "project": team.project_id}
    ko = api.client.post(f"/projects/{team.project_id}/jobs", headers={
        **api.as_(team.pi), "Accept-Language": "ko"}, json={"command": "true", "accelerators": 1,
        "job_class": "fine-tuning", "datasets": ["kor-med"]})  # fmt: skip
    assert "kor-med" in ko.json()["detail"] and "승인" in ko.json()["detail"]
    unknown = submit_job(api, team.pi, team.project_id, command="true", datasets=["nope"])
    assert unknown.status_code == 422 and unknown.json()["field"] == "body.datasets"
    jobs = api.client.get(f"/projects/{team.project_id}/jobs", headers=api.as_(team.pi)).json()
    assert jobs["total"] == 0
    # request: the project's people only, once
    path = "/datasets/kor-med/access"
    ask = {"project_id": team.project_id, "purpose": "clinical notes summarisation"}
    assert api.client.post(path, json=ask, headers=api.as_(team.outsider)).status_code == 403
    asked = api.client.post(path, json=ask, headers=api.as_(team.member))
    assert asked.status_code == 201 and asked.json()["state"] == "requested", asked.text
    assert api.client.post(path, json=ask, headers=api.as_(team.pi)).status_code == 409
    access = asked.json()["id"]
    # decide: not the applicant; a refusal needs a reason; a decision stands
    assert api.client.post(f"{path}/{access}/approve", headers=api.as_(team.pi)).status_code == 403
    no_reason = api.client.post(f"{path}/{access}/refuse", json={}, headers=api.as_(steward))
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "body.reason"
    yes = api.client.post(f"{path}/{access}/approve", headers=api.as_(steward))
    assert yes.status_code == 200 and yes.json()["state"] == "approved", yes.text
    assert api.client.post(f"{path}/{access}/refuse", json={"reason": "late"},
                           headers=api.as_(steward)).status_code == 409  # fmt: skip
    seen = api.client.get(path, headers=api.as_(team.member)).json()
    assert [a["id"] for a in seen] == [access]
    assert api.client.get(path, headers=api.as_(team.outsider)).json() == []
    ok = submit_job(api, team.pi, team.project_id, command="true", datasets=["kor-med"])
    assert ok.status_code == 201, ok.text


def test_a_refusal_has_its_reason_and_may_be_asked_again(fleet_api: Api) -> None:
    """An operator registers the dataset naming the owner's steward, who refuses."""
    api = fleet_api
    owner = funded_project(api.svc, org_name="NIA", who="nia-")
    me = _me(api, owner.pi)
    body = {**_dataset("kor-med", me["organisation_id"], "domestic", ("seoul", "/d")),
            "stewards": [me["id"]]}  # fmt: skip
    made = api.client.post("/datasets", json=body, headers=api.as_(api.operator))
    assert made.status_code == 201 and made.json()["stewards"] == [me["id"]], made.text
    outsider = {**body, "name": "other", "stewards": [1]}  # the operator: of no organisation
    wrong = api.client.post("/datasets", json=outsider, headers=api.as_(api.operator))
    assert wrong.status_code == 422 and wrong.json()["field"] == "body.stewards"
    path = "/datasets/kor-med/access"
    other = funded_project(api.svc, org_name="SNU", who="snu-")
    again = api.client.post(path, json={"project_id": other.project_id},
                            headers=api.as_(other.pi))  # fmt: skip
    refuse = f"{path}/{again.json()['id']}/refuse"
    no = api.client.post(refuse, json={"reason": "no IRB approval"}, headers=api.as_(owner.pi))
    assert no.status_code == 200 and no.json()["reason"] == "no IRB approval"
    assert api.client.post(path, json={"project_id": other.project_id},
                           headers=api.as_(other.pi)).status_code == 201  # fmt: skip
    audit = api.client.get("/audit?limit=50", headers=api.as_(api.operator)).json()["items"]
    actions = {e["action"] for e in audit}
    assert {"dataset.register", "dataset.request", "dataset.refuse"} <= actions


def test_a_revoked_approval_refuses_new_jobs_and_may_be_asked_again(fleet_api: Api) -> None:
    api = fleet_api
    team = funded_project(api.svc, org_name="KAIST")
    owner = funded_project(api.svc, org_name="NIA", who="nia-")
    body = _dataset("kor-med", _me(api, owner.pi)["organisation_id"], "any", ("seoul", "/d"))
    assert api.client.post("/datasets", json=body, headers=api.as_(owner.pi)).status_code == 201
    path = "/datasets/kor-med/access"
    asked = api.client.post(path, json={"project_id": team.project_id}, headers=api.as_(team.pi))
    access = asked.json()["id"]
    revoke = f"{path}/{access}/revoke"
    why = {"reason": "licence ended"}
    assert api.client.post(revoke, json=why, headers=api.as_(owner.pi)).status_code == 409
    assert api.client.post(f"{path}/{access}/approve", headers=api.as_(owner.pi)).status_code == 200
    assert submit_job(api, team.pi, team.project_id, command="true",
                      datasets=["kor-med"]).status_code == 201  # fmt: skip
    assert api.client.post(revoke, json=why, headers=api.as_(team.pi)).status_code == 403
    blank = api.client.post(revoke, json={"reason": "  "}, headers=api.as_(owner.pi))
    assert blank.status_code == 422 and blank.json()["field"] == "body.reason"
    done = api.client.post(revoke, json=why, headers=api.as_(owner.pi))
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "revoked" and done.json()["reason"] == "licence ended"
    refused = submit_job(api, team.pi, team.project_id, command="true", datasets=["kor-med"])
    assert refused.status_code == 403 and refused.json()["code"] == "dataset_access_required"
    jobs = api.client.get(f"/projects/{team.project_id}/jobs", headers=api.as_(team.pi)).json()
    assert jobs["total"] == 1  # the job from before the revocation only
    assert api.client.post(revoke, json=why, headers=api.as_(owner.pi)).status_code == 409
    again = api.client.post(path, json={"project_id": team.project_id}, headers=api.as_(team.pi))
    assert again.status_code == 201 and again.json()["state"] == "requested"
    audit = api.client.get("/audit?limit=50", headers=api.as_(api.operator)).json()["items"]
    assert "dataset.revoke" in {e["action"] for e in audit}


def test_domestic_data_runs_only_at_home_and_near_its_copy(fleet_live: Api) -> None:
    """A job naming no data takes the first pool (abroad); one naming data held in
    Daejeon runs there; three naming domestic-only data (held in Seoul, where no H100
    is) all run on daejeon-h100, one waiting for room, never on the free pool abroad.
    Each job's environment has its datasets' paths."""
    api = fleet_live
    team = funded_project(api.svc, org_name="KAIST")
    owner = funded_project(api.svc, org_name="NIA", who="nia-")
    org = _me(api, owner.pi)["organisation_id"]
    for body in (
        _dataset("kor-med", org, "domestic", ("seoul", "/data/kor-med")),
        _dataset("web-en", org, "any", ("daejeon", "/dj/web")),
    ):
        made = api.client.post("/datasets", json=body, headers=api.as_(owner.pi))
        assert made.status_code == 201, made.text
        _approved(api, owner.pi, body["name"], team.project_id, team.pi)
    show = 'echo "$NACC_POOL|$NACC_DATASET_KOR_MED|$NACC_DATASET_KOR_MED_SITE|$NACC_DATASET_WEB_EN"'
    h100 = {"accelerator_types": ["H100-SXM"], "command": show}

    def run(*datasets: str) -> tuple[str, str]:
        sent = submit_job(api, team.pi, team.project_id, datasets=list(datasets), **h100)
        done = wait_job(api, team.pi, sent.json()["id"], {"completed", "failed"})
        assert done["state"] == "completed", done
        log = api.client.get(f"/jobs/{done['id']}/logs", headers=api.as_(team.pi)).text
        return done["pool_id"], log.strip()

    assert run() == ("us-h100", "us-h100|||")  # first in scenario order
    assert run("web-en") == ("daejeon-h100", "daejeon-h100|||/dj/web")  # where its data is
    domestic = [submit_job(api, team.pi, team.project_id, datasets=["kor-med"], **h100)
                for _ in range(3)]  # more than daejeon-h100 holds at once  # fmt: skip
    ids = [r.json()["id"] for r in domestic]
    done = {i: wait_job(api, team.pi, i, {"completed", "failed"}) for i in ids}
    assert [done[i]["state"] for i in ids] == ["completed"] * 3, done
    assert [done[i]["pool_id"] for i in ids] == ["daejeon-h100"] * 3, done
    log = api.client.get(f"/jobs/{ids[0]}/logs", headers=api.as_(team.pi)).text.strip()
    assert log == "daejeon-h100|/data/kor-med|seoul|"  # read from Seoul's copy
