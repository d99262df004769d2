"""The pages of the plan's programs beyond calls and reviews (issue 12): datasets,
challenges (beside the public board), notices and progress reports, reserved blocks.
One router, included by ``nacc.api.app`` beside the portal's others."""

from __future__ import annotations

from fastapi import APIRouter

from nacc.web import blocks, challenge_pages, datasets, notices

router = APIRouter(include_in_schema=False)
for part in (datasets.router, challenge_pages.router, notices.router, blocks.router):
    router.include_router(part)
