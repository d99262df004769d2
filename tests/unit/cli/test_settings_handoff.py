"""`nacc serve` hands its settings to the scheduler process through the environment."""

from __future__ import annotations

from pathlib import Path

from nacc.bootstrap import Settings


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
