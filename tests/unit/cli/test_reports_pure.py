"""The pure parts of usage reports and job files: periods, size classes, percentiles,
durations, accelerator names."""

import re
from datetime import UTC, datetime

import pytest

from nacc.cli.jobfile import duration_s
from nacc.domain.errors import InputError
from nacc.domain.sizes import size_class
from nacc.service.job_terms import resolve_type
from nacc.service.reports_usage import check, percentile, period_start


def test_periods_start_on_the_day_the_monday_and_the_first() -> None:
    at = datetime(2026, 12, 3, 23, 59, tzinfo=UTC)  # a Thursday
    assert period_start(at, "day") == "2026-12-03"
    assert period_start(at, "week") == "2026-11-30"
    assert period_start(at, "month") == "2026-12-01"
    assert period_start(at, "all") == ""


def test_sizes_percentiles_and_checks() -> None:
    assert [size_class(n) for n in (1, 2, 8, 9, 64, 65, 512, 513)] == [
        "1", "2-8", "2-8", "9-64", "9-64", "65-512", "65-512", "513+"]  # fmt: skip
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 99), percentile([], 50)) == (50, 99, 0)
    with pytest.raises(InputError, match="unknown dimension 'colour'; known: program"):
        check(["colour"], "month")
    with pytest.raises(InputError, match="expected one of day, week, month, all"):
        check(["org"], "year")


def test_durations_and_names() -> None:
    assert [duration_s(t) for t in ("90", "90s", "30m", "2h", "1d")] == [90, 90, 1800, 7200,
                                                                         86400]  # fmt: skip
    with pytest.raises(ValueError, match="positive number"):
        duration_s("0")
    known = {"H100-SXM", "H100-PCIe", "H200", "RNGD"}
    assert resolve_type("h200", known) == "H200" and resolve_type("h100sxm", known) == "H100-SXM"
    with pytest.raises(InputError, match=re.escape("did you mean H100-PCIe | H100-SXM?")):
        resolve_type("H100", known)  # two H100s: no guess, both named


def test_plan_stages_show_a_spinner_with_elapsed_time_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io

    from rich.console import Console

    from nacc.cli import plan

    screen = io.StringIO()
    monkeypatch.setattr(plan, "err_console", Console(file=screen, force_terminal=True))
    with plan._stage("solving 5 years (time limit 5 s)"):
        pass
    assert "solving 5 years (time limit 5 s)" in screen.getvalue()
    assert "0:00:00" in screen.getvalue()


def test_award_type_names_cover_the_fleets_types() -> None:
    from nacc.service.job_terms import covered

    known = {"H100-SXM", "H100-PCIe", "H200", "RNGD"}
    assert covered(("H100",), known) == ["H100-PCIe", "H100-SXM"]
    assert covered(("h200", "rngd"), known) == ["H200", "RNGD"]
    assert covered(("B200",), known) == ["B200"]  # not in this fleet: kept as named
