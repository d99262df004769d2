"""The simulation report: the result table and the plots, from a shipped template, with
every value escaped."""

from __future__ import annotations

import re
from pathlib import Path

from nacc.domain.ids import PoolId
from nacc.domain.pools import Pool
from nacc.sim.experiment import SimRun, Timeline
from nacc.sim.report import write_report

KEYS = [
    "policy",
    "completed",
    "avg_jct_s",
    "p50_jct_s",
    "p99_jct_s",
    "avg_queue_s",
    "makespan_s",
    "jain_fairness",
    "domestic_share",
    "lower_bound_avg_jct_s",
    "wall_s",
]


def _run(policy: str) -> SimRun:
    pool = Pool(PoolId("p"), "site", "here", "H100-SXM", 4, 4, "local")
    timeline = Timeline([0.0, 600.0, 1200.0], [2, 1, 0], {"H100-SXM": [4, 2, 0]})
    return SimRun(policy, [pool], [], timeline, events=3, rounds=3, wall_s=0.1, end_s=1200.0)


def _result(policy: str, avg_jct_s: float) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(KEYS, 1.5)
    row.update(policy=policy, completed=7, avg_jct_s=avg_jct_s, lower_bound_avg_jct_s=3600.0)
    return row


def test_report_shows_every_column_every_policy_and_every_plot(tmp_path: Path) -> None:
    results = [_result("fifo", 12345.678), _result("nacc", 4.25)]
    page = write_report(tmp_path, "Philly on Korea", results, [_run("fifo"), _run("nacc")])
    html = page.read_text(encoding="utf-8")
    assert "<title>Philly on Korea</title>" in html and "<h1>Philly on Korea</h1>" in html
    assert re.findall(r"<th>(\w+)</th>", html) == KEYS
    rows = re.findall(r"<tr>((?:<td>[^<]*</td>)+)</tr>", html)
    cells = [re.findall(r"<td>([^<]*)</td>", r) for r in rows]
    assert [c[:3] for c in cells] == [["fifo", "7", "12,346"], ["nacc", "7", "4.250"]]
    images = re.findall(r'<img src="([^"]+)" alt="([^"]+)">', html)
    assert images == [("queue.png", "queue"), ("jct_cdf.png", "jct_cdf"),
                      ("utilization-fifo.png", "utilization-fifo"),
                      ("utilization-nacc.png", "utilization-nacc"),
                      ("avg_jct.png", "avg_jct")]  # fmt: skip
    for name, _ in images:
        assert (tmp_path / name).stat().st_size > 1000


def test_markup_in_a_name_is_shown_as_text(tmp_path: Path) -> None:
    evil = "<script>alert(1)</script>"
    page = write_report(tmp_path, f"title {evil}", [_result(f"x{evil[:8]}", 1.0)], [])
    html = page.read_text(encoding="utf-8")
    assert "<script>" not in html
    assert "title &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<td>x&lt;script&gt;</td>" in html
