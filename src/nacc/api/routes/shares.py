"""``GET /shares``: the fair-share tree (program -> organisation -> project), like sshare."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from nacc.api.deps import CallerDep, ServicesDep
from nacc.api.problems import LIST
from nacc.service import shares as svc_shares

router = APIRouter(tags=["reports"])


class ShareRowOut(BaseModel):
    depth: int = Field(description="0 program, 1 organisation, 2 project")
    name: str
    project: str | None = Field(description="the project (depth 2), else null")
    raw_shares: float
    norm_shares: float = Field(description="of its siblings")
    effective_share: float = Field(description="of the whole fleet (product down the path)")
    usage: float = Field(description="decayed credits (its subtree's)")
    norm_usage: float = Field(description="of its siblings' usage")
    level_fs: float | None = Field(description="norm_shares / norm_usage; null: no usage yet")
    factor: float | None = Field(description="Fair Tree factor in (0, 1], projects only")


class SharesOut(BaseModel):
    half_life_s: float
    at: datetime
    rows: list[ShareRowOut]


HalfLife = Annotated[
    float, Query(ge=60, le=10 * 365 * 86400, description="usage half-life, seconds (default 7 d)")
]


@router.get("/shares", response_model=SharesOut, responses=LIST)
def shares(svc: ServicesDep, who: CallerDep,
           half_life_s: HalfLife = svc_shares.DEFAULT_HALF_LIFE_S) -> SharesOut:  # fmt: skip
    """The fair-share tree with decayed usage and each project's Fair Tree factor."""
    got = svc_shares.shares(svc, who, half_life_s)
    rows = [ShareRowOut(depth=r.depth, name=r.name, project=r.project, raw_shares=r.raw_shares,
                        norm_shares=r.norm_shares, effective_share=r.effective_share,
                        usage=r.usage, norm_usage=r.norm_usage,
                        level_fs=None if math.isinf(r.level_fs) else r.level_fs,
                        factor=r.factor) for r in got.rows]  # fmt: skip
    return SharesOut(half_life_s=got.half_life_s, at=got.at, rows=rows)
