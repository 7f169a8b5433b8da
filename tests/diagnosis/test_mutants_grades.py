"""Grades, threshold references, attainment and target gaps on small synthetic cases (issue 18).

Every framework and table here is synthetic: made-up indicator codes, cut-offs and values chosen
so that each grade can be read off by hand. The rules under test (``diagnosis.grades``):

- a value is graded by the band ``[lower, upper)`` that contains it (``GradeBand.contains``);
  cut-offs ``[c0, c1, c2]`` for direction +1 mean >= c0 very_good, [c1, c0) good, [c2, c1)
  fair, < c2 poor; for direction -1 <= c0 very_good, (c0, c1] good, (c1, c2] fair, > c2 poor;
- the first threshold set that applies to a unit-year grades it; every other set is a
  reference row with its reason (``superseded`` for an applicable set after the grading one);
- attainment counts graded values whose grade is not ``poor``; rate = attained / graded * 100;
- target shortfall = max(0, (target - value) * direction); as % of |target|, or the
  shortfall itself for a target of 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from citycheckup.diagnosis.grades import (
    _threshold_label,
    aspect_grade,
    assess_thresholds,
    dimension_grades,
    grade_indicators,
    grade_value,
    target_attainment,
    target_gaps,
)
from citycheckup.framework import Framework
from citycheckup.framework.models import GradeBand, Grading


def _ind(code: str, **kw: Any) -> dict[str, Any]:
    return {"code": code, "name_zh": code, "name_en": code, "unit": "%", "level": "city",
            "direction": 1, **kw}  # fmt: skip


def _fw(*dims: tuple[str, list[dict[str, Any]]]) -> Framework:
    return Framework.model_validate(
        {"code": "t", "name_zh": "测试", "name_en": "test",
         "dimensions": [{"code": d, "name_zh": d, "name_en": d, "indicators": inds}
                        for d, inds in dims]}
    )  # fmt: skip


NAT = {"tier": "national_standard", "reference": "GB test §1"}
LOCAL = {"tier": "local_standard", "reference": "local test 附件1", "locality": ["420500"]}


def _two_tier_fw() -> Framework:
    """x: a local standard (set 0, cut-offs 90/80/70), then a national one (set 1, 60/50/40),
    then a reference value (set 2, 95/85/75), then a national set only for 2030 on (set 3)."""
    return _fw(
        ("d", [
            _ind("x", grading={"cutoffs": [90, 80, 70], "provenance": LOCAL},
                 references=[
                     {"cutoffs": [60, 50, 40], "provenance": NAT},
                     {"cutoffs": [95, 85, 75], "source": "a reference",
                      "applies": {"role": "reference"}},
                     {"cutoffs": [30, 20, 10], "provenance": NAT,
                      "applies": {"from_year": 2030}},
                 ]),
        ]),
    )  # fmt: skip


# -- grade_value -------------------------------------------------------------------------------


def test_grade_value_missing_and_outside_every_band() -> None:
    bands = [GradeBand(grade="good", lower=1.0, upper=2.0), GradeBand(grade="poor", lower=3.0)]
    assert grade_value(None, bands) is None  # type: ignore[arg-type]
    assert grade_value(float("nan"), bands) is None
    assert grade_value(1.0, bands) == "good"  # lower bound inside
    assert grade_value(2, bands) is None  # upper bound outside, and no band holds [2, 3)
    assert grade_value(2.5, bands) is None
    assert grade_value(3.0, bands) == "poor"


# -- assess_thresholds: which set grades, and the reference rows -----------------------------


def test_first_applicable_set_grades_and_the_others_are_references() -> None:
    fw = _two_tier_fw()
    v = pd.DataFrame({"unit_code": ["420500", "110000"], "year": [2024, 2024], "x": [85.0, 55.0]})
    g, r = assess_thresholds(v, fw, localities=["420500"])
    # 420500 selected its local standard: 85 in [80, 90) -> good by set 0 (local tier)
    # 110000 is not the issuing city: set 1 (national): 55 in [50, 60) -> good
    assert g[["unit_code", "year", "indicator", "value", "grade", "threshold", "tier", "reference",
              "threshold_source"]].values.tolist() == [
        ["420500", 2024, "x", 85.0, "good", 0, "local_standard", "local test 附件1",
         "local test 附件1"],
        ["110000", 2024, "x", 55.0, "good", 1, "national_standard", "GB test §1", "GB test §1"],
    ]  # fmt: skip
    assert list(g.columns) == ["unit_code", "year", "indicator", "value", "grade", "threshold",
                               "tier", "reference", "threshold_source"]  # fmt: skip
    assert list(r.columns) == ["unit_code", "year", "indicator", "value", "threshold", "tier",
                               "reference", "reason", "reason_year", "grade_if_applied"]  # fmt: skip
    rows = r.set_index(["unit_code", "threshold"])
    # 420500: set 1 applies too but comes after the grading set -> superseded; what it would
    # have graded: 85 >= 60 -> very_good. Set 2 is a reference (85 in [85, 95) -> good);
    # set 3 starts in 2030 (85 >= 30 -> very_good)
    assert rows.loc[("420500", 1), ["reason", "grade_if_applied"]].tolist() == [
        "superseded", "very_good"]  # fmt: skip
    assert rows.loc[("420500", 2), ["reason", "grade_if_applied", "tier", "reference"]].tolist() == [
        "reference_only", "good", "", "a reference"]  # fmt: skip
    assert rows.loc[("420500", 3), ["reason", "reason_year", "grade_if_applied"]].tolist() == [
        "before_from", 2030, "very_good"]  # fmt: skip
    # 110000: set 0 is another city's local standard (55 < 70 -> poor if applied)
    assert rows.loc[("110000", 0), ["reason", "grade_if_applied", "tier"]].tolist() == [
        "local_other_city", "poor", "local_standard"]  # fmt: skip
    assert rows.loc[("110000", 2), "grade_if_applied"] == "poor"  # reference set: 55 < 75
    assert len(r) == 6  # three reference rows per unit


def test_no_set_applies_means_no_grade_row() -> None:
    # local standard not selected, national set only from 2030: 2024 is graded by nothing
    fw = _fw(("d", [_ind("x", grading={"cutoffs": [90, 80, 70], "provenance": LOCAL},
                         references=[{"cutoffs": [60, 50, 40], "provenance": NAT,
                                      "applies": {"from_year": 2030}}])]))  # fmt: skip
    v = pd.DataFrame({"unit_code": ["420500"], "year": [2024], "x": [75.0]})
    g, r = assess_thresholds(v, fw)
    assert g.empty and list(g.columns)[-1] == "threshold_source"
    assert r[["threshold", "reason", "grade_if_applied"]].values.tolist() == [
        [0, "local_not_selected", "fair"],  # 75 in [70, 80)
        [1, "before_from", "very_good"],  # 75 >= 60
    ]
    assert pd.isna(r["reason_year"].iloc[0]) and r["reason_year"].iloc[1] == 2030


def test_lower_is_better_cutoffs_belong_to_the_better_grade() -> None:
    # direction -1, cut-offs 5 / 10 / 20: 5 -> very_good, 5.01 -> good, 10 -> good,
    # 10.01 -> fair, 20 -> fair, 20.01 -> poor
    fw = _fw(("d", [_ind("y", direction=-1, grading={"cutoffs": [5, 10, 20], "source": "test"})]))
    vals = [5.0, 5.01, 10.0, 10.01, 20.0, 20.01]
    v = pd.DataFrame({"unit_code": list("abcdef"), "year": 2024, "y": vals})
    assert grade_indicators(v, fw)["grade"].tolist() == [
        "very_good", "good", "good", "fair", "fair", "poor"]  # fmt: skip


def test_context_table_decides_applicability() -> None:
    """Water-scarce rule (set 0, cut-offs 30/20/10), then a national set (60/50/40).

    a: context says water-scarce -> set 0: 25 in [20, 30) -> good;
    b: context says not water-scarce -> set 1: 25 < 40 -> poor;
    c: not in the context -> unknown -> set 1 -> poor; set 0's reason is water_scarce_unknown.
    The context is keyed on unit_code only (no year column): it holds for every year.
    """
    fw = _fw(("d", [_ind("x", grading={"cutoffs": [30, 20, 10], "source": "ws test",
                                       "applies": {"water_scarce": True}},
                         references=[{"cutoffs": [60, 50, 40], "source": "national"}])]))  # fmt: skip
    v = pd.DataFrame({"unit_code": ["a", "b", "c"], "year": 2024, "x": 25.0})
    ctx = pd.DataFrame({"unit_code": ["a", "b", "a"], "water_scarce": [True, False, True]})
    g, r = assess_thresholds(v, fw, context=ctx)
    assert g["grade"].tolist() == ["good", "poor", "poor"]
    assert g["threshold"].tolist() == [0, 1, 1]
    assert r.set_index("unit_code").loc["c", "reason"] == "water_scarce_unknown"
    assert r.set_index("unit_code").loc["b", "reason"] == "not_water_scarce"


def test_context_columns_of_the_values_table_are_used_when_the_context_lacks_them() -> None:
    # regions ["42"], size classes ["large_1"]: a (province 42, large_1) is graded by set 0
    # (cut-offs 30/20/10: 25 -> good); b (province 11) and c (size unknown: NaN) are not
    fw = _fw(("d", [_ind("x", grading={"cutoffs": [30, 20, 10], "source": "regional",
                                       "applies": {"regions": ["42"],
                                                   "size_classes": ["large_1"]}})]))  # fmt: skip
    v = pd.DataFrame({"unit_code": ["a", "b", "c"], "year": 2024, "x": 25.0,
                      "province_code": ["42", "11", "42"],
                      "size_class": ["large_1", "large_1", np.nan]})  # fmt: skip
    # the context table has only water_scarce (irrelevant here), so the values' columns count
    ctx = pd.DataFrame({"unit_code": ["a", "b", "c"], "year": 2024, "water_scarce": False})
    g, r = assess_thresholds(v, fw, context=ctx)
    assert g["unit_code"].tolist() == ["a"] and g["grade"].tolist() == ["good"]
    assert r.set_index("unit_code")["reason"].to_dict() == {
        "b": "other_region", "c": "size_class_unknown"}  # fmt: skip
    # without any context table the values' columns decide the same way
    g2, _ = assess_thresholds(v, fw)
    assert g2["unit_code"].tolist() == ["a"]


def test_water_scarce_column_of_the_values_table() -> None:
    # no context table: the values' own water_scarce column decides (a yes, b no, c unknown)
    fw = _fw(("d", [_ind("x", grading={"cutoffs": [30, 20, 10], "source": "ws test",
                                       "applies": {"water_scarce": True}})]))  # fmt: skip
    v = pd.DataFrame({"unit_code": ["a", "b", "c"], "year": 2024, "x": 25.0,
                      "water_scarce": [True, False, None]})  # fmt: skip
    g, r = assess_thresholds(v, fw)
    assert g["unit_code"].tolist() == ["a"] and g["grade"].tolist() == ["good"]
    assert r.set_index("unit_code")["reason"].to_dict() == {
        "b": "not_water_scarce", "c": "water_scarce_unknown"}  # fmt: skip


def test_context_with_years_is_matched_per_year() -> None:
    # size class large_1 in 2023, medium in 2024 (per-year context): the large_1-only set
    # (30/20/10) grades 2023 only: 25 -> good; 2024 falls back to nothing (no other set)
    fw = _fw(("d", [_ind("x", grading={"cutoffs": [30, 20, 10], "source": "by size",
                                       "applies": {"size_classes": ["large_1"]}})]))  # fmt: skip
    v = pd.DataFrame({"unit_code": ["a", "a"], "year": [2023, 2024], "x": [25.0, 25.0]})
    ctx = pd.DataFrame({"unit_code": ["a", "a"], "year": [2023, 2024],
                        "size_class": ["large_1", "medium"]})  # fmt: skip
    g, r = assess_thresholds(v, fw, context=ctx)
    assert g[["year", "grade"]].values.tolist() == [[2023, "good"]]
    assert r[["year", "reason"]].values.tolist() == [[2024, "other_size_class"]]


def test_units_without_a_year_column() -> None:
    # id_cols without "year": every row counts as one unit (year 0 for applicability)
    fw = _fw(("d", [_ind("x", grading={"cutoffs": [3, 2, 1], "source": "test"})]))
    v = pd.DataFrame({"district": ["D1", "D2"], "x": [3.0, 0.5]})
    g = grade_indicators(v, fw, id_cols=("district",))
    assert g[["district", "grade"]].values.tolist() == [["D1", "very_good"], ["D2", "poor"]]


def test_nothing_to_grade_gives_empty_tables_with_columns() -> None:
    fw = _fw(("d", [_ind("x", grading={"cutoffs": [3, 2, 1], "source": "test"}), _ind("z")]))
    g, r = assess_thresholds(pd.DataFrame({"unit_code": ["a"], "year": [2024], "z": [1.0]}), fw)
    assert g.empty and r.empty
    assert list(g.columns) == ["unit_code", "year", "indicator", "value", "grade", "threshold",
                               "tier", "reference", "threshold_source"]  # fmt: skip
    assert list(r.columns) == ["unit_code", "year", "indicator", "value", "threshold", "tier",
                               "reference", "reason", "reason_year", "grade_if_applied"]  # fmt: skip
    empty = pd.DataFrame({"unit_code": [], "year": [], "x": []})
    assert assess_thresholds(empty, fw)[0].empty


# -- labels ------------------------------------------------------------------------------------


def test_threshold_label_falls_back_to_the_reference_then_the_source() -> None:
    labelled = Grading.model_validate({"cutoffs": [3, 2, 1], "source": "src", "label_zh": "国标",
                                       "label_en": "national"})  # fmt: skip
    assert _threshold_label(labelled, "zh") == "国标"
    assert _threshold_label(labelled, "en") == "national"
    prov = Grading.model_validate({"cutoffs": [3, 2, 1], "provenance": {
        "tier": "ministry", "reference": "建科〔2021〕1号", "reference_en": "MOHURD 2021 No. 1"}})  # fmt: skip
    assert _threshold_label(prov, "zh") == "建科〔2021〕1号"
    assert _threshold_label(prov, "en") == "MOHURD 2021 No. 1"
    prov_zh = Grading.model_validate(
        {"cutoffs": [3, 2, 1], "provenance": {"tier": "ministry", "reference": "建科〔2021〕1号"}}
    )
    assert _threshold_label(prov_zh, "en") == "建科〔2021〕1号"  # no English reference: the zh one
    bare = Grading.model_validate({"cutoffs": [3, 2, 1], "source": "test source"})
    assert _threshold_label(bare, "zh") == "test source"
    assert _threshold_label(bare, "en") == "test source"


# -- attainment --------------------------------------------------------------------------------


def test_attainment_rate_and_empty_inputs() -> None:
    grades = pd.DataFrame({"unit_code": ["a", "a", "a", "a", "b", "c"], "year": 2024,
                           "indicator": list("wxyzww"),
                           "grade": ["very_good", "fair", "poor", None, "poor", None]})  # fmt: skip
    t = target_attainment(grades).set_index("unit_code")
    # a: 3 graded (the None is not), 2 not poor -> 66.67 %; b: 1 graded, 0 attained -> 0 %;
    # c: nothing graded -> no row
    assert t.loc["a", ["n_with_target", "n_attained"]].tolist() == [3, 2]
    assert t.loc["a", "attainment_rate"] == pytest.approx(200 / 3)
    assert t.loc["b", ["n_with_target", "n_attained", "attainment_rate"]].tolist() == [1, 0, 0.0]
    assert "c" not in t.index
    cols = ["unit_code", "year", "n_with_target", "n_attained", "attainment_rate"]
    assert list(target_attainment(grades.iloc[5:]).columns) == cols
    assert target_attainment(grades.iloc[5:]).empty
    assert list(target_attainment(grades.iloc[:0]).columns) == cols


# -- dimension grades --------------------------------------------------------------------------


def test_aspect_grade_without_the_number_graded_applies_only_the_cap() -> None:
    # n_graded unknown (0, the default): the majority rule cannot be applied, only the cap of
    # a poor indicator: 3.75 -> 优 capped at 良; 2.0 stays 中 however many are poor
    assert aspect_grade(3.75, n_poor=1) == "good"
    assert aspect_grade(2.0, n_poor=5) == "medium"
    assert aspect_grade(3.75) == "excellent"


def _dim_fw() -> Framework:
    return _fw(
        ("d1", [_ind("p", weight=2.0), _ind("q", weight=1.0), _ind("w0", weight=0.0)]),
        ("d2", [_ind("r")]),
    )


def test_dimension_grades_groups_weights_and_zero_weight() -> None:
    grades = pd.DataFrame({"unit_code": "a", "year": 2024,
                           "indicator": ["p", "q", "w0", "r", "zz"],
                           "grade": ["very_good", "poor", "poor", "fair", "poor"]})  # fmt: skip
    d = dimension_grades(grades, _dim_fw()).set_index("dimension")
    # d1: p 4 points weight 2, q 1 point weight 1; w0 has weight 0 and is left out:
    # (4 * 2 + 1 * 1) / 3 = 3.0 -> good (>= 2.5), 1 poor of 2 is not more than half
    assert d.loc["d1", ["n_graded", "n_poor"]].tolist() == [2, 1]
    assert d.loc["d1", "mean_points"] == pytest.approx(3.0) and d.loc["d1", "grade"] == "good"
    # d2: r fair = 2 -> medium; zz is in no dimension and is dropped
    assert d.loc["d2", "mean_points"] == 2.0 and d.loc["d2", "grade"] == "medium"
    assert list(d.index) == ["d1", "d2"]
    # unweighted: every weight 1, w0 included: (4 + 1 + 1) / 3 = 2.0 -> medium; 2 poor of 3
    # is more than half (4 > 3) -> poor
    e = dimension_grades(grades, _dim_fw(), weighted=False).set_index("dimension")
    assert e.loc["d1", "mean_points"] == pytest.approx(2.0) and e.loc["d1", "grade"] == "poor"
    # by: a custom grouping (p and r together, q alone); unmapped indicators are dropped
    f = dimension_grades(grades, _dim_fw(), by={"p": "g1", "r": "g1", "q": "g2"})
    f = f.set_index("dimension")
    # g1: (4 * 2 + 2 * 1) / 3 = 3.333 -> good; g2: q poor = 1 -> poor
    assert f.loc["g1", "mean_points"] == pytest.approx(10 / 3) and f.loc["g1", "grade"] == "good"
    assert f.loc["g2", "grade"] == "poor"


def test_dimension_grades_empty_inputs() -> None:
    cols = ["unit_code", "year", "dimension", "n_graded", "n_poor", "mean_points", "grade"]
    empty = pd.DataFrame(columns=["unit_code", "year", "indicator", "grade"])
    assert list(dimension_grades(empty, _dim_fw()).columns) == cols
    ungraded = pd.DataFrame({"unit_code": ["a"], "year": [2024], "indicator": ["p"],
                             "grade": [None]})  # fmt: skip
    out = dimension_grades(ungraded, _dim_fw())
    assert out.empty and list(out.columns) == cols


# -- target gaps -------------------------------------------------------------------------------


def test_target_gaps_boundaries_and_direction() -> None:
    """Target 80 (higher better) and 10 (lower better), at / just below / just above.

    hi: 80 -> attained, shortfall 0; 79.5 -> shortfall 0.5 = 0.625 % of 80; 80.5 -> 0.
    lo: 10 -> attained; 10.5 -> shortfall 0.5 = 5 % of 10; 9.5 -> 0.
    """
    fw = _fw(("d", [_ind("hi", target=80.0), _ind("lo", direction=-1, target=10.0),
                    _ind("none")]))  # fmt: skip
    v = pd.DataFrame({"unit_code": list("abc"), "year": 2024, "hi": [80.0, 79.5, 80.5],
                      "lo": [10.0, 10.5, 9.5], "none": 1.0})  # fmt: skip
    g = target_gaps(v, fw)
    assert g["indicator"].tolist() == ["hi"] * 3 + ["lo"] * 3
    assert g["attained"].tolist() == [True, False, True, True, False, True]
    assert g["shortfall"].tolist() == [0.0, 0.5, 0.0, 0.0, 0.5, 0.0]
    assert g["shortfall_pct"].tolist() == pytest.approx([0.0, 0.625, 0.0, 0.0, 5.0, 0.0])
    assert g["target"].tolist() == [80.0] * 3 + [10.0] * 3


def test_target_gaps_negative_target_missing_value_and_no_target() -> None:
    # target -4 (lower better): value -2 misses by 2 = 50 % of |-4|; a missing value is dropped
    fw = _fw(("d", [_ind("t", direction=-1, target=-4.0)]))
    v = pd.DataFrame({"unit_code": ["a", "b"], "year": 2024, "t": [-2.0, np.nan]})
    g = target_gaps(v, fw)
    assert g[["unit_code", "shortfall", "shortfall_pct"]].values.tolist() == [["a", 2.0, 50.0]]
    cols = ["unit_code", "year", "indicator", "value", "target", "attained", "shortfall",
            "shortfall_pct"]  # fmt: skip
    none = target_gaps(v.drop(columns="t"), fw)
    assert none.empty and list(none.columns) == cols


def test_aspect_of_a_single_poor_indicator_is_poor() -> None:
    # one graded indicator, and it is poor: 1 * 2 > 1 -> more than half -> 差, whatever the mean
    assert aspect_grade(3.0, n_poor=1, n_graded=1) == "poor"
