"""Accelerator catalog and throughput model, as data with sources.

Imports ``nacc.domain`` and the standard library only.
"""

from __future__ import annotations

from nacc.catalog.accelerators import load_catalog
from nacc.catalog.gavel_table import gavel_workloads, workload_class
from nacc.catalog.throughput import (
    REFERENCE_TYPE,
    ThroughputModel,
    default_model,
    format_matrix,
)

__all__ = [
    "REFERENCE_TYPE",
    "ThroughputModel",
    "default_model",
    "format_matrix",
    "gavel_workloads",
    "load_catalog",
    "workload_class",
]
