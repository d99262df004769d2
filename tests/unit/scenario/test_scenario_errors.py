"""Bad scenario files are rejected with messages naming file, line, field and what is allowed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from nacc.domain.errors import InputError
from nacc.scenario import load_scenario


def _base() -> dict[str, Any]:
    return {
        "name": "tiny",
        "description": "two pools",
        "providers": [{"id": "p1", "kind": "public", "name": "Provider one"}],
        "sites": [
            {"id": "s1", "provider": "p1", "region": "Gwangju", "capital_area": False},
        ],
        "pools": [
            {
                "id": "a",
                "site": "s1",
                "accelerator": "H100-SXM",
                "count": 16,
                "node_size": 8,
                "engine": "slurm",
            },
            {
                "id": "b",
                "site": "s1",
                "accelerator": "RNGD",
                "count": 8,
                "node_size": 8,
                "engine": "kubernetes",
            },
        ],
    }


def _write(tmp_path: Path, data: dict[str, Any], name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _error_for(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> str:
    data = _base()
    change(data)
    path = _write(tmp_path, data, "my-fleet.yaml")
    with pytest.raises(InputError) as info:
        load_scenario(path)
    return str(info.value)


def test_valid_base_loads(tmp_path: Path) -> None:
    scenario = load_scenario(_write(tmp_path, _base()))
    assert scenario.total_accelerators() == 24
    assert [p.domestic for p in scenario.domain_pools()] == [False, True]


def test_unknown_accelerator_names_file_field_and_catalog(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["pools"][0]["accelerator"] = "H100"

    msg = _error_for(tmp_path, change)
    assert "my-fleet.yaml" in msg
    assert "pools[0].accelerator" in msg
    assert "'H100'" in msg
    assert "H100-SXM" in msg and "RNGD" in msg and "GH200" in msg


def test_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "lines.yaml"
    text = yaml.safe_dump(_base(), sort_keys=False).replace("engine: kubernetes", "engine: pbs")
    path.write_text(text, encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), start=1) if "engine: pbs" in t)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}:{line}: pools[1].engine")
    assert "'slurm'" in msg and "'kubernetes'" in msg and "'local'" in msg
    assert "'pbs'" in msg


@pytest.mark.parametrize("count", [-4, 0])
def test_non_positive_count(tmp_path: Path, count: int) -> None:
    def change(d: dict[str, Any]) -> None:
        d["pools"][1]["count"] = count

    msg = _error_for(tmp_path, change)
    assert "my-fleet.yaml" in msg and "pools[1].count" in msg
    assert "greater than or equal to 1" in msg and str(count) in msg


def test_zero_node_size(tmp_path: Path) -> None:
    msg = _error_for(tmp_path, lambda d: d["pools"][0].update(node_size=0))
    assert "pools[0].node_size" in msg


def test_count_as_string_is_not_coerced(tmp_path: Path) -> None:
    msg = _error_for(tmp_path, lambda d: d["pools"][0].update(count="16"))
    assert "pools[0].count" in msg and "valid integer" in msg


def test_dangling_site(tmp_path: Path) -> None:
    msg = _error_for(tmp_path, lambda d: d["pools"][1].update(site="nowhere"))
    assert "my-fleet.yaml" in msg and "pools[1].site" in msg
    assert "'nowhere'" in msg and "s1" in msg


def test_dangling_provider(tmp_path: Path) -> None:
    msg = _error_for(tmp_path, lambda d: d["sites"][0].update(provider="acme"))
    assert "sites[0].provider" in msg and "'acme'" in msg and "p1" in msg


def test_duplicate_pool_id(tmp_path: Path) -> None:
    msg = _error_for(tmp_path, lambda d: d["pools"][1].update(id="a"))
    assert "pools[1].id" in msg and "duplicate pool id 'a'" in msg and "pools[0]" in msg


def test_government_share_above_count(tmp_path: Path) -> None:
    msg = _error_for(tmp_path, lambda d: d["pools"][0].update(government_share=17))
    assert "pools[0].government_share" in msg and "17" in msg and "16" in msg


def test_unknown_provider_kind_lists_allowed(tmp_path: Path) -> None:
    msg = _error_for(tmp_path, lambda d: d["providers"][0].update(kind="hyperscaler"))
    assert "providers[0].kind" in msg and "'national-dc'" in msg


def test_unknown_top_level_key(tmp_path: Path) -> None:
    msg = _error_for(tmp_path, lambda d: d.update(fleet_size=3))
    assert "my-fleet.yaml" in msg and "fleet_size" in msg
    assert "allowed keys" in msg and "pools" in msg


def test_unknown_pool_key_lists_pool_fields(tmp_path: Path) -> None:
    msg = _error_for(tmp_path, lambda d: d["pools"][0].update(gpus=8))
    assert "pools[0].gpus" in msg and "node_size" in msg and "government_share" in msg


def test_missing_field(tmp_path: Path) -> None:
    msg = _error_for(tmp_path, lambda d: d["pools"][0].pop("engine"))
    assert "pools[0].engine" in msg and "missing" in msg


def test_several_problems_are_all_reported(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["pools"][0]["count"] = -1
        d["pools"][1]["accelerator"] = "TPU"

    msg = _error_for(tmp_path, change)
    assert "pools[0].count" in msg and "pools[1].accelerator" in msg


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nproviders:\n  - id: p1\n    kind: [public\nsites: []\n")
    with pytest.raises(InputError) as info:
        load_scenario(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}:5:") or msg.startswith(f"{path}:4:")
    assert "YAML syntax error" in msg


def test_duplicate_yaml_key_names_line(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("name: x\ndescription: a\nname: y\n")
    with pytest.raises(InputError, match=r"dup\.yaml:3: duplicate key 'name'"):
        load_scenario(path)


@pytest.mark.parametrize("text", ["", "# only a comment\n", "- a list\n", "just text\n"])
def test_not_a_mapping(tmp_path: Path, text: str) -> None:
    path = tmp_path / "odd.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=r"odd\.yaml"):
        load_scenario(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"absent\.yaml: cannot read"):
        load_scenario(tmp_path / "absent.yaml")


def test_backend_must_be_a_url(tmp_path: Path) -> None:
    message = _error_for(tmp_path, lambda d: d["pools"][1].update(backend="slurm-head"))
    assert "my-fleet.yaml:" in message and "pools[1].backend: expected a backend URL" in message
    assert "given 'slurm-head'" in message
