"""Survivors of mutation testing in :mod:`citycheckup.data.published` (issue 18).

Every problem found in the package table of 宜昌 2025 names the file and the line it is on
(header = line 1, so the row at position ``i`` of the parsed table is on line ``i + 2``).
"""

from __future__ import annotations

import io

import pandas as pd
import pytest

from citycheckup.data import published
from citycheckup.errors import DataError

WHERE = "citycheckup/data/yichang_2025.csv"


def _table() -> pd.DataFrame:
    return pd.read_csv(io.StringIO(published._raw()[0]), dtype=str, keep_default_na=False)


def test_bad_aspect_grade_names_its_line() -> None:
    """The first row with an aspect grade gets one that is not 优/良/中/差.

    Two problems, in order: the bad grade on that row's line (position i -> line i + 2), and
    the aspect now carrying two different grades (a whole-file problem: no line).
    """
    raw = _table()
    i = int(raw.index[raw["published_aspect_grade"] != ""][0])
    aspect, old = str(raw.loc[i, "aspect_zh"]), str(raw.loc[i, "published_aspect_grade"])
    raw.loc[i, "published_aspect_grade"] = "甲"
    with pytest.raises(DataError, match="reinstall citycheckup") as e:
        published._validated(raw.to_csv(index=False))
    assert [(p.message, p.where) for p in e.value.problems] == [
        ("published_aspect_grade '甲' is not one of 优, 良, 中, 差", f"{WHERE}, line {i + 2}"),
        (
            f"aspect {aspect} has several aspect grades ({', '.join(sorted([old, '甲']))}); "
            "annex 1 gives one per aspect",
            WHERE,
        ),
    ]


L = f"{WHERE}, line 7"  # the first indicator row is at position 5 of the table: line 5 + 2


@pytest.mark.parametrize(
    ("column", "value", "problems"),
    [
        ("kind", "indicatr",
         [("kind 'indicatr' is not one of indicator, denominator, followup, unmapped", L)]),
        ("level", "town",
         [("level 'town' is not one of housing, community, block, city for a indicator row", L)]),
        ("value", "x",  # not a number, hence also no value and no grade
         [("value 'x' or denominator_value '8302' is not a number", L),
          ("a row without a value must carry the grade the report gave", L)]),
        ("code", "", [("a indicator row needs a code", L)]),
        ("published_grade", "差劲",
         [("published_grade '差劲' is not one of 很好, 较好, 一般, 不足", L)]),
        ("year", "2023", [("year '2023': every figure is of the data year 2024", L)]),
        ("found_in", "", [("found_in is empty: every figure names where it was read", L)]),
    ],
)  # fmt: skip
def test_each_row_problem_names_its_line(
    column: str, value: str, problems: list[tuple[str, str]]
) -> None:
    """One cell of the first indicator row (buildings_structural_hazard = 42, housing level,
    denominator residential_buildings = 8302) damaged at a time: exactly the problems listed,
    each on line 7, and the error's headline counts them."""
    raw = _table()
    i = int(raw.index[raw["kind"] == "indicator"][0])
    assert (i, raw.loc[i, "code"], raw.loc[i, "value"]) == (5, "buildings_structural_hazard", "42")
    raw.loc[i, column] = value
    with pytest.raises(DataError) as e:
        published._validated(raw.to_csv(index=False))
    assert [(p.message, p.where) for p in e.value.problems] == problems
    assert str(e.value).startswith(
        f"{WHERE}: the package table of 宜昌 2025 has {len(problems)} problem(s); "
        "the package data is damaged: reinstall citycheckup"
    )


def test_damaged_header_message_in_full() -> None:
    raw = _table().rename(columns={"level": "lvl"})
    cols = list(raw.columns)
    expected = list(published.YICHANG_2025_COLUMNS)
    with pytest.raises(DataError) as e:
        published._validated(raw.to_csv(index=False))
    assert str(e.value) == (
        f"{WHERE}: columns {cols} differ from {expected}; "
        "the package data is damaged: reinstall citycheckup"
    )


def test_published_frames_have_their_documented_columns() -> None:
    """The three frames of ``yichang_2025_published()``: exactly these columns, rows numbered
    0 … n-1 (no left-over index column); 5 follow-up levels (4 levels and "all"), 43 graded
    items and 5 city aspects, as ``test_published_results`` counts them."""
    p = published.yichang_2025_published()
    expected = {
        "follow_up": (["unit_code", "year", "level", "denominator", "completed", "rate", "found_in"], 5),
        "grades": (["unit_code", "year", "item", "mohurd_id", "indicator", "name_zh", "value", "unit",
                    "grade", "grade_zh"], 43),
        "aspect_grades": (["unit_code", "year", "aspect_zh", "items", "grade", "grade_zh"], 5),
    }  # fmt: skip
    for name, (cols, n) in expected.items():
        frame = getattr(p, name)
        assert list(frame.columns) == cols, name
        assert frame.index.equals(pd.RangeIndex(n)), name


def test_denominators_are_the_registers_counted_over() -> None:
    """The register each count indicator was taken over, as the package table gives it (C-02:
    buildings with structural hazards out of the residential buildings; infant care counted
    by community)."""
    d = published.load_yichang_2025().denominators
    assert d["buildings_structural_hazard"] == "residential_buildings"
    assert d["compounds_without_infant_care"] == "communities"
    assert d["secondary_school_coverage"] == "block_residential_land_area"
    assert len(d) == 30


def test_aspect_grades_in_the_report_order() -> None:
    """Aspects in the order of annex 1 (items ascending), not in the order of their names."""
    a = published.yichang_2025_published().aspect_grades
    assert a["aspect_zh"].tolist() == [
        "生态宜居",
        "历史文化保护利用",
        "产城融合、职住平衡",
        "安全韧性",
        "智慧高效",
    ]
    assert a["grade_zh"].tolist() == ["中", "良", "良", "中", "良"]
    assert a["items"].iloc[1] == "42,43,44,45,46"


def test_follow_up_figures_are_numbers() -> None:
    """The follow-up rate of all levels: 28 of 46 problems completed, published as 61 (%)."""
    f = published.yichang_2025_published().follow_up
    assert f[["denominator", "completed", "rate"]].dtypes.tolist() == ["float64"] * 3
    row = f[f["level"] == "all"].iloc[0]
    assert (row["denominator"], row["completed"], row["rate"]) == (46.0, 28.0, 61.0)
