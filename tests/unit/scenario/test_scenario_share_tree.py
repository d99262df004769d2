"""A scenario's ``share_tree``: read as written, and bad trees refused naming the file, the
line and the field (``share_tree.programs[1].shares``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nacc.domain.errors import InputError
from nacc.scenario import load_scenario
from nacc.scenario.share_tree import tree_data

FLEET = """\
name: tree-test
providers: [{id: p, kind: other, name: P}]
sites: [{id: s, provider: p, region: r, capital_area: false}]
pools: [{id: gpu, site: s, accelerator: P100, count: 10, node_size: 1, engine: local}]
share_tree:
  programs:
    - name: A
      shares: 70
      organisations:
        - name: H
          projects: [h1, {name: h2, shares: 3}]
    - name: B
      shares: 30
"""


def _load(tmp_path: Path, text: str) -> InputError:
    path = tmp_path / "tree.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        load_scenario(path)
    return err.value


def test_a_tree_is_read_with_its_defaults(tmp_path: Path) -> None:
    path = tmp_path / "tree.yaml"
    path.write_text(FLEET)
    tree = load_scenario(path).share_tree
    assert tree is not None and tree.half_life_h == 168.0
    data = tree_data(tree, {"h1": "A", "x": "B", "y": "default"})
    assert data.paths == {"h1": ("A", "H"), "h2": ("A", "H"), "x": ("B", "-"),
                          "y": ("-", "-")}  # fmt: skip
    assert data.shares == {("A",): 70, ("A", "H"): 1.0, ("A", "H", "h1"): 1.0,
                           ("A", "H", "h2"): 3, ("B",): 30}  # fmt: skip
    assert data.half_life_s == 168 * 3600.0


@pytest.mark.parametrize(("edit", "line", "said"), [
    (("shares: 30", "shares: -1"), 13, "share_tree.programs[1].shares: Input should be "
                                       "greater than or equal to 0"),
    (("shares: 30", "shares: lots"), 13, "share_tree.programs[1].shares"),
    (("shares: 3}", "shares: .nan}"), 11, "share_tree.programs[0].organisations[0]"
                                          ".projects[1].shares"),
    (("- name: B", "- name: A"), 12, "share_tree.programs[1].name: duplicate program 'A'"),
    (("{name: h2, shares: 3}", "h1"), 11, "projects[1]: project 'h1' is already in the tree "
                                          "at programs[0].organisations[0].projects[0]"),
    (("name: H", "nam: H"), 10, "unknown key 'nam'; allowed keys: name, shares, projects"),
    (("programs:", "half_life_h: 0\n  programs:"), 6, "share_tree.half_life_h"),
])  # fmt: skip
def test_bad_trees_name_file_line_and_field(
    tmp_path: Path, edit: tuple[str, str], line: int, said: str
) -> None:
    err = _load(tmp_path, FLEET.replace(*edit))
    assert str(err).startswith(f"{tmp_path / 'tree.yaml'}:{line}"), str(err)
    assert said in str(err), str(err)


def test_a_tree_with_no_share_anywhere_is_refused(tmp_path: Path) -> None:
    err = _load(
        tmp_path, FLEET.replace("shares: 70", "shares: 0").replace("shares: 30", "shares: 0")
    )
    assert "share_tree.programs: every program has 0 shares" in str(err), str(err)


def test_the_documented_tree_loads(tmp_path: Path) -> None:
    doc = (Path(__file__).resolve().parents[3] / "docs" / "simulator.md").read_text()
    section = doc.split("### Share trees in scenarios", 1)[1]
    block = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "doc.yaml"
    path.write_text(FLEET.split("share_tree:")[0] + block)
    tree = load_scenario(path).share_tree
    assert tree is not None and tree.program_names() == ["sovereign-llm", "academia"]
    data = tree_data(tree, {"vc-z": "academia"})
    assert data.paths["vc-c"] == ("sovereign-llm", "small-lab")
    assert data.paths["vc-z"] == ("academia", "-")
    assert data.shares[("sovereign-llm", "small-lab", "vc-c")] == 2
