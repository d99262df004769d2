"""Award terms and accelerator names at submission (SQLite and PostgreSQL): a project
awarded for some classes and types cannot run others, refused with a coded reason in
Korean and English; ``h100`` reads as ``H100-SXM``; an unknown name gets a suggestion."""

from __future__ import annotations

from awardsetup import awarded_project
from jobsetup import funded_project
from jobsetup import submit_job as _submit

from conftest import Api


def test_an_npu_porting_award_cannot_run_h100_pretraining(api: Api) -> None:
    f = awarded_project(api.svc, "npu-port", program="K-NPU", classes=("inference",),
                        types=("RNGD",))  # fmt: skip
    wrong_class = _submit(api, f.pi, f.project_id, command="true", job_class="llm-pretraining")
    assert wrong_class.status_code == 403, wrong_class.text
    body = wrong_class.json()
    assert body["code"] == "award_class_not_allowed"
    assert body["params"] == {"project": f.project_id, "job_class": "llm-pretraining",
                              "allowed": "inference"}  # fmt: skip
    wrong_type = _submit(
        api,
        f.pi,
        f.project_id,
        command="true",
        job_class="inference",
        accelerator_types=["H100-SXM"],
    )
    assert wrong_type.status_code == 403 and wrong_type.json()["code"] == "award_types_not_allowed"
    ko = api.client.post(f"/projects/{f.project_id}/jobs", headers={**api.as_(f.pi),
                         "Accept-Language": "ko"}, json={"command": "true", "accelerators": 1,
                         "job_class": "inference", "accelerator_types": ["H100-SXM"]})  # fmt: skip
    assert "지원 조건" in ko.json()["detail"] and "RNGD" in ko.json()["detail"]
    # no types asked: the job is held to the award's types
    ok = _submit(api, f.pi, f.project_id, command="true", job_class="inference")
    assert ok.status_code == 201, ok.text
    assert ok.json()["accelerator_types"] == ["RNGD"]


def test_accelerator_names_are_read_tolerantly_with_a_suggestion(api: Api) -> None:
    f = funded_project(api.svc)
    for given in ("h100", "H100", "h100_sxm", "H100-SXM", "rngd"):
        cls = "inference" if given == "rngd" else "fine-tuning"
        r = _submit(
            api, f.pi, f.project_id, command="true", accelerator_types=[given], job_class=cls
        )
        assert r.status_code == 201, (given, r.text)
        assert r.json()["accelerator_types"] == ["RNGD" if given == "rngd" else "H100-SXM"]
    bad = _submit(api, f.pi, f.project_id, command="true", accelerator_types=["H10O"])
    assert bad.status_code == 422
    assert bad.json()["code"] == "unknown_accelerator"
    assert "did you mean H100-SXM?" in bad.json()["detail"]
