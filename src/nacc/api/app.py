"""The FastAPI application factory (no import-time globals)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from nacc import __version__
from nacc.api import docs, problems, ratelimit
from nacc.api import metrics as prometheus
from nacc.api.deps import PrincipalCache
from nacc.api.lang import LanguageMiddleware
from nacc.service.context import Services
from nacc.web import challenges as web_challenges
from nacc.web import pages as web_pages
from nacc.web import programs_pages as web_programs
from nacc.web import reports as web_reports


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
        docs_url=None,  # served from vendored files: nacc.api.docs
        redoc_url=None,
    )
    app.add_middleware(LanguageMiddleware)
    app.state.live = None
    app.state.pricing = None
    app.state.pools = []  # the fleet's pools (bootstrap sets them): reports, fleet page, blocks
    app.state.principals = PrincipalCache()
    app.state.submit_limiter = ratelimit.RateLimiter()  # bootstrap sets the configured one
    svc.on_roles_changed.append(app.state.principals.clear)
    app.state.services = svc
    problems.install(app)
    ratelimit.install(app)
    from nacc.api.routes import (
        admin,
        challenges,
        datasets,
        health,
        jobs,
        notify,
        programs,
        reports,
        reports_jobs,
        reservations,
        shares,
        teams,
    )

    app.include_router(admin.router)
    app.include_router(programs.router)
    app.include_router(teams.router)
    app.include_router(jobs.router)
    app.include_router(reservations.router)
    app.include_router(notify.router)
    app.include_router(challenges.router)
    challenges.install(app)
    app.include_router(datasets.router)
    app.include_router(health.router)
    app.include_router(reports.router)
    app.include_router(reports_jobs.router)
    app.include_router(shares.router)
    app.include_router(web_pages.router)
    app.include_router(web_reports.router)
    app.include_router(web_challenges.router)
    app.include_router(web_programs.router)
    app.mount("/static", StaticFiles(packages=[("nacc.web", "static")]), name="static")

    docs.install(app)
    prometheus.install(app, metrics)
    return app
