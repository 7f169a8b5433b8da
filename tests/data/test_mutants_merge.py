"""Survivors of mutation testing in :mod:`citycheckup.data.merge` (issue 18)."""

from __future__ import annotations

import pandas as pd
import pytest

from citycheckup.data import Dataset
from citycheckup.data.merge import merge_datasets
from citycheckup.errors import DataError


def _ds(source: str, col: str) -> Dataset:
    df = pd.DataFrame({"unit_code": ["a"], "unit_name": ["a"], "year": [2020], col: [1.0]})
    return Dataset(data=df, source=source)


def test_variable_in_two_files_names_both() -> None:
    with pytest.raises(DataError) as e:
        merge_datasets([_ds("x.csv", "gdp"), _ds("y.csv", "gdp")])
    assert [(p.message, p.where) for p in e.value.problems] == [
        ("variable 'gdp' is in both x.csv and y.csv; keep it in one file", "y.csv")
    ]


def test_no_data_set_is_an_error() -> None:
    with pytest.raises(DataError, match="no data set to merge"):
        merge_datasets([])


def test_merge_in_full() -> None:
    """Synthetic sets.  x.csv: units b, a in 2020 (gdp 2, 1; names 乙, 甲); y.csv: c in 2020 and a
    in 2021 (pop 3, 4) with the group province.  The outer join on (unit, year) is sorted:
    (a, 2020), (a, 2021), (b, 2020), (c, 2020); a name missing on one side comes from the other
    set (甲 for a in 2021, 丙 for c); units, groups, conversions (with their file), sources and
    hashes are combined in order."""
    x = Dataset(
        data=pd.DataFrame({"unit_code": ["b", "a"], "unit_name": ["乙", "甲"], "year": [2020, 2020],
                           "gdp": [2.0, 1.0]}),
        source="x.csv", units={"gdp": "万元"}, sha256="s1",
        conversions=[{"column": "GDP", "code": "gdp"}],
    )  # fmt: skip
    y = Dataset(
        data=pd.DataFrame({"unit_code": ["c", "a"], "unit_name": ["丙", "甲"], "year": [2020, 2021],
                           "province": ["P", "Q"], "pop": [3.0, 4.0]}),
        source="y.csv", units={"pop": "万人"}, groups=["province"],
    )  # fmt: skip
    m = merge_datasets([x, y])
    d = m.data
    assert list(zip(d["unit_code"], d["year"], strict=True)) == [
        ("a", 2020), ("a", 2021), ("b", 2020), ("c", 2020)
    ]  # fmt: skip
    assert d["unit_name"].tolist() == ["甲", "甲", "乙", "丙"]
    assert d["gdp"].fillna(-1).tolist() == [1.0, -1, 2.0, -1]
    assert d["pop"].fillna(-1).tolist() == [-1, 4.0, -1, 3.0]
    assert d["province"].fillna("").tolist() == ["", "Q", "", "P"]
    assert d.index.tolist() == [0, 1, 2, 3]
    assert m.source == "x.csv + y.csv" and m.sha256 == "s1;"
    assert m.units == {"gdp": "万元", "pop": "万人"} and m.groups == ["province"]
    assert m.conversions == [{"column": "GDP", "code": "gdp", "source": "x.csv"}]


def test_a_group_in_both_sets_is_kept_once() -> None:
    """Both sets carry the group province: the second set's copy is dropped (no province_x /
    province_y), and the group is listed once."""
    a = Dataset(data=pd.DataFrame({"unit_code": ["a"], "unit_name": ["a"], "year": [2020],
                                   "province": ["P"], "gdp": [1.0]}),
                source="a.csv", groups=["province"])  # fmt: skip
    b = Dataset(data=pd.DataFrame({"unit_code": ["a"], "unit_name": ["a"], "year": [2020],
                                   "province": ["P"], "pop": [2.0]}),
                source="b.csv", groups=["province"])  # fmt: skip
    m = merge_datasets([a, b])
    assert m.data.columns.tolist() == ["unit_code", "unit_name", "year", "province", "gdp", "pop"]
    assert m.groups == ["province"]
