"""Accelerator types: the hardware vocabulary shared by catalog, scheduler and ledger."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AcceleratorType:
    """One accelerator model. Unknown figures are ``None``, never guessed."""

    name: str
    vendor: str
    domestic: bool
    bf16_tflops: float | None
    fp8_tflops: float | None
    memory_gb: float | None
    mem_bw_gbs: float | None
    tdp_w: float | None
    training: bool
    source: str
