"""The table builders of the MOHURD-method check-up, on small hand-made SYNTHETIC tables.

Written for the mutation run of ``citycheckup.checkup`` (issue 18): every expected row below is
derived by hand from the input rows shown next to it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from citycheckup.checkup._mohurd import _changes, _coverage, _inventories, _ungraded
from citycheckup.data import Dataset
from citycheckup.framework import Framework


def _ind(code: str, level: str, unit: str, **kw: object) -> dict[str, object]:
    return {"code": code, "name_zh": code, "name_en": code, "unit": unit, "level": level,
            "kind": kw.pop("kind", "higher"), **kw}  # fmt: skip


GRADE = {"pass_line": 10, "provenance": {"tier": "project", "reference": "synthetic pass line"}}

FW = Framework.model_validate(
    {
        "code": "mini",
        "name_zh": "小",
        "name_en": "mini",
        "dimensions": [
            {
                "code": "housing",
                "name_zh": "住房",
                "name_en": "housing",
                "indicators": [
                    # a problem count over a register
                    _ind("h1", "housing", "栋", kind="lower", denominator="buildings"),
                    # a coverage share: already a rate
                    _ind("h2", "housing", "%", aspect="safety"),
                    # a count without a denominator
                    _ind("h3", "housing", "个", kind="lower"),
                ],
            },
            {
                "code": "city",
                "name_zh": "城区",
                "name_en": "city",
                "indicators": [
                    _ind("c1", "city", "km", task="t1"),  # no threshold at all
                    _ind("c2", "city", "km", grading=GRADE),  # a threshold
                    _ind("c3", "city", "km", kind="context"),
                ],
            },
        ],
    }
)

#                     u1 2024     u2 2024     u1 2023
VALUES = pd.DataFrame(
    {
        "unit_code": ["u1", "u2", "u1"],
        "year": [2024, 2024, 2023],
        "h1": [42.0, 3.0, np.nan],
        "h2": [80.0, np.nan, 70.0],
        "h3": [5.0, np.nan, np.nan],
        "c1": [1.5, np.nan, 2.0],
        "c2": [12.0, 8.0, np.nan],
        "c3": [7.0, 7.0, 7.0],
    }
)
DATA = pd.DataFrame(
    {
        "unit_code": ["u1", "u2", "u1"],
        "year": [2024, 2024, 2023],
        "buildings": [8400.0, 0.0, 8000.0],
    }
)


def test_inventories_counts_over_denominators() -> None:
    """h1: u1 2024 42 of 8,400 buildings → rate 100·42/8400 = 0.5 %; u2 2024 3 of 0 buildings →
    no rate (a zero denominator is no rate, never inf); u1 2023 has no h1 → no row.
    h2 is a share (%): its value is the rate, its count is missing, no denominator.
    h3: a count without a denominator → rate missing. City-level indicators: no rows."""
    ds = Dataset(data=DATA, source="mini (synthetic)")
    inv = _inventories(VALUES, ds, FW)
    assert list(inv.columns) == ["unit_code", "year", "level", "aspect", "indicator", "count",
                                 "unit", "denominator", "denominator_value", "rate"]  # fmt: skip
    got = [tuple(None if isinstance(v, float) and np.isnan(v) else v for v in row)
           for row in inv.itertuples(index=False)]  # fmt: skip
    assert got == [
        ("u1", 2024, "housing", "housing", "h1", 42.0, "栋", "buildings", 8400.0, 0.5),
        ("u2", 2024, "housing", "housing", "h1", 3.0, "栋", "buildings", 0.0, None),
        ("u1", 2024, "housing", "safety", "h2", None, "%", "", None, 80.0),
        ("u1", 2023, "housing", "safety", "h2", None, "%", "", None, 70.0),
        ("u1", 2024, "housing", "housing", "h3", 5.0, "个", "", None, None),
    ]


def test_inventories_denominator_from_the_dataset_overrides_the_framework() -> None:
    """``ds.denominators`` (set by the inventory roll-up) names another register for h1:
    42 of 840 → 5 %."""
    data = DATA.assign(other=[840.0, 30.0, 1.0])
    ds = Dataset(data=data, source="mini (synthetic)")
    ds.denominators = {"h1": "other"}  # type: ignore[attr-defined]
    inv = _inventories(VALUES, ds, FW).set_index(["indicator", "unit_code", "year"])
    assert inv.loc[("h1", "u1", 2024), "denominator"] == "other"
    assert inv.loc[("h1", "u1", 2024), "rate"] == pytest.approx(5.0)
    assert inv.loc[("h1", "u2", 2024), "rate"] == pytest.approx(10.0)  # 3 of 30


def test_inventories_without_lower_level_values_is_empty_with_columns() -> None:
    ds = Dataset(data=DATA, source="mini (synthetic)")
    inv = _inventories(VALUES[["unit_code", "year", "c1"]], ds, FW)
    assert inv.empty and list(inv.columns)[:5] == ["unit_code", "year", "level", "aspect",
                                                   "indicator"]  # fmt: skip


def test_ungraded_lists_city_values_without_an_applicable_threshold() -> None:
    """c1 has no threshold → reason "no_threshold" for its two values (u1 2024 1.5, u1 2023 2.0;
    u2's is missing). c2 has one: u1 2024 was graded (in ``grades``), u2 2024 was not →
    "not_applicable". c3 is context, h* are lower levels: never listed."""
    grades = pd.DataFrame({"unit_code": ["u1"], "year": [2024], "indicator": ["c2"]})
    un = _ungraded(VALUES, grades, FW)
    assert un.to_dict("records") == [
        {"unit_code": "u1", "year": 2024, "indicator": "c1", "value": 1.5, "reason": "no_threshold"},
        {"unit_code": "u1", "year": 2023, "indicator": "c1", "value": 2.0, "reason": "no_threshold"},
        {"unit_code": "u2", "year": 2024, "indicator": "c2", "value": 8.0,
         "reason": "not_applicable"},
    ]  # fmt: skip
    # nothing graded at all: u1 2024's c2 is listed as well
    none = _ungraded(VALUES, pd.DataFrame(columns=["unit_code", "year", "indicator"]), FW)
    assert len(none) == 4 and list(none.columns) == ["unit_code", "year", "indicator", "value",
                                                      "reason"]  # fmt: skip


def test_coverage_status_reason_and_availability() -> None:
    """Availability = share of the three rows with a value: h1 2/3, h2 2/3, h3 1/3, c1 2/3,
    c2 2/3, c3 3/3 (status "context"). An indicator absent from the table is "no data"."""
    cov = _coverage(VALUES.drop(columns=["h3"]), FW).set_index("indicator")
    assert list(cov.reset_index().columns) == ["indicator", "level", "aspect", "task", "status",
                                               "reason", "availability"]  # fmt: skip
    assert cov.loc["h1"].to_dict() == {"level": "housing", "aspect": "housing", "task": "",
                                       "status": "data", "reason": "",
                                       "availability": pytest.approx(2 / 3)}  # fmt: skip
    assert cov.loc["h2", "aspect"] == "safety"
    assert cov.loc["c1", "task"] == "t1"
    assert cov.loc["h3"].to_dict() == {"level": "housing", "aspect": "housing", "task": "",
                                       "status": "no data", "reason": "not in the data",
                                       "availability": 0.0}  # fmt: skip
    assert cov.loc["c3", "status"] == "context" and cov.loc["c3", "availability"] == 1.0
    # a column that is there but all missing is "no data" as well
    allnan = _coverage(VALUES.assign(c1=np.nan), FW).set_index("indicator")
    assert allnan.loc["c1", "status"] == "no data"


def test_changes_between_the_base_and_the_last_year() -> None:
    """u1: c1 2.0 (2023) → 1.5 (2024): change −0.5; h2 70 → 80: +10. u2 has no 2023 row;
    c2 and h1 are missing in 2023; "zz" is not a column: no rows for them."""
    ch = _changes(VALUES, ["c1", "c2", "h1", "h2", "zz"], [2023, 2024], 2023)
    assert ch.to_dict("records") == [
        {"unit_code": "u1", "indicator": "c1", "base_year": 2023, "year": 2024,
         "base_value": 2.0, "value": 1.5, "change": -0.5},
        {"unit_code": "u1", "indicator": "h2", "base_year": 2023, "year": 2024,
         "base_value": 70.0, "value": 80.0, "change": 10.0},
    ]  # fmt: skip


def test_changes_one_year_only() -> None:
    """One scored year that is also the base: no changes (empty table with its columns). One
    scored year (2024) with an earlier base (2023): the changes are computed."""
    empty = _changes(VALUES, ["c1"], [2024], 2024)
    assert empty.empty and list(empty.columns) == ["unit_code", "indicator", "base_year", "year",
                                                   "base_value", "value", "change"]  # fmt: skip
    ch = _changes(VALUES, ["c1"], [2024], 2023)
    assert ch[["unit_code", "change"]].values.tolist() == [["u1", -0.5]]
    # base = last of two years: every value compared with itself, change 0
    same = _changes(VALUES, ["c1"], [2023, 2024], 2024)
    assert same[["unit_code", "base_year", "year", "change"]].values.tolist() == [
        ["u1", 2024, 2024, 0.0]
    ]


# -- the optional cross-city composite -------------------------------------------------------------
def _rates_fw(city_indicators: list[dict[str, object]], city_code: str = "city") -> Framework:
    return Framework.model_validate(
        {
            "code": "mini",
            "name_zh": "小",
            "name_en": "mini",
            "dimensions": [
                {"code": "housing", "name_zh": "住房", "name_en": "housing",
                 "indicators": [_ind("h1", "housing", "栋", kind="lower")]},
                {"code": city_code, "name_zh": "城区", "name_en": "city",
                 "indicators": city_indicators},
            ],
        }
    )  # fmt: skip


def test_mohurd_composite_scores_city_rates_only() -> None:
    """City level: c1 in km (a count unit for this comparison: left out), c3 context (left out),
    c4 a share (%) → the only indicator. Absolute scoring of a share: score = value, so the
    index equals c4: u1 2024 60, u2 2024 70 → ranks u2 1, u1 2."""
    from types import SimpleNamespace

    from citycheckup.checkup import CheckupOptions
    from citycheckup.checkup._mohurd import mohurd_composite

    fw = _rates_fw([_ind("c1", "city", "km"), _ind("c3", "city", "km", kind="context"),
                    _ind("c4", "city", "%")])  # fmt: skip
    data = pd.DataFrame({"unit_code": ["u1", "u2", "u1", "u2"], "unit_name": ["u1", "u2"] * 2,
                         "year": [2023, 2023, 2024, 2024], "c1": [1.0, 2.0, 3.0, 4.0],
                         "c4": [40.0, 50.0, 60.0, 70.0]})  # fmt: skip
    # a group column (province) declared as such is not a variable: no "unknown-column" for it
    data = data.assign(province=["甲", "乙"] * 2)
    res = SimpleNamespace(
        framework=fw,
        dataset=Dataset(data=data, source="mini (synthetic)", groups=["province"]),
        options=CheckupOptions(),
    )
    comp = mohurd_composite(res)  # type: ignore[arg-type]
    assert comp.framework.code == "mini_rates"
    assert comp.framework.name_zh == "小（城区比率指标横向比较）"
    assert comp.framework.name_en == "mini (cross-city comparison of city-level rates)"
    assert comp.used_indicators == ["c4"]
    # c1 (left out) is now an unknown column of the rates framework; province is not
    assert [f.column for f in comp.checks.findings if f.rule == "unknown-column"] == ["c1"]
    assert comp.indicators["province"].tolist() == ["甲", "乙", "甲", "乙"]
    assert comp.options.scoring == "relative"  # the default of mohurd_composite
    s = comp.scores.set_index(["unit_code", "year"])
    assert s.loc[("u2", 2024), "rank_index"] == 1 and s.loc[("u1", 2024), "rank_index"] == 2
    absolute = mohurd_composite(res, scoring="absolute")  # type: ignore[arg-type]
    a = absolute.scores.set_index(["unit_code", "year"])["index"]
    assert a.loc[("u1", 2024)] == pytest.approx(60.0) and a.loc[("u2", 2023)] == pytest.approx(50.0)


def test_mohurd_composite_errors() -> None:
    from types import SimpleNamespace

    from citycheckup.checkup._mohurd import mohurd_composite
    from citycheckup.errors import DataError

    no_city = SimpleNamespace(framework=_rates_fw([_ind("c4", "city", "%")], city_code="town"))
    with pytest.raises(DataError, match="framework mini has no city level to compare"):
        mohurd_composite(no_city)  # type: ignore[arg-type]
    counts = SimpleNamespace(framework=_rates_fw([_ind("c1", "city", "km"),
                                                  _ind("c5", "city", "个")]))  # fmt: skip
    with pytest.raises(DataError, match="framework mini has no city-level rate to compare across"):
        mohurd_composite(counts)  # type: ignore[arg-type]


def test_ungraded_empty_keeps_its_columns() -> None:
    """Every city value graded: nothing ungraded, but the table still has its five columns."""
    values = VALUES[["unit_code", "year", "c2"]].iloc[:1]
    grades = pd.DataFrame({"unit_code": ["u1"], "year": [2024], "indicator": ["c2"]})
    un = _ungraded(values, grades, FW)
    assert un.empty and list(un.columns) == ["unit_code", "year", "indicator", "value", "reason"]


def test_run_mohurd_values_have_no_stray_index_column() -> None:
    """The values table of a MOHURD run keeps the data's columns (plus size_class), renumbered
    from 0 -- no "index" column left by a reset index. SYNTHETIC city of synthetic_mohurd."""
    from citycheckup.checkup import CheckupOptions, run_mohurd
    from citycheckup.framework import load_framework
    from tests.checkup.synthetic_mohurd import synthetic_city

    fw = load_framework("mohurd-2025")
    res = run_mohurd(Dataset(data=synthetic_city(fw), source="synthetic city"), fw,
                     CheckupOptions(years=[2024]))  # fmt: skip
    assert "index" not in res.values.columns
    assert list(res.values.index) == list(range(len(res.values)))
    assert set(res.values["year"]) == {2024}
