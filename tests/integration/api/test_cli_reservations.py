"""`nacc reservation book|list|cancel` against a real `nacc serve` (a process on a loopback
port, SQLite), as docs/programs.md shows them, including the overlap refusal in Korean."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from jobsetup import funded_project
from test_cli_access import Served, seeded_server

from nacc.service.context import Services


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    def seed(svc: Services, s: Served) -> None:
        # a capacity block is paid when booked (service.block_ledger)
        s.ids["project"] = funded_project(svc, Decimal(10**8)).project_id

    with seeded_server(tmp_path, "H100-SXM:4", seed) as s:
        yield s


def test_book_list_cancel_from_the_cli(served: Served) -> None:
    p = str(served.ids["project"])
    book = ["reservation", "book", "--name", "llm-2027", "--pool", "local-h100-sxm",
            "--count", "3", "--start", "2027-01-01T00:00:00Z", "--end", "2027-07-01T00:00:00Z",
            "--project", p]  # fmt: skip
    r = served.nacc("ops", *book)
    assert r.exit_code == 0, r.output
    block = json.loads(r.output)
    assert block["name"] == "llm-2027" and block["count"] == 3
    clash = ["reservation", "book", "--name", "other", "--accelerator", "H100-SXM", "--count",
             "2", "--start", "2027-03-01T00:00:00Z", "--end", "2027-04-01T00:00:00Z",
             "--project", p]  # fmt: skip
    r = served.nacc("ops", "--lang", "ko", *clash)
    assert r.exit_code == 2
    assert "오류 409" in r.output and "llm-2027" in r.output and "블록" in r.output
    r = served.nacc("ops", "reservation", "list")
    assert r.exit_code == 0 and [b["name"] for b in json.loads(r.output)] == ["llm-2027"]
    r = served.nacc("ops", "reservation", "cancel", str(block["id"]))
    assert r.exit_code == 0 and json.loads(r.output)["cancelled_at"]
    r = served.nacc("ops", "reservation", "list")
    assert json.loads(r.output) == []
    r = served.nacc("ops", "reservation", "list", "--all")
    assert len(json.loads(r.output)) == 1
