"""`nacc challenge create|submit|entries|leaderboard` against a real `nacc serve` (a
process on a loopback port, SQLite, its live scheduler running the evaluator as a real
process), with the challenge file and commands of docs/programs.md ("Challenges") as
written (ids, times and paths put in), and the quota refusal in Korean."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from challengesetup import evaluator
from test_cli_access import Served, seeded_server

from nacc.ports.store_people import AwardProjectSpec
from nacc.service.context import Services
from support.waiting import wait_until

DOC = Path(__file__).resolve().parents[3] / "docs" / "programs.md"


def _section() -> str:
    return DOC.read_text().split("## Challenges", 1)[1]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    def seed(svc: Services, s: Served) -> None:
        now = svc.clock()
        with svc.unit() as uow:
            s.ids["program"] = uow.programs.create_program("Global AI Challenge").id
            spec = AwardProjectSpec("team seven", now, now + timedelta(days=365))
            s.ids["project"] = uow.awards.create_project(spec).id
            org = uow.people.create_organisation("KAIST", "university", "Daejeon",
                                                 capital_area=False)  # fmt: skip
            pi = uow.people.create_user("pi", "pi@kaist.example", now, org.id)
            uow.people.grant_role(pi.id, "pi", f"project:{s.ids['project']}")
            s.tokens["pi"] = uow.people.create_token(pi.id, now)[1]

    with seeded_server(tmp_path, "H100-SXM:2", seed) as s:
        yield s


def _challenge_file(served: Served, tmp_path: Path) -> Path:
    """The doc's challenge file with this server's program, an open phase, the test's
    evaluator and one entry a day."""
    text = re.search(r"```yaml\n(.*?)```", _section(), re.S)
    assert text is not None
    doc: dict[str, Any] = yaml.safe_load(text.group(1))
    command, data = evaluator(tmp_path)
    start = doc["phases"][0]["starts_at"]
    assert start.isoformat() == "2027-03-01T00:00:00+09:00"  # what the doc says
    now = datetime.now(UTC)
    doc["phases"][0].update(starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=1))
    doc.update(program_id=served.ids["program"], command=command, test_data=data, per_day=1)
    path = tmp_path / "challenge.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def _commands() -> list[list[str]]:
    block = re.search(r"```\n(nacc challenge create.*?)```", _section(), re.S)
    assert block is not None
    return [line.split()[1:] for line in block.group(1).strip().splitlines()]


def test_the_documented_commands(served: Served, tmp_path: Path) -> None:
    create, submit, entries, board = _commands()
    assert create == ["challenge", "create", "challenge.yaml"]
    create[-1] = str(_challenge_file(served, tmp_path))
    r = served.nacc("ops", *create)
    assert r.exit_code == 0, r.output
    made = json.loads(r.output)
    assert made["name"] == "korean-llm-2027" and made["reset_time"] == "00:00"
    ids = {"1": str(made["id"]), "7": str(served.ids["project"])}

    def put(args: list[str]) -> list[str]:
        return [ids.get(a, a) for a in args]

    r = served.nacc("pi", *put(submit))
    assert r.exit_code == 0, r.output
    entry = json.loads(r.output)
    assert entry["model_ref"] == "hf://team7/ko-llm-13b@step-42000"
    r = served.nacc("pi", "--lang", "ko", *put(submit))
    assert r.exit_code == 2 and "429" in r.output and "초기화" in r.output
    # the test's evaluator scores a reference it does not parse 0.5
    seen: list[Any] = []

    def settled() -> Any:
        out = served.nacc("pi", *put(entries))
        seen[:] = json.loads(out.output) if out.exit_code == 0 else [out.output]
        return seen if seen and seen[0].get("state") not in ("pending", "running") else None

    try:
        wait_until(settled, 60, every=0.3)
    except AssertionError:
        raise AssertionError(seen) from None
    assert seen[0]["state"] == "scored" and seen[0]["public"] == {"acc": 0.5, "loss": 0.5}
    r = served.nacc("pi", *put(board))
    assert r.exit_code == 0, r.output
    assert "Korean LLM benchmark 2027" in r.output and "public" in r.output
    assert "team seven" in r.output and "0.5" in r.output
    assert "(open, public scores" in " ".join(r.output.split())  # the title may wrap
    # a challenge whose phase has not started yet says so, not "open"
    later = yaml.safe_load(Path(create[-1]).read_text())
    now = datetime.now(UTC)
    later["phases"][0].update(starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=2))
    later["name"] = "later-2027"
    Path(create[-1]).write_text(yaml.safe_dump(later))
    r = served.nacc("ops", *create)
    assert r.exit_code == 0, r.output
    r = served.nacc("pi", "challenge", "leaderboard", str(json.loads(r.output)["id"]))
    assert r.exit_code == 0 and "(not started, public" in " ".join(r.output.split()), r.output
