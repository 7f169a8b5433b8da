"""``composite/denominate.py`` (COINr ``Denominate``): external tables and error paths.

COINr 1.1.14 (bluefoxr/COINr at commit b968203, ``R/denominate.R``): ``x' = x / d * scale``
with the denominator ``d`` matched to each unit by ``denoms_ID``. Synthetic data; every
expected value is a division done by hand.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from citycheckup.composite import Coin
from citycheckup.composite._state import State
from citycheckup.composite.denominate import denominate
from citycheckup.errors import PipelineError


def _coin(panel: bool = False) -> Coin:
    """Synthetic: units A, B with a = 10, 20 and b = 3, 4; own denominator pop = 2, 5."""
    meta = pd.DataFrame(
        {
            "Level": [1, 1, 2, None],
            "iCode": ["a", "b", "Index", "pop"],
            "Direction": [1, 1, 1, None],
            "Weight": [1, 1, 1, None],
            "Parent": ["Index", "Index", None, None],
            "Type": ["Indicator", "Indicator", "Aggregate", "Denominator"],
        }
    )
    data = pd.DataFrame(
        {"uCode": ["A", "B"], "pop": [2.0, 5.0], "a": [10.0, 20.0], "b": [3.0, 4.0]}
    )
    if panel:
        data = pd.concat(
            [data.assign(Time=2020), data.assign(Time=2021, a=[30.0, 40.0])], ignore_index=True
        )
    return Coin(data=data, meta=meta)


def test_external_table_from_a_csv_file_with_its_own_id(tmp_path: Path) -> None:
    """GDP table keyed by 'iso': A 4, B 8 (a row for Z is ignored). a / gdp * 100:
    10/4*100 = 250, 20/8*100 = 250; b has no denominator and is copied."""
    path = tmp_path / "gdp.csv"
    pd.DataFrame({"iso": ["Z", "B", "A"], "gdp": [1.0, 8.0, 4.0]}).to_csv(path, index=False)
    st = denominate(
        State.initial(_coin()), by={"a": "gdp"}, scale={"a": 100.0}, table=path, id="iso"
    )
    frame = st.frame("Denominated")
    assert frame["a"].tolist() == [250.0, 250.0]
    assert frame["b"].tolist() == [3.0, 4.0]


def test_external_table_by_unit_and_year() -> None:
    """Table with Time: A 2020 -> 5, A 2021 -> 10, B 2020 -> 4, B 2021 -> 8.
    a: 10/5 = 2, 20/4 = 5 (2020); 30/10 = 3, 40/8 = 5 (2021)."""
    table = pd.DataFrame(
        {
            "uCode": ["A", "A", "B", "B"],
            "Time": [2020, 2021, 2020, 2021],
            "d": [5.0, 10.0, 4.0, 8.0],
        }
    )
    frame = denominate(State.initial(_coin(panel=True)), by={"a": "d"}, table=table).frame(
        "Denominated"
    )
    assert list(zip(frame["uCode"], frame["Time"], frame["a"], strict=True)) == [
        ("A", 2020, 2.0),
        ("B", 2020, 5.0),
        ("A", 2021, 3.0),
        ("B", 2021, 5.0),
    ]


def test_scale_as_one_number() -> None:
    """Own denominator pop: a 10/2*3 = 15, 20/5*3 = 12."""
    frame = denominate(State.initial(_coin()), by={"a": "pop"}, scale=3).frame("Denominated")
    assert frame["a"].tolist() == [15.0, 12.0]


def test_missing_table_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="denominator table .*nope.csv not found"):
        denominate(State.initial(_coin()), by={"a": "gdp"}, table=tmp_path / "nope.csv")


def test_table_without_the_id_column() -> None:
    table = pd.DataFrame({"code": ["A", "B"], "gdp": [1.0, 2.0]})
    with pytest.raises(PipelineError) as info:
        denominate(State.initial(_coin()), by={"a": "gdp"}, table=table)
    (p,) = info.value.problems
    assert p.where == "denominate.id"
    assert p.message == "the denominator table has no column 'uCode'; set 'id' to its unit column"


def test_unknown_column_and_code_and_missing_units_reported_together() -> None:
    """gdq is not a column; 'zz' is not an indicator; B has no gdp value."""
    table = pd.DataFrame({"uCode": ["A"], "gdp": [2.0]})
    with pytest.raises(PipelineError) as info:
        denominate(State.initial(_coin()), by={"a": "gdp", "b": "gdq", "zz": "gdp"}, table=table)
    got = [(p.where, p.message) for p in info.value.problems]
    assert got == [
        ("denominate.by", "column 'gdq' is not in the denominator table; it has uCode, gdp"),
        (
            "denominate.table",
            "no value of gdp for 1 unit(s): B; add them to the table or drop the units",
        ),
        ("denominate.by.zz", "not an indicator code"),
    ]


def test_duplicate_rows_in_the_table() -> None:
    table = pd.DataFrame({"uCode": ["A", "B", "B"], "gdp": [1.0, 2.0, 3.0]})
    with pytest.raises(PipelineError) as info:
        denominate(State.initial(_coin()), by={"a": "gdp"}, table=table)
    (p,) = info.value.problems
    assert p.message == "the denominator table has 1 duplicate row(s) for uCode, e.g. B"


def test_own_denominator_that_is_not_a_denominator_column() -> None:
    with pytest.raises(PipelineError) as info:
        denominate(State.initial(_coin()), by={"a": "area"})
    (p,) = info.value.problems
    assert p.where == "denominate.by.a"
    assert p.message == (
        "denominator 'area' is not a data column of Type Denominator; "
        "available: pop (or give an external 'table')"
    )
