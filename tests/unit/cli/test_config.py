"""Settings from NACC_* variables: defaults, every variable read, errors that name the
variable and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from nacc.config import Settings
from nacc.domain.errors import InputError

VARS = ("DATABASE_URL", "HOME", "WORKDIR", "LOCAL_DEVICES", "SCENARIO", "DEVICES_PER_POOL",
        "POLICY", "TICK_S", "METER_S")  # fmt: skip


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARS:
        monkeypatch.delenv(f"NACC_{name}", raising=False)


def test_defaults_follow_nacc_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NACC_HOME", str(tmp_path))
    s = Settings()
    assert s.database_url == f"sqlite:///{tmp_path / 'nacc.db'}"
    assert s.workdir == tmp_path / "nacc-jobs" and s.scenario is None
    assert (s.devices, s.devices_per_pool, s.policy) == ({"H100-SXM": 4, "RNGD": 2}, 2, "nacc")
    assert (s.tick_s, s.meter_s) == (0.5, 5.0)


def test_every_variable_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    given = {"DATABASE_URL": " postgresql://db/nacc ", "WORKDIR": str(tmp_path / "w"),
             "LOCAL_DEVICES": "RNGD:3", "SCENARIO": str(tmp_path / "f.yaml"),
             "DEVICES_PER_POOL": "3", "POLICY": "slurm", "TICK_S": "0.25",
             "METER_S": "2"}  # fmt: skip
    for name, value in given.items():
        monkeypatch.setenv(f"NACC_{name}", value)
    s = Settings()
    assert s.database_url == "postgresql://db/nacc" and s.workdir == tmp_path / "w"
    assert s.devices == {"RNGD": 3} and s.scenario == tmp_path / "f.yaml"
    assert (s.devices_per_pool, s.policy, s.tick_s, s.meter_s) == (3, "slurm", 0.25, 2.0)


def test_empty_variables_mean_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NACC_SCENARIO", "")
    monkeypatch.setenv("NACC_TICK_S", "")
    assert Settings().scenario is None and Settings().tick_s == 0.5


def test_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NACC_LOCAL_DEVICES", "RNGD:3")
    monkeypatch.setenv("NACC_TICK_S", "2")
    s = Settings(devices={"H100-SXM": 1}, tick_s=0.1)
    assert s.devices == {"H100-SXM": 1} and s.tick_s == 0.1
    assert s.replace(policy="fifo").devices == {"H100-SXM": 1}


def test_the_handoff_ignores_the_receivers_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    sent = Settings(devices={"H100-SXM": 1}, tick_s=0.1)
    monkeypatch.setenv("NACC_LOCAL_DEVICES", "RNGD:3")
    monkeypatch.setenv("NACC_TICK_S", "not a number")
    assert Settings.from_json(sent.to_json()) == sent


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TICK_S", "soon", "NACC_TICK_S: expected a number of seconds, got 'soon'"),
        ("METER_S", "-1", "NACC_METER_S: expected a positive number of seconds, got '-1'"),
        ("LOCAL_DEVICES", "H100:2", "NACC_LOCAL_DEVICES: unknown accelerator 'H100'"),
        ("LOCAL_DEVICES", "RNGD:none", "NACC_LOCAL_DEVICES: expected TYPE:COUNT, got 'RNGD:none'"),
        ("DEVICES_PER_POOL", "many", "NACC_DEVICES_PER_POOL: input should be a valid integer"),
        ("DEVICES_PER_POOL", "0", "NACC_DEVICES_PER_POOL: input should be greater than or equal"),
    ],
)
def test_a_bad_variable_is_named_with_what_was_expected(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(f"NACC_{name}", value)
    with pytest.raises(InputError) as caught:
        Settings()
    assert str(caught.value).startswith(message)


def test_a_bad_value_in_the_handoff_names_the_source_and_the_field(tmp_path: Path) -> None:
    text = Settings(workdir=tmp_path).to_json().replace('"tick_s": 0.5', '"tick_s": "soon"')
    with pytest.raises(InputError) as caught:
        Settings.from_json(text, "NACC_SCHEDULER_SETTINGS")
    message = str(caught.value)
    assert message.startswith("NACC_SCHEDULER_SETTINGS: expected a JSON object with")
    assert "NACC_TICK_S: expected a number of seconds, got 'soon'" in message
