"""Readers: CSV/XLSX/Parquet, long and wide; every problem reported at once."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from citycheckup.data import read_dataset, tidy_dataset
from citycheckup.errors import DataError

WIDE = pd.DataFrame({
    "城市": ["河北保定", "杭州市", "河北保定", "杭州市"],
    "年份": [2020, 2020, 2021, 2021],
    "pop_resident": ["1154.6", "1,196.5", "1160", "1,220.4"],  # thousands separators as in yearbooks
    "students_higher [万人]": [12.5, 55.1, "13.0", "56.2"],
})


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_wide_table_in_three_formats(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"d{suffix}"
    df = WIDE.copy()
    if suffix == ".parquet":
        df = df.astype(str)
        df.to_parquet(path)
    elif suffix == ".xlsx":
        df.to_excel(path, index=False)
    else:
        df.to_csv(path, index=False)
    ds = read_dataset(path)
    assert list(ds.data["unit_code"]) == ["130600", "330100", "130600", "330100"]
    assert ds.data["year"].tolist() == [2020, 2020, 2021, 2021]
    assert ds.units == {"students_higher": "万人"}
    assert ds.data.loc[3, "students_higher"] == pytest.approx(56.2)
    assert ds.data.loc[3, "pop_resident"] == pytest.approx(1220.4)
    assert ds.sha256 is not None and len(ds.sha256) == 64


def test_long_table_pivots_and_keeps_units(tmp_path: Path) -> None:
    long = pd.DataFrame({
        "unit_code": ["130600", "130600", "330100", "330100"],
        "year": [2020] * 4,
        "variable": ["pop_resident", "gdp", "pop_resident", "gdp"],
        "value": [1154.6, 37000000.0, 1196.5, 161000000.0],
        "unit_of_measure": ["万人", "万元", "万人", "万元"],
    })
    path = tmp_path / "long.csv"
    long.to_csv(path, index=False)
    ds = read_dataset(path)
    assert set(ds.variables) == {"gdp", "pop_resident"}
    assert ds.units == {"pop_resident": "万人", "gdp": "万元"}
    assert ds.data.set_index("unit_code").loc["330100", "gdp"] == 161000000.0
    assert ds.data.set_index("unit_code").loc["330100", "unit_name"] == "杭州市"


def test_all_problems_reported_together(tmp_path: Path) -> None:
    bad = pd.DataFrame({
        "unit_code": ["130600", "130600", "330100", ""],
        "year": ["2020", "2020", "20x1", "2020"],
        "gdp": ["1", "2", "abc", "4"],
    })
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(DataError) as info:
        read_dataset(path)
    text = str(info.value)
    assert "empty unit code" in text and "row 5" in text
    assert "year '20x1' is not a whole number" in text
    assert "value 'abc' is not a number" in text and "row 4, column 'gdp'" in text
    # the duplicate is reported after cell problems are fixed
    bad2 = bad.iloc[:2]
    bad2.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"unit 130600, year 2020 appears 2 times \(rows 2, 3\)"):
        read_dataset(path)


def test_long_duplicates_and_mixed_units() -> None:
    long = pd.DataFrame({"unit_code": ["a", "a", "b"], "year": [1, 1, 1], "variable": ["x", "x", "x"],
                         "value": [1, 2, 3], "unit_of_measure": ["万人", "万人", "人"]})
    with pytest.raises(DataError) as info:
        tidy_dataset(long, source="t")
    msgs = [p.message for p in info.value.problems]
    assert any("given in several units (万人, 人)" in m for m in msgs)
    assert any("appears 2 times" in m for m in msgs)


def test_missing_unit_or_year_column() -> None:
    with pytest.raises(DataError, match="no unit column"):
        tidy_dataset(pd.DataFrame({"year": [1], "x": [1]}))
    with pytest.raises(DataError, match="no year column; add a column named year or pass --year"):
        tidy_dataset(pd.DataFrame({"unit_code": ["a"], "x": [1]}))
    ds = tidy_dataset(pd.DataFrame({"unit_code": ["a"], "x": [1]}), year=2024)
    assert ds.years == [2024]


def test_unknown_file_type_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        read_dataset(tmp_path / "nope.csv")
    p = tmp_path / "x.json"
    p.write_text("{}")
    with pytest.raises(DataError, match="unsupported file type '.json'"):
        read_dataset(p)


def test_corrupt_xlsx_is_a_clear_error(tmp_path: Path) -> None:
    p = tmp_path / "broken.xlsx"
    p.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DataError, match=r"broken.xlsx could not be read as .xlsx"):
        read_dataset(p)
