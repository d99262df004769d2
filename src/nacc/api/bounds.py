"""The bounds of every API input, shared by the request bodies and the routes.

Each limit is what the database and the service can hold, stated once (docs/service.md,
"Bounds"): ids are 32-bit (PostgreSQL ``integer``), names at most 200 characters, a job
command at most 64 KiB, lists at most 64 items, times between 1970 and 2200 (UTC), token
lifetimes at most ten years. No text field takes a NUL byte (no process can run it, and
PostgreSQL cannot store it): refused with 422 naming the field (``value_has_nul``).
Numbers are strict: ``"2"`` or ``true`` is not a number.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

INT32_MAX = 2**31 - 1
NAME_MAX = 200
LABEL_MAX = 100
TEXT_MAX = 20_000
COMMAND_MAX = 65_536
LIST_MAX = 64
TOKEN_LIFETIME_MAX_S = 10 * 365 * 86400
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
NO_NUL = "^[^\\x00]*$"
"""The pattern OpenAPI shows for every text field (the check itself is ``NulFree``)."""


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("value_has_nul", "a NUL byte (\\u0000) is not allowed")
    return value


class _NulFree:
    """Marks a ``str`` as refusing NUL; OpenAPI shows it as a pattern."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(_no_nul, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        found = handler(schema)
        found.setdefault("pattern", NO_NUL)
        return found


NulFree = _NulFree()

Name = Annotated[str, Field(min_length=1, max_length=NAME_MAX), NulFree]
Label = Annotated[str, Field(max_length=LABEL_MAX), NulFree]
Text = Annotated[str, Field(max_length=TEXT_MAX), NulFree]
Id = Annotated[int, Field(ge=1, le=INT32_MAX, strict=True)]
"""A row id in a body: a JSON integer, 1 .. 2^31-1."""
Count = Annotated[int, Field(strict=True)]
Flag = Annotated[bool, Field(strict=True)]
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]


def _in_range(value: datetime) -> datetime:
    if not EARLIEST <= value <= LATEST:
        raise PydanticCustomError(
            "datetime_out_of_range", "a time between 1970-01-01 and 2200-01-01 (UTC)"
        )
    return value


Moment = Annotated[AwareDatetime, AfterValidator(_in_range)]


def _iso_text(value: object) -> object:
    """A time in a query string is ISO 8601 text (``2026-12-01T00:00:00Z``), not a number
    of seconds that would be read as one."""
    if isinstance(value, str) and not _ISO.match(value):
        raise PydanticCustomError("datetime_iso", "an ISO 8601 time with its zone, e.g. "
                                  "2026-12-01T00:00:00Z")  # fmt: skip
    return value


_ISO = re.compile(r"\d{4}-\d{2}-\d{2}[T ]")
QueryMoment = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_in_range)]
"""A time given as a query parameter: ISO 8601 text with its zone, 1970..2200."""
"""A time with its offset, 1970 .. 2200 (UTC): later ones overflow the year 9999
once a lifetime is added, earlier ones once converted to UTC."""

IdPath = Annotated[int, Path(ge=1, le=INT32_MAX, description="a 32-bit row id")]
JobIdPath = Annotated[str, Path(pattern="^[A-Za-z0-9._:-]{1,64}$", description="a job id (j-...)")]
