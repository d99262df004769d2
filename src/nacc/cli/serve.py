"""`nacc serve`: the HTTP API, and the live scheduler in a process of its own."""

from __future__ import annotations

import gc
import os
import sys
from typing import Annotated, Any

import typer
from rich.console import Console

console = Console(width=160)


def serve(
    demo: Annotated[
        bool, typer.Option("--demo", help="seed demo programs, people, tokens")
    ] = False,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
) -> None:
    """Run the API and the live scheduler (database: NACC_DATABASE_URL, else SQLite).

    The scheduler runs as a child process (its own interpreter, so its work never holds
    up a request); they talk through the database. NACC_NO_SCHEDULER=1 serves the API
    only (e.g. a second API process on the same database).
    """
    import uvicorn  # imported here, like the rest, so client commands start fast

    from nacc.bootstrap import Settings, build_app, fleet
    from nacc.scenario import shipped_scenario_path

    settings = Settings()
    if demo and "NACC_LOCAL_DEVICES" not in os.environ and settings.scenario is None:
        settings = settings.replace(scenario=shipped_scenario_path("korea-2026"))
        settings = _demo_on_slurm(settings)
    app, svc = build_app(settings, live=False)  # migrates the database first
    console.print(_say("serve.database", url=settings.database_url, workdir=settings.workdir),
                  markup=False)  # fmt: skip
    pools, _ = fleet(settings)
    names = ", ".join(f"{p.id} ({p.accel_type} x{p.count})" for p in pools)
    where = _say("serve.scenario", name=settings.scenario.stem) if settings.scenario else ""
    console.print(_say("serve.local", where=where, names=names), markup=False)
    if demo:
        from nacc.service.demo import seed

        for line in demo_lines(seed(svc), f"http://{host}:{port}"):
            console.print(line, markup=False)
    scheduler = None
    if os.environ.get("NACC_NO_SCHEDULER") != "1":
        from nacc.cli.scheduler import Supervisor

        scheduler = Supervisor(settings)
        scheduler.start()
    console.print(_say("serve.listening", url=f"http://{host}:{port}"), markup=False)
    # The event loop and the request threads share one GIL: a short switch interval
    # hands it over sooner, so a request waiting on a thread is not held for 5 ms slices.
    sys.setswitchinterval(0.0005)
    # Everything built so far (modules, mappers, the app: a few hundred thousand objects)
    # out of the garbage collector's sight: otherwise each full collection walks them and
    # stalls every request in flight for ~80 ms (docs/benchmarks.md).
    gc.collect()
    gc.freeze()
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        if scheduler is not None:
            scheduler.stop()


def demo_lines(seeded: Any, url: str) -> list[str]:
    """What the demo seeded (``nacc.service.demo.Seeded``), in the CLI's language: each
    person with their token (shown once), each call's decisions, how to log in."""
    from nacc import i18n
    from nacc.cli.say import language

    if seeded.already:
        return [_say("serve.demo.already")]
    lines = [_say("serve.demo.token", name=f"{p.name:<34}", email=f"{p.email:<30}", token=p.token)
             for p in seeded.people]  # fmt: skip
    for d in seeded.decisions:
        if d.project_id is not None:
            outcome = _say("serve.demo.awarded", project=d.project_id, amount=f"{d.amount:,.0f}")
        else:
            why = d.reason if d.why is None else i18n.render(d.why, language())
            outcome = _say("serve.demo.not_awarded", why=why)
        lines.append(_say("serve.demo.call", program=d.program, pi=d.pi, outcome=outcome))
    lines.append(_say("serve.demo.login", url=url))
    return lines


def _demo_on_slurm(settings: Any) -> Any:
    """The demo's Slurm pools on a running Slurm lab, if one answers (``demo_slurm``)."""
    from nacc.cli.demo_slurm import answers, lab_url, on_slurm

    url = lab_url()
    if url is None or settings.scenario is None:
        return settings
    why = answers(url)
    if why is not None:
        console.print(_say("serve.no_lab", url=url, why=why), markup=False)
        return settings
    path, moved = on_slurm(settings.scenario, url, settings.workdir,
                           settings.workdir / "demo-on-slurm.yaml")  # fmt: skip
    console.print(_say("serve.on_lab", url=url, pools=", ".join(moved)), markup=False)
    return settings.replace(scenario=path)


def _say(key: str, **params: object) -> str:
    from nacc.cli import words
    from nacc.cli.say import language

    return words.say(language(), key, **params)
