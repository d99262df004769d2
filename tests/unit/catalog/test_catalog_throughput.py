from __future__ import annotations

import pytest

from nacc.catalog.gavel_table import bundled_gavel, parse_gavel
from nacc.catalog.throughput import (
    ThroughputModel,
    default_model,
    format_matrix,
    gavel_workloads,
    workload_class,
)
from nacc.domain.errors import InputError, UnknownName
from nacc.domain.ids import JobId
from nacc.domain.jobs import JobClass, JobSpec

NPUS = ("ATOM", "REBEL-Quad", "RNGD")
COMPUTE = (JobClass.PRETRAIN, JobClass.FINETUNE, JobClass.VISION)


def spec(
    job_class: JobClass = JobClass.PRETRAIN,
    *,
    accelerators: int = 1,
    workload: str | None = None,
    reference_type: str | None = None,
    allowed: frozenset[str] | None = None,
) -> JobSpec:
    return JobSpec(
        id=JobId("j1"),
        submit_s=0.0,
        accelerators=accelerators,
        job_class=job_class,
        work=100.0,
        project="p",
        workload=workload,
        reference_type=reference_type,
        allowed_types=allowed,
    )


@pytest.fixture(scope="module")
def model() -> ThroughputModel:
    return default_model()


def test_h100_is_one_for_every_class(model: ThroughputModel) -> None:
    for job_class in JobClass:
        assert model.speed(job_class, "H100-SXM") == 1.0


def test_matrix_is_a_plain_complete_structure(model: ThroughputModel) -> None:
    matrix = model.matrix()
    assert set(matrix) == set(JobClass)
    for row in matrix.values():
        assert list(row) == model.accelerator_types()
        assert all(v is None or (isinstance(v, float) and v > 0) for v in row.values())
    matrix[JobClass.PRETRAIN]["H100-SXM"] = 99.0
    assert model.speed(JobClass.PRETRAIN, "H100-SXM") == 1.0
    assert "H100-SXM" in format_matrix(model.matrix())


def test_b200_beats_h100_on_pretraining(model: ThroughputModel) -> None:
    speed = model.speed(JobClass.PRETRAIN, "B200")
    assert speed == pytest.approx(2250 / 989)


def test_h200_faster_on_inference_equal_on_compute(model: ThroughputModel) -> None:
    assert model.speed(JobClass.INFERENCE, "H200") == pytest.approx(4800 / 3350)
    assert model.speed(JobClass.EVALUATION, "H200") == pytest.approx(4800 / 3350)
    for job_class in COMPUTE:
        assert model.speed(job_class, "H200") == pytest.approx(1.0)


def test_npus_do_not_train_but_serve(model: ThroughputModel) -> None:
    for npu in NPUS:
        for job_class in (*COMPUTE, JobClass.RECOMMENDATION):
            assert model.speed(job_class, npu) is None
        assert model.speed(JobClass.INFERENCE, npu) is not None
        assert model.speed(JobClass.EVALUATION, npu) == model.speed(JobClass.INFERENCE, npu)
    assert model.speed(JobClass.INFERENCE, "RNGD") == pytest.approx(1500 / 3350)


def test_unknown_bandwidth_falls_back_to_compute(model: ThroughputModel) -> None:
    assert model.speed(JobClass.INFERENCE, "ATOM") == pytest.approx(32 / 989)
    assert "fallback" in model.basis()[JobClass.INFERENCE]["ATOM"]


def test_legacy_gpus_are_ordered_on_compute_bound_classes(model: ThroughputModel) -> None:
    for job_class in COMPUTE:
        k80, p100, v100 = (model.speed(job_class, t) for t in ("K80", "P100", "V100"))
        assert k80 is not None and p100 is not None and v100 is not None
        assert k80 < p100 < v100 < 1.0
    assert model.speed(JobClass.VISION, "V100") == pytest.approx(125 / 989)
    assert model.basis()[JobClass.VISION]["T4"].startswith("measured")


def test_class_rate_is_speed_relative_to_reference(model: ThroughputModel) -> None:
    assert model.rate(spec(JobClass.PRETRAIN), "B200") == pytest.approx(2250 / 989)
    on_a100 = spec(JobClass.INFERENCE, reference_type="A100-80GB")
    assert model.rate(on_a100, "A100-80GB") == pytest.approx(1.0)
    assert model.rate(on_a100, "H100-SXM") == pytest.approx(3350 / 2039)
    assert model.rate(spec(JobClass.PRETRAIN), "RNGD") is None
    assert model.rate(spec(JobClass.INFERENCE, reference_type="RNGD"), "ATOM") is not None


def test_rate_respects_allowed_types(model: ThroughputModel) -> None:
    job = spec(JobClass.INFERENCE, allowed=frozenset({"RNGD", "ATOM"}))
    assert model.rate(job, "H100-SXM") is None
    assert model.rate(job, "RNGD") is not None
    assert model.best_type(job, model.accelerator_types()) == "RNGD"
    gavel = spec(JobClass.VISION, workload="ResNet-50 (batch size 64)", allowed=frozenset({"K80"}))
    assert model.rate(gavel, "V100") is None
    assert model.rate(gavel, "K80") == pytest.approx(0.619, abs=1e-3)


def test_measured_gavel_rates(model: ThroughputModel) -> None:
    job = spec(JobClass.VISION, workload="ResNet-50 (batch size 64)")
    assert model.rate(job, "V100") == pytest.approx(4.395, abs=1e-3)
    assert model.rate(job, "K80") == pytest.approx(0.619, abs=1e-3)
    assert model.rate(job, "P100") == pytest.approx(2.619, abs=1e-3)
    big = spec(JobClass.VISION, workload="ResNet-50 (batch size 64)", accelerators=4)
    assert model.rate(big, "V100") == pytest.approx(9.452, abs=1e-3)


def test_gavel_rate_extrapolates_from_v100(model: ThroughputModel) -> None:
    job = spec(JobClass.VISION, workload="ResNet-50 (batch size 64)")
    v100 = model.rate(job, "V100")
    h100 = model.rate(job, "H100-SXM")
    assert v100 is not None and h100 is not None
    assert h100 == pytest.approx(v100 * 989 / 125)
    assert model.rate(job, "RNGD") is None


def test_gavel_rate_is_none_where_gavel_has_no_measurement(model: ThroughputModel) -> None:
    oom = spec(JobClass.VISION, workload="ResNet-50 (batch size 128)", accelerators=2)
    assert model.rate(oom, "K80") is None
    assert model.rate(oom, "P100") == pytest.approx(2.881, abs=1e-3)
    sixteen = spec(JobClass.VISION, workload="ResNet-50 (batch size 64)", accelerators=16)
    assert all(model.rate(sixteen, t) is None for t in model.accelerator_types())
    single_only = spec(JobClass.VISION, workload="CycleGAN", accelerators=2)
    assert model.rate(single_only, "V100") is None


def test_credit_rate_and_domestic_incentive() -> None:
    plain, cheap = default_model(), default_model(domestic_incentive=0.5)
    job = spec(JobClass.INFERENCE)
    assert plain.credit_rate(job, "H100-SXM") == 1.0
    assert plain.credit_rate(job, "H200") == pytest.approx(4800 / 3350)
    assert cheap.credit_rate(job, "H200") == plain.credit_rate(job, "H200")
    rngd = plain.credit_rate(job, "RNGD")
    assert rngd is not None
    assert cheap.credit_rate(job, "RNGD") == pytest.approx(rngd * 0.5)
    assert plain.credit_rate(spec(JobClass.PRETRAIN), "RNGD") is None
    with pytest.raises(InputError):
        default_model(domestic_incentive=0.0)


def test_best_type_picks_fastest(model: ThroughputModel) -> None:
    assert model.best_type(spec(JobClass.PRETRAIN), ["H100-SXM", "B200", "GB200"]) == "GB200"
    assert model.best_type(spec(JobClass.PRETRAIN), ["ATOM", "RNGD"]) is None
    assert model.best_type(spec(JobClass.INFERENCE), []) is None


def test_unknown_type_is_named(model: ThroughputModel) -> None:
    with pytest.raises(UnknownName, match="H900"):
        model.speed(JobClass.PRETRAIN, "H900")
    with pytest.raises(UnknownName, match="H900"):
        model.rate(spec(JobClass.PRETRAIN), "H900")
    with pytest.raises(UnknownName, match="H900"):
        model.rate(spec(JobClass.PRETRAIN, reference_type="H900"), "B200")
    with pytest.raises(UnknownName):
        model.rate(spec(JobClass.VISION, workload="LM (batch size 5)"), "H900")


def test_gavel_workloads_and_classes() -> None:
    workloads = gavel_workloads()
    assert len(workloads) == 26
    assert "ResNet-50 (batch size 64)" in workloads
    assert workload_class("ResNet-50 (batch size 64)") is JobClass.VISION
    assert workload_class("Transformer (batch size 128)") is JobClass.FINETUNE
    assert workload_class("Recommendation (batch size 512)") is JobClass.RECOMMENDATION
    assert workload_class("A3C") is JobClass.VISION
    assert workload_class("GPT-5 (batch size 1)") is None
    assert all(workload_class(w) is not None for w in workloads)


def test_bundled_table_has_only_isolated_consolidated_rows() -> None:
    table = bundled_gavel()
    assert len(table.steps) == 3 * 83
    assert {key[2] for key in table.steps} == {"K80", "P100", "V100"}


def test_bad_gavel_row_is_named() -> None:
    text = "workload,scale_factor,worker_type,steps_per_s\nLM,1,a100,3.0\n"
    with pytest.raises(InputError, match=r"t.csv:2: column 'worker_type'"):
        parse_gavel(text, "t.csv")
