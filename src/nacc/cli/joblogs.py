"""``nacc logs JOB [-f] [--json]``: a job's output byte for byte (no markup, no
wrapping), or followed from the start until the job has ended."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Annotated

import typer

from nacc.cli.client import _call, _response, emit

ENDED = frozenset({"completed", "failed", "cancelled", "rejected"})


def logs(
    job: str,
    tail: int = 65536,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="until the job ends")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help='{"job_id", "output"}: the same bytes as text')
    ] = False,
) -> None:
    """Print a job's output byte for byte (no markup, no wrapping); ``-f`` follows it
    from the start until the job has ended."""
    parts: list[str] = []
    write = parts.append if as_json else _write_out
    if follow:
        _follow(job, write)
    else:
        write(str(_call("GET", f"/jobs/{job}/logs", params={"tail": tail})))
    if as_json:
        emit({"job_id": job, "output": "".join(parts)})


def _write_out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _follow(job: str, write: Callable[[str], object]) -> None:
    """Hand ``write`` the job's log from the start, as it grows, until the job ended."""
    offset = 0
    while True:
        done = _call("GET", f"/jobs/{job}")["state"] in ENDED  # read before the log
        while True:
            r = _response("GET", f"/jobs/{job}/logs", params={"offset": offset, "tail": 1 << 20})
            write(r.text)
            following = int(r.headers.get("X-Log-Offset", offset))
            if following == offset:
                break
            offset = following
        if done:
            return
        time.sleep(0.5)
