"""``nacc edit-call`` and ``nacc close-call`` run as docs/cli.md documents them, against a
real `nacc serve` (a process on a loopback port, SQLite): an edit from the documented
file and from options, ``--json``, a close, and the refusals (closing again, reopening
by an edit, a bad date, nothing to change) in English and Korean."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from test_cli_access import Served, seeded_server
from typer.testing import Result

from nacc.ports.store_people import CallSpec
from nacc.service import programs
from nacc.service.auth import Principal
from nacc.service.context import Services

DOCS = Path(__file__).parents[3] / "docs" / "cli.md"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """An operator and two calls open since yesterday that close on 2027-02-15."""

    def seed(svc: Services, s: Served) -> None:
        with svc.unit() as uow:
            ops = uow.people.user_by_email("ops@cli.example")
            assert ops is not None
        officer = Principal(ops.id, "Ops", None, frozenset({("operator", "")}))
        prog = programs.create_program(svc, officer, "P", "")
        now = datetime.now(UTC)
        closes = max(datetime(2027, 2, 15, tzinfo=UTC), now + timedelta(days=30))
        spec = CallSpec("2027 상반기 공모", now - timedelta(days=1), closes, Decimal(50000),
                        closes, closes + timedelta(days=14), {"merit": 2.0}, 5)  # fmt: skip
        s.ids["call"] = programs.open_call(svc, officer, prog.id, spec).id
        second = replace(spec, title="second")
        s.ids["second"] = programs.open_call(svc, officer, prog.id, second).id

    with seeded_server(tmp_path, "H100-SXM:1", seed) as s:
        yield s


def _ok(got: Result) -> str:
    assert got.exit_code == 0, got.output
    return got.stdout


def test_edit_and_close_a_call_as_documented(served: Served, tmp_path: Path) -> None:
    s, call = served, str(served.ids["call"])
    documented = DOCS.read_text(encoding="utf-8").split("An edit file:", 1)[1]
    block = documented.split("```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "edit.yaml").write_text(block, encoding="utf-8")
    later = datetime.now(UTC) + timedelta(days=60)
    if later.date() > datetime(2027, 2, 28, tzinfo=UTC).date():  # the documented dates passed
        block = block.replace("2027-02-28", later.date().isoformat())
        block = block.replace("2027-03-15", (later + timedelta(days=14)).date().isoformat())
        (tmp_path / "edit.yaml").write_text(block, encoding="utf-8")
    edited = _ok(s.nacc("ops", "edit-call", call, "--file", str(tmp_path / "edit.yaml")))
    assert edited.startswith(f"call {call} changed: 2027 상반기 공모 (연장)")
    assert "budget 60000 credits" in edited

    by_flags = json.loads(_ok(s.nacc("ops", "edit-call", call, "--title", "연장 공모",
                                     "--budget", "65000", "--json")))  # fmt: skip
    assert by_flags["title"] == "연장 공모" and by_flags["budget_balance"] == "65000"
    bad = s.nacc("ops", "edit-call", call, "--closes-at", "next week")
    assert bad.exit_code == 2 and "--closes-at" in bad.output
    nothing = s.nacc("ops", "edit-call", call)
    assert nothing.exit_code == 2 and "nothing to change" in nothing.output

    closed = _ok(s.nacc("ops", "close-call", call))
    assert closed.startswith(f"call {call} closed: 연장 공모")
    again = s.nacc("ops", "--lang", "ko", "close-call", call)
    assert again.exit_code == 2 and "오류 409" in again.output
    assert "이미 마감됐어요" in again.output
    reopen = s.nacc("ops", "edit-call", call, "--closes-at", later.date().isoformat())
    assert reopen.exit_code == 2 and "does not reopen" in reopen.output
    second = json.loads(_ok(s.nacc("ops", "close-call", str(s.ids["second"]), "--json")))
    assert datetime.fromisoformat(second["closes_at"]) <= datetime.now(UTC)
    shown = json.loads(_ok(s.nacc("ops", "calls")))["items"]
    assert [c["title"] for c in shown] == ["연장 공모", "second"]
