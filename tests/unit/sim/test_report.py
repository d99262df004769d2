"""The simulation report: result table with units, who-waits tables and the plots, from a
shipped template, in Korean and English, with every value escaped."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from nacc.catalog.prices import KRW_PER_CREDIT
from nacc.domain.ids import PoolId
from nacc.domain.pools import Pool
from nacc.sim import words
from nacc.sim.experiment import SimRun, Timeline
from nacc.sim.report import horizon_days, write_report

KEYS = ["policy", "completed", "avg_jct_s", "p50_jct_s", "p99_jct_s", "avg_queue_s",
        "makespan_s", "jain_fairness", "domestic_share", "lower_bound_avg_jct_s", "wall_s",
        "credits", "preemptions"]  # fmt: skip


def _run(policy: str) -> SimRun:
    pool = Pool(PoolId("p"), "site", "here", "H100-SXM", 4, 4, "local")
    timeline = Timeline([0.0, 600.0, 1200.0], [2, 1, 0], {"H100-SXM": [4, 2, 0]})
    return SimRun(policy, [pool], [], timeline, events=3, rounds=3, wall_s=0.1, end_s=1200.0)


def _result(policy: str, avg_jct_s: float) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(KEYS, 1.5)
    row.update(policy=policy, completed=7, avg_jct_s=avg_jct_s, lower_bound_avg_jct_s=3600.0,
               credits=1000.0, preemptions=2, domestic_share=0.25, p95_queue_s=7200.0,
               utilization={"H100-SXM": 0.5},
               wait_by_size={"1": _waits(5, 0), "9-64": _waits(2, 1)},
               wait_by_program={"default": _waits(7, 1)})  # fmt: skip
    return row


def _waits(jobs: int, never: int) -> dict[str, Any]:
    return {"jobs": jobs, "never_started": never, "avg_wait_s": 1800.0, "p50_wait_s": 1800.0,
            "p95_wait_s": 9000.0, "p99_wait_s": 9000.0}  # fmt: skip


def _tables(html: str) -> list[tuple[str, list[str], list[list[str]]]]:
    out = []
    for caption, body in re.findall(r"<caption>([^<]*)</caption>(.*?)</table>", html, re.S):
        head = re.findall(r'<th scope="col">([^<]*)</th>', body)
        rows = [re.findall(r"<td>([^<]*)</td>", r) for r in re.findall(r"<tr>(<td>.*?)</tr>", body)]
        out.append((caption, head, rows))
    return out


def test_report_shows_units_every_policy_and_every_plot(tmp_path: Path) -> None:
    results = [_result("fifo", 12345.678), _result("nacc", 4.25 * 3600)]
    page = write_report(tmp_path, "Philly on Korea", results, [_run("fifo"), _run("nacc")])
    html = page.read_text(encoding="utf-8")
    assert "<title>Philly on Korea</title>" in html and "<h1>Philly on Korea</h1>" in html
    (caption, head, rows), by_size, by_program = _tables(html)
    assert caption == "Results by policy"
    assert head[:3] == ["Policy", "Jobs done", "Average JCT (h)"]
    assert {"p95 wait (h)", "Value (KRW million)", "Accelerators busy (%)"} <= set(head)
    col = {h: i for i, h in enumerate(head)}
    assert [r[:3] for r in rows] == [["fifo", "7", "3.43"], ["nacc", "7", "4.25"]]
    assert rows[0][col["p95 wait (h)"]] == "2.00"
    assert rows[0][col["Credits on domestic chips (%)"]] == "25.0"
    assert rows[0][col["Accelerators busy (%)"]] == "50.0"
    assert rows[0][col["Value (KRW million)"]] == f"{1000 * KRW_PER_CREDIT / 1e6:,.1f}"
    assert rows[1][col["Average JCT / lower bound"]] == "4.250"
    assert by_size[1] == ["Accelerators per job", "Jobs", "fifo: median / p95 wait (h)",
                          "nacc: median / p95 wait (h)"]  # fmt: skip
    assert by_size[2] == [["1", "5", "0.50 / 2.50", "0.50 / 2.50"],
                          ["9-64", "2", "0.50 / 2.50 (1 never started)",
                           "0.50 / 2.50 (1 never started)"]]  # fmt: skip
    assert by_program[2][0][0] == "default" and "--program-mix" in html
    images = re.findall(r'<img src="([^"]+)" alt="([^"]+)">', html)
    assert images == [("queue.png", "queue"), ("jct_cdf.png", "jct_cdf"),
                      ("utilization-fifo.png", "utilization-fifo"),
                      ("utilization-nacc.png", "utilization-nacc"),
                      ("avg_jct.png", "avg_jct")]  # fmt: skip
    for name, _ in images:
        assert (tmp_path / name).stat().st_size > 1000


def test_the_report_in_korean(tmp_path: Path) -> None:
    page = write_report(tmp_path, "t", [_result("nacc", 3600.0)], [_run("nacc")], lang="ko",
                        mixes="--class-mix inference=1")  # fmt: skip
    html = page.read_text(encoding="utf-8")
    (caption, head, _), by_size, _ = _tables(html)
    assert caption == "정책별 결과" and head[2] == "평균 완료 시간(시간)"
    assert by_size[0] == "작업 크기별 대기" and "1개 시작 못 함" in html
    assert '<html lang="ko">' in html and "--class-mix inference=1" in html


def test_every_policy_shares_one_time_axis() -> None:
    """The axis ends 25% after the last moment any run had a queue, in days."""
    short, long_ = _run("a"), _run("b")
    long_.timeline = Timeline([0.0, 86400.0, 172800.0], [2, 1, 0], {"H100-SXM": [4, 2, 0]})
    assert horizon_days([short]) == pytest.approx(1.25 * 600.0 / 86400.0)
    assert horizon_days([short, long_]) == horizon_days([long_]) == pytest.approx(1.25)


def test_both_languages_have_every_word() -> None:
    ko, en = words.messages("ko"), words.messages("en")
    assert set(ko) == set(en) and len(en) > 30
    source = Path(words.__file__).with_name("report_tables.py").read_text(encoding="utf-8")
    source += Path(words.__file__).with_name("report.py").read_text(encoding="utf-8")
    used = set(re.findall(r'"((?:col|cell|report|plot)\.[a-z_.]+)"', source)) - {"report.html"}
    assert used and used <= set(en), sorted(used - set(en))


def test_markup_in_a_name_is_shown_as_text(tmp_path: Path) -> None:
    evil = "<script>alert(1)</script>"
    page = write_report(tmp_path, f"title {evil}", [_result(f"x{evil[:8]}", 1.0)], [])
    html = page.read_text(encoding="utf-8")
    assert "<script>" not in html
    assert "title &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<td>x&lt;script&gt;</td>" in html
