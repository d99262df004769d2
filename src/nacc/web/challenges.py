"""The public leaderboard page: ``/portal/challenges/{id}`` shows a challenge's board in
Korean or English to anyone, signed in or not. Public scores only while the phase is
open; the private ranking once it has closed (``nacc.service.challenge_entries``, the
same board as ``GET /challenges/{id}/leaderboard``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from nacc.domain.errors import InputError, NotFound
from nacc.service import challenge_entries as use
from nacc.web.context import Visitor, language, page, services, visitor

router = APIRouter(include_in_schema=False)
MaybeVisitor = Annotated[Visitor | None, Depends(visitor)]


@router.get("/portal/challenges/{challenge_id}")
def board_page(challenge_id: int, request: Request, me: MaybeVisitor) -> Response:
    lang = me.lang if me is not None else language(request)
    csrf = me.csrf if me is not None else ""
    phase = request.query_params.get("phase") or None
    try:
        board = use.leaderboard(services(request), challenge_id, phase)
    except (NotFound, InputError) as error:
        status = 404 if isinstance(error, NotFound) else 422
        return page(request, "error.html.j2", lang, status=status, me=me, csrf=csrf,
                    error=error.reason)  # fmt: skip
    return page(request, "challenge_board.html.j2", lang, me=me, csrf=csrf, board=board)
