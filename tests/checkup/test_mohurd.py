"""The check-up as MOHURD runs it (issue 11) on a SYNTHETIC city (tests/checkup/synthetic_mohurd.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from citycheckup.checkup import (
    LOWER_LEVELS,
    CheckupOptions,
    mohurd_composite,
    run_checkup,
    run_mohurd,
)
from citycheckup.data import Dataset
from citycheckup.diagnosis import aspect_grade
from citycheckup.diagnosis.grades import GRADE_POINTS
from citycheckup.errors import DataError
from citycheckup.framework import load_framework

from .synthetic_mohurd import DENOMINATORS, synthetic_city


@pytest.fixture(scope="module")
def fw():
    return load_framework("mohurd-2025")


@pytest.fixture(scope="module")
def result(fw):
    return run_mohurd(
        Dataset(data=synthetic_city(fw), source="synthetic city"), fw, CheckupOptions()
    )


def test_lower_levels_are_counts_over_denominators_never_graded(fw, result) -> None:
    inv = result.inventories
    lower = {i.code for i in fw.indicators if i.level in LOWER_LEVELS}
    assert set(inv["indicator"]) == lower  # every lower-level indicator appears …
    counts = inv[inv["indicator"] == "buildings_structural_hazard"].set_index("year")
    assert counts.loc[2024, "denominator_value"] == DENOMINATORS["residential_buildings"]
    assert counts.loc[2024, "rate"] == pytest.approx(100 * counts.loc[2024, "count"] / 8302)
    assert not set(result.grades["indicator"]) & lower  # … and none is graded
    assert not set(result.ungraded["indicator"]) & lower


def test_changing_only_the_number_of_buildings_does_not_change_the_grades(fw, result) -> None:
    bigger = run_mohurd(
        Dataset(data=synthetic_city(fw, buildings_factor=3.0), source="synthetic city ×3"),
        fw,
        CheckupOptions(),
    )
    key = ["unit_code", "year", "indicator"]
    pd.testing.assert_frame_equal(
        result.grades.sort_values(key).reset_index(drop=True),
        bigger.grades.sort_values(key).reset_index(drop=True),
    )
    pd.testing.assert_frame_equal(
        result.aspect_grades.reset_index(drop=True), bigger.aspect_grades.reset_index(drop=True)
    )
    a = result.inventories.set_index(key)
    b = bigger.inventories.set_index(key)
    hz = ("420500", 2024, "buildings_structural_hazard")
    assert b.loc[hz, "count"] == 3 * a.loc[hz, "count"] and b.loc[hz, "rate"] == pytest.approx(
        a.loc[hz, "rate"]
    )


def test_park_area_below_the_mandatory_floor_is_poor(result) -> None:
    g = result.grades.set_index(["year", "indicator"])
    assert g.loc[(2024, "park_area_per_capita"), "grade"] == "poor"
    assert g.loc[(2024, "park_area_per_capita"), "tier"] == "national_standard"


def test_aspect_grades_follow_the_documented_rule(fw, result) -> None:
    """Recompute every aspect grade by hand from the indicator grades (points 4/3/2/1, weighted mean)."""
    w = {i.code: i.weight for i in fw.indicators}
    asp = {i.code: i.aspect or fw.parent_of()[i.code] for i in fw.indicators}
    g = result.grades.dropna(subset=["grade"])
    assert len(result.aspect_grades) > 0
    for rec in result.aspect_grades.to_dict("records"):
        part = g[(g["year"] == rec["year"]) & (g["indicator"].map(asp) == rec["dimension"])]
        pts = part["grade"].map(GRADE_POINTS)
        ws = part["indicator"].map(w)
        mean = float((pts * ws).sum() / ws.sum())
        n_poor = int((part["grade"] == "poor").sum())
        assert rec["mean_points"] == pytest.approx(mean)
        assert rec["grade"] == aspect_grade(mean, n_poor, len(part))


def test_grades_read_by_conference_task_as_well(fw, result) -> None:
    assert set(result.task_grades["dimension"]) <= set(fw.tasks)
    assert len(result.task_grades) > 0


def test_thresholds_that_do_not_apply_are_references_with_a_reason(fw, result) -> None:
    refs = result.references
    air = refs[refs["indicator"] == "good_air_quality_days_ratio"]
    assert len(air) and set(air["reason"]) == {"reference_only"}  # national-average targets
    rec = refs[refs["indicator"] == "reclaimed_water_utilisation_rate"]
    assert set(rec["reason"]) == {"target_year"} and set(rec["reason_year"]) == {
        2025
    }  # 2023–24: a 2025 target
    later = run_mohurd(
        Dataset(data=synthetic_city(fw, years=(2025, 2026)), source="synthetic city"),
        fw,
        CheckupOptions(),
    )
    rec = later.references[later.references["indicator"] == "reclaimed_water_utilisation_rate"]
    assert set(rec["reason"]) == {
        "water_scarce_unknown"
    }  # the data does not say: never graded by guess


def test_water_scarce_city_is_graded_for_reclaimed_water(fw) -> None:
    data = synthetic_city(fw, years=(2025, 2026)).assign(water_scarce="是")
    res = run_mohurd(
        Dataset(data=data, source="synthetic city", groups=["water_scarce"]), fw, CheckupOptions()
    )
    g = res.grades.set_index(["year", "indicator"])
    assert (2025, "reclaimed_water_utilisation_rate") in g.index


def test_composite_is_optional_and_on_rates_only(fw, result) -> None:
    two = pd.concat(
        [synthetic_city(fw), synthetic_city(fw, seed=8, code="420600", name="襄阳市")],
        ignore_index=True,
    )
    res = run_mohurd(Dataset(data=two, source="two synthetic cities"), fw, CheckupOptions())
    comp = mohurd_composite(res, scoring="relative")
    used = set(comp.coverage.loc[comp.coverage["status"] == "used", "indicator"])
    counts = {i.code for i in fw.indicators if i.unit in ("个", "座", "栋", "起", "套")}
    assert used and not used & counts
    assert not used & {i.code for i in fw.indicators if i.level in LOWER_LEVELS}
    assert "rates" in comp.framework.code


def test_run_checkup_refuses_a_mohurd_framework(fw) -> None:
    with pytest.raises(DataError, match="run_mohurd"):
        run_checkup(Dataset(data=synthetic_city(fw), source="x"), fw, CheckupOptions())
