"""COINr iMeta tables: loading (ASEM example, small fixture), round trips, and bad tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from citycheckup.errors import FrameworkError
from citycheckup.framework import (
    Framework,
    framework_from_coinr_table,
    framework_to_coinr_meta,
    load_framework,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "framework"
SMALL = DATA / "coinr_small.csv"

PILLARS = {
    "Conn": ["Physical", "ConEcFin", "Political", "Instit", "P2P"],
    "Sust": ["Environ", "Social", "SusEcFin"],
}


@pytest.fixture(scope="module")
def asem_meta_path(shared_data: Path) -> Path:
    path = shared_data / "coinr_asem" / "ASEM_iMeta.csv"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return path


def summary_of(fw: Framework) -> dict[str, tuple[str, float, int | None]]:
    """code → (parent, weight, direction or None) for every dimension and indicator."""
    parents = fw.parent_of()
    out: dict[str, tuple[str, float, int | None]] = {}
    for d in fw.all_dimensions():
        out[d.code] = (parents[d.code], d.weight, None)
    for i in fw.indicators:
        out[i.code] = (parents[i.code], i.weight, i.direction)
    return out


# -- the ASEM example ------------------------------------------------------------------------------
def test_asem_table_loads(asem_meta_path: Path) -> None:
    table = pd.read_csv(asem_meta_path)
    fw = framework_from_coinr_table(asem_meta_path)
    assert fw.index_code == "Index" and fw.code == "Index"
    assert fw.name_en == "Sustainable Connectivity"
    assert fw.dimension_codes == ["Conn", "Sust"]
    assert {d.code: [s.code for s in d.dimensions] for d in fw.dimensions} == PILLARS
    assert len(fw.indicators) == 49
    assert sum(len(s.indicators) for d in fw.dimensions for s in d.dimensions) == 49
    ind = table[table["Type"] == "Indicator"].set_index("iCode")
    parents = fw.parent_of()
    for i in fw.indicators:
        row = ind.loc[i.code]
        assert parents[i.code] == row["Parent"]
        assert i.direction == row["Direction"]
        assert i.weight == row["Weight"]
        assert i.name_en == row["iName"]
    assert sum(i.direction == -1 for i in fw.indicators) == 14
    # denominators become variables; the indicators keep their denominator
    assert [v.code for v in fw.variables] == ["Area", "Energy", "GDP", "Population"]
    assert fw.variable("Population") is not None and fw.variable("Population").unit == "Thousands"  # type: ignore[union-attr]
    assert fw.indicator("Flights").denominator == "Population"
    assert sum(i.denominator is not None for i in fw.indicators) == 17
    assert fw.indicator("LPI").unit == "Score 1-5"
    assert fw.indicator("LPI").target == pytest.approx(4.11803135)
    # Group rows are ignored
    known = (
        set(fw.indicator_codes)
        | {d.code for d in fw.all_dimensions()}
        | {v.code for v in fw.variables}
    )
    assert not known & {"GDP_group", "GDPpc_group", "Pop_group", "EurAsia_group"}


def test_asem_via_load_framework(asem_meta_path: Path) -> None:
    assert load_framework(asem_meta_path).summary() == {"Conn": 30, "Sust": 19}


def test_asem_weights_are_read(asem_meta_path: Path) -> None:
    table = pd.read_csv(asem_meta_path)
    table.loc[table["iCode"] == "Sust", "Weight"] = 2.0
    table.loc[table["iCode"] == "LPI", "Weight"] = 0.25
    fw = framework_from_coinr_table(table)
    assert fw.dimensions[1].weight == 2.0
    assert fw.indicator("LPI").weight == 0.25


def test_asem_round_trip(asem_meta_path: Path) -> None:
    fw = framework_from_coinr_table(asem_meta_path)
    meta = framework_to_coinr_meta(fw)
    assert meta.loc[meta["iCode"] == "Index", "Level"].item() == 4
    assert sorted(meta.loc[meta["Level"] == 3, "iCode"]) == ["Conn", "Sust"]
    back = framework_from_coinr_table(meta)
    assert summary_of(back) == summary_of(fw)
    assert [i.denominator for i in back.indicators] == [i.denominator for i in fw.indicators]


# -- round trips -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["people-city-2025", str(DATA / "minimal.yaml"), str(SMALL)])
def test_round_trip_keeps_codes_parents_weights_directions(name: str) -> None:
    fw = load_framework(name)
    back = framework_from_coinr_table(framework_to_coinr_meta(fw))
    assert back.index_code == fw.index_code
    assert back.dimension_codes == fw.dimension_codes
    assert back.indicator_codes == fw.indicator_codes
    assert summary_of(back) == summary_of(fw)


def test_round_trip_through_a_csv_file(tmp_path: Path) -> None:
    fw = load_framework(DATA / "minimal.yaml")
    path = tmp_path / "meta.csv"
    framework_to_coinr_meta(fw).to_csv(path, index=False)
    back = load_framework(path)
    assert summary_of(back) == summary_of(fw)
    assert back.indicator("pm25").weight == 0.5


def test_minimal_meta_levels() -> None:
    meta = framework_to_coinr_meta(load_framework(DATA / "minimal.yaml"))
    level = dict(zip(meta["iCode"], meta["Level"], strict=True))
    assert level == {
        "green": 3,
        "parks": 2,
        "park_area_per_capita": 1,
        "pm25": 1,
        "economy": 3,
        "output": 2,
        "gdp_per_capita": 1,
        "idx": 4,
    }
    assert meta.loc[meta["iCode"] == "green", "Weight"].item() == 2


def test_meta_restricted_to_some_indicators() -> None:
    fw = load_framework(DATA / "minimal.yaml")
    meta = framework_to_coinr_meta(fw, indicators=["pm25"])
    assert meta["iCode"].tolist() == ["green", "parks", "pm25", "idx"]
    back = framework_from_coinr_table(meta)
    assert back.indicator_codes == ["pm25"]


def unbalanced() -> Framework:
    def ind(code: str) -> dict:
        return {
            "code": code,
            "name_zh": code,
            "name_en": code,
            "unit": "",
            "direction": 1,
            "level": "city",
        }

    return Framework.model_validate(
        {
            "code": "u",
            "name_zh": "u",
            "name_en": "u",
            "dimensions": [
                {
                    "code": "A",
                    "name_zh": "A",
                    "name_en": "A",
                    "dimensions": [
                        {"code": "A1", "name_zh": "A1", "name_en": "A1", "indicators": [ind("x")]}
                    ],
                },
                {"code": "B", "name_zh": "B", "name_en": "B", "indicators": [ind("y")]},
            ],
        }
    )


def test_unbalanced_framework_cannot_become_a_coinr_table() -> None:
    with pytest.raises(FrameworkError, match="different depths") as info:
        framework_to_coinr_meta(unbalanced())
    text = str(info.value)
    assert "1 indicator(s) 1 dimension level(s) below the index: y" in text
    assert "1 indicator(s) 2 dimension level(s) below the index: x" in text


@pytest.mark.parametrize(
    ("keep", "levels"),
    [
        (["y"], {"B": 2, "y": 1, "index": 3}),
        (["x"], {"A": 3, "A1": 2, "x": 1, "index": 4}),
    ],
)
def test_balanced_subset_of_an_unbalanced_framework(
    keep: list[str], levels: dict[str, int]
) -> None:
    meta = framework_to_coinr_meta(unbalanced(), indicators=keep)
    assert dict(zip(meta["iCode"], meta["Level"], strict=True)) == levels
    assert framework_from_coinr_table(meta).indicator_codes == keep


# -- the small fixture and bad tables -------------------------------------------------------------
def small() -> pd.DataFrame:
    return pd.read_csv(SMALL)


def test_small_table_loads() -> None:
    fw = framework_from_coinr_table(SMALL, code="small", level="block")
    assert fw.code == "small" and fw.index_code == "Index"
    assert fw.summary() == {"Env": 2, "Econ": 2}
    assert fw.dimensions[1].weight == 2
    assert [v.code for v in fw.variables] == ["Population"]
    assert fw.indicator("parks").denominator == "Population"
    assert fw.indicator("pm25").direction == -1
    assert all(i.level == "block" for i in fw.indicators)
    assert "size_group" not in fw.indicator_codes


def test_missing_column() -> None:
    with pytest.raises(FrameworkError, match=r"missing column\(s\) Parent, Type"):
        framework_from_coinr_table(small().drop(columns=["Type", "Parent"]))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FrameworkError, match="does not exist"):
        framework_from_coinr_table(tmp_path / "nope.csv")


def problems(table: pd.DataFrame) -> list[str]:
    with pytest.raises(FrameworkError) as info:
        framework_from_coinr_table(table)
    return [str(p) for p in info.value.problems]


def test_all_table_problems_reported_with_rows() -> None:
    t = small()
    t.loc[t["iCode"] == "pm25", "Type"] = "Indikator"  # row 2: unknown Type
    t.loc[t["iCode"] == "gdppc", "Parent"] = "rd"  # row 4: parent is an indicator
    t.loc[len(t)] = [
        3,
        "Index2",
        "Second root",
        1,
        1,
        None,
        None,
        None,
        None,
        "Aggregate",
    ]  # row 11
    got = problems(t)
    assert len(got) == 3, got
    assert got[0] == (
        "<iMeta DataFrame> row 2: Type 'Indikator' is not one of "
        "Aggregate, Denominator, Group, Indicator, Other"
    )
    assert any(
        p.startswith("<iMeta DataFrame> row 4: gdppc: Parent 'rd' is not an Aggregate") for p in got
    )
    roots = [p for p in got if "exactly one Aggregate must have no Parent" in p]
    assert len(roots) == 1 and "found 2: Index (row 8), Index2 (row 11)" in roots[0]


def test_more_row_problems(tmp_path: Path) -> None:
    t = small()
    t.loc[t["iCode"] == "pm25", "Direction"] = 0  # row 2
    t.loc[t["iCode"] == "parks", "Weight"] = -1  # row 3
    t.loc[t["iCode"] == "gdppc", "Level"] = 2  # row 4: indicator not at level 1
    t.loc[t["iCode"] == "rd", "iCode"] = "pm25"  # row 5: repeated code
    path = tmp_path / "bad.csv"
    t.to_csv(path, index=False)
    got = problems(pd.read_csv(path))
    joined = "\n".join(got)
    assert "row 2: pm25: Direction must be 1 or -1" in joined
    assert "row 3: parks: Weight must be a number ≥ 0" in joined
    assert "row 4: gdppc: indicators must be at Level 1" in joined
    assert "row 5: iCode 'pm25' repeats row 2" in joined


def test_parent_at_wrong_level() -> None:
    t = small()
    t.loc[t["iCode"] == "Env", "Level"] = 3
    t.loc[t["iCode"] == "Index", "Level"] = 4
    got = problems(t)
    assert got == [
        "<iMeta DataFrame> row 2: pm25: Parent Env is at Level 3, expected 2",
        "<iMeta DataFrame> row 3: parks: Parent Env is at Level 3, expected 2",
        "<iMeta DataFrame> row 7: Econ: Parent Index is at Level 4, expected 3",
    ]


def test_no_root_and_no_indicators() -> None:
    t = small()
    t = t[t["Type"] != "Indicator"].copy()
    t.loc[t["iCode"] == "Index", "Parent"] = "Env"
    got = problems(t)
    assert any("no rows of Type Indicator" in p for p in got)
    assert any("found 0: none" in p for p in got)
