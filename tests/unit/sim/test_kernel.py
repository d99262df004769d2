"""The discrete-event kernel: a heap of (time, seq) with deterministic tie-breaking."""

from __future__ import annotations

import pytest

from nacc.sim.kernel import Kernel


def test_ties_at_the_same_time_pop_in_insertion_order() -> None:
    k = Kernel()
    for name in ["c", "a", "b", "a2"]:
        k.schedule(5.0, "ev", name)
    k.schedule(1.0, "early", "x")
    assert k.pop_batch() == [("early", "x")]
    # Same time: insertion order, not payload or kind order.
    assert k.pop_batch() == [("ev", "c"), ("ev", "a"), ("ev", "b"), ("ev", "a2")]
    assert len(k) == 0


def test_ties_keep_insertion_order_across_kinds_and_unorderable_payloads() -> None:
    # Payloads that cannot be compared (dicts) never reach the comparison: seq breaks ties.
    k = Kernel()
    k.schedule(2.0, "finish", {"job": 1})
    k.schedule(2.0, "arrive", {"job": 2})
    k.schedule(2.0, "cycle", None)
    assert [kind for kind, _ in k.pop_batch()] == ["finish", "arrive", "cycle"]


def test_scheduling_in_the_past_raises() -> None:
    k = Kernel()
    k.schedule(10.0, "a")
    k.pop_batch()
    assert k.now == 10.0
    with pytest.raises(ValueError, match=r"before now=10\.0"):
        k.schedule(9.5, "late")
    k.schedule(10.0, "now is fine")  # at == now is allowed
    assert k.pop_batch() == [("now is fine", None)]


def test_pop_batch_returns_every_event_due_at_the_next_time_and_advances_now() -> None:
    k = Kernel()
    for at, kind in [(3.0, "c"), (1.0, "a"), (3.0, "d"), (2.0, "b"), (1.0, "a2")]:
        k.schedule(at, kind)
    assert k.peek() == 1.0
    seen: list[tuple[float, list[str]]] = []
    while len(k):
        before = k.now
        batch = k.pop_batch()
        assert k.now >= before  # monotone
        seen.append((k.now, [kind for kind, _ in batch]))
    assert seen == [(1.0, ["a", "a2"]), (2.0, ["b"]), (3.0, ["c", "d"])]
    assert k.events == 5  # every popped event counted once
    assert k.peek() is None


def test_events_scheduled_while_handling_a_batch_at_the_same_time_form_the_next_batch() -> None:
    k = Kernel()
    k.schedule(4.0, "a")
    assert k.pop_batch() == [("a", None)]
    k.schedule(4.0, "follow-up")  # e.g. a decision cycle due now
    k.schedule(6.0, "later")
    assert k.pop_batch() == [("follow-up", None)]
    assert k.now == 4.0
    assert k.pop_batch() == [("later", None)]
    assert k.now == 6.0
    assert k.events == 3


def test_a_cancelled_event_is_never_returned_counted_or_seen() -> None:
    k = Kernel()
    keep = k.schedule(1.0, "a")
    gone = k.schedule(1.0, "b")
    only = k.schedule(2.0, "c")
    k.schedule(3.0, "d")
    assert keep != gone
    k.cancel(gone)
    k.cancel(only)  # the whole of t = 2 is withdrawn: the next batch is at 3
    assert len(k) == 2
    assert k.pop_batch() == [("a", None)]
    assert k.peek() == 3.0
    assert k.pop_batch() == [("d", None)]
    assert k.now == 3.0 and k.events == 2 and len(k) == 0


def test_compaction_keeps_the_order_of_the_events_left() -> None:
    k = Kernel()
    seqs = [k.schedule(float(i % 97), "ev", i) for i in range(10_000)]
    for i, seq in enumerate(seqs):
        if i % 3:
            k.cancel(seq)  # compacts the heap along the way
    popped: list[int] = []
    while len(k):
        popped += [payload for _, payload in k.pop_batch()]
    expected = sorted((i for i in range(10_000) if i % 3 == 0), key=lambda i: (i % 97, i))
    assert popped == expected
