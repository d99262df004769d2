"""The service's settings: read once from ``NACC_*`` environment variables, validated, and
passed down (DESIGN.md rule 6). ``nacc serve`` hands them to its scheduler process as JSON
(``to_json`` / ``from_json``).

| variable | field | default |
| --- | --- | --- |
| ``NACC_DATABASE_URL`` | ``database_url`` | SQLite at ``$NACC_HOME/nacc.db`` |
| ``NACC_HOME`` | (the home of the defaults of the two below) | ``.`` |
| ``NACC_WORKDIR`` | ``workdir``, the jobs' directories | ``$NACC_HOME/nacc-jobs`` |
| ``NACC_LOCAL_DEVICES`` | ``devices``, e.g. ``H100-SXM:4,RNGD:2`` | ``DEFAULT_DEVICES`` |
| ``NACC_SCENARIO`` | ``scenario`` (a fleet in miniature) | none |
| ``NACC_DEVICES_PER_POOL`` | ``devices_per_pool`` | 2 |
| ``NACC_POLICY`` | ``policy`` | ``nacc`` |
| ``NACC_TICK_S`` / ``NACC_METER_S`` | ``tick_s`` / ``meter_s`` | 0.5 / 5.0 |
| ``NACC_BUSY_TICK_S`` | ``busy_tick_s``: the wait after a step that moved jobs | 0.1 |
| ``NACC_BACKEND_DOWN_S`` | ``backend_down_s``: unreachable this long, a backend is down | 60 |
| ``NACC_CONTAIN_JOBS`` | ``contain_jobs``: walls around local jobs (needs root) | true |
| ``NACC_JOB_NETWORK`` | ``job_network``: local jobs keep the host's network | false |
| ``NACC_JOB_NICE`` | ``job_nice``: local jobs' niceness, 0-19 (0: the service's) | 0 |
| ``NACC_LOG_CAP_BYTES`` | ``log_cap_bytes``: output kept per job run | 1073741824 (1 GiB) |
| ``NACC_SUBMIT_RATE_PER_S`` | ``submit_rate_per_s``: submissions per s and token | 0 (none) |
| ``NACC_SUBMIT_BURST`` | ``submit_burst``: submissions at once | rate, rounded up |
| ``NACC_SMTP_HOST`` | ``smtp_host``: e-mail notices (none: no e-mail) | none |
| ``NACC_SMTP_PORT`` / ``NACC_SMTP_FROM`` | ``smtp_port`` / ``smtp_from`` | 25 / nacc@localhost |
| ``NACC_SMTP_STARTTLS`` | ``smtp_starttls`` | false |
| ``NACC_WEBHOOK_TIMEOUT_S`` | ``webhook_timeout_s``: one webhook POST at most | 5 |
| ``NACC_NOTIFY_EVERY_S`` | ``notify_every_s``: sweep notices this often (0: never) | 0 |

A bad value raises :class:`InputError` naming the variable and what was expected.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from nacc.adapters.store import database_url as default_database_url
from nacc.catalog.accelerators import load_catalog
from nacc.domain.errors import InputError

DEFAULT_DEVICES = "H100-SXM:4,RNGD:2"
ENV_PREFIX = "NACC_"


def parse_devices(text: str) -> dict[str, int]:
    """``"H100-SXM:4,RNGD:2"`` -> {type: count}; names must be in the catalog."""
    catalog = load_catalog()
    out: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, count = part.partition(":")
        if name not in catalog:
            raise InputError("NACC_LOCAL_DEVICES", f"unknown accelerator {name!r}; known: "
                             f"{', '.join(catalog)}")  # fmt: skip
        if not count.isdigit() or int(count) < 1:
            raise InputError("NACC_LOCAL_DEVICES", f"expected TYPE:COUNT, got {part!r}")
        out[name] = int(count)
    return out


def _default_workdir() -> Path:
    return Path(os.environ.get("NACC_HOME") or ".") / "nacc-jobs"


def _seconds(value: Any) -> Any:
    """A positive number of seconds (a float, or text that reads as one)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number of seconds, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a number of seconds, got {value!r}") from None
    if not number > 0:
        raise ValueError(f"expected a positive number of seconds, got {value!r}")
    return number


class Settings(BaseSettings):
    """Validated once at start-up and passed down."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_ignore_empty=True, extra="forbid", frozen=True,
        populate_by_name=True,
    )  # fmt: skip

    database_url: str = Field(default_factory=default_database_url)
    workdir: Path = Field(default_factory=_default_workdir)
    devices: Annotated[dict[str, int], NoDecode] = Field(
        default_factory=lambda: parse_devices(DEFAULT_DEVICES),
        validation_alias="NACC_LOCAL_DEVICES",  # its historical name, not NACC_DEVICES
    )
    scenario: Path | None = None
    devices_per_pool: int = Field(default=2, ge=1)
    policy: str = "nacc"
    tick_s: float = 0.5
    busy_tick_s: float = 0.1
    meter_s: float = 5.0
    backend_down_s: float = Field(default=60.0, gt=0, le=86400.0)
    fair_tree: bool = False  # rank by Fair Tree: program -> organisation -> project (live_tree)
    contain_jobs: bool = True
    job_network: bool = False
    job_nice: int = Field(default=0, ge=0, le=19, strict=False)
    log_cap_bytes: int = Field(default=1 << 30, ge=1, le=1 << 50, strict=False)
    # job submissions per second and API token (0: no limit) and the burst allowed
    submit_rate_per_s: float = Field(default=0.0, ge=0, le=1e6)
    submit_burst: int | None = Field(default=None, ge=1, le=10**6)
    # notices (docs/programs.md, "Notifications and the award life cycle")
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "nacc@localhost"
    smtp_starttls: bool = False
    webhook_timeout_s: float = Field(default=5.0, gt=0, le=60)
    notify_every_s: float = Field(default=0.0, ge=0, le=86400)

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as error:
            raise _input_error(error) from None

    @field_validator("database_url", mode="before")
    @classmethod
    def _url(cls, value: Any) -> Any:
        return value.strip() or default_database_url() if isinstance(value, str) else value

    @field_validator("devices", mode="before")
    @classmethod
    def _devices(cls, value: Any) -> Any:
        return parse_devices(value) if isinstance(value, str) else value

    @field_validator("tick_s", "busy_tick_s", "meter_s", mode="before")
    @classmethod
    def _positive_seconds(cls, value: Any) -> Any:
        return _seconds(value)

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes``, validated like the original."""
        return type(self)(**{**self._fields(), **changes})

    def _fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in type(self).model_fields}

    def to_json(self) -> str:
        """These settings for another process (``from_json`` reads them back)."""
        return json.dumps(self.model_dump(mode="json"))

    @classmethod
    def from_json(cls, text: str, source: str = "settings") -> Settings:
        """Settings written by ``to_json`` (every field, nothing else, no environment);
        anything else raises ``InputError`` naming ``source`` and what is wrong."""
        names = list(cls.model_fields)
        expected = f"expected a JSON object with {', '.join(names)}"
        try:
            fields = json.loads(text)
        except ValueError as error:
            raise InputError(source, f"{expected}: {error}") from None
        if not isinstance(fields, dict) or set(fields) != set(names):
            got = sorted(fields) if isinstance(fields, dict) else type(fields).__name__
            raise InputError(source, f"{expected}; got {got}")
        try:
            return cls.model_validate(fields)  # not __init__: no environment variable
        except ValidationError as error:
            raise InputError(source, f"{expected}: {_input_error(error)}") from None
        except InputError as error:
            raise InputError(source, f"{expected}: {error}") from None


def _input_error(error: ValidationError) -> InputError:
    """The first problem, named by its environment variable and what was expected."""
    first = error.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    where = "NACC_LOCAL_DEVICES" if field == "devices" else f"{ENV_PREFIX}{field.upper()}"
    if first["type"] == "value_error" and "error" in first.get("ctx", {}):
        problem = str(first["ctx"]["error"])
    else:
        problem = f"{first['msg'].lower()}, got {first.get('input')!r}"
    return InputError(where, problem)
