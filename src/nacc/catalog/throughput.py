"""The throughput model: relative speed of each job class on each accelerator type.

H100-SXM is 1.0 for every class; ``None`` means the type does not run the class. How
each cell is obtained (see ``docs/throughput-model.md``):

1. **Roofline** for every type with figures: compute-bound classes (pre-training,
   fine-tuning, vision training) scale with dense BF16 TFLOPS (FP8/2 where only FP8 is
   known), memory-bound classes (inference, evaluation, recommendation) with memory
   bandwidth; when the bandwidth is unknown the compute ratio is used instead.
2. **Anchor**: V100 gets its roofline value times ``ANCHOR_EFFICIENCY``.
3. **Measured**: K80 and P100 get V100's value times their measured speed relative to V100
   (Gavel); T4 vision training likewise from Pollux T4 step times.

The hot path (``rate``) is one or two dict lookups: every class-based rate is
precomputed, and workload-based rates are cached on first use.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from nacc.catalog.accelerators import load_catalog
from nacc.catalog.gavel_table import (
    WORKER_TYPES,
    GavelTable,
    bundled_gavel,
    bundled_pollux,
    gavel_workloads,
    measured_ratios,
    t4_vision_ratio,
    workload_class,
)
from nacc.domain.accelerators import AcceleratorType
from nacc.domain.errors import InputError, UnknownName
from nacc.domain.jobs import JobClass, JobSpec

REFERENCE_TYPE = "H100-SXM"
ANCHOR_TYPE = "V100"
#: Fraction of its peak V100 reaches, relative to the fraction H100 reaches (E: assumed
#: equal). Measured K80/P100 values inherit it through V100.
ANCHOR_EFFICIENCY = 1.0
COMPUTE_BOUND = frozenset({JobClass.PRETRAIN, JobClass.FINETUNE, JobClass.VISION})
#: Classes that train a model; a type with ``training=False`` does not run them.
TRAINING_CLASSES = frozenset(COMPUTE_BOUND | {JobClass.RECOMMENDATION})

__all__ = [
    "ANCHOR_TYPE",
    "REFERENCE_TYPE",
    "Cell",
    "ThroughputModel",
    "build_matrix",
    "default_model",
    "format_matrix",
    "gavel_workloads",
    "workload_class",
]

_RateKey = tuple[JobClass, str, str]
_WorkloadKey = tuple[str, int, JobClass, str]


@dataclass(frozen=True, slots=True)
class Cell:
    """One matrix entry: relative speed (None: does not run) and how it was obtained."""

    speed: float | None
    basis: str


def effective_tflops(accel: AcceleratorType) -> float | None:
    """Dense BF16 TFLOPS; FP8/2 when only FP8 is known (FP8 = 2 x BF16 on every listed chip)."""
    if accel.bf16_tflops is not None:
        return accel.bf16_tflops
    return accel.fp8_tflops / 2 if accel.fp8_tflops is not None else None


def _ratio(mine: float | None, ref: float | None) -> float | None:
    return mine / ref if mine is not None and ref is not None else None


def roofline_cell(cls: JobClass, accel: AcceleratorType, ref: AcceleratorType) -> Cell:
    """Speed of ``accel`` relative to ``ref`` from peak figures alone."""
    compute = _ratio(effective_tflops(accel), effective_tflops(ref))
    if cls in COMPUTE_BOUND:
        return Cell(compute, "roofline: BF16 TFLOPS") if compute else Cell(None, "unknown")
    bandwidth = _ratio(accel.mem_bw_gbs, ref.mem_bw_gbs)
    if bandwidth is not None:
        return Cell(bandwidth, "roofline: memory bandwidth")
    if compute is not None:
        return Cell(compute, "fallback: BF16 TFLOPS (bandwidth unknown)")
    return Cell(None, "unknown")


def measured_relative(
    gavel: GavelTable, pollux: Mapping[str, Iterable[tuple[int, float]]]
) -> dict[tuple[JobClass, str], tuple[float, str]]:
    """(class, type) -> (measured speed relative to V100, source)."""
    out: dict[tuple[JobClass, str], tuple[float, str]] = {}
    for cls, per_type in measured_ratios(gavel).items():
        for accel, ratio in per_type.items():
            out[(cls, accel)] = (ratio, "measured: Gavel vs V100")
            if cls is JobClass.FINETUNE:
                out[(JobClass.PRETRAIN, accel)] = (ratio, "measured: Gavel LM/Transformer vs V100")
    t4 = t4_vision_ratio(gavel, pollux)
    if t4 is not None:
        out[(JobClass.VISION, "T4")] = (t4, "measured: Pollux T4 vs Gavel V100")
    return out


def build_matrix(
    catalog: Mapping[str, AcceleratorType],
    gavel: GavelTable,
    pollux: Mapping[str, Iterable[tuple[int, float]]],
) -> dict[JobClass, dict[str, Cell]]:
    """Every (class, type) cell, H100-SXM = 1.0."""
    ref = catalog[REFERENCE_TYPE]
    measured = measured_relative(gavel, pollux)
    matrix: dict[JobClass, dict[str, Cell]] = {}
    for cls in JobClass:
        row: dict[str, Cell] = {}
        anchor = _anchor_cell(cls, catalog, ref)
        for name, accel in catalog.items():
            row[name] = _cell(cls, accel, ref, anchor, measured.get((cls, name)))
        matrix[cls] = row
    return matrix


def _anchor_cell(
    cls: JobClass, catalog: Mapping[str, AcceleratorType], ref: AcceleratorType
) -> Cell | None:
    if ANCHOR_TYPE not in catalog:
        return None
    cell = roofline_cell(cls, catalog[ANCHOR_TYPE], ref)
    if cell.speed is None:
        return None
    return Cell(cell.speed * ANCHOR_EFFICIENCY, f"anchor: {cell.basis}")


def _cell(
    cls: JobClass,
    accel: AcceleratorType,
    ref: AcceleratorType,
    anchor: Cell | None,
    measured: tuple[float, str] | None,
) -> Cell:
    if cls in TRAINING_CLASSES and not accel.training:
        return Cell(None, "not run: inference-only type")
    if accel.name == ref.name:
        return Cell(1.0, "reference")
    if accel.name == ANCHOR_TYPE and anchor is not None:
        return anchor
    if measured is not None and anchor is not None and anchor.speed is not None:
        return Cell(anchor.speed * measured[0], measured[1])
    return roofline_cell(cls, accel, ref)


class ThroughputModel:
    """Relative speeds, work rates and credit rates (one credit = one H100-SXM hour)."""

    def __init__(
        self,
        catalog: Mapping[str, AcceleratorType],
        gavel: GavelTable,
        pollux: Mapping[str, Iterable[tuple[int, float]]] | None = None,
        domestic_incentive: float = 1.0,
    ) -> None:
        if not math.isfinite(domestic_incentive) or domestic_incentive <= 0:
            raise InputError("domestic_incentive", f"expected > 0, got {domestic_incentive}")
        for needed in (REFERENCE_TYPE, *WORKER_TYPES.values()):
            if needed not in catalog:
                raise InputError("catalog", f"type {needed!r} is required by the model")
        self._catalog = dict(catalog)
        self._gavel = gavel
        self._incentive = domestic_incentive
        self._cells = build_matrix(self._catalog, gavel, pollux or {})
        self._speed = {
            (cls, name): cell.speed
            for cls, row in self._cells.items()
            for name, cell in row.items()
        }
        self._class_rate = self._class_rates()
        self._credit = self._credit_rates()
        self._workload_rate: dict[_WorkloadKey, float | None] = {}

    def _class_rates(self) -> dict[_RateKey, float | None]:
        rates: dict[_RateKey, float | None] = {}
        for (cls, accel), speed in self._speed.items():
            for ref in self._catalog:
                ref_speed = self._speed[(cls, ref)]
                rates[(cls, ref, accel)] = _ratio(speed, ref_speed)
        return rates

    def _credit_rates(self) -> dict[tuple[JobClass, str], float | None]:
        credits: dict[tuple[JobClass, str], float | None] = {}
        for (cls, accel), speed in self._speed.items():
            factor = self._incentive if self._catalog[accel].domestic else 1.0
            credits[(cls, accel)] = None if speed is None else speed * factor
        return credits

    @property
    def domestic_incentive(self) -> float:
        return self._incentive

    def catalog(self) -> dict[str, AcceleratorType]:
        """The accelerator types the model knows, in catalog order."""
        return dict(self._catalog)

    def accelerator_types(self) -> list[str]:
        return list(self._catalog)

    def _known(self, accel_type: str) -> None:
        if accel_type not in self._catalog:
            raise UnknownName("accelerator type", accel_type, list(self._catalog))

    def speed(self, job_class: JobClass, accel_type: str) -> float | None:
        """Speed relative to H100-SXM; None if the type does not run the class."""
        try:
            return self._speed[(job_class, accel_type)]
        except KeyError:
            self._known(accel_type)
            raise

    def rate(self, spec: JobSpec, accel_type: str) -> float | None:
        """Work units per second for the whole gang on ``accel_type``; None if it cannot run.

        Without a workload, work is seconds on ``spec.reference_type`` (H100-SXM if None).
        With a Gavel workload, work is steps: measured steps/s on K80/P100/V100 for
        (workload, ``spec.accelerators``), else V100's extrapolated by class speed.
        """
        allowed = spec.allowed_types
        if allowed is not None and accel_type not in allowed:
            return None
        if spec.workload is None:
            key = (spec.job_class, spec.reference_type or REFERENCE_TYPE, accel_type)
            try:
                return self._class_rate[key]
            except KeyError:
                self._known(key[1])
                self._known(accel_type)
                raise
        wkey = (spec.workload, spec.accelerators, spec.job_class, accel_type)
        try:
            return self._workload_rate[wkey]
        except KeyError:
            value = self._workload_rate[wkey] = self._measured_rate(*wkey)
            return value

    def _measured_rate(
        self, workload: str, scale: int, cls: JobClass, accel_type: str
    ) -> float | None:
        self._known(accel_type)
        if accel_type in WORKER_TYPES.values():
            return self._gavel.isolated(workload, scale, accel_type)
        v100 = self._gavel.isolated(workload, scale, ANCHOR_TYPE)
        mine, anchor = self._speed[(cls, accel_type)], self._speed[(cls, ANCHOR_TYPE)]
        if v100 is None or mine is None or anchor is None:
            return None
        return v100 * mine / anchor

    def credit_rate(self, spec: JobSpec, accel_type: str) -> float | None:
        """Credits per accelerator-hour: class speed x domestic incentive (if domestic)."""
        return self.class_credit_rate(spec.job_class, accel_type)

    def class_credit_rate(self, job_class: JobClass, accel_type: str) -> float | None:
        """``credit_rate`` for any job of ``job_class`` (what a submission is priced at)."""
        try:
            return self._credit[(job_class, accel_type)]
        except KeyError:
            self._known(accel_type)
            raise

    def best_type(self, spec: JobSpec, types: Iterable[str]) -> str | None:
        """The allowed type with the highest rate (first one on ties); None if none runs."""
        best: str | None = None
        best_rate = 0.0
        for accel_type in types:
            value = self.rate(spec, accel_type)
            if value is not None and value > best_rate:
                best, best_rate = accel_type, value
        return best

    def matrix(self) -> dict[JobClass, dict[str, float | None]]:
        """class -> type -> relative speed (a fresh plain dict)."""
        return {cls: {name: c.speed for name, c in row.items()} for cls, row in self._cells.items()}

    def basis(self) -> dict[JobClass, dict[str, str]]:
        """class -> type -> how the speed was obtained."""
        return {cls: {name: c.basis for name, c in row.items()} for cls, row in self._cells.items()}


@lru_cache(maxsize=1)
def _bundled_catalog() -> Mapping[str, AcceleratorType]:
    return MappingProxyType(load_catalog())


def default_model(domestic_incentive: float = 1.0) -> ThroughputModel:
    """The model over the bundled catalog, Gavel and Pollux data."""
    return ThroughputModel(
        _bundled_catalog(), bundled_gavel(), bundled_pollux(), domestic_incentive
    )


def format_matrix(matrix: Mapping[JobClass, Mapping[str, float | None]]) -> str:
    """A fixed-width text table: one row per type, one column per class; '-' for None."""
    classes = list(matrix)
    types = list(next(iter(matrix.values()), {}))
    width = max(len(c.value) for c in classes)
    lines = ["type".ljust(11) + "".join(c.value.rjust(width + 1) for c in classes)]
    for name in types:
        cells = (matrix[c][name] for c in classes)
        text = ("-" if v is None else f"{v:.3f}" for v in cells)
        lines.append(name.ljust(11) + "".join(t.rjust(width + 1) for t in text))
    return "\n".join(lines)
