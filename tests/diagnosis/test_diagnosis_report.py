"""Aspect grades, target gaps, peer groups, indicator trends, priorities and problem lists on known cases."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from citycheckup.checkup import CheckupOptions, CheckupResult, run_checkup
from citycheckup.data.readers import Dataset
from citycheckup.diagnosis import (
    aspect_grade,
    dimension_grades,
    grade_indicators,
    improvement_priorities,
    indicator_trends,
    load_remediation_mapping,
    peer_group,
    peer_medians,
    problem_list,
    problems_from_spatial,
    problems_from_table,
    renewal_projects,
    target_gaps,
)
from citycheckup.errors import DataError
from citycheckup.framework import Framework, load_framework

DATA = Path(__file__).parents[1] / "report" / "data"


def _fw2() -> Framework:
    """Two dimensions; grading by cutoffs (+1, −1) and bands; weights 1 and 3."""
    return Framework.model_validate(
        {
            "code": "t2",
            "name_zh": "测试",
            "name_en": "test",
            "dimensions": [
                {
                    "code": "a",
                    "name_zh": "甲",
                    "name_en": "A",
                    "indicators": [
                        {
                            "code": "x",
                            "name_zh": "x",
                            "name_en": "x",
                            "unit": "%",
                            "direction": 1,
                            "level": "city",
                            "target": 90.0,
                            "grading": {"cutoffs": [90, 80, 70], "source": "test cutoffs"},
                        },
                        {
                            "code": "y",
                            "name_zh": "y",
                            "name_en": "y",
                            "unit": "个",
                            "direction": -1,
                            "level": "block",
                            "weight": 3.0,
                            "target": 0.0,
                            "grading": {"cutoffs": [0, 5, 10], "source": "test cutoffs"},
                        },
                    ],
                },
                {
                    "code": "b",
                    "name_zh": "乙",
                    "name_en": "B",
                    "indicators": [
                        {
                            "code": "z",
                            "name_zh": "z",
                            "name_en": "z",
                            "unit": "km",
                            "direction": 1,
                            "level": "city",
                        },
                    ],
                },
            ],
        }
    )


# -- aspect (dimension) grades ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("points", "n_poor", "n", "grade"),
    [
        (4.0, 0, 2, "excellent"),
        (3.5, 0, 2, "excellent"),
        (3.49, 0, 2, "good"),
        (2.5, 0, 2, "good"),
        (2.49, 0, 2, "medium"),
        (1.5, 0, 2, "medium"),
        (1.49, 0, 2, "poor"),
        (3.75, 1, 4, "good"),  # one 不足 caps the aspect at 良
        (2.0, 2, 3, "poor"),  # more than half 不足 → 差
        (2.5, 1, 2, "good"),  # exactly half 不足 is not "more than half"
    ],
)
def test_aspect_grade_rule(points: float, n_poor: int, n: int, grade: str) -> None:
    assert aspect_grade(points, n_poor, n) == grade


def test_aspect_grade_missing() -> None:
    assert aspect_grade(float("nan")) is None


def test_dimension_grades_weighted_mean() -> None:
    fw = _fw2()
    v = pd.DataFrame(
        {
            "unit_code": ["u1", "u2", "u3"],
            "year": 2025,
            "x": [95.0, 75.0, np.nan],
            "y": [0.0, 12.0, 3.0],
            "z": [1.0, 2.0, 3.0],
        }
    )
    g = grade_indicators(v, fw)
    d = dimension_grades(g, fw).set_index("unit_code")
    # u1: x very_good (4, w1), y very_good (4, w3) → 4.0 → 优
    assert d.loc["u1", "mean_points"] == pytest.approx(4.0) and d.loc["u1", "grade"] == "excellent"
    # u2: x fair (2, w1), y poor (1, w3) → (2 + 3) / 4 = 1.25 → 差
    assert d.loc["u2", "mean_points"] == pytest.approx(1.25) and d.loc["u2", "grade"] == "poor"
    # u3: x missing (not graded), y = 3 → good (3) → 良, from one graded indicator
    assert d.loc["u3", "n_graded"] == 1 and d.loc["u3", "grade"] == "good"
    assert set(d["dimension"]) == {"a"}  # dimension b has no grading: no invented grade
    eq = dimension_grades(g, fw, weighted=False).set_index("unit_code")
    # unweighted: (2 + 1) / 2 = 1.5 → 中; one of two poor is not "more than half"
    assert eq.loc["u2", "mean_points"] == pytest.approx(1.5) and eq.loc["u2", "grade"] == "medium"


def test_yichang_values_graded_with_the_builtin_framework() -> None:
    """Yichang 2025 values graded only by the thresholds that apply to it.

    Park coverage 90.1 % meets GB/T 51346-2019 §4.3.4's 90 % → 很好 (national standard).
    Density 0.67 万人/km² is graded only by Yichang's own local standard (annex 1, 0.7–1.5 →
    不足, as Yichang's report did) and only when that locality is selected; cultural
    facilities 0.31 m²/人 likewise (≥ 0.2 local → 较好).
    """
    from citycheckup.diagnosis import assess_thresholds

    fw = load_framework("people-city-2025")
    vals = pd.read_csv(DATA / "yichang_2025_city.csv").set_index("indicator")["value"]
    v = pd.DataFrame([{"unit_code": "420500", "year": 2025, **vals.to_dict()}])
    g = grade_indicators(v, fw).set_index("indicator")["grade"]
    assert g["park_square_coverage_500m"] == "good"  # 90.1 ≥ 90 (GB/T 51346-2019 §4.3.4)
    assert g["road_network_density"] == "good"  # 8.68 ≥ 8 (2016 Opinions, target for 2020)
    assert g["sewage_collection_rate"] == "good"  # 81.06 ≥ 70
    # without selecting Yichang's locality its local standards do not grade it
    assert (
        "builtup_population_density" not in g.index
        and "cultural_facility_area_per_capita" not in g.index
    )
    gl, refs = assess_thresholds(v, fw, localities=["420500"])
    gl = gl.set_index("indicator")
    assert gl.loc["builtup_population_density", "grade"] == "poor"
    assert gl.loc["builtup_population_density", "tier"] == "local_standard"
    assert gl.loc["cultural_facility_area_per_capita", "grade"] == "good"
    assert gl.loc["fresh_market_coverage", "grade"] == "poor"  # 57.84 < 90 (Yichang's pass line)
    # the same local standards, for another city, never grade
    other = v.assign(unit_code="110000")
    go, ro = assess_thresholds(other, fw, localities=["420500", "110000"])
    assert "builtup_population_density" not in set(go["indicator"])
    assert "local_other_city" in set(
        ro.loc[ro["indicator"] == "builtup_population_density", "reason"]
    )
    # the 2027 sewage target is shown as a target, not a pass line for 2025
    r = refs[(refs["indicator"] == "sewage_collection_rate") & (refs["reason"] == "target_year")]
    assert r["reason_year"].tolist() == [2027]
    gaps = target_gaps(v, fw).set_index("indicator")
    assert bool(gaps.loc["road_network_density", "attained"])


def test_target_gaps_direction_and_percent() -> None:
    fw = _fw2()
    v = pd.DataFrame(
        {"unit_code": ["u1", "u2"], "year": 2025, "x": [81.0, 95.0], "y": [4.0, 0.0], "z": [1, 1]}
    )
    g = target_gaps(v, fw).set_index(["unit_code", "indicator"])
    assert g.loc[("u1", "x"), "shortfall"] == pytest.approx(9.0)
    assert g.loc[("u1", "x"), "shortfall_pct"] == pytest.approx(10.0)
    assert g.loc[("u2", "x"), "shortfall"] == 0.0 and bool(g.loc[("u2", "x"), "attained"])
    assert g.loc[("u1", "y"), "shortfall"] == 4.0  # target 0: shortfall itself


# -- peer groups ----------------------------------------------------------------------------------
def test_peer_groups_province_size_and_list() -> None:
    v = pd.DataFrame(
        {
            "unit_code": ["a", "b", "c", "d"],
            "year": 2024,
            "province": ["P", "P", "P", "Q"],
            "size_class": ["megacity", "large_1", "large_1", None],
            "x": [1.0, 2.0, 9.0, 4.0],
        }
    )
    assert peer_group(v, "province").tolist() == ["P", "P", "P", "Q"]
    sc = peer_group(v, "size_class")
    assert sc.tolist()[:3] == ["megacity", "large_1", "large_1"] and pd.isna(sc.iloc[3])
    custom = peer_group(v, ["a", "d"])
    assert custom.tolist() == ["custom", None, None, "custom"]
    med = peer_medians(v, ["x"], peer_group(v, "province"), min_peers=3)
    assert med["x"].tolist()[:3] == [2.0, 2.0, 2.0] and pd.isna(
        med["x"].iloc[3]
    )  # Q has 1 < 3 peers
    with pytest.raises(DataError, match="none of the 2 peer units"):
        peer_group(v, ["zz", "yy"])
    with pytest.raises(DataError, match="needs a column 'region'"):
        peer_group(v, "region")  # type: ignore[arg-type]


# -- trends -----------------------------------------------------------------------------------------
def test_indicator_trends_known_case() -> None:
    v = pd.DataFrame(
        {
            "unit_code": ["a"] * 4 + ["b"] * 4,
            "year": [2020, 2021, 2022, 2024] * 2,
            "up": [100.0, 110.0, 121.0, 146.41, 50.0, np.nan, 50.0, 50.0],  # +10 %/yr for a
            "down": [10.0, 9.0, np.nan, 8.0, 5.0, 5.0, 5.0, 6.0],  # lower is better
        }
    )
    tr = indicator_trends(v, {"up": 1, "down": -1}).set_index(["unit_code", "indicator"])
    a_up = tr.loc[("a", "up")]
    assert a_up["base_year"] == 2020 and a_up["prev_year"] == 2022  # 2023 is missing: the gap shows
    assert a_up["yoy_change"] == pytest.approx(146.41 - 121.0)
    assert a_up["cagr"] == pytest.approx(10.0)
    assert a_up["trend"] == "improving"
    assert tr.loc[("a", "down"), "prev_year"] == 2021  # 2022 missing for "down"
    assert tr.loc[("a", "down"), "trend"] == "improving"  # 10 → 8, lower is better
    assert tr.loc[("b", "down"), "trend"] == "worsening"  # 5 → 6
    assert tr.loc[("b", "up"), "trend"] == "stable"
    assert tr.loc[("b", "up"), "cagr"] == pytest.approx(0.0)
    t2 = indicator_trends(v, {"up": 1}, base_year=2022, year=2022).set_index(
        ["unit_code", "indicator"]
    )
    assert pd.isna(t2.loc[("a", "up"), "base_value"])  # base = year: no change, no invented trend
    assert pd.isna(t2.loc[("a", "up"), "trend"])


# -- priorities ---------------------------------------------------------------------------------------
def _prio_result(options: CheckupOptions | None = None):
    fw = Framework.model_validate(
        {
            "code": "p",
            "name_zh": "p",
            "name_en": "p",
            "dimensions": [
                {
                    "code": "d",
                    "name_zh": "维",
                    "name_en": "dim",
                    "indicators": [
                        {
                            "code": "x",
                            "name_zh": "x",
                            "name_en": "x",
                            "unit": "u",
                            "direction": 1,
                            "level": "city",
                        },
                        {
                            "code": "y",
                            "name_zh": "y",
                            "name_en": "y",
                            "unit": "u",
                            "direction": 1,
                            "level": "city",
                        },
                    ],
                }
            ],
        }
    )
    # 2024 holds the bounds (0 and 30) of both indicators; 2023 lies inside them
    data = pd.DataFrame(
        {
            "unit_code": list("abce") * 2,
            "unit_name": list("abce") * 2,
            "year": [2023] * 4 + [2024] * 4,
            "province": "P",
            "x": [15.0] * 4 + [0.0, 10.0, 20.0, 30.0],
            "y": [15.0] * 4 + [30.0, 0.0, 10.0, 20.0],
        }
    )
    ds = Dataset(data=data, source="test", groups=["province"])
    return run_checkup(ds, fw, options or CheckupOptions())


def test_priorities_known_gains_and_exact_fallback() -> None:
    res = _prio_result(CheckupOptions(scoring="relative", treatment="none"))
    p = improvement_priorities(res, reference="peer_median", peer="province", top=None).set_index(
        ["unit_code", "indicator"]
    )
    # median of x is 15. b (x=10, not a bound): stacked, gain = (15−10)/30·100 / 2 = 8.333
    assert p.loc[("b", "x"), "method"] == "stacked"
    assert p.loc[("b", "x"), "gain"] == pytest.approx(100 / 12)
    # a holds the unique minimum of x: moving it to 15 moves the lower bound to 10, so it is re-run exactly:
    # new x_n of a = (15−10)/(30−10)·100 = 25; y_n = 100 → index 62.5 (was 50) → gain 12.5, not 25
    assert p.loc[("a", "x"), "method"] == "rerun"
    assert p.loc[("a", "x"), "gain"] == pytest.approx(12.5)
    # indices in 2024: e 83.3, a 50 (tied with c, min rank 2), b 16.7; a at 62.5 is alone in rank 2
    assert p.loc[("a", "x"), "rank"] == 2 and p.loc[("a", "x"), "rank_new"] == 2
    assert p.loc[("b", "x"), "rank"] == 4 and p.loc[("b", "x"), "rank_new"] == 4  # 25 < 50


def _zj_js(treatment: str, scoring: str = "relative") -> CheckupResult:
    from citycheckup.data import load_city_macro

    ds = load_city_macro()
    keep = ds.data["province"].isin(["浙江省", "江苏省"]) & ds.data["year"].between(2022, 2024)
    sub = Dataset(
        data=ds.data[keep].reset_index(drop=True), source="sub", units=ds.units, groups=ds.groups
    )
    return run_checkup(
        sub,
        load_framework("people-city-2025"),
        CheckupOptions(invalid="missing", treatment=treatment, scoring=scoring),  # type: ignore[arg-type]
    )


UNITS = ["330100", "330200", "320100", "321300"]


@pytest.mark.parametrize("scoring", ["relative", "absolute"])
def test_priorities_stacked_equals_exact_reruns_on_real_data(scoring: str) -> None:
    res = _zj_js("none", scoring)
    auto = improvement_priorities(res, units=UNITS, top=None)
    exact = improvement_priorities(res, units=UNITS, top=None, strategy="exact")
    assert len(auto) > 5 and (auto["method"] == "stacked").any()
    m = auto.merge(exact, on=["unit_code", "indicator"], suffixes=("", "_exact"))
    assert len(m) == len(auto) == len(exact)
    np.testing.assert_allclose(m["index_new"], m["index_new_exact"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(
        m["dimension_score_new"], m["dimension_score_new_exact"], rtol=0, atol=1e-9
    )


def test_priorities_with_outlier_treatment_packed_runs_equal_one_run_each() -> None:
    """Winsorisation depends on the whole column: no stacking; packed re-runs are exact."""
    res = _zj_js("winsorise_log")
    auto = improvement_priorities(res, units=UNITS, top=None)
    exact = improvement_priorities(res, units=UNITS, top=None, strategy="exact")
    assert "packed" in set(auto["method"]) and "stacked" not in set(auto["method"])
    assert set(exact["method"]) == {"rerun"}
    cols = [
        "unit_code",
        "priority",
        "indicator",
        "index_new",
        "dimension_score_new",
        "gain",
        "rank_new",
    ]
    pd.testing.assert_frame_equal(auto[cols], exact[cols], check_exact=False, atol=1e-9, rtol=0)


def test_priorities_zscore_and_target_reference() -> None:
    res = _prio_result(CheckupOptions(scoring="relative", normalisation="zscore"))
    p = improvement_priorities(res, top=None)
    assert "stacked" not in set(p["method"])  # z-scores: every added row moves mean and sd
    exact = improvement_priorities(res, top=None, strategy="exact")
    np.testing.assert_allclose(p["index_new"], exact["index_new"], rtol=0, atol=1e-9)
    assert (p["gain"] > 0).all()
    assert improvement_priorities(res, reference="target").empty  # no indicator has a target
    with pytest.raises(DataError, match="was not scored"):
        improvement_priorities(res, year=1999)


# -- problem lists ---------------------------------------------------------------------------------
def test_problem_list_from_yichang_table() -> None:
    fw = load_framework("people-city-2025")
    # problem types are the numerators of the level shares (hazardous buildings …)
    known = set(fw.indicator_codes) | {v.code for v in fw.variables}
    pt = problems_from_table(DATA / "yichang_2025_problems.csv", known=known)
    pl = problem_list(pt, fw)
    assert len(pl) == 12
    lev = pl.drop_duplicates("indicator").set_index("indicator")["level"]
    assert (
        lev["dwellings_structural_hazard"] == "housing"
        and lev["roads_with_chaotic_parking"] == "block"
    )
    # totals per indicator are Yichang's 2025 counts
    tot = pl.groupby("indicator")["count"].sum()
    assert tot["dwellings_structural_hazard"] == 42 and tot["dwellings_stairwell_hazard"] == 242
    # 限时解决 first (structural and gas hazards, Yichang 附件4), then by level housing → community → block
    tl = pl[pl["remediation"] == "time_limited"]
    assert pl.index[: len(tl)].tolist() == tl.index.tolist()
    assert {"dwellings_structural_hazard", "dwellings_gas_hazard"} <= set(tl["indicator"])
    assert pl["problem_id"].iloc[0] == "P0001"
    assert (
        pl.set_index("indicator").loc["roads_with_chaotic_parking", "remediation_zh"] == "尽力解决"
    )
    proj = renewal_projects(pl)
    assert (
        proj["project_id"].tolist()[0] == "R001" and proj["remediation"].iloc[0] == "time_limited"
    )
    st = proj[proj["name_zh"] == "伍家岗区危旧房屋鉴定与加固改造"]
    assert len(st) == 1 and st["n_problems"].iloc[0] == 1


def test_problem_table_errors_are_listed_at_once(tmp_path: Path) -> None:
    bad = pd.DataFrame(
        {
            "指标代码": ["dwellings_gas_hazard", "no_such_code", "dwellings_gas_hazard"],
            "位置": ["A栋", "B栋", ""],
            "数量": [1, "x", -2],
        }
    )
    with pytest.raises(DataError) as ei:
        problems_from_table(bad, known={"dwellings_gas_hazard"})
    msg = str(ei.value)
    assert "3 invalid problem row(s)" not in msg  # 4 problems in 2 rows, counted as problems
    assert "row 3: unknown indicator code 'no_such_code'" in msg
    assert "row 3: count 'x' is not a non-negative number" in msg
    assert "row 4: location is empty" in msg and "row 4: count -2" in msg


def test_remediation_mapping_is_editable(tmp_path: Path) -> None:
    f = tmp_path / "m.yaml"
    f.write_text(
        "indicators:\n  roads_with_chaotic_parking:\n    remediation: time_limited\n"
        "    department_zh: 区交警大队\n",
        encoding="utf-8",
    )
    m = load_remediation_mapping(f)
    e = m["indicators"]["roads_with_chaotic_parking"]
    assert e["remediation"] == "time_limited" and e["department_zh"] == "区交警大队"
    assert e["measure_zh"] == "停车秩序整治与泊位挖潜"  # fields not given are kept
    f.write_text("indicators:\n  x:\n    remediation: someday\n", encoding="utf-8")
    with pytest.raises(DataError, match="remediation must be one of"):
        load_remediation_mapping(f)


def test_problems_from_spatial_counts_homes_beyond_distance() -> None:
    ind = pd.DataFrame(
        {
            "district": ["D1", "D2", "ALL"],
            "park_service_coverage": [95.0, 60.0, 80.0],
            "life_circle_15min_coverage": [85.0, np.nan, 85.0],
        }
    )
    homes = pd.DataFrame(
        {
            "district": ["D2", "D2", "D2", "D1"],
            "weight": [10.0, 20.0, 5.0, 7.0],
            "net_park_500m_m": [300.0, 800.0, np.nan, 900.0],
        }
    )
    p = problems_from_spatial(ind, homes=homes).set_index(["district", "indicator"])
    # D2 park coverage 60 % < 90 %: homes beyond 500 m (800 m and unreachable) weigh 25 persons
    assert p.loc[("D2", "park_service_coverage"), "count"] == 25.0
    assert p.loc[("D2", "park_service_coverage"), "count_unit"] == "persons"
    # D1 life circle 85 % < 90 %: no homes column for it → points below the standard
    assert p.loc[("D1", "life_circle_15min_coverage"), "count"] == pytest.approx(5.0)
    assert ("D1", "park_service_coverage") not in p.index  # 95 % meets the standard
    assert "ALL" not in p.index.get_level_values(0)
    pl = problem_list(p.reset_index(), load_framework("people-city-2025"))
    assert set(pl["level"]) == {"block"} and not math.isnan(pl["count"].sum())
