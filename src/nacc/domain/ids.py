"""Typed identifiers."""

from __future__ import annotations

from typing import NewType

JobId = NewType("JobId", str)
ProjectId = NewType("ProjectId", str)
PoolId = NewType("PoolId", str)
AcceleratorName = NewType("AcceleratorName", str)
