from __future__ import annotations

from pathlib import Path

import pytest

from nacc.catalog.accelerators import COLUMNS, load_catalog
from nacc.domain.errors import InputError

REQUIRED = [
    "K80",
    "P100",
    "V100",
    "T4",
    "A100-80GB",
    "H100-SXM",
    "H200",
    "B200",
    "GB200",
    "GH200",
    "ATOM",
    "REBEL-Quad",
    "RNGD",
]
HEADER = ",".join(COLUMNS)
GOOD_ROW = 'H100-SXM,NVIDIA,false,989,1979,80,3350,700,true,V,"FACTS.md"'


def write(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "accelerators.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_bundled_catalog_has_every_required_type_in_file_order() -> None:
    catalog = load_catalog()
    names = list(catalog)
    assert set(REQUIRED) <= set(names)
    assert names.index("K80") < names.index("H100-SXM") < names.index("RNGD")
    assert all(catalog[n].name == n for n in names)


def test_unknown_figures_are_null_never_invented() -> None:
    catalog = load_catalog()
    atom = catalog["ATOM"]
    assert atom.tdp_w is None
    assert atom.mem_bw_gbs is None
    assert atom.fp8_tflops is None
    assert atom.bf16_tflops == 32.0
    assert catalog["REBEL-Quad"].mem_bw_gbs is None
    assert catalog["A100-80GB"].fp8_tflops is None
    assert catalog["K80"].bf16_tflops is None


def test_figures_match_facts() -> None:
    catalog = load_catalog()
    h100, h200, b200 = catalog["H100-SXM"], catalog["H200"], catalog["B200"]
    assert (h100.bf16_tflops, h100.fp8_tflops, h100.mem_bw_gbs) == (989, 1979, 3350)
    assert h200.bf16_tflops == h100.bf16_tflops
    assert h200.mem_bw_gbs == 4800
    assert b200.bf16_tflops == 2250
    assert catalog["RNGD"].mem_bw_gbs == 1500


def test_domestic_npus_are_inference_only() -> None:
    catalog = load_catalog()
    domestic = {n for n, a in catalog.items() if a.domestic}
    assert {"ATOM", "REBEL-Quad", "RNGD"} <= domestic
    assert {catalog[n].vendor for n in domestic} <= {"Rebellions", "FuriosaAI"}
    assert not any(catalog[n].training for n in domestic)
    assert catalog["H100-SXM"].training and not catalog["H100-SXM"].domestic


def test_every_row_names_a_source() -> None:
    assert all(a.source.strip() for a in load_catalog().values())


def test_custom_path_loads(tmp_path: Path) -> None:
    catalog = load_catalog(write(tmp_path, GOOD_ROW))
    assert list(catalog) == ["H100-SXM"]
    assert catalog["H100-SXM"].memory_gb == 80.0


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ('H100-SXM,NVIDIA,maybe,989,1979,80,3350,700,true,V,"x"', "domestic"),
        ('H100-SXM,NVIDIA,false,fast,1979,80,3350,700,true,V,"x"', "bf16_tflops"),
        ('H100-SXM,NVIDIA,false,989,1979,-80,3350,700,true,V,"x"', "memory_gb"),
        ('H100-SXM,NVIDIA,false,989,1979,80,3350,700,yes,V,"x"', "training"),
        ('H100-SXM,NVIDIA,false,989,1979,80,3350,700,true,Q,"x"', "status"),
        ('H100-SXM,NVIDIA,false,989,1979,80,3350,700,true,V,""', "source"),
        (',NVIDIA,false,989,1979,80,3350,700,true,V,"x"', "name"),
    ],
)
def test_bad_value_names_file_line_and_column(tmp_path: Path, row: str, column: str) -> None:
    path = write(tmp_path, GOOD_ROW.replace("H100-SXM", "H200"), row)
    with pytest.raises(InputError) as info:
        load_catalog(path)
    assert info.value.where == f"{path}:3"
    assert repr(column) in info.value.problem


def test_wrong_column_count_names_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_ROW, "B200,NVIDIA,false")
    with pytest.raises(InputError, match=r":3: expected 11 columns, got 3"):
        load_catalog(path)


def test_duplicate_name_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_ROW, GOOD_ROW)
    with pytest.raises(InputError, match=r":3: column 'name': duplicate"):
        load_catalog(path)


def test_missing_header_column_is_named(tmp_path: Path) -> None:
    header = HEADER.replace(",tdp_w", "")
    path = write(tmp_path, GOOD_ROW, header=header)
    with pytest.raises(InputError, match=r":1: column 'tdp_w' is missing"):
        load_catalog(path)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_catalog(tmp_path / "absent.csv")
