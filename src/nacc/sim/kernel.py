"""A minimal discrete-event kernel: a heap of (time, seq, kind, payload).

Ties at equal times are broken by the insertion sequence number, so a run is
deterministic (SimPy's event heap, without generator processes). ``schedule`` returns
the event's sequence number; ``cancel`` withdraws it (the simulated dispatcher cancels
the completion of a run it stops, so a preempted run's old end never wakes the loop).
Cancelled events stay in the heap until they reach its top or the heap is compacted;
they are never returned, counted or seen by ``peek`` and ``len``.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any

_COMPACT_AT = 4096  # compact when at least this many cancelled events make up half the heap


@dataclass(slots=True)
class Kernel:
    now: float = 0.0
    events: int = 0
    _heap: list[tuple[float, int, str, Any]] = field(default_factory=list)
    _seq: int = 0
    _cancelled: set[int] = field(default_factory=set)

    def schedule(self, at: float, kind: str, payload: Any = None) -> int:
        if at < self.now:
            raise ValueError(f"cannot schedule {kind} at {at} before now={self.now}")
        self._seq += 1
        heapq.heappush(self._heap, (at, self._seq, kind, payload))
        return self._seq

    def cancel(self, seq: int) -> None:
        """Withdraw the event ``schedule`` numbered ``seq`` (one already popped, or
        unknown, is ignored)."""
        if seq > self._seq or not self._heap:
            return
        self._cancelled.add(seq)
        if len(self._cancelled) >= _COMPACT_AT and 2 * len(self._cancelled) >= len(self._heap):
            self._compact()

    def _compact(self) -> None:
        """Drop the cancelled events: the order of the others is unchanged, as (time, seq)
        is a total order."""
        gone = self._cancelled
        self._heap = [e for e in self._heap if e[1] not in gone]
        heapq.heapify(self._heap)
        self._cancelled = set()

    def _skip_cancelled(self) -> None:
        heap, gone = self._heap, self._cancelled
        while heap and gone and heap[0][1] in gone:
            gone.discard(heapq.heappop(heap)[1])

    def peek(self) -> float | None:
        self._skip_cancelled()
        return self._heap[0][0] if self._heap else None

    def pop_batch(self) -> list[tuple[str, Any]]:
        """Advance to the next event time and return every event due then, in order."""
        self._skip_cancelled()
        heap, gone = self._heap, self._cancelled
        t = heap[0][0]
        self.now = t
        batch: list[tuple[str, Any]] = []
        while heap and heap[0][0] == t:
            _, seq, kind, payload = heapq.heappop(heap)
            if gone and seq in gone:
                gone.discard(seq)
                continue
            batch.append((kind, payload))
        self.events += len(batch)
        return batch

    def __len__(self) -> int:
        return len(self._heap) - len(self._cancelled)
