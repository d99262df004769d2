"""nacc's capacity blocks as Slurm reservations.

A block booked on a pool whose backend is Slurm becomes the reservation
``<tag>-<block id>`` over the block's start and end, on the pool's partition, for the
block's projects: their accounts (``accounts=1``), else the user nacc submits as. Jobs
of those projects launched while the block is on are submitted with
``reservation=<name>``; every other job (nacc's or around nacc) stays off its nodes.

slurmrestd v0.0.38 (Slurm 22.05) can only list reservations (``GET /reservations``,
``GET /reservation/{name}``), not create or delete them, so those go through
``scontrol create reservation`` / ``scontrol delete`` on the nacc host (a login node, as
for ``scontrol token`` and ``sacctmgr``). Slurm 22.05 cannot reserve some of a node's
GPUs (``TRES=gres/gpu=N`` in a reservation came later): a block of N GPUs reserves
``ceil(N / GPUs per node)`` whole nodes (``NodeCnt``), ``Flags=IGNORE_JOBS`` so it is
made even while those nodes run jobs (the block's jobs then wait for them in Slurm).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nacc.adapters.dispatch.slurm_accounts import Run, account_name, run_command
from nacc.domain.ids import PoolId
from nacc.domain.reservations import Block

_NAME = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True, slots=True)
class Wanted:
    """A reservation as nacc wants it in Slurm."""

    name: str
    block: Block
    nodes: int
    partition: str | None


def reservation_name(tag: str, block_id: str) -> str:
    return _NAME.sub("_", f"{tag}-{block_id}")


def _local(t: float) -> str:
    """scontrol reads times in the local time zone of the host it runs on (this one)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(t))


class SlurmReservations:
    """Keeps Slurm's reservations with nacc's tag equal to the blocks given."""

    def __init__(self, tag: str, user: str, accounts: bool, run: Run = run_command) -> None:
        self.tag, self.user, self.accounts, self._run = tag, user, accounts, run
        self.made: dict[str, Wanted] = {}  # by name: what exists in Slurm now

    def wanted(self, blocks: Iterable[Block], node_size: Mapping[PoolId, int],
               partitions: Callable[[str], str | None], now: float) -> list[Wanted]:  # fmt: skip
        out = []
        for b in blocks:
            if b.end_s > now and b.pool_id in node_size:
                nodes = max(1, math.ceil(b.count / max(1, node_size[b.pool_id])))
                out.append(Wanted(reservation_name(self.tag, b.id), b, nodes,
                                  partitions(b.pool_id)))  # fmt: skip
        return out

    def sync(self, wanted: Sequence[Wanted], listed: Sequence[Mapping[str, Any]]) -> None:
        """Create what is wanted and missing, delete this tag's reservations no longer
        wanted (``listed``: ``GET /reservations``)."""
        prefix = reservation_name(self.tag, "")
        have = {str(r.get("name")) for r in listed if str(r.get("name", "")).startswith(prefix)}
        names = {w.name for w in wanted}
        for name in sorted(have - names):
            self._run(["scontrol", "delete", f"ReservationName={name}"])
            self.made.pop(name, None)
        for w in wanted:
            if w.name not in have:
                self._run(self._create(w))
            self.made[w.name] = w
        for name in set(self.made) - names:
            del self.made[name]

    def _create(self, w: Wanted) -> list[str]:
        b = w.block
        who = (f"Accounts={','.join(account_name(self.tag, p) for p in sorted(b.projects))}"
               if self.accounts else f"Users={self.user}")  # fmt: skip
        start = "now" if b.start_s <= time.time() else _local(b.start_s)
        argv = ["scontrol", "create", "reservation", f"ReservationName={w.name}",
                f"StartTime={start}", f"EndTime={_local(b.end_s)}", f"NodeCnt={w.nodes}",
                who, "Flags=IGNORE_JOBS"]  # fmt: skip
        if w.partition:
            argv.append(f"PartitionName={w.partition}")
        return argv

    def for_job(self, project: str, pool: str, at: float) -> str | None:
        """The reservation a job of ``project`` on ``pool`` launched at ``at`` runs in."""
        for w in self.made.values():
            b = w.block
            if b.pool_id == pool and b.serves(project) and b.start_s <= at < b.end_s:
                return w.name
        return None
