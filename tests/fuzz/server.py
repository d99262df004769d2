"""The API served by a real uvicorn on a loopback port, in a thread of the test process,
over a real database (the live scheduler is not started: fuzzed job commands are stored,
never run)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn

from nacc.bootstrap import Settings, build_app
from nacc.service.context import Services
from support.waiting import wait_until

START_S = 60.0
"""Only a failing start waits this long."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=30).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def serve(database_url: str, home: Path) -> Iterator[tuple[str, Services]]:
    """The base URL of the API over ``database_url`` and the services it runs on."""
    settings = Settings(database_url=database_url, workdir=home / "jobs",
                        devices={"H100-SXM": 4, "RNGD": 2})  # fmt: skip
    app, svc = build_app(settings, live=False)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            access_log=False, lifespan="on")  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn:{port}", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answers(url), START_S, f"the API at {url}", every=0.05)
        yield url, svc
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        svc.sessions.kw["bind"].dispose()
