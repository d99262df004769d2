"""FastAPI dependencies: the services object and the authenticated caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query, Request

from nacc.service.auth import Principal, authenticate
from nacc.service.context import Services


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


ServicesDep = Annotated[Services, Depends(services)]


def caller(svc: ServicesDep, authorization: Annotated[str | None, Header()] = None) -> Principal:
    with svc.tx() as session:
        return authenticate(session, authorization, svc.clock())


CallerDep = Annotated[Principal, Depends(caller)]
LimitQ = Annotated[int, Query(ge=1, le=500, description="page size")]
OffsetQ = Annotated[int, Query(ge=0, description="rows to skip")]
