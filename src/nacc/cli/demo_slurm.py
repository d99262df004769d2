"""``nacc serve --demo`` on a running Slurm lab: the demo scenario's Slurm pools (those
with ``engine: slurm``, KISTI's) run on the lab that ``make slurm-lab`` starts, the other
pools on this machine. No lab answering: every pool is local, as before.

The lab is looked for at ``$NACC_DEMO_SLURM`` (``off``: never), else at
``slurm://127.0.0.1:26820`` (``make slurm-lab``); ``SLURM_CONF`` names its config (else
``.slurm-lab/etc/slurm.conf`` when it exists), as ``scontrol token`` needs it for the JWT.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

import yaml

LAB_URL = "slurm://127.0.0.1:26820"
_LAB_CONF = Path(".slurm-lab/etc/slurm.conf")


def lab_url() -> str | None:
    """Where to look for a lab (None: ``NACC_DEMO_SLURM=off``)."""
    url = os.environ.get("NACC_DEMO_SLURM", LAB_URL).strip()
    return None if url.lower() in ("", "0", "off", "no") else url


def answers(url: str) -> str | None:
    """Why the lab at ``url`` cannot be used (None: it answers a ping with a JWT)."""
    from nacc.adapters.dispatch.slurm_rest import SlurmRest
    from nacc.domain.errors import NaccError

    parts = urlsplit(url)
    if parts.scheme != "slurm" or not parts.hostname or parts.port is None:
        return f"{url}: expected slurm://HOST:PORT"
    try:  # nothing listening (the usual case): say so at once, before any JWT is made
        socket.create_connection((parts.hostname, parts.port), timeout=1.0).close()
    except OSError as error:
        return f"slurmrestd does not answer: {error}"
    if "SLURM_CONF" not in os.environ and _LAB_CONF.is_file():
        os.environ["SLURM_CONF"] = str(_LAB_CONF.resolve())
    try:
        SlurmRest(f"http://{parts.hostname}:{parts.port}", timeout_s=3.0, attempts=1).ping()
    except NaccError as error:
        return str(error)
    return None


def on_slurm(scenario: Path, url: str, workdir: Path, out: Path) -> tuple[Path, list[str]]:
    """``scenario`` with its ``engine: slurm`` pools on ``url`` (the lab's GPUs are typed
    ``h100``), written to ``out``; the pools moved."""
    data = yaml.safe_load(scenario.read_text(encoding="utf-8"))
    moved = [str(p["id"]) for p in data.get("pools", []) if p.get("engine") == "slurm"]
    workdir = workdir.resolve()
    query = "&".join([f"workdir={workdir / 'slurm'}", *(f"gres.{p}=h100" for p in moved)])
    for pool in data.get("pools", []):
        if pool.get("engine") == "slurm":
            pool["backend"] = f"{url.split('?')[0]}?{query}"
    out.parent.mkdir(parents=True, exist_ok=True)
    (workdir / "slurm").mkdir(parents=True, exist_ok=True)
    (workdir / "slurm").chmod(0o755)  # Slurm's job steps write their output there
    out.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return out, moved
