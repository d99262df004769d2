"""Fair Tree on trees computed by hand (program -> organisation -> project)."""

from __future__ import annotations

import pytest

from nacc.scheduling.fairtree import Path, fair_tree

A_X, A_Y, B_Z = Path("A", "X"), Path("A", "Y"), Path("B", "Z")


def test_tied_programs_merge_their_organisations_and_rank_them_together() -> None:
    # A (60 shares) used 60 of 100, B (40) used 40: both LF = 1, a tie, so their
    # organisations are ranked as one group: Y (S .5, U 0: inf), Z (S 1, U 1: 1),
    # X (S .5, U 1: .5); inside X, x1 and x2 (S .5, U .5 each) tie.
    paths = {"x1": A_X, "x2": A_X, "y1": A_Y, "z1": B_Z}
    usage = {"x1": 30.0, "x2": 30.0, "z1": 40.0}
    got = fair_tree(paths, usage, {("A",): 60, ("B",): 40})
    assert got.factor == {"y1": 1.0, "z1": 0.75, "x1": 0.5, "x2": 0.5}
    assert got.effective_share == pytest.approx({"x1": 0.15, "x2": 0.15, "y1": 0.3, "z1": 0.4})
    rows = {(r.depth, r.name): r for r in got.rows}
    assert rows[(0, "A")].norm_shares == pytest.approx(0.6)
    assert rows[(0, "A")].norm_usage == pytest.approx(0.6) and rows[(0, "A")].level_fs == 1.0
    assert rows[(1, "X")].level_fs == pytest.approx(0.5)
    assert rows[(1, "Y")].level_fs == float("inf") and rows[(1, "Y")].usage == 0.0
    assert rows[(0, "B")].usage == 40.0 and rows[(2, "z1")].factor == 0.75
    assert [r.name for r in got.rows] == ["A", "X", "x1", "x2", "Y", "y1", "B", "Z", "z1"]


def test_a_heavy_organisation_cannot_crowd_out_a_light_one_in_its_program() -> None:
    # H's three projects used 10 each (30 of 50), L's one project 20: each of H's projects
    # used less than L's, yet L (S .5, U .4: 1.25) ranks above H (S .5, U .6: 0.83).
    paths = {"h1": Path("P", "H"), "h2": Path("P", "H"), "h3": Path("P", "H"), "l1": Path("P", "L")}
    got = fair_tree(paths, {"h1": 10.0, "h2": 10.0, "h3": 10.0, "l1": 20.0})
    assert got.factor == {"l1": 1.0, "h1": 0.75, "h2": 0.75, "h3": 0.75}
    # flat shares would have put l1 last: it alone used more than any of H's projects
    assert got.effective_share == pytest.approx({"h1": 1 / 6, "h2": 1 / 6, "h3": 1 / 6, "l1": 0.5})


def test_a_program_over_its_share_ranks_below_every_project_of_one_under_it() -> None:
    paths = {"a1": Path("A", "o"), "a2": Path("A", "p"), "b1": Path("B", "q"), "b2": Path("B", "q")}
    # A (1 share) used 90 of 100; B (1 share) 10, all of it b2's
    got = fair_tree(paths, {"a1": 45.0, "a2": 45.0, "b2": 10.0})
    assert got.factor == {"b1": 1.0, "b2": 0.75, "a1": 0.5, "a2": 0.5}


def test_no_usage_anywhere_gives_everyone_factor_one() -> None:
    paths = {f"p{i}": Path(f"prog{i % 2}", f"org{i % 3}") for i in range(7)}
    assert set(fair_tree(paths, {}).factor.values()) == {1.0}


def test_zero_shares_rank_last_and_negative_shares_are_refused() -> None:
    paths = {"a": Path("P", "o"), "b": Path("P", "o")}
    got = fair_tree(paths, {}, {("P", "o", "b"): 0})
    assert got.factor == {"a": 1.0, "b": 0.5}
    assert got.effective_share == {"a": 1.0, "b": 0.0}
    with pytest.raises(ValueError, match="shares of P/o/b: expected a number >= 0"):
        fair_tree(paths, {}, {("P", "o", "b"): -1})
