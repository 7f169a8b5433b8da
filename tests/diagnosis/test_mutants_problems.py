"""Problem lists and renewal projects on synthetic inputs (issue 18: boundaries and mutants).

The remediation mapping here is synthetic (made-up codes ``cov``, ``cov2``, ``leak``, texts
``测试…``), so the expected rows follow from the rules alone:

- ``problems_from_spatial``: a district is a problem when its coverage is *below* the mapping's
  ``standard`` (at the standard is not); homes at most ``distance_m`` away are served (at the
  distance is served); the located count is the summed ``weight`` of the homes not served by
  any alternative (1 per home without a weight column), rounded; without homes the count is
  the shortfall in percentage points, rounded to 0.1;
- ``problems_from_table``: every bad row is reported at once, row numbers count the header as
  row 1;
- ``problem_list``: 限时解决 first, then level housing < community < block < city, district,
  indicator, location; ids P0001…;
- ``renewal_projects``: one project per district and measure, 限时解决 when any of its
  problems is; ids R001….
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from citycheckup.diagnosis.problems import (
    PROBLEM_COLUMNS,
    PROJECT_COLUMNS,
    problem_list,
    problems_from_spatial,
    problems_from_table,
    renewal_projects,
)
from citycheckup.errors import DataError
from citycheckup.framework import Framework


def _entry(tag: str, remediation: str, **extra: Any) -> dict[str, Any]:
    return {"category_zh": f"类{tag}", "category_en": f"cat {tag}", "measure_zh": f"措施{tag}",
            "measure_en": f"measure {tag}", "remediation": remediation,
            "department_zh": f"部门{tag}", "department_en": f"dept {tag}", **extra}  # fmt: skip


def _mapping() -> dict[str, Any]:
    return {
        "default": _entry("D", "best_effort"),
        "indicators": {
            "cov": _entry("C", "best_effort", standard=90,
                          homes={"column": "d_m", "distance_m": 500}),
            "cov2": _entry("C", "best_effort", standard=80,
                           homes=[{"column": "a_m", "distance_m": 300},
                                  {"column": "b_m", "distance_m": 1000},
                                  {"column": "absent_m", "distance_m": 99999}]),
            "bare": _entry("B", "best_effort", standard=50),
            "leak": _entry("L", "time_limited"),
        },
    }  # fmt: skip


# -- problems_from_spatial ------------------------------------------------------------------------


def test_spatial_standard_boundary_and_counts_without_homes() -> None:
    # standard 90: 90 (at) is not a problem, 89.9 (just below) is, 90.1 (above) is not;
    # standard 50: 12.34 -> 37.66 points below -> 37.7 after rounding to 0.1
    ind = pd.DataFrame({"district": ["at", "below", "above", "ALL"],
                        "cov": [90.0, 89.9, 90.1, 1.0], "bare": [50.0, 12.34, np.nan, 1.0]})  # fmt: skip
    p = problems_from_spatial(ind, mapping=_mapping())
    assert p[["indicator", "district", "location", "count", "count_unit", "value",
              "standard"]].values.tolist() == [
        ["cov", "below", "below", 0.1, "pp below standard", 89.9, 90.0],  # 90 - 89.9 -> 0.1
        ["bare", "below", "below", 37.7, "pp below standard", 12.34, 50.0],
    ]  # fmt: skip
    assert p["description"].tolist() == ["cov 89.9 % < 90 %", "bare 12.3 % < 50 %"]
    assert set(p["source"]) == {"spatial"}


def test_spatial_homes_at_the_distance_are_served() -> None:
    # district D (cov 70 < 90): homes at 499, 500 (served: <= 500), 501, unreachable (NaN)
    # with weights 1, 2, 4, 8 -> not served 4 + 8 = 12 persons; district E's homes do not count
    ind = pd.DataFrame({"district": ["D"], "cov": [70.0]})
    homes = pd.DataFrame({"district": ["D", "D", "D", "D", "E"],
                          "weight": [1.0, 2.0, 4.0, 8.0, 100.0],
                          "d_m": [499.0, 500.0, 501.0, np.nan, 900.0]})  # fmt: skip
    p = problems_from_spatial(ind, homes=homes, mapping=_mapping())
    assert p[["count", "count_unit"]].values.tolist() == [[12.0, "persons"]]
    # without a weight column every home counts 1: 501 and NaN -> 2 homes
    p1 = problems_from_spatial(ind, homes=homes.drop(columns="weight"), mapping=_mapping())
    assert p1["count"].tolist() == [2.0]
    # weights are rounded to whole persons: 2.4 + 0.4 = 2.8 -> 3
    p2 = problems_from_spatial(ind, homes=homes.assign(weight=[9, 9, 2.4, 0.4, 9]),
                               mapping=_mapping())  # fmt: skip
    assert p2["count"].tolist() == [3.0]


def test_spatial_any_alternative_serves_a_home() -> None:
    # cov2 (standard 80), district D at 50: alternatives a_m <= 300 or b_m <= 1000 (absent_m is
    # not a column and is skipped). Homes: (300, 5000) served by a; (400, 1000) served by b;
    # (301, 1001) not served; (NaN, NaN) not served -> weights 4 + 8 = 12
    ind = pd.DataFrame({"district": ["D"], "cov2": [50.0]})
    homes = pd.DataFrame({"district": "D", "weight": [1.0, 2.0, 4.0, 8.0],
                          "a_m": [300.0, 400.0, 301.0, np.nan],
                          "b_m": [5000.0, 1000.0, 1001.0, np.nan]})  # fmt: skip
    p = problems_from_spatial(ind, homes=homes, mapping=_mapping())
    assert p[["count", "count_unit"]].values.tolist() == [[12.0, "persons"]]
    # homes without any of the distance columns: the shortfall in points instead (80 - 50)
    p0 = problems_from_spatial(ind, homes=homes[["district", "weight"]], mapping=_mapping())
    assert p0[["count", "count_unit"]].values.tolist() == [[30.0, "pp below standard"]]


def test_spatial_inputs_from_files_and_the_district_column(tmp_path: Path) -> None:
    f = tmp_path / "indicators.csv"
    pd.DataFrame({"district": ["D"], "cov": [70.0]}).to_csv(f, index=False)
    assert problems_from_spatial(f, mapping=_mapping())["count"].tolist() == [20.0]
    assert problems_from_spatial(str(f), mapping=_mapping())["district"].tolist() == ["D"]
    with pytest.raises(DataError) as info:
        problems_from_spatial(pd.DataFrame({"street": ["D"], "cov": [1.0]}), mapping=_mapping())
    assert str(info.value) == (
        "spatial indicators need a 'district' column (the indicators.csv of a spatial run)"
    )
    empty = problems_from_spatial(pd.DataFrame({"district": ["D"], "cov": [95.0]}),
                                  mapping=_mapping())  # fmt: skip
    assert empty.empty and list(empty.columns) == ["source", "indicator", "district", "location",
                                                   "count", "count_unit", "value", "standard",
                                                   "description"]  # fmt: skip


# -- problems_from_table --------------------------------------------------------------------------


def test_problem_table_columns_aliases_and_defaults() -> None:
    t = pd.DataFrame({" Indicator_Code ": ["leak ", "cov"], "Address": ["A栋", 12],
                      "unit_code": [420500, 110000]})  # fmt: skip
    p = problems_from_table(t)
    # aliases match case- and space-insensitively; the code is stripped; count defaults to 1;
    # no district / description columns -> ""; the location becomes text; unit_code is kept
    assert p[["source", "indicator", "district", "location", "count", "description",
              "unit_code"]].values.tolist() == [
        ["table", "leak", "", "A栋", 1, "", "420500"],
        ["table", "cov", "", "12", 1, "", "110000"],
    ]  # fmt: skip
    assert p["count_unit"].tolist() == ["", ""] and p["value"].isna().all()
    assert p["standard"].isna().all()


def test_problem_table_from_a_file_names_the_file(tmp_path: Path) -> None:
    f = tmp_path / "problems.csv"
    pd.DataFrame({"指标代码": ["leak", "leak"], "街道": ["S1", "S2"], "位置": ["A", "B"],
                  "数量": [3, 0], "备注": ["x", "y"]}).to_csv(f, index=False)  # fmt: skip
    p = problems_from_table(f, known={"leak"})
    assert p[["district", "location", "count", "description"]].values.tolist() == [
        ["S1", "A", 3, "x"],
        ["S2", "B", 0, "y"],
    ]  # count 0 is allowed
    with pytest.raises(DataError) as info:
        problems_from_table(f, known={"cov"})
    err = info.value
    assert err.headline == f"{f}: 2 invalid problem row(s)"
    assert [(p.where, p.message) for p in err.problems] == [
        (f"{f} row 2", "unknown indicator code 'leak'; use a code of the framework or of the "
                       "remediation mapping"),
        (f"{f} row 3", "unknown indicator code 'leak'; use a code of the framework or of the "
                       "remediation mapping"),
    ]  # fmt: skip


def test_problem_table_bad_rows_all_reported() -> None:
    t = pd.DataFrame({"indicator": ["leak", "leak", "leak"], "location": ["A", None, " "],
                      "count": [-1, 2, "lots"]})  # fmt: skip
    with pytest.raises(DataError) as info:
        problems_from_table(t)
    assert [(p.where, p.message) for p in info.value.problems] == [
        ("problem table row 2", "count -1 is not a non-negative number"),
        ("problem table row 3", "location is empty; give the building, compound or street"),
        ("problem table row 4", "location is empty; give the building, compound or street"),
        ("problem table row 4", "count 'lots' is not a non-negative number"),
    ]  # fmt: skip
    with pytest.raises(DataError) as info:
        problems_from_table(pd.DataFrame({"indicator": ["x"], "street": ["s"]}))
    assert str(info.value) == (
        "problem table: a problem table needs columns 'indicator' (code) and 'location'; it has "
        "indicator, street"
    )


# -- problem_list and renewal_projects -------------------------------------------------------------


def _fw() -> Framework:
    """cov: block level; share: housing level, formula hazard / total with denominator total
    (so the variable ``hazard`` is a housing problem type named by its variable entry)."""

    def ind(code: str, level: str, **kw: Any) -> dict[str, Any]:
        return {"code": code, "name_zh": f"指标{code}", "name_en": f"ind {code}", "unit": "%",
                "direction": -1, "level": level, **kw}  # fmt: skip

    return Framework.model_validate({
        "code": "t", "name_zh": "测试", "name_en": "test",
        "dimensions": [{"code": "d", "name_zh": "维", "name_en": "dim", "indicators": [
            ind("cov", "block"), ind("comm", "community"),
            ind("share", "housing", formula="hazard / total * 100", denominator="total"),
        ]}],
        "variables": [{"code": "hazard", "name_zh": "隐患房屋", "name_en": "hazardous dwellings",
                       "unit": "栋"}],
    })  # fmt: skip


def _problems() -> pd.DataFrame:
    return pd.DataFrame({
        "source": "table",
        "indicator": ["cov", "comm", "hazard", "cov", "leak", "cov"],
        "district": ["S2", "S1", "S2", "S1", "S1", "S1"],
        "location": ["z", "y", "x", "b", "w", "a"],
        "count": [1, 2, 3, 4, 5, 6],
        "count_unit": ["", "", "", "户", "", ""],
        "value": np.nan, "standard": np.nan, "description": "",
    })  # fmt: skip


def test_problem_list_order_levels_names_and_ids() -> None:
    pl = problem_list(_problems(), _fw(), mapping=_mapping())
    # leak is 限时解决 -> first; then housing (hazard, via the share it is the numerator of),
    # community (comm), block (cov: S1 a, S1 b, S2 z); leak is in no framework -> block
    assert pl[["problem_id", "indicator", "level", "district", "location"]].values.tolist() == [
        ["P0001", "leak", "block", "S1", "w"],
        ["P0002", "hazard", "housing", "S2", "x"],
        ["P0003", "comm", "community", "S1", "y"],
        ["P0004", "cov", "block", "S1", "a"],
        ["P0005", "cov", "block", "S1", "b"],
        ["P0006", "cov", "block", "S2", "z"],
    ]  # fmt: skip
    row = pl.set_index("indicator")
    # names: indicator names, the variable's own names for hazard, the code for unknown leak
    assert row.loc["comm", ["name_zh", "name_en"]].tolist() == ["指标comm", "ind comm"]
    assert row.loc["hazard", ["name_zh", "name_en", "count_unit"]].tolist() == [
        "隐患房屋", "hazardous dwellings", "栋"]  # fmt: skip
    assert row.loc["leak", ["name_zh", "name_en", "count_unit"]].tolist() == ["leak", "leak", ""]
    # a given count unit wins over the indicator's unit
    assert pl.loc[pl["location"] == "b", "count_unit"].item() == "户"
    assert pl.loc[pl["location"] == "a", "count_unit"].item() == "%"
    # remediation fields from the mapping (hazard is not in it: the default entry)
    assert row.loc["leak", ["remediation", "remediation_zh", "measure_zh", "department_en"]
                   ].tolist() == ["time_limited", "限时解决", "措施L", "dept L"]  # fmt: skip
    assert row.loc["hazard", ["remediation", "remediation_zh", "category_zh"]].tolist() == [
        "best_effort", "尽力解决", "类D"]  # fmt: skip
    assert list(pl.columns) == PROBLEM_COLUMNS


def test_problem_list_without_framework_and_with_unit_codes() -> None:
    p = _problems().assign(unit_code=["1", "1", "2", "2", "1", "2"])
    pl = problem_list([p, None, p.iloc[:0]], mapping=_mapping())  # type: ignore[list-item]
    # no framework: every problem is block level, named by its code
    assert set(pl["level"]) == {"block"} and (pl["name_zh"] == pl["indicator"]).all()
    assert list(pl.columns) == [*PROBLEM_COLUMNS, "unit_code"]
    assert pl["problem_id"].iloc[0] == "P0001" and pl["indicator"].iloc[0] == "leak"
    assert pl.loc[pl["location"] == "x", "unit_code"].item() == "2"
    empty = problem_list([pd.DataFrame()], mapping=_mapping())
    assert empty.empty and list(empty.columns) == PROBLEM_COLUMNS


def test_renewal_projects_group_by_district_and_measure() -> None:
    pl = problem_list(_problems(), _fw(), mapping=_mapping())
    proj = renewal_projects(pl)
    # (S1, 措施L) is 限时解决 -> R001; then by district and name: S1 措施C (cov a, b),
    # S1 措施D (comm), S2 措施C (cov z), S2 措施D (hazard)
    assert proj[["project_id", "district", "name_zh", "remediation", "n_problems",
                 "problem_ids", "locations"]].values.tolist() == [
        ["R001", "S1", "S1措施L", "time_limited", 1, "P0001", "w"],
        ["R002", "S1", "S1措施C", "best_effort", 2, "P0004, P0005", "a、b"],
        ["R003", "S1", "S1措施D", "best_effort", 1, "P0003", "y"],
        ["R004", "S2", "S2措施C", "best_effort", 1, "P0006", "z"],
        ["R005", "S2", "S2措施D", "best_effort", 1, "P0002", "x"],
    ]  # fmt: skip
    r1 = proj.iloc[0]
    assert (r1["name_en"], r1["remediation_zh"], r1["category_zh"], r1["category_en"]) == (
        "measure L — S1",
        "限时解决",
        "类L",
        "cat L",
    )
    assert (r1["department_zh"], r1["department_en"], r1["indicators"]) == (
        "部门L",
        "dept L",
        "leak",
    )
    assert proj.iloc[1]["remediation_zh"] == "尽力解决"
    assert list(proj.columns) == PROJECT_COLUMNS
    assert list(renewal_projects(pl.iloc[:0]).columns) == PROJECT_COLUMNS


def test_renewal_project_mixes_remediation_and_lists_ten_locations() -> None:
    # one district-less project of 12 problems with the same measure; one of them 限时解决 makes
    # the project 限时解决; departments and indicators are listed once each, locations 10 + "+2"
    n = 12
    pl = pd.DataFrame({
        "problem_id": [f"P{i:04d}" for i in range(1, n + 1)], "district": "",
        "measure_zh": "措施", "measure_en": "measure", "category_zh": "类", "category_en": "cat",
        "remediation": ["best_effort"] * (n - 1) + ["time_limited"],
        "department_zh": ["甲", "乙"] * (n // 2), "department_en": ["A", "B"] * (n // 2),
        "indicator": ["i1", "i2", "i1"] * (n // 3), "location": [f"L{i}" for i in range(n)],
    })  # fmt: skip
    (row,) = renewal_projects(pl).to_dict("records")
    assert (row["name_zh"], row["name_en"], row["remediation"]) == (
        "措施",
        "measure",
        "time_limited",
    )
    assert (row["department_zh"], row["department_en"]) == ("甲；乙", "A; B")
    assert row["indicators"] == "i1, i2" and row["n_problems"] == 12
    assert row["locations"] == "、".join(f"L{i}" for i in range(10)) + " …（+2）"
    # exactly ten distinct locations: no "+" suffix
    (ten,) = renewal_projects(pl.iloc[:10]).to_dict("records")
    assert ten["locations"] == "、".join(f"L{i}" for i in range(10))
    assert ten["remediation"] == "best_effort"
