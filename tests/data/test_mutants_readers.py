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


# ---------------------------------------------------------------------------------------------
# Third round (issue 18).
# ---------------------------------------------------------------------------------------------

import numpy as np  # noqa: E402


def test_unknown_first_name_after_a_blank_row() -> None:
    """Names: blank (row 2), 不存在市 (row 3), 北京市 (row 4).  The matcher sees 不存在市 as its
    first name ("row 2" in its count); the reader maps it to the file's row 3."""
    raw = pd.DataFrame(
        {"城市": ["", "不存在市", "北京市"], "year": [2020] * 3, "gdp": [1.0, 2.0, 3.0]}
    )
    assert _problems(raw) == [
        (
            "empty unit name in column '城市'; fill in the city's name or delete the row",
            "t.csv row 2",
        ),
        (UNKNOWN, "t.csv row 3"),
    ]


def test_square_bracket_text_that_is_no_unit_is_a_problem() -> None:
    """地区生产总值 [abc]: a square bracket holds a unit; abc is none, so the column is named."""
    from pathlib import Path

    from citycheckup.framework import load_framework

    ufw = load_framework(Path(__file__).parent / "files" / "units_framework.yaml")
    raw = pd.DataFrame({"unit_code": ["130600"], "year": [2022], "地区生产总值 [abc]": [2e6]})
    with pytest.raises(DataError) as e:
        tidy_dataset(raw, framework=ufw, source="t.csv")
    assert [(p.message, p.where) for p in e.value.problems] == [
        ("header '地区生产总值 [abc]': 'abc' is not a known unit; write the unit of gdp (地区生产总值) as e.g. 万元",
         "t.csv column '地区生产总值 [abc]'")
    ]  # fmt: skip


def test_without_framework_headers_text_columns_and_a_given_year() -> None:
    """No framework: "gdp [abc]" keeps abc as its stated unit (square brackets hold units),
    "x (abc)" keeps its whole header (round brackets only when a known unit), "y (万元)" is y
    in 万元.  The text column region is a group with its values; the year comes from the
    argument for every row."""
    raw = pd.DataFrame({"unit_code": ["130600", "130700"], "gdp [abc]": [2e6, 3.0],
                        "x (abc)": [1.0, 2.0], "y (万元)": [5.0, 6.0], "region": ["东部", "西部"]})  # fmt: skip
    ds = tidy_dataset(raw, source="t.csv", year=2021)
    assert ds.data.columns.tolist() == [
        "unit_code",
        "unit_name",
        "year",
        "region",
        "gdp",
        "x (abc)",
        "y",
    ]
    assert ds.units == {"gdp": "abc", "y": "万元"}
    assert ds.groups == ["region"]
    assert ds.data["region"].tolist() == ["东部", "西部"]
    assert ds.data["year"].tolist() == [2021, 2021]
    assert ds.data["unit_name"].tolist() == ["保定市", "张家口市"]


def test_a_data_row_with_a_year_is_not_a_units_row() -> None:
    """The first row has the year 2020 and the text 万元 under gdp: a data row with a bad cell
    (reported), not a units row (which has no year)."""
    raw = pd.DataFrame(
        {"unit_code": ["130600", "130700"], "year": ["2020", "2020"], "gdp": ["万元", "5"]}
    )
    with pytest.raises(DataError) as e:
        tidy_dataset(raw, source="t.csv")
    assert [p.where for p in e.value.problems] == ["t.csv row 2, column 'gdp'"]
    # without the year, the same row is a units row: gdp is in 万元
    ds = tidy_dataset(raw.assign(year=["", "2020"]), source="t.csv")
    assert ds.units == {"gdp": "万元"} and ds.data["gdp"].tolist() == [5.0]


@pytest.mark.parametrize(
    ("v", "number"),
    [
        (True, False),  # a bool is not a number
        (3, True),
        (2.5, True),
        (np.int64(7), True),
        ("1,234", True),
        ("1，234", True),  # full-width comma as a thousands separator
        (" 12 ", True),
        ("abc", False),
        ("", False),
        ("1.2.3", False),
    ],
)
def test_is_number(v: object, number: bool) -> None:
    from citycheckup.data.readers import _is_number

    assert _is_number(v) is number


def test_read_table_sheet(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A workbook with two sheets: the first by default, another by name or position."""
    p = tmp_path / "two.xlsx"
    with pd.ExcelWriter(p) as w:
        pd.DataFrame({"a": [1]}).to_excel(w, sheet_name="first", index=False)
        pd.DataFrame({"b ": [2]}).to_excel(w, sheet_name="second", index=False)
    from citycheckup.data.readers import read_table

    assert read_table(p).columns.tolist() == ["a"]
    assert read_table(p, sheet="second").to_dict("list") == {"b": [2]}  # header stripped
    assert read_table(p, sheet=1).columns.tolist() == ["b"]


def _ufw():  # type: ignore[no-untyped-def]
    from pathlib import Path

    from citycheckup.framework import load_framework

    return load_framework(Path(__file__).parent / "files" / "units_framework.yaml")


def test_no_unit_column_lists_the_first_twelve_columns() -> None:
    raw = pd.DataFrame({f"c{i}": [1] for i in range(14)})
    with pytest.raises(DataError) as e:
        tidy_dataset(raw, source="t.csv")
    assert str(e.value) == (
        "t.csv: no unit column; add one named unit_code (6-digit administrative code) or unit_name "
        "(city name); found columns " + ", ".join(f"c{i}" for i in range(12))
    )


def test_unit_code_read_as_a_float() -> None:
    """A spreadsheet cell 130600.0 is the code 130600 (保定市); 1306.05 would keep its digits."""
    ds = tidy_dataset(pd.DataFrame({"unit_code": ["130600.0"], "year": [2020], "gdp": [1.0]}))
    assert ds.data["unit_code"].tolist() == ["130600"]
    assert ds.data["unit_name"].tolist() == ["保定市"]


def test_unknown_header_keeps_its_stated_unit() -> None:
    """foo (万元) is not in the framework: the column is foo, and its unit 万元 is kept."""
    raw = pd.DataFrame({"unit_code": ["130600"], "year": [2020], "foo (万元)": [1.0]})
    ds = tidy_dataset(raw, source="t.csv", framework=_ufw())
    assert ds.data["foo"].tolist() == [1.0] and ds.units == {"foo": "万元"}


def test_long_missing_variable_name_is_a_problem() -> None:
    """A missing (None) variable name is reported like an empty one, at its file row."""
    raw = pd.DataFrame({"unit_code": ["130600", "130600"], "year": [2020, 2020],
                        "variable": [None, "gdp"], "value": [1.0, 2.0]})  # fmt: skip
    assert _problems(raw) == [("empty variable name in column 'variable'", "t.csv row 2")]


def test_long_units_of_measure_disagree_or_do_not_convert() -> None:
    """地区生产总值(亿元) with uom 万元 (row 2): the two units disagree; gdp with uom km² (row 3):
    an area cannot be converted to 万元 -- named by the variable, not by a row."""
    raw = pd.DataFrame({"unit_code": ["130600", "130700"], "year": [2020, 2020],
                        "variable": ["地区生产总值(亿元)", "gdp"], "value": [1.0, 2.0],
                        "uom": ["万元", "km²"]})  # fmt: skip
    with pytest.raises(DataError) as e:
        tidy_dataset(raw, source="t.csv", framework=_ufw())
    assert [(p.message, p.where) for p in e.value.problems] == [
        ("variable '地区生产总值(亿元)' states '亿元' but column 'uom' says '万元'; make them agree",
         "t.csv row 2"),
        ("gdp: unit 'km²' (an area) cannot be converted to '万元' (money); the column measures "
         "something else than the framework's variable, or its unit is written wrongly: fix the "
         "header or the column", "t.csv column 'variable', variable 'gdp'"),
    ]  # fmt: skip


def test_long_units_of_measure_convert_per_row() -> None:
    """1 亿元 = 10,000 万元: the header's unit and the uom column's unit are applied row by row;
    a row without a unit is in the framework's unit (2 万元 stays 2)."""
    raw = pd.DataFrame({"unit_code": ["130600", "130700", "130900"], "year": [2020] * 3,
                        "variable": ["地区生产总值(亿元)", "gdp", "gdp"], "value": [1.0, 2.0, 3.0],
                        "uom": ["亿元", "", "亿元"]})  # fmt: skip
    ds = tidy_dataset(raw, source="t.csv", framework=_ufw())
    assert ds.data["gdp"].tolist() == [10000.0, 2.0, 30000.0]
    assert ds.units == {"gdp": "万元"}
    assert [(c["column"], c["factor"], c["rows"]) for c in ds.conversions] == [
        ("地区生产总值(亿元)", 10000.0, 1),
        ("gdp", 10000.0, 1),
    ]


def test_long_without_framework_units_of_measure() -> None:
    """No framework: x in 万元 and 亿元 is an error naming the uom column; y without a unit
    has none."""
    raw = pd.DataFrame({"unit_code": ["130600", "130700"], "year": [2020, 2020], "variable": ["x", "x"],
                        "value": [1.0, 2.0], "uom": ["万元", "亿元"]})  # fmt: skip
    assert _problems(raw) == [
        (
            "variable 'x' is given in several units (万元, 亿元); convert to one",
            "t.csv column 'uom'",
        )
    ]
    ds = tidy_dataset(raw.assign(variable=["x", "y"], uom=["万元", ""]), source="t.csv")
    assert ds.units == {"x": "万元"}
    assert ds.data["x"].fillna(-1).tolist() == [1.0, -1] and ds.data["y"].fillna(-1).tolist() == [
        -1,
        2.0,
    ]


def test_full_width_thousands_separator_in_values() -> None:
    """ "1，234" (full-width comma) is 1234, like "1,234"."""
    raw = pd.DataFrame(
        {"unit_code": ["130600", "130700"], "year": [2020, 2020], "gdp": ["1，234", "5,678"]}
    )
    assert tidy_dataset(raw).data["gdp"].tolist() == [1234.0, 5678.0]


def test_gb18030_csv_is_read_as_text(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A CSV that is not UTF-8 is read as GB18030, every cell as text (007 keeps its zeros)."""
    from citycheckup.data.readers import read_table

    p = tmp_path / "gb.csv"
    p.write_bytes("城市,编号\n保定市,007\n".encode("gb18030"))
    assert read_table(p).to_dict("list") == {"城市": ["保定市"], "编号": ["007"]}


def test_empty_unit_codes_are_not_duplicates_of_each_other() -> None:
    """Long table: two rows without a unit code for gdp 2020 are two "empty unit code" problems,
    not also a duplicate unit-year-variable."""
    raw = pd.DataFrame({"unit_code": ["", "", "130600"], "year": [2020] * 3, "variable": ["gdp"] * 3,
                        "value": [1.0, 2.0, 3.0]})  # fmt: skip
    assert _problems(raw) == [
        ("empty unit code in column 'unit_code'", f"t.csv row {r}") for r in (2, 3)
    ]


def _last_problems(raw: pd.DataFrame) -> list[tuple[str, str]]:
    probs = _problems(raw)
    assert len(probs) == MAX_LISTED + 1  # 25 listed, then one "… and n more"
    return probs[-2:]


def test_more_than_25_long_problems_end_with_and_n_more() -> None:
    """26 years of 130600 (2000-2025): 26 non-numeric values; the same table twice: 26
    duplicate unit-year-variables (rows y - 2000 + 2 and + 28); the wide table twice: 26
    duplicate unit-years.  Each lists 25, then "… and 1 more …"."""
    years = list(range(2000, 2026))
    raw = pd.DataFrame(
        {"unit_code": ["130600"] * 26, "year": years, "variable": ["gdp"] * 26, "value": ["x"] * 26}
    )
    assert _last_problems(raw) == [
        ("value 'x' is not a number", "t.csv row 26, column 'value'"),
        ("… and 1 more non-numeric values", "t.csv"),
    ]
    raw = pd.DataFrame(
        {
            "unit_code": ["130600"] * 52,
            "year": years * 2,
            "variable": ["gdp"] * 52,
            "value": [1.0] * 52,
        }
    )
    assert _last_problems(raw) == [
        ("unit 130600, year 2024, variable 'gdp' appears 2 times (rows 26, 52); keep one", "t.csv"),
        ("… and 1 more duplicate unit-year-variables", "t.csv"),
    ]
    raw = pd.DataFrame({"unit_code": ["130600"] * 52, "year": years * 2, "gdp": [1.0] * 52})
    assert _last_problems(raw) == [
        (
            "unit 130600, year 2024 appears 2 times (rows 26, 52); keep one row per unit and year",
            "t.csv",
        ),
        ("… and 1 more duplicate unit-years", "t.csv"),
    ]


def test_duplicate_rows_list_the_first_five() -> None:
    """130600 in 2020 six times (rows 2-7): the message lists rows 2-6 and counts 6."""
    raw = pd.DataFrame({"unit_code": ["130600"] * 6, "year": [2020] * 6, "gdp": [1.0] * 6})
    assert _problems(raw) == [
        (
            "unit 130600, year 2020 appears 6 times (rows 2, 3, 4, 5, 6); keep one row per unit and year",
            "t.csv",
        )
    ]


def test_missing_value_markers_are_missing() -> None:
    """ "-" and "N/A" are missing values, not text: no problem, NaN."""
    raw = pd.DataFrame(
        {"unit_code": ["130600", "130700", "130900"], "year": [2020] * 3, "gdp": ["-", "N/A", "5"]}
    )
    assert tidy_dataset(raw).data["gdp"].fillna(-1).tolist() == [-1, -1, 5.0]


def test_codes_matched_from_names_are_text() -> None:
    """Names matched to codes give string codes (保定市 -> "130600"), as a code column does."""
    ds = tidy_dataset(pd.DataFrame({"unit_name": ["保定市"], "year": [2020], "gdp": [1.0]}))
    assert ds.data["unit_code"].tolist() == ["130600"]
    assert str(ds.data["unit_code"].dtype) == "string"


def test_header_unit_and_units_row_disagree() -> None:
    """gdp(万元) with 亿元 in the units row (a row without year): one problem on that column."""
    raw = pd.DataFrame(
        {"unit_code": ["", "130600"], "year": ["", "2020"], "gdp(万元)": ["亿元", "5"]}
    )
    assert _problems(raw) == [
        (
            "the header says '万元' but the units row says '亿元'; make them agree",
            "t.csv column 'gdp(万元)'",
        )
    ]


def test_line_breaks_in_csv_headers_are_removed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A header cell with a line break ("地区生产\r\n总值", as spreadsheets write wrapped text)
    is read as one name; runs of spaces become one."""
    from citycheckup.data.readers import read_table

    p = tmp_path / "h.csv"
    p.write_bytes('"地区生产\r\n总值","a   b"\n1,2\n'.encode())
    assert read_table(p).columns.tolist() == ["地区生产总值", "a b"]
