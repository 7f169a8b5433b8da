"""Survivors of mutation testing in :mod:`citycheckup.data.readers` (issue 18).

Row numbers in messages are file rows: the header is row 1, so the data row at position i
(from 0) is row i + 2.
"""

from __future__ import annotations

import pandas as pd
import pytest

from citycheckup.data import tidy_dataset
from citycheckup.data.readers import MAX_LISTED
from citycheckup.errors import DataError

UNKNOWN = (
    "city '不存在市' is not a known prefecture-level unit; write its 6-digit administrative code "
    "(e.g. 130600), its official name (e.g. 保定市) or its English name (e.g. Baoding)"
)


def _problems(raw: pd.DataFrame) -> list[tuple[str, str]]:
    with pytest.raises(DataError) as e:
        tidy_dataset(raw, source="t.csv")
    return [(p.message, p.where) for p in e.value.problems]


def test_unknown_name_after_a_blank_keeps_its_file_row() -> None:
    """Names 北京市 (row 2), blank (row 3), 不存在市 (row 4).

    The blank row is not given to the name matcher, which sees 不存在市 as its second name
    ("row 3" in its own count); the reader maps it back to the file's row 4.
    """
    raw = pd.DataFrame(
        {"城市": ["北京市", "", "不存在市"], "year": [2020] * 3, "gdp": [1.0, 2.0, 3.0]}
    )
    assert _problems(raw) == [
        (
            "empty unit name in column '城市'; fill in the city's name or delete the row",
            "t.csv row 3",
        ),
        (UNKNOWN, "t.csv row 4"),
    ]


def test_long_duplicates_name_their_rows() -> None:
    """Long table a, b, c, a (rows 2-5), all gdp in 2020: a appears at rows 2 and 5."""
    raw = pd.DataFrame(
        {"unit_code": ["a", "b", "c", "a"], "year": [2020] * 4, "variable": ["gdp"] * 4,
         "value": [1.0, 2.0, 3.0, 4.0]}
    )  # fmt: skip
    assert _problems(raw) == [
        ("unit a, year 2020, variable 'gdp' appears 2 times (rows 2, 5); keep one", "t.csv")
    ]


@pytest.mark.parametrize("n_bad", [MAX_LISTED, MAX_LISTED + 1, MAX_LISTED + 2],
                         ids=["at", "just-above", "two-above"])  # fmt: skip
def test_non_numeric_cells_end_with_and_n_more(n_bad: int) -> None:
    """n_bad cells 'x' then as many numbers (so the column is half text: still a value column).

    At most MAX_LISTED = 25 cells are listed (rows 2 … 26), then one problem for the whole file
    "… and N more non-numeric cells in column 'gdp'" with N = n_bad - 25 (none at 25).
    """
    n = 2 * n_bad
    raw = pd.DataFrame({"unit_code": [f"u{i}" for i in range(n)], "year": [2020] * n,
                        "gdp": ["x"] * n_bad + ["1"] * n_bad})  # fmt: skip
    got = _problems(raw)
    listed = [("value 'x' is not a number", f"t.csv row {r}, column 'gdp'") for r in range(2, 27)]
    more = n_bad - MAX_LISTED
    tail = [(f"… and {more} more non-numeric cells in column 'gdp'", "t.csv")] if more else []
    assert got == listed + tail


def test_match_names_with_codes_maps_them_to_stored_codes() -> None:
    """With a code column and ``match_names=True`` each 6-digit code is mapped to the code the
    gazetteer stores: 110100 (北京市辖区) → 110000; 130600 stays; "abc" is no code and stays.
    Without ``match_names`` the codes are kept as written."""
    raw = pd.DataFrame({"unit_code": ["110100", "130600", "abc"], "year": [2020] * 3,
                        "gdp": [1.0, 2.0, 3.0]})  # fmt: skip
    got = tidy_dataset(raw, match_names=True).data
    assert sorted(zip(got["unit_code"], got["unit_name"], strict=True)) == [
        ("110000", "北京市"), ("130600", "保定市"), ("abc", "abc")
    ]  # fmt: skip
    assert sorted(tidy_dataset(raw).data["unit_code"]) == ["110100", "130600", "abc"]


def test_wide_duplicates_name_their_rows() -> None:
    """Unit a twice in 2020 (rows 2 and 3): one problem for the file."""
    raw = pd.DataFrame({"unit_code": ["a", "a", "b"], "year": [2020] * 3, "gdp": [1.0, 2.0, 3.0]})
    assert _problems(raw) == [
        ("unit a, year 2020 appears 2 times (rows 2, 3); keep one row per unit and year", "t.csv")
    ]


def test_two_ambiguous_headers_are_two_problems() -> None:
    """Variables a and b are both called 人口: the headers 人口 and 人口(万人) each could mean
    either (one problem each); being different headers, they are not reported as one
    column given twice."""
    from citycheckup.framework.models import Framework

    ind = {"code": "i", "name_zh": "指标", "name_en": "I", "unit": "%", "direction": 1,
           "level": "city", "formula": "a / b * 100"}  # fmt: skip
    fw = Framework.model_validate(
        {"code": "amb", "name_zh": "歧义", "name_en": "Ambiguous",
         "variables": [{"code": "a", "name_zh": "人口", "name_en": "A", "unit": "万人"},
                       {"code": "b", "name_zh": "人口", "name_en": "B", "unit": "万人"}],
         "dimensions": [{"code": "d", "name_zh": "维", "name_en": "D", "indicators": [ind]}]}
    )  # fmt: skip
    raw = pd.DataFrame(
        {"unit_code": ["130600"], "year": [2022], "人口": [5.0], "人口(万人)": [6.0]}
    )
    with pytest.raises(DataError) as e:
        tidy_dataset(raw, source="t.csv", framework=fw)
    assert [(p.message, p.where) for p in e.value.problems] == [
        (f"header {h!r} could mean a (人口) or b (人口); rename the column to one of these codes",
         f"t.csv column {h!r}")
        for h in ("人口", "人口(万人)")
    ]  # fmt: skip


def test_whole_header_is_matched_before_its_part_outside_the_bracket() -> None:
    """Variable a is 人口 and b is 人口(户籍). The header 人口(户籍) has no unit in its bracket, so
    it is matched as a whole (b), not by the part before the bracket (a); 人口 is a."""
    from citycheckup.framework.models import Framework

    ind = {"code": "i", "name_zh": "指标", "name_en": "I", "unit": "%", "direction": 1,
           "level": "city", "formula": "a / b * 100"}  # fmt: skip
    fw = Framework.model_validate(
        {"code": "two", "name_zh": "二", "name_en": "Two",
         "variables": [{"code": "a", "name_zh": "人口", "name_en": "A", "unit": "万人"},
                       {"code": "b", "name_zh": "人口(户籍)", "name_en": "B", "unit": "万人"}],
         "dimensions": [{"code": "d", "name_zh": "维", "name_en": "D", "indicators": [ind]}]}
    )  # fmt: skip
    raw = pd.DataFrame(
        {"unit_code": ["130600"], "year": [2022], "人口(户籍)": [5.0], "人口": [6.0]}
    )
    row = tidy_dataset(raw, framework=fw).data.iloc[0]
    assert (row["a"], row["b"]) == (6.0, 5.0)


@pytest.mark.parametrize(
    ("names", "matched"),
    [(["北京市", "abc"], False), (["北京市", "保定市", "abc"], True)],
    ids=["half-chinese", "more-than-half"],
)
def test_names_are_matched_when_more_than_half_are_chinese(names: list[str], matched: bool) -> None:
    """Without a code column, names are matched to codes when more than half contain Chinese
    characters: 1 of 2 (exactly half) is not more, so the names are used as codes; 2 of 3 is
    more, so 'abc' must match a city and is reported on its file row 4."""
    raw = pd.DataFrame({"unit_name": names, "year": [2020] * len(names), "gdp": [1.0] * len(names)})
    if matched:
        assert _problems(raw) == [(UNKNOWN.replace("不存在市", "abc"), "t.csv row 4")]
    else:
        got = tidy_dataset(raw, source="t.csv").data
        assert got[["unit_code", "unit_name"]].values.tolist() == [
            ["abc", "abc"],
            ["北京市", "北京市"],
        ]


def test_numeric_descriptor_column_is_a_group() -> None:
    """province_code holds numbers but names a group (a descriptor), not a measurement."""
    raw = pd.DataFrame({"unit_code": ["130600", "110000"], "year": [2022] * 2,
                        "province_code": [130000, 110000], "gdp": [1.0, 2.0]})  # fmt: skip
    ds = tidy_dataset(raw)
    assert ds.groups == ["province_code"] and ds.variables == ["gdp"]


def test_csv_with_a_byte_order_mark(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A CSV saved by Excel starts with a UTF-8 byte order mark; the first header is still
    unit_code, not '\\ufeffunit_code'."""
    from citycheckup.data import read_dataset

    p = tmp_path / "bom.csv"
    p.write_bytes("unit_code,year,gdp\n130600,2022,1.5\n".encode("utf-8-sig"))
    ds = read_dataset(p)
    assert ds.data[["unit_code", "year", "gdp"]].values.tolist() == [["130600", 2022, 1.5]]


def test_empty_variable_names_end_with_and_n_more() -> None:
    """26 long rows without a variable name (rows 2 … 27): 25 listed, then "… and 1 more"."""
    n = MAX_LISTED + 1
    raw = pd.DataFrame({"unit_code": [f"u{i}" for i in range(n)], "year": [2020] * n,
                        "variable": [""] * n, "value": [1.0] * n})  # fmt: skip
    got = _problems(raw)
    assert got[:MAX_LISTED] == [
        ("empty variable name in column 'variable'", f"t.csv row {r}") for r in range(2, 27)
    ]
    assert got[MAX_LISTED:] == [("… and 1 more empty variable names", "t.csv")]


def test_bracket_text_that_is_no_unit_is_noted() -> None:
    """地区生产总值(名义): 名义 ("nominal") is not a unit, so the values are taken to be in the
    framework's unit (万元, factor 1) and the conversion record says so."""
    from pathlib import Path

    from citycheckup.framework import load_framework

    ufw = load_framework(Path(__file__).parent / "files" / "units_framework.yaml")
    raw = pd.DataFrame({"unit_code": ["130600"], "year": [2022], "地区生产总值(名义)": [2e6]})
    ds = tidy_dataset(raw, framework=ufw)
    assert ds.conversions == [
        {"column": "地区生产总值(名义)", "code": "gdp", "from_unit": None, "to_unit": "万元", "factor": 1.0,
         "note": "bracket text '名义' is not a unit; values are taken to be in the framework's unit"}
    ]  # fmt: skip
