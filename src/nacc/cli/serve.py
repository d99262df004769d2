"""`nacc serve`: the HTTP API with the live scheduler."""

from __future__ import annotations

import dataclasses
import os
import sys
from typing import Annotated

import typer
from rich.console import Console

from nacc.bootstrap import Settings, build_app
from nacc.scenario import shipped_scenario_path

console = Console(width=160)


def serve(
    demo: Annotated[
        bool, typer.Option("--demo", help="seed demo programs, people, tokens")
    ] = False,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
) -> None:
    """Run the API and the live scheduler (database: NACC_DATABASE_URL, else SQLite)."""
    import uvicorn

    settings = Settings()
    if demo and "NACC_LOCAL_DEVICES" not in os.environ and settings.scenario is None:
        settings = dataclasses.replace(settings, scenario=shipped_scenario_path("korea-2026"))
    app, svc = build_app(settings, live=os.environ.get("NACC_NO_SCHEDULER") != "1")
    console.print(f"database: {settings.database_url}  jobs: {settings.workdir}")
    live = app.state.live
    pools = live.engine.pools.values() if live is not None else []
    fleet = ", ".join(f"{p.id} ({p.accel_type} x{p.count})" for p in pools)
    where = f"the {settings.scenario.stem} scenario in miniature; " if settings.scenario else ""
    console.print(f"local accelerators ({where}device ids in CUDA_VISIBLE_DEVICES): {fleet}")
    if demo:
        from nacc.service.demo import seed

        for line in seed(svc):
            console.print(line)
    console.print(f"serving on http://{host}:{port}  (OpenAPI: http://{host}:{port}/docs)")
    # The scheduler thread and the request threads share one GIL: a short switch
    # interval keeps a scheduler tick from holding requests back for 5 ms slices.
    sys.setswitchinterval(0.0005)
    uvicorn.run(app, host=host, port=port, log_level="warning")
