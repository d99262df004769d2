"""A minimal discrete-event kernel: a heap of (time, seq, kind, payload).

Ties at equal times are broken by the insertion sequence number, so a run is
deterministic (SimPy's event heap, without generator processes).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Kernel:
    now: float = 0.0
    events: int = 0
    _heap: list[tuple[float, int, str, Any]] = field(default_factory=list)
    _seq: int = 0

    def schedule(self, at: float, kind: str, payload: Any = None) -> None:
        if at < self.now:
            raise ValueError(f"cannot schedule {kind} at {at} before now={self.now}")
        self._seq += 1
        heapq.heappush(self._heap, (at, self._seq, kind, payload))

    def peek(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    def pop_batch(self) -> list[tuple[str, Any]]:
        """Advance to the next event time and return every event due then, in order."""
        heap = self._heap
        t = heap[0][0]
        self.now = t
        batch: list[tuple[str, Any]] = []
        while heap and heap[0][0] == t:
            _, _, kind, payload = heapq.heappop(heap)
            batch.append((kind, payload))
        self.events += len(batch)
        return batch

    def __len__(self) -> int:
        return len(self._heap)
