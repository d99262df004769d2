"""The pure rules of challenge tracks: the metrics document, the quota day, ranking and
what an ended evaluation job means."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from nacc.domain.challenges import (
    Direction,
    EntryState,
    Metric,
    MetricsRefused,
    Phase,
    QuotaExhausted,
    Rule,
    Scored,
    TotalExhausted,
    check_phases,
    check_quota,
    quota_day,
    rank,
    read_metrics,
    verdict,
)
from nacc.domain.reasons import Code, Reason

METRICS = (Metric("acc", Direction.MAX), Metric("loss", Direction.MIN))
T0 = datetime(2027, 3, 1, tzinfo=UTC)


def test_sound_metrics_keep_exactly_the_declared_ones() -> None:
    raw = b'{"public": {"acc": 0.9, "loss": 2, "extra": "x"}, "private": {"acc": 0.8, "loss": 3}}'
    assert read_metrics(raw, METRICS) == {
        "public": {"acc": 0.9, "loss": 2.0},
        "private": {"acc": 0.8, "loss": 3.0},
    }


@pytest.mark.parametrize(
    ("raw", "code", "params"),
    [
        (b"{not json", Code.METRICS_NOT_JSON, None),
        (b"[1, 2]", Code.METRICS_NOT_JSON, None),
        (b'{"public": {"acc": 1, "loss": 1}}', Code.METRICS_MISSING,
         {"split": "private", "metric": "*"}),
        (b'{"public": {"acc": 1}, "private": {"acc": 1, "loss": 1}}', Code.METRICS_MISSING,
         {"split": "public", "metric": "loss"}),
        (b'{"public": {"acc": NaN, "loss": 1}, "private": {"acc": 1, "loss": 1}}',
         Code.METRICS_NOT_FINITE, {"split": "public", "metric": "acc"}),
        (b'{"public": {"acc": Infinity, "loss": 1}, "private": {"acc": 1, "loss": 1}}',
         Code.METRICS_NOT_FINITE, None),
        (b'{"public": {"acc": "0.9", "loss": 1}, "private": {"acc": 1, "loss": 1}}',
         Code.METRICS_NOT_FINITE, None),
        (b'{"public": {"acc": true, "loss": 1}, "private": {"acc": 1, "loss": 1}}',
         Code.METRICS_NOT_FINITE, None),
        (b"\xff\xfe", Code.METRICS_NOT_JSON, None),
        (b" " * 70_000, Code.METRICS_TOO_LARGE, None),
    ],
)  # fmt: skip
def test_unsound_metrics_are_refused_with_a_code(
    raw: bytes, code: Code, params: dict[str, str] | None
) -> None:
    with pytest.raises(MetricsRefused) as refused:
        read_metrics(raw, METRICS)
    assert refused.value.code == code
    for key, value in (params or {}).items():
        assert refused.value.params[key] == value


def test_the_quota_day_starts_at_the_stated_local_time() -> None:
    # 00:00 KST is 15:00 UTC the day before
    day = quota_day(datetime(2027, 3, 1, 14, 59, tzinfo=UTC), time(0, 0), "Asia/Seoul")
    assert day.starts_at == datetime(2027, 2, 28, 15, 0, tzinfo=UTC)
    assert day.resets_at == datetime(2027, 3, 1, 15, 0, tzinfo=UTC)
    after = quota_day(datetime(2027, 3, 1, 15, 0, tzinfo=UTC), time(0, 0), "Asia/Seoul")
    assert after.starts_at == day.resets_at
    assert after.resets_at.isoformat() == "2027-03-03T00:00:00+09:00"


def test_quota_refusals_say_when_it_resets() -> None:
    now = datetime(2027, 3, 1, 14, 0, tzinfo=UTC)
    day = quota_day(now, time(0, 0), "Asia/Seoul")
    check_quota(1, 1, 2, 10, day, now)
    with pytest.raises(QuotaExhausted) as over:
        check_quota(2, 2, 2, 10, day, now)
    assert over.value.retry_after_s == 3600
    assert over.value.params["resets_at"] == "2027-03-02T00:00:00+09:00"
    with pytest.raises(TotalExhausted):
        check_quota(0, 10, 2, 10, day, now)


def _scored(entry: int, team: int, minutes: int, public: float, private: float) -> Scored:
    return Scored(entry, team, T0 + timedelta(minutes=minutes), public, private)


def test_best_picks_by_public_score_and_private_ranks_those_entries() -> None:
    entries = [
        _scored(1, 10, 0, 0.70, 0.95),  # team 10's best private, but not its best public
        _scored(2, 10, 1, 0.80, 0.60),
        _scored(3, 20, 2, 0.75, 0.70),
        _scored(4, 30, 3, 0.75, 0.50),  # same public as team 20, later: ranked after
    ]
    public = rank(entries, Rule.BEST, Direction.MAX, private=False)
    assert [(s.rank, s.entry.entry_id) for s in public] == [(1, 2), (2, 3), (2, 4)]
    private = rank(entries, Rule.BEST, Direction.MAX, private=True)
    assert [(s.rank, s.entry.entry_id, s.score) for s in private] == [
        (1, 3, 0.70), (2, 2, 0.60), (3, 4, 0.50)]  # fmt: skip


def test_last_and_min_directions() -> None:
    entries = [
        _scored(1, 10, 0, 0.2, 0.2),
        _scored(2, 10, 5, 0.9, 0.9),
        _scored(3, 20, 1, 0.5, 0.1),
    ]
    board = rank(entries, Rule.LAST, Direction.MIN, private=False)
    assert [s.entry.entry_id for s in board] == [3, 2]
    best = rank(entries, Rule.BEST, Direction.MIN, private=False)
    assert [s.entry.entry_id for s in best] == [1, 3]


def test_phases_must_be_ordered_and_apart() -> None:
    a = Phase("dev", T0, T0 + timedelta(days=1))
    b = Phase("test", T0 + timedelta(hours=12), T0 + timedelta(days=2))
    assert check_phases([a]) is None
    assert "starts before" in (check_phases([a, b]) or "")
    assert "distinct" in (check_phases([a, a]) or "")
    assert "end after" in (check_phases([Phase("x", T0, T0)]) or "")


def test_what_an_ended_job_means() -> None:
    assert verdict("completed", None, 0, 1).state is None
    failed = verdict("failed", Reason.of(Code.EXIT_CODE, exit_code=3), 3, 1)
    assert failed.state is EntryState.FAILED and failed.reason is not None
    assert failed.reason.get("exit_code") == 3
    first = verdict("failed", Reason.of(Code.TIMEOUT, limit_s=1, ran_s=1.0), None, 1)
    assert first.retry and first.state is None
    second = verdict("failed", Reason.of(Code.TIMEOUT, limit_s=1, ran_s=1.0), None, 2)
    assert second.state is EntryState.PLATFORM_FAILED and not second.retry
    assert second.reason == Reason.of(Code.EVALUATION_PLATFORM, cause="timeout", attempts=2)
    assert verdict("cancelled", Reason(Code.CANCELLED), None, 1).state is EntryState.CANCELLED
    assert verdict("failed", Reason(Code.LOST), None, 1).retry
