"""Reservations (capacity blocks) in scenario YAML: a ``reservations:`` list, inline in a
scenario or in a file of its own (``nacc simulate --reservations FILE``):

.. code-block:: yaml

    reservations:
      - id: llm-b200
        accelerator: B200        # or pool: nhn-b200 (exactly one of the two)
        count: 768
        start_s: 0
        end_s: 15724800          # 182 days
        projects: [sovereign-llm]
        charge: capacity         # or use_plus_idle with idle_fee: 0..1

Each one becomes a ``nacc.domain.reservations.Block``; an unknown pool or type, a count
above the pool, or an overlap beyond a pool's capacity is an error naming the file, the
line and the field (``reservations[0].count``) and, for an overlap, the other block.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from nacc.domain.errors import InputError
from nacc.domain.ids import PoolId
from nacc.domain.pools import Pool
from nacc.domain.reservations import Block, BlockConflict, ChargeMode, check_fits, resolve_pool

Loc = tuple[str | int, ...]
ID = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


class ReservationSpec(BaseModel):
    """One block as written in YAML (validated per field; cross checks in ``blocks_of``)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    id: str = Field(pattern=ID)
    pool: str | None = None
    accelerator: str | None = None
    count: int = Field(ge=1)
    start_s: float = Field(default=0.0, ge=0)
    end_s: float = Field(gt=0)
    projects: list[str] = Field(min_length=1)
    charge: Literal["capacity", "use_plus_idle"] = "capacity"
    idle_fee: float = Field(default=0.0, ge=0, le=1)
    source: str | None = None


class ReservationsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    reservations: list[ReservationSpec] = Field(min_length=1)


def blocks_of(specs: Sequence[ReservationSpec], pools: Sequence[Pool]) -> list[Block]:
    """The blocks, in order, each checked against the pools and the blocks before it.
    Raises ``Problems`` (field path, message) for everything wrong."""
    found: list[tuple[Loc, str]] = []
    booked: list[Block] = []
    sizes = {p.id: p.count for p in pools}
    seen: set[str] = set()
    for i, spec in enumerate(specs):
        at: Loc = ("reservations", i)
        if spec.id in seen:
            found.append(((*at, "id"), f"duplicate reservation id {spec.id!r}"))
            continue
        seen.add(spec.id)
        try:
            block = _block(spec, pools, booked, sizes)
        except BlockConflict as error:
            found.append(((*at, "count"), str(error)))
            continue
        except InputError as error:
            field = str(error.params.get("field", "id"))
            found.append(((*at, field), str(error.params.get("problem", error))))
            continue
        booked.append(block)
    if found:
        raise Problems(found)
    return booked


def _block(
    spec: ReservationSpec, pools: Sequence[Pool], booked: list[Block], sizes: dict[PoolId, int]
) -> Block:
    if (spec.pool is None) == (spec.accelerator is None):
        raise InputError("pool", "give exactly one of pool or accelerator")
    if spec.pool is not None:
        pid = PoolId(spec.pool)
        if pid not in sizes:
            known = ", ".join(sorted(sizes))
            raise InputError("pool", f"unknown pool {spec.pool!r}; pools: {known}")
    else:
        assert spec.accelerator is not None
        if not spec.start_s < spec.end_s:
            raise InputError("end_s", f"must be after start_s ({spec.start_s}); got {spec.end_s}")
        pid = resolve_pool(spec.accelerator, spec.count, spec.start_s, spec.end_s, pools, booked)
    block = Block(spec.id, pid, spec.count, spec.start_s, spec.end_s,
                  frozenset(spec.projects), ChargeMode(spec.charge), spec.idle_fee)  # fmt: skip
    check_fits(block, booked, sizes[pid])
    return block


class Problems(ValueError):
    """Problems found in a reservations list, each with its field path."""

    def __init__(self, items: list[tuple[Loc, str]]) -> None:
        super().__init__("; ".join(f"{loc}: {msg}" for loc, msg in items))
        self.items = items
