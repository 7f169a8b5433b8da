"""Readers: CSV/XLSX/Parquet, long and wide; every problem reported at once."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from citycheckup.data import read_dataset, tidy_dataset
from citycheckup.errors import DataError

WIDE = pd.DataFrame(
    {
        "城市": ["河北保定", "杭州市", "河北保定", "杭州市"],
        "年份": [2020, 2020, 2021, 2021],
        "pop_resident": [
            "1154.6",
            "1,196.5",
            "1160",
            "1,220.4",
        ],  # thousands separators as in yearbooks
        "students_higher [万人]": [12.5, 55.1, "13.0", "56.2"],
    }
)


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
    long = pd.DataFrame(
        {
            "unit_code": ["130600", "130600", "330100", "330100"],
            "year": [2020] * 4,
            "variable": ["pop_resident", "gdp", "pop_resident", "gdp"],
            "value": [1154.6, 37000000.0, 1196.5, 161000000.0],
            "unit_of_measure": ["万人", "万元", "万人", "万元"],
        }
    )
    path = tmp_path / "long.csv"
    long.to_csv(path, index=False)
    ds = read_dataset(path)
    assert set(ds.variables) == {"gdp", "pop_resident"}
    assert ds.units == {"pop_resident": "万人", "gdp": "万元"}
    assert ds.data.set_index("unit_code").loc["330100", "gdp"] == 161000000.0
    assert ds.data.set_index("unit_code").loc["330100", "unit_name"] == "杭州市"


def test_all_problems_reported_together(tmp_path: Path) -> None:
    bad = pd.DataFrame(
        {
            "unit_code": ["130600", "130600", "330100", ""],
            "year": ["2020", "2020", "20x1", "2020"],
            "gdp": ["1", "2", "abc", "4"],
        }
    )
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
    long = pd.DataFrame(
        {
            "unit_code": ["a", "a", "b"],
            "year": [1, 1, 1],
            "variable": ["x", "x", "x"],
            "value": [1, 2, 3],
            "unit_of_measure": ["万人", "万人", "人"],
        }
    )
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


# -- files as people have them (issue 10 item 5) -------------------------------------------------

FILES = Path(__file__).parent / "files"


@pytest.fixture(scope="module")
def ufw():
    from citycheckup.framework import load_framework

    return load_framework(FILES / "units_framework.yaml")


def _conv(ds) -> dict[str, tuple[str, str | None, str, float]]:
    return {
        c["column"]: (c["code"], c["from_unit"], c["to_unit"], c["factor"]) for c in ds.conversions
    }


def test_yearbook_headers_with_units_are_recognised_and_converted(ufw) -> None:
    ds = read_dataset(FILES / "yearbook_wide.csv", framework=ufw)
    assert ds.variables == ["gdp", "pop_resident", "share_tertiary", "land_area"]
    # 4100.5 亿元 = 41,005,000 万元; 51.2 % = 0.512; 平方公里 is km² (no change)
    assert ds.data.set_index("unit_code").loc["130600", "gdp"] == 41_005_000.0
    assert ds.data.set_index("unit_code").loc["130600", "pop_resident"] == 1154.5
    assert ds.data.set_index("unit_code").loc["130600", "share_tertiary"] == 51.2 / 100
    assert ds.data.set_index("unit_code").loc["130600", "land_area"] == 22190.0
    assert _conv(ds) == {
        "地区生产总值(亿元)": ("gdp", "亿元", "万元", 10_000.0),
        "常住人口（万人）": ("pop_resident", "万人", "万人", 1.0),
        "第三产业比重 [%]": ("share_tertiary", "%", "fraction (0–1)", 0.01),
        "行政区域土地面积(平方公里)": ("land_area", "平方公里", "km²", 1.0),
    }
    assert ds.units == {
        "gdp": "万元",
        "pop_resident": "万人",
        "share_tertiary": "fraction (0–1)",
        "land_area": "km²",
    }


@pytest.mark.parametrize(
    ("header", "value", "expected"),
    [
        ("地区生产总值(万元)", 5.0, 5.0),
        ("地区生产总值（万元）", 5.0, 5.0),
        ("地区生产总值(亿元)", 5.0, 50_000.0),
        ("地区生产总值 （ 亿元 ）", 5.0, 50_000.0),
        ("地区生产\n总值(亿元)", 5.0, 50_000.0),
        ("GDP [亿元]", 5.0, 50_000.0),
        ("gdp (10k yuan)", 5.0, 5.0),
        ("Gross Regional Product (元)", 50_000.0, 5.0),
        ("生产总值（单位：亿元）", 5.0, 50_000.0),
        ("地区生产总值(当年价，亿元)", 5.0, 50_000.0),
        ("全市地区生产总值", 5.0, 5.0),
        ("GDP", 5.0, 5.0),
        ("gdp", 5.0, 5.0),
    ],
)
def test_header_variants(ufw, header: str, value: float, expected: float) -> None:
    raw = pd.DataFrame({"unit_code": ["130600"], "year": [2022], header: [value]})
    ds = tidy_dataset(raw, framework=ufw)
    assert ds.variables == ["gdp"]
    assert ds.data["gdp"].iloc[0] == expected


@pytest.mark.parametrize(
    "header",
    [
        "常住人口",
        "年末常住人口",
        "常住人口数",
        "Resident population",
        "resident  POPULATION",
        "Pop_Resident",
        "常住人口（万人）",
        "常住\n人口",
    ],
)
def test_name_zh_name_en_and_aliases(ufw, header: str) -> None:
    raw = pd.DataFrame({"unit_code": ["130600"], "year": [2022], header: [1154.5]})
    ds = tidy_dataset(raw, framework=ufw)
    assert ds.variables == ["pop_resident"]
    assert ds.data["pop_resident"].iloc[0] == 1154.5


def test_bracket_in_a_name_is_not_a_unit(ufw) -> None:
    """地区生产总值增长率（名义） is the indicator's name, brackets included."""
    raw = pd.DataFrame(
        {"unit_code": ["130600"], "year": [2022], "地区生产总值增长率（名义）": [-1.5]}
    )
    ds = tidy_dataset(raw, framework=ufw)
    assert ds.variables == ["gdp_growth"] and ds.data["gdp_growth"].iloc[0] == -1.5
    assert "gdp_growth" not in ds.units


def test_without_framework_headers_keep_their_names() -> None:
    raw = pd.DataFrame(
        {"unit_code": ["130600"], "year": [2022], "地区生产总值(亿元)": [5.0], "x（名义）": [1.0]}
    )
    ds = tidy_dataset(raw)
    assert ds.variables == ["地区生产总值", "x（名义）"]
    assert ds.units == {"地区生产总值": "亿元"} and ds.data["地区生产总值"].iloc[0] == 5.0
    assert ds.conversions == []


def test_incompatible_unit_names_column_and_both_units(ufw) -> None:
    raw = pd.DataFrame({"unit_code": ["130600"], "year": [2022], "地区生产总值(万人)": [5.0]})
    with pytest.raises(DataError) as info:
        tidy_dataset(raw, source="t.csv", framework=ufw)
    assert [str(p) for p in info.value.problems] == [
        "t.csv column '地区生产总值(万人)': gdp: unit '万人' (persons) cannot be "
        "converted to '万元' (money); the column measures something else than the framework's variable, or its "
        "unit is written wrongly: fix the header or the column"
    ]


def test_unknown_unit_in_square_brackets_is_an_error(ufw) -> None:
    raw = pd.DataFrame({"unit_code": ["130600"], "year": [2022], "GDP [bn RMB]": [5.0]})
    with pytest.raises(
        DataError,
        match=r"header 'GDP \[bn RMB\]': 'bn RMB' is not a known unit; write the unit "
        r"of gdp \(地区生产总值\) as e.g. 万元",
    ):
        tidy_dataset(raw, framework=ufw)


def test_two_headers_for_one_code(ufw) -> None:
    raw = pd.DataFrame(
        {"unit_code": ["130600"], "year": [2022], "GDP": [5.0], "地区生产总值(亿元)": [6.0]}
    )
    with pytest.raises(
        DataError, match=r"columns 'GDP' and '地区生产总值\(亿元\)' both give gdp; keep one"
    ):
        tidy_dataset(raw, framework=ufw)


def test_ambiguous_header() -> None:
    from citycheckup.framework.models import Framework

    fw = Framework.model_validate(
        {
            "code": "amb",
            "name_zh": "歧义",
            "name_en": "Ambiguous",
            "variables": [
                {"code": "a", "name_zh": "人口", "name_en": "A", "unit": "万人"},
                {"code": "b", "name_zh": "人口", "name_en": "B", "unit": "万人"},
            ],
            "dimensions": [
                {
                    "code": "d",
                    "name_zh": "维",
                    "name_en": "D",
                    "indicators": [
                        {
                            "code": "i",
                            "name_zh": "指标",
                            "name_en": "I",
                            "unit": "%",
                            "direction": 1,
                            "level": "city",
                            "formula": "a / b * 100",
                        }
                    ],
                }
            ],
        }
    )
    raw = pd.DataFrame({"unit_code": ["130600"], "year": [2022], "人口": [5.0]})
    with pytest.raises(
        DataError, match=r"header '人口' could mean a \(人口\) or b \(人口\); rename the column"
    ):
        tidy_dataset(raw, framework=fw)


UNITS_ROW = [
    ["城市代码", "年份", "地区生产总值", "常住人口", "第三产业增加值占GDP比重"],
    ["单位", None, "亿元", "万人", "%"],
    ["130600", 2022, 4100.5, 1154.5, 51.2],
    ["330100", 2022, 18753.0, 1237.6, 67.9],
    ["420500", 2022, 5502.7, 391.2, 39.8],
]


def _write_xlsx(path: Path, rows: list[list[object]]) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    wb.save(path)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_units_row_is_read_and_dropped(ufw, tmp_path: Path, kind: str) -> None:
    if kind == "csv":
        path = FILES / "units_row.csv"
    else:
        path = tmp_path / "units_row.xlsx"
        _write_xlsx(path, UNITS_ROW)
    ds = read_dataset(path, framework=ufw)
    assert ds.data["unit_code"].tolist() == ["130600", "330100", "420500"]
    assert ds.years == [2022]
    assert ds.data["gdp"].tolist() == [41_005_000.0, 187_530_000.0, 55_027_000.0]
    assert ds.data["share_tertiary"].tolist() == [51.2 / 100, 67.9 / 100, 39.8 / 100]
    assert _conv(ds)["地区生产总值"] == ("gdp", "亿元", "万元", 10_000.0)
    assert _conv(ds)["第三产业增加值占GDP比重"] == ("share_tertiary", "%", "fraction (0–1)", 0.01)
    # without a framework the units are kept as written, and the row is still no city
    plain = read_dataset(path)
    assert plain.units == {
        "地区生产总值": "亿元",
        "常住人口": "万人",
        "第三产业增加值占GDP比重": "%",
    }
    assert len(plain.data) == 3 and plain.data["地区生产总值"].tolist() == [4100.5, 18753.0, 5502.7]


def test_units_row_row_numbers_stay_file_rows(ufw, tmp_path: Path) -> None:
    rows = [r[:] for r in UNITS_ROW]
    rows[3][2] = "n/a?"
    path = tmp_path / "bad.xlsx"
    _write_xlsx(path, rows)
    with pytest.raises(DataError) as info:
        read_dataset(path, framework=ufw)
    assert [p.where for p in info.value.problems] == [f"{path} row 4, column '地区生产总值'"]


def test_units_row_in_long_format(ufw) -> None:
    raw = pd.DataFrame(
        {
            "unit_code": ["", "130600", "330100"],
            "year": ["", "2022", "2022"],
            "指标": ["", "地区生产总值", "地区生产总值"],
            "数值": ["亿元", "4100.5", "18753"],
        }
    )
    ds = tidy_dataset(raw, framework=ufw)
    assert ds.data["gdp"].tolist() == [41_005_000.0, 187_530_000.0]
    assert _conv(ds)["地区生产总值"] == ("gdp", "亿元", "万元", 10_000.0)


def test_header_and_units_row_must_agree(ufw) -> None:
    raw = pd.DataFrame(
        {"unit_code": ["", "130600"], "year": ["", "2022"], "地区生产总值(万元)": ["亿元", "5"]}
    )
    with pytest.raises(
        DataError, match=r"the header says '万元' but the units row says '亿元'; make them agree"
    ):
        tidy_dataset(raw, framework=ufw)


def test_a_row_that_is_not_a_units_row_gives_no_nan_or_na(tmp_path: Path) -> None:
    """A note row with unknown units: reported by row and column, never as city '<NA>' or year nan."""
    rows = [["城市", "年份", "pop_resident"], [None, None, "见附注"], ["保定市", 2022, 1154.5]]
    path = tmp_path / "note.xlsx"
    _write_xlsx(path, rows)
    with pytest.raises(DataError) as info:
        read_dataset(path)
    text = str(info.value)
    assert "nan" not in text.lower().replace("unit name", "") and "<NA>" not in text
    assert [str(p) for p in info.value.problems] == [
        f"{path} row 2: empty unit name in column '城市'; fill in the city's name or delete the row",
        f"{path} row 2, column '年份': year is empty",
        f"{path} row 2, column 'pop_resident': value '见附注' is not a number",
    ]


def test_long_format_mixed_units_are_converted_per_row(ufw) -> None:
    ds = read_dataset(FILES / "long_mixed_units.csv", framework=ufw)
    d = ds.data.set_index("unit_code")
    assert d.loc["130600", "gdp"] == 41_005_000.0 and d.loc["330100", "gdp"] == 187_530_000.0
    assert d.loc["130600", "pop_resident"] == 1154.5 and d.loc["330100", "pop_resident"] == 1237.6
    assert {(c["column"], c["from_unit"], c["factor"], c["rows"]) for c in ds.conversions} == {
        ("地区生产总值", "亿元", 10_000.0, 1),
        ("地区生产总值", "万元", 1.0, 1),
        ("常住人口", "万人", 1.0, 1),
        ("常住人口", "人", 0.0001, 1),
    }
    # without the framework mixed units stay an error
    with pytest.raises(DataError, match=r"given in several units \(万元, 亿元\); convert to one"):
        read_dataset(FILES / "long_mixed_units.csv")


def test_long_unit_column_and_name_must_agree(ufw) -> None:
    raw = pd.DataFrame(
        {
            "unit_code": ["130600"],
            "year": [2022],
            "variable": ["地区生产总值(万元)"],
            "value": [5.0],
            "unit_of_measure": ["亿元"],
        }
    )
    with pytest.raises(
        DataError,
        match=r"variable '地区生产总值\(万元\)' states '万元' but column 'unit_of_measure' "
        r"says '亿元'; make them agree",
    ):
        tidy_dataset(raw, framework=ufw)


def test_error_lists_end_with_and_n_more() -> None:
    # 29 bad cells of 60: still a numeric column (a mostly-text column would be a descriptor)
    raw = pd.DataFrame(
        {
            "unit_code": [f"u{i}" for i in range(60)],
            "year": [2022] * 60,
            "x": ["abc"] * 29 + ["1"] * 31,
        }
    )
    with pytest.raises(DataError) as info:
        tidy_dataset(raw, source="t.csv")
    probs = info.value.problems
    assert len(probs) == 26
    assert probs[-1].message == "… and 4 more non-numeric cells in column 'x'"
    raw = pd.DataFrame(
        {
            "unit_code": [f"a/{i}" for i in range(27)] + [""] * 27,
            "year": [2022] * 54,
            "x": [1.0] * 54,
        }
    )
    with pytest.raises(DataError) as info:
        tidy_dataset(raw, source="t.csv")
    msgs = [p.message for p in info.value.problems]
    assert "… and 2 more empty unit codes" in msgs and "… and 2 more unsafe unit codes" in msgs
    assert len(msgs) == 2 * 26


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("x/../../PWNED", "contains '/' (a path separator)"),
        ("..", "contains '..'"),
        ("a..b", "contains '..'"),
        (".hidden", "starts with '.'"),
        ("a\x00b", "contains the control character U+0000"),
        ("a\nb", "contains the control character U+000A"),
        ("a\\b", "contains '\\\\' (a path separator)"),
        ("C:x", "contains ':'"),
        ("a b", "contains a space"),
        ("a\u202eb", "contains the control character U+202E"),
        ("x" * 65, "has 65 characters (at most 64)"),
    ],
)
def test_unsafe_unit_codes_are_rejected(code: str, why: str) -> None:
    from citycheckup.data import unit_code_problem

    assert unit_code_problem(code) == why
    raw = pd.DataFrame({"unit_code": ["130600", code], "year": [2022, 2022], "x": [1.0, 2.0]})
    with pytest.raises(DataError) as info:
        tidy_dataset(raw, source="t.csv")
    (p,) = info.value.problems
    assert p.where == "t.csv row 3, column 'unit_code'"
    assert p.message.startswith(
        f"unit code {code!r} is not allowed: it {why}; a unit code may hold letters, digits"
    )


@pytest.mark.parametrize(
    "code", ["130600", "ALL", "中心城区", "g_012", "R001C002", "Töölö", "a-b.c", "x" * 64]
)
def test_safe_unit_codes_pass(code: str) -> None:
    from citycheckup.data import unit_code_problem

    assert unit_code_problem(code) is None
    ds = tidy_dataset(
        pd.DataFrame({"unit_code": ["u1", code], "year": [2022, 2022], "x": [1.0, 2.0]})
    )
    assert (
        code in ds.data["unit_code"].tolist() or code == "ALL"
    )  # the ALL total row is dropped, not refused


def test_unsafe_names_used_as_codes_are_rejected() -> None:
    raw = pd.DataFrame({"unit_name": ["Kallio", "../etc"], "year": [2022, 2022], "x": [1.0, 2.0]})
    with pytest.raises(
        DataError, match=r"t.csv row 3, column 'unit_name': unit code '../etc' is not allowed"
    ):
        tidy_dataset(raw, source="t.csv", match_names=False)


# -- the data-collection template accepts negative values where they mean something ------------------


def _fill_template(path: Path, values: dict[str, object]) -> None:
    from openpyxl import load_workbook

    from citycheckup.report.template import FIRST_ROW

    wb = load_workbook(path)
    for ws in wb.worksheets[1:]:
        for r in range(FIRST_ROW, ws.max_row + 1):
            code = ws.cell(row=r, column=1).value
            if code in values:
                ws.cell(row=r, column=4, value=values[code])
    wb.save(path)


def test_template_accepts_negative_growth_and_refuses_below_min(ufw, tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    from citycheckup.report.template import read_template, template_bounds, write_template

    bounds = {i.code: template_bounds(i) for i in ufw.indicators}
    assert bounds["resident_population_growth"] == (None, None)  # growth(): may be negative
    assert bounds["gdp_growth"] == (None, None)
    assert bounds["rent_increase"] == (None, 100.0)  # a % without min may be negative
    assert bounds["green_coverage"] == (0.0, 100.0)
    assert bounds["population_density"] == (0.0, None)
    path = write_template(
        ufw,
        "420500",
        2025,
        tmp_path / "t.xlsx",
        unit_name="宜昌市",
        last_values={"resident_population_growth": -0.8, "gdp_growth": -2.0},
    )
    # just below the minimum is refused, at it is accepted
    _fill_template(
        path,
        {
            "resident_population_growth": -1.2,
            "gdp_growth": -3.5,
            "rent_increase": -2.0,
            "green_coverage": -1e-9,
            "population_density": -0.1,
        },
    )
    with pytest.raises(DataError) as info:
        read_template(path, framework=ufw)
    assert sorted(p.message for p in info.value.problems) == [
        "green_coverage: -1e-09 is below the allowed minimum 0",
        "population_density: -0.1 is below the allowed minimum 0",
    ]
    _fill_template(path, {"green_coverage": 0.0, "population_density": 0.0})
    ds = read_template(path, framework=ufw)
    row = ds.data.set_index("year").loc[2025]
    assert (row["resident_population_growth"], row["gdp_growth"], row["rent_increase"]) == (
        -1.2,
        -3.5,
        -2.0,
    )
    # last year's values (prefilled, negative) come back as the previous year
    prev = ds.data.set_index("year").loc[2024]
    assert (prev["resident_population_growth"], prev["gdp_growth"]) == (-0.8, -2.0)
    # and the run's checks agree: no negative change is an error
    assert check_all_ok(ds, ufw)


def check_all_ok(ds, fw) -> bool:
    from citycheckup.data import check_all

    rep = check_all(ds, fw).report
    return rep.ok and not [f for f in rep.findings if f.rule == "impossible-value"]


def test_builtin_template_prefilled_negative_growth_reads_back(tmp_path: Path) -> None:
    """The issue's case: the workbook's own previous-year value is negative; a negative new value is accepted."""
    pytest.importorskip("openpyxl")
    from citycheckup.framework import load_framework
    from citycheckup.report.template import read_template, write_template

    fw = load_framework("people-city-2025")
    path = write_template(
        fw,
        "130600",
        2024,
        tmp_path / "t.xlsx",
        unit_name="保定市",
        last_values={"resident_population_growth": -0.37},
    )
    _fill_template(path, {"resident_population_growth": -0.52})
    ds = read_template(path, framework=fw)
    growth = ds.data.set_index("year")["resident_population_growth"]
    assert growth[2024] == -0.52 and growth[2023] == -0.37


def test_merge_keeps_the_conversions_of_each_file(ufw) -> None:
    from citycheckup.data.merge import merge_datasets

    a = read_dataset(FILES / "gdp_in_yiyuan.csv", framework=ufw)
    b = tidy_dataset(
        pd.DataFrame(
            {"unit_code": ["130600"], "year": [2022], "土地面积": [1.0], "第三产业比重(%)": [51.2]}
        ),
        source="b.csv",
        framework=ufw,
    )
    merged = merge_datasets([a, b])
    assert [(c["source"], c["column"], c["factor"]) for c in merged.conversions] == [
        (str(FILES / "gdp_in_yiyuan.csv"), "地区生产总值", 1.0),
        (str(FILES / "gdp_in_yiyuan.csv"), "常住人口", 1.0),
        ("b.csv", "第三产业比重(%)", 0.01),
    ]
