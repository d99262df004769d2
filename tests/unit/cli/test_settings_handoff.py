"""`nacc serve` hands its settings to the scheduler process through the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nacc.bootstrap import Settings
from nacc.domain.errors import InputError


def test_settings_survive_the_trip_to_the_scheduler_process(tmp_path: Path) -> None:
    given = Settings(
        database_url="postgresql+psycopg://nacc:secret@db.example/nacc",
        workdir=tmp_path / "jobs",
        devices={"H100-SXM": 8, "RNGD": 4},
        scenario=tmp_path / "fleet.yaml",
        devices_per_pool=3,
        policy="slurm",
        tick_s=0.25,
        meter_s=2.0,
    )
    back = Settings.from_json(given.to_json())
    assert back == given
    assert isinstance(back.workdir, Path) and isinstance(back.scenario, Path)
    plain = Settings(database_url="sqlite:///x.db", workdir=tmp_path, scenario=None)
    assert Settings.from_json(plain.to_json()).scenario is None


@pytest.mark.parametrize(
    "text", ["{bad", '{"workdir": "x"}', "[]", '{"workdir": "x", "scenario": null, "surprise": 1}']
)
def test_malformed_settings_name_the_source_and_the_fields(text: str) -> None:
    with pytest.raises(InputError) as caught:
        Settings.from_json(text, "NACC_SCHEDULER_SETTINGS")
    message = str(caught.value)
    assert message.startswith("NACC_SCHEDULER_SETTINGS") and "database_url, workdir" in message


def test_the_scheduler_process_refuses_malformed_settings_in_plain_words() -> None:
    env = {**os.environ, "NACC_SCHEDULER_SETTINGS": "{bad"}
    run = [sys.executable, "-m", "nacc.cli.scheduler", str(os.getpid())]
    done = subprocess.run(run, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "nacc scheduler: NACC_SCHEDULER_SETTINGS: expected a JSON object" in done.stderr
