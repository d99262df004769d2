"""The accelerator catalog: one row per accelerator type, with its sources.

The bundled file is ``nacc/data/accelerators.csv``. Every figure is either sourced (see
the ``source`` column and ``nacc/data/README.md``) or empty; an empty figure loads as
``None`` and is never guessed. The ``status`` column uses the legend of ``FACTS.md``
(V verified, S secondary, D derived, E estimate, U unknown), several joined by ``/``.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TypeVar

from nacc.domain.accelerators import AcceleratorType
from nacc.domain.errors import InputError

CATALOG_FILE = "accelerators.csv"
COLUMNS = (
    "name",
    "vendor",
    "domestic",
    "bf16_tflops",
    "fp8_tflops",
    "memory_gb",
    "mem_bw_gbs",
    "tdp_w",
    "training",
    "status",
    "source",
)
FIGURES = ("bf16_tflops", "fp8_tflops", "memory_gb", "mem_bw_gbs", "tdp_w")
_STATUS = re.compile(r"^[VSDEU](/[VSDEU])*$")
_T = TypeVar("_T")


def data_text(filename: str) -> tuple[str, str]:
    """Return (display name, text) of a file bundled in ``nacc.data``."""
    ref = resources.files("nacc.data").joinpath(filename)
    return f"nacc/data/{filename}", ref.read_text(encoding="utf-8")


def load_catalog(path: str | Path | None = None) -> dict[str, AcceleratorType]:
    """Load and validate the catalog, keyed by type name in file order.

    Args:
        path: a catalog CSV to read instead of the bundled one.

    Raises:
        InputError: naming ``file:line`` and the column of the first bad value.
    """
    if path is None:
        where, text = data_text(CATALOG_FILE)
    else:
        where = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(where, f"cannot read the catalog: {exc.strerror}") from exc
    return parse_catalog(text, where)


def parse_catalog(text: str, where: str) -> dict[str, AcceleratorType]:
    """Parse catalog CSV text; ``where`` names the file in error messages."""
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    _check_header(header, where)
    catalog: dict[str, AcceleratorType] = {}
    for line, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        accel = _parse_row(row, f"{where}:{line}")
        if accel.name in catalog:
            raise InputError(f"{where}:{line}", f"column 'name': duplicate type {accel.name!r}")
        catalog[accel.name] = accel
    if not catalog:
        raise InputError(where, "the catalog has no accelerator rows")
    return catalog


def _check_header(header: list[str] | None, where: str) -> None:
    if header is None:
        raise InputError(f"{where}:1", f"empty file; expected the header {','.join(COLUMNS)}")
    got = [cell.strip() for cell in header]
    for col in COLUMNS:
        if col not in got:
            raise InputError(f"{where}:1", f"column {col!r} is missing from the header")
    if tuple(got) != COLUMNS:
        raise InputError(f"{where}:1", f"expected the header {','.join(COLUMNS)}, got {header}")


def _parse_row(row: list[str], where: str) -> AcceleratorType:
    if len(row) != len(COLUMNS):
        raise InputError(where, f"expected {len(COLUMNS)} columns, got {len(row)}")
    cells = {col: cell.strip() for col, cell in zip(COLUMNS, row, strict=True)}
    for col in ("name", "vendor", "source"):
        _field(cells, col, where, _nonempty)
    _field(cells, "status", where, _status)
    figures = {col: _field(cells, col, where, _figure) for col in FIGURES}
    return AcceleratorType(
        name=cells["name"],
        vendor=cells["vendor"],
        domestic=_field(cells, "domestic", where, _boolean),
        bf16_tflops=figures["bf16_tflops"],
        fp8_tflops=figures["fp8_tflops"],
        memory_gb=figures["memory_gb"],
        mem_bw_gbs=figures["mem_bw_gbs"],
        tdp_w=figures["tdp_w"],
        training=_field(cells, "training", where, _boolean),
        source=cells["source"],
    )


def _field(cells: dict[str, str], col: str, where: str, parse: Callable[[str], _T]) -> _T:
    try:
        return parse(cells[col])
    except ValueError as exc:
        raise InputError(where, f"column {col!r}: {exc} (got {cells[col]!r})") from None


def _nonempty(value: str) -> str:
    if not value:
        raise ValueError("expected a non-empty value")
    return value


def _status(value: str) -> str:
    if not _STATUS.match(value):
        raise ValueError("expected status letters V, S, D, E or U joined by '/'")
    return value


def _boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise ValueError("expected 'true' or 'false'")
    return lowered == "true"


def _figure(value: str) -> float | None:
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise ValueError("expected a positive number, or empty when unknown") from None
    if not math.isfinite(number) or number <= 0:
        raise ValueError("expected a positive number, or empty when unknown")
    return number
