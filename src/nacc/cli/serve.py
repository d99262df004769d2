"""`nacc serve`: the HTTP API with the live scheduler."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.console import Console

from nacc.bootstrap import Settings, build_app

console = Console(width=160)
# Local stand-ins for the Korea 2026 fleet's types (scenarios/korea-2026.yaml): each
# "device" is an id handed to the job in CUDA_VISIBLE_DEVICES.
DEMO_DEVICES = "H100-SXM:2,H200:2,B200:2,RNGD:2"


def serve(
    demo: Annotated[
        bool, typer.Option("--demo", help="seed demo programs, people, tokens")
    ] = False,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
) -> None:
    """Run the API and the live scheduler (database: NACC_DATABASE_URL, else SQLite)."""
    import uvicorn

    if demo and "NACC_LOCAL_DEVICES" not in os.environ:
        os.environ["NACC_LOCAL_DEVICES"] = DEMO_DEVICES
    settings = Settings()
    app, svc = build_app(settings, live=os.environ.get("NACC_NO_SCHEDULER") != "1")
    console.print(f"database: {settings.database_url}  jobs: {settings.workdir}")
    console.print(
        "local accelerators: " + ", ".join(f"{t} x{n}" for t, n in settings.devices.items())
    )
    if demo:
        from nacc.service.demo import seed

        for line in seed(svc):
            console.print(line)
    console.print(f"serving on http://{host}:{port}  (OpenAPI: http://{host}:{port}/docs)")
    uvicorn.run(app, host=host, port=port, log_level="warning")
