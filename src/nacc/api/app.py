"""The FastAPI application factory (no import-time globals)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from nacc import __version__
from nacc.api import metrics as prometheus
from nacc.api import problems
from nacc.api.deps import PrincipalCache, ServicesDep
from nacc.api.lang import LanguageMiddleware
from nacc.api.schemas import HealthOut
from nacc.service.context import Services
from nacc.service.reports import scheduler_health


def create_app(
    svc: Services, metrics: prometheus.MetricsSource | None = None, lifespan: Any = None
) -> FastAPI:
    """Build the app around ``svc``; ``metrics`` gives the values /metrics shows;
    ``lifespan`` starts and stops background work (the live scheduler)."""
    app = FastAPI(
        title="nacc",
        version=__version__,
        description="National AI computing center",
        lifespan=lifespan,
        responses=problems.RESPONSES,
    )
    app.add_middleware(LanguageMiddleware)
    app.state.live = None
    app.state.pricing = None
    app.state.principals = PrincipalCache()
    svc.on_roles_changed.append(app.state.principals.clear)
    app.state.services = svc
    problems.install(app)
    from nacc.api.routes import admin, jobs, programs

    app.include_router(admin.router)
    app.include_router(programs.router)
    app.include_router(jobs.router)

    @app.get("/healthz", tags=["ops"])
    def healthz(s: ServicesDep) -> HealthOut:
        """Answers 200 while the API reaches its database; the scheduler's state rides
        along (a stalled scheduler is not a reason to restart the API)."""
        health = scheduler_health(s)
        beat = health.beat
        return HealthOut.model_validate({
            "status": "ok",
            "scheduler": health.state,
            "scheduler_beat_age_s": None if health.age_s is None else round(health.age_s, 3),
            "scheduler_pid": None if beat is None else beat.pid,
            "scheduler_host": None if beat is None else beat.host,
        })  # fmt: skip

    prometheus.install(app, metrics)
    return app
