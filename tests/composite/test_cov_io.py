"""``composite/io.py``: reading frameworks, tables and weights in every supported format,
and every error path (what is wrong, where, how to fix). All files are synthetic and
written to a temporary folder; expected tables are written out by hand.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from citycheckup.composite.io import (
    read_data,
    read_framework,
    read_table,
    read_weights,
    tree_to_meta,
    write_excel,
)
from citycheckup.errors import DataError, FrameworkError

META = pd.DataFrame(
    {
        "Level": [1, 1, 2],
        "iCode": ["a", "b", "Index"],
        "Direction": [1, -1, 1],
        "Weight": [1.0, 2.0, 1.0],
        "Parent": ["Index", "Index", None],
        "Type": ["Indicator", "Indicator", "Aggregate"],
    }
)


# ------------------------------------------------------------------ tree_to_meta
def test_tree_to_meta_levels_from_the_leaves() -> None:
    """Index -> P -> (a, b): a and b at level 1, P at 2, Index at 3, sorted by level."""
    tree = {
        "code": "Index",
        "children": [{"code": "P", "children": [{"code": "a"}, {"code": "b"}]}],
    }
    meta = tree_to_meta(tree)
    assert meta[["iCode", "Level", "Type"]].values.tolist() == [
        ["a", 1, "Indicator"],
        ["b", 1, "Indicator"],
        ["P", 2, "Aggregate"],
        ["Index", 3, "Aggregate"],
    ]
    assert meta["Parent"].tolist()[:3] == ["P", "P", "Index"] and pd.isna(meta["Parent"][3])
    assert meta["Direction"].tolist() == [1, 1, 1, 1] and meta["Weight"].tolist() == [1.0] * 4


def test_tree_to_meta_reports_every_bad_node() -> None:
    """A leaf one level too high (c under Index) and a node without a code, together."""
    tree = {
        "code": "Index",
        "children": [
            {"code": "P", "children": [{"code": "a"}, {"name": "no code"}]},
            {"code": "c"},
        ],
    }
    with pytest.raises(FrameworkError) as info:
        tree_to_meta(tree)
    got = [(p.where, p.message) for p in info.value.problems]
    assert got == [
        ("framework node under P", "every node needs a 'code'"),
        ("code c", "indicator at depth 2; all indicators must be at the same depth"),
    ]


# ------------------------------------------------------------------ read_framework
def test_read_framework_csv_xlsx_and_yaml_meta(tmp_path: Path) -> None:
    META.to_csv(tmp_path / "m.csv", index=False)
    META.to_excel(tmp_path / "m.xlsx", index=False)
    rows = META.where(META.notna(), None).to_dict("records")
    import yaml

    (tmp_path / "m.yaml").write_text(
        yaml.safe_dump({"meta": rows, "groups": ["EU_group"]}), encoding="utf-8"
    )
    for name in ("m.csv", "m.xlsx"):
        got = read_framework(tmp_path / name)
        assert got["iCode"].tolist() == ["a", "b", "Index"], name
        assert got["Weight"].tolist() == [1.0, 2.0, 1.0], name
    got = read_framework(tmp_path / "m.yaml")
    assert got["iCode"].tolist() == ["a", "b", "Index", "EU_group"]
    assert got["Type"].tolist() == ["Indicator", "Indicator", "Aggregate", "Group"]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("fw.json", "{}", "unsupported framework format '.json'; use .csv, .xlsx or .yaml"),
        ("fw.yaml", "a: [1, 2", "invalid YAML"),
        ("fw.yaml", "- just\n- a list\n", "expected a mapping with 'meta' or a framework tree"),
    ],
)
def test_read_framework_errors(tmp_path: Path, name: str, text: str, message: str) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(FrameworkError, match=message) as info:
        read_framework(tmp_path / name)
    assert str(tmp_path / name) in str(info.value)  # says which file


def test_read_framework_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FrameworkError, match="framework file .*none.yaml not found"):
        read_framework(tmp_path / "none.yaml")


# ------------------------------------------------------------------ read_table / read_data
def test_read_table_formats_keep_ucode_as_text(tmp_path: Path) -> None:
    """uCode '001' stays text (leading zeros kept) in CSV and XLSX; 'NA' (Namibia) is a code."""
    df = pd.DataFrame({"uCode": ["001", "NA"], "x": [1.5, None]})
    df.to_csv(tmp_path / "d.csv", index=False)
    df.to_excel(tmp_path / "d.xlsx", index=False)
    df.to_parquet(tmp_path / "d.parquet", index=False)
    for name in ("d.csv", "d.xlsx", "d.parquet"):
        got = read_data(tmp_path / name)
        assert got["uCode"].tolist() == ["001", "NA"], name
        assert got["x"].iloc[0] == 1.5 and pd.isna(got["x"].iloc[1]), name


def test_read_table_errors_name_the_file_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="denominator table file .*gone.csv not found"):
        read_table(tmp_path / "gone.csv", what="denominator table")
    (tmp_path / "d.json").write_text("{}")
    with pytest.raises(DataError, match="unsupported data format '.json'; use .csv, .xlsx"):
        read_data(tmp_path / "d.json")


# ------------------------------------------------------------------ read_weights
def test_read_weights_yaml_json_and_table(tmp_path: Path) -> None:
    (tmp_path / "w.yaml").write_text("a: 2\nb: 0.5\n")
    (tmp_path / "w.json").write_text('{"a": 3, "P": 1}')
    pd.DataFrame({"iCode": ["a", "b"], "Weight": [4, 1]}).to_csv(tmp_path / "w.csv", index=False)
    assert read_weights(tmp_path / "w.yaml") == {"a": 2.0, "b": 0.5}
    assert read_weights(tmp_path / "w.json") == {"a": 3.0, "P": 1.0}
    assert read_weights(tmp_path / "w.csv") == {"a": 4.0, "b": 1.0}


def test_read_weights_errors(tmp_path: Path) -> None:
    with pytest.raises(FrameworkError, match="weights file .*nope.yaml not found"):
        read_weights(tmp_path / "nope.yaml")
    (tmp_path / "bad.yaml").write_text("a: [1\n")
    with pytest.raises(FrameworkError, match="bad.yaml: invalid YAML/JSON"):
        read_weights(tmp_path / "bad.yaml")
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(FrameworkError, match="list.yaml: expected a mapping code: weight"):
        read_weights(tmp_path / "list.yaml")
    with pytest.raises(FrameworkError, match="weights file .*gone.csv not found"):
        read_weights(tmp_path / "gone.csv")
    pd.DataFrame({"code": ["a"], "w": [1]}).to_csv(tmp_path / "cols.csv", index=False)
    with pytest.raises(
        FrameworkError, match="needs columns iCode and Weight; missing iCode, Weight"
    ):
        read_weights(tmp_path / "cols.csv")
    (tmp_path / "inf.yaml").write_text("a: .inf\nb: null\nc: 1\n")
    with pytest.raises(FrameworkError) as info:
        read_weights(tmp_path / "inf.yaml")
    got = [(p.where, p.message) for p in info.value.problems]
    assert got == [
        ("inf.yaml entry 1 (a)", "weight is missing or infinite"),
        ("inf.yaml entry 2 (b)", "weight None is not a number"),
    ]


# ------------------------------------------------------------------ write_excel
def test_excel_sheet_names_are_cut_to_31_characters_and_kept_apart(tmp_path: Path) -> None:
    """Two tables whose names share their first 31 characters: the second becomes
    name[:28] + '_2'. An empty table gets a placeholder column. The frames are synthetic."""
    long = "a_table_with_a_very_long_name_number_1"
    long2 = "a_table_with_a_very_long_name_number_2"
    empty = pd.DataFrame()
    result = SimpleNamespace(
        datasets={"Raw": pd.DataFrame({"uCode": ["A"], "x": [1.0]})},
        ranks=empty,
        treatment=empty,
        treated_points=empty,
        stats=empty,
        screening=empty,
    )
    tables = {long: pd.DataFrame({"v": [1]}), long2: pd.DataFrame({"v": [2]})}
    path = write_excel(result, tmp_path / "x.xlsx", tables=tables, meta=META)
    book = pd.read_excel(path, sheet_name=None)
    assert list(book) == [
        "Raw",
        "ranks",
        "treatment",
        "treated_points",
        "stats",
        "screening",
        "dropped",
        "iMeta",
        long[:31],
        long2[:28] + "_2",
    ]
    assert book[long[:31]]["v"].tolist() == [1] and book[long2[:28] + "_2"]["v"].tolist() == [2]
    assert list(book["ranks"].columns) == ["(empty)"]
    assert book["iMeta"]["iCode"].tolist() == ["a", "b", "Index"]
