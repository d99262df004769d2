"""50 submissions race over HTTP (a real uvicorn, SQLite and PostgreSQL) for a balance
that fits 7 of them: exactly 7 are accepted, the rest get 402, none a server error, and
the credits held never exceed the balance (issue 11: no overspend)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import httpx
from jobsetup import funded_project

from fuzz.server import serve
from support import calls

RACERS, FITS = 50, 7
BODY = {"command": "true", "accelerators": 1, "job_class": "fine-tuning", "time_limit_s": 3600}


def test_racing_submissions_never_overspend(db_url: str, tmp_path: Path) -> None:
    with serve(db_url, tmp_path) as (url, svc):
        probe = funded_project(svc, Decimal(1000), "Probe Uni", "probe")
        auth = {"Authorization": f"Bearer {probe.pi}"}
        r = calls.post(f"{url}/projects/{probe.project_id}/jobs", json=BODY, headers=auth)
        assert r.status_code == 201, r.text
        held = calls.get(f"{url}/projects/{probe.project_id}/balance", headers=auth).json()
        one = Decimal(held["committed_credits"])  # what one such job holds
        assert one > 0
        f = funded_project(svc, one * FITS + one / 2)  # 7.5 jobs' worth
        auth = {"Authorization": f"Bearer {f.pi}"}
        start = threading.Barrier(RACERS)

        def submit(i: int) -> int:
            with httpx.Client(timeout=120) as client:
                start.wait()
                body = {**BODY, "idempotency_key": f"race-{i}"}
                got = client.post(f"{url}/projects/{f.project_id}/jobs", json=body, headers=auth)
                return got.status_code

        with ThreadPoolExecutor(RACERS) as pool:
            codes = list(pool.map(submit, range(RACERS)))
        assert sorted(set(codes)) == [201, 402], codes
        assert codes.count(201) == FITS
        balance = calls.get(f"{url}/projects/{f.project_id}/balance", headers=auth).json()
        assert Decimal(balance["committed_credits"]) == one * FITS
        assert Decimal(balance["committed_credits"]) <= Decimal(balance["balance"])
        jobs = calls.get(f"{url}/projects/{f.project_id}/jobs?limit=500", headers=auth).json()
        assert len(jobs["items"]) == FITS  # the refused left nothing behind
