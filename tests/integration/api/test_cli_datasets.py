"""`nacc dataset add|list|request|requests|approve|refuse|revoke` and `nacc submit --dataset`
against a real `nacc serve` (SQLite, local processes), as docs/programs.md shows them:
a job naming a dataset is refused until the owner approves, then finds its path in
``NACC_DATASET_<NAME>``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from jobsetup import funded_project
from test_cli_access import Served, seeded_server
from test_crash_safety import _wait

from nacc.service.context import Services


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    def seed(svc: Services, s: Served) -> None:
        team = funded_project(svc, org_name="KAIST")
        s.tokens["pi"], s.ids["project"] = team.pi, team.project_id
        with svc.unit() as uow:
            org = uow.people.create_organisation("NIA", "research_institute", "Daegu",
                                                 capital_area=False)  # fmt: skip
            s.ids["org"] = org.id

    with seeded_server(tmp_path, "H100-SXM:2", seed) as s:
        yield s


def test_catalog_access_and_a_job_using_it_from_the_cli(served: Served, tmp_path: Path) -> None:
    p, org = str(served.ids["project"]), str(served.ids["org"])
    r = served.nacc("ops", "dataset", "add", "--name", "kor-med", "--owner", org,
                    "--size-bytes", "3000000000000", "--licence", "CC-BY-NC-4.0",
                    "--copy", "localhost=/data/kor-med", "--residency", "domestic",
                    "--sensitivity", "personal")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["env"] == "NACC_DATASET_KOR_MED"
    r = served.nacc("ops", "dataset", "list")
    assert [d["name"] for d in json.loads(r.output)] == ["kor-med"]
    show = ["submit", "--project", p, "--command", 'echo "data at $NACC_DATASET_KOR_MED"']
    r = served.nacc("pi", "--lang", "ko", *show, "--dataset", "kor-med")
    assert r.exit_code == 2 and "오류 403" in r.output and "승인" in r.output, r.output
    r = served.nacc("pi", "dataset", "request", "kor-med", "--project", p, "--purpose", "notes")
    assert r.exit_code == 0 and json.loads(r.output)["state"] == "requested", r.output
    asked = json.loads(r.output)["id"]
    r = served.nacc("pi", "dataset", "requests", "kor-med")
    assert [a["id"] for a in json.loads(r.output)] == [asked]
    r = served.nacc("ops", "dataset", "approve", "kor-med", str(asked))
    assert r.exit_code == 0 and json.loads(r.output)["state"] == "approved", r.output
    job_file = tmp_path / "job.yaml"
    job_file.write_text(f"project: {p}\ncommand: echo \"data at $NACC_DATASET_KOR_MED\"\n"
                        "datasets: [kor-med]\n", encoding="utf-8")  # fmt: skip
    r = served.nacc("pi", "submit", str(job_file), "--json")
    assert r.exit_code == 0, r.output
    job = json.loads(r.output)["id"]
    done = _wait(served.url, served.tokens["pi"], job, {"completed", "failed"})
    assert done["state"] == "completed", done
    r = served.nacc("pi", "logs", job)
    assert r.output.strip() == "data at /data/kor-med"
    refuse = ["dataset", "refuse", "kor-med", str(asked), "--reason", "late"]
    r = served.nacc("pi", *refuse)
    assert r.exit_code == 2 and "error 403" in r.output and "stewards" in r.output
    r = served.nacc("ops", *refuse)
    assert r.exit_code == 2 and "error 409" in r.output  # decided already
    r = served.nacc("ops", "dataset", "revoke", "kor-med", str(asked), "--reason", "ended")
    assert r.exit_code == 0 and json.loads(r.output)["state"] == "revoked", r.output
    r = served.nacc("pi", *show, "--dataset", "kor-med")
    assert r.exit_code == 2 and "error 403" in r.output, r.output
