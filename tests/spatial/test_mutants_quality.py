"""Data-quality measures and GB 50180 facility expectations, on synthetic geometries (issue 18).

Every figure below is derived by hand from the synthetic districts, homes and land polygons
built in the test, with the built-in mapping's ``quality`` thresholds (facilities.yaml:
36.52 m² of floor area per person, home completeness 0.5, 50,000 m² of floor area per km² of
built-up land, natural share 0.3, facility completeness 0.5) and GB 50180-2018 populations
(15-min circle 50,000–100,000, 10-min 15,000–25,000, 5-min 5,000–12,000, residential block
1,000–3,000 residents).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from citycheckup.spatial._facilities import _parse, load_facility_config
from citycheckup.spatial._quality import (
    data_quality,
    expected_facilities,
    facility_table,
    natural_land,
)

CFG = load_facility_config()
A = shapely.box(0, 0, 1000, 1000)  # 1 km²
B = shapely.box(1000, 0, 2000, 1000)  # 1 km²
AREA = shapely.box(0, 0, 2000, 1000)  # 2 km²


def _districts() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"district": ["A", "B"]}, geometry=[A, B], crs=3857)


def _homes(weights: list[float]) -> gpd.GeoDataFrame:
    """Three homes in A (two buildings of 10,000 and 5,000 m², one grid cell), one in B (1,000 m²)."""
    return gpd.GeoDataFrame(
        {
            "district": ["A", "A", "A", "B"],
            "weight": weights,
            "floor_area": [10000.0, 5000.0, 0.0, 1000.0],
            "source": ["building", "building", "population cell", "building"],
        },
        geometry=shapely.points([(100, 100), (200, 200), (300, 300), (1500, 500)]),
        crs=3857,
    )


def _run(**kw: Any) -> Any:
    args: dict[str, Any] = {
        "has_population": True,
        "builtup": shapely.box(0, 0, 500, 1000),  # half of A
        "builtup_from_user": False,
        "natural": shapely.box(1000, 0, 1400, 1000),  # 40 % of B
        "counts": {},
        "config": CFG,
    }
    args.update(kw)
    homes = args.pop("homes", _homes([300.0, 200.0, 100.0, 29400.0]))
    return data_quality(_districts(), AREA, homes, **args)


def test_measures_per_district_and_all() -> None:
    """A: 600 residents, 15,000 m² → 15,000 / (600 × 36.52) = 68.456 % complete;
    B: 29,400 residents, 1,000 m² → 1,000 / (29,400 × 36.52) = 0.0931 %;
    ALL: 30,000 residents, 16,000 m² → 16,000 / (30,000 × 36.52) = 1.4604 %.
    Built-up land 0.5 km² (all in A): A 30,000 m²/km², B none (NaN), ALL 32,000 m²/km²;
    shares 50 %, 0 %, 25 %. Natural land 0.4 km² in B: 0 %, 40 %, 20 %."""
    rep = _run()
    t = rep.table.set_index("district")
    assert list(t.index) == ["A", "B", "ALL"]
    np.testing.assert_allclose(t["residents"], [600.0, 29400.0, 30000.0])
    assert t["homes_mapped"].tolist() == [2, 1, 3]
    np.testing.assert_allclose(t["residential_floor_area_m2"], [15000.0, 1000.0, 16000.0])
    np.testing.assert_allclose(
        t["floor_area_per_resident_m2"], [25.0, 1000.0 / 29400.0, 16000.0 / 30000.0]
    )
    np.testing.assert_allclose(
        t["home_completeness_pct"],
        [100 * 15000 / (600 * 36.52), 100 * 1000 / (29400 * 36.52), 100 * 16000 / (30000 * 36.52)],
    )
    np.testing.assert_allclose(t["floor_area_per_builtup_km2"], [30000.0, np.nan, 32000.0])
    np.testing.assert_allclose(t["builtup_share_pct"], [50.0, 0.0, 25.0])
    np.testing.assert_allclose(t["natural_share_pct"], [0.0, 40.0, 20.0])
    # B and ALL are thinly mapped (below 50 %); A (68 %) is not
    assert sorted(rep.home_low) == ["ALL", "B"]
    assert rep.home_low["B"] == (
        "mapped residential floor area 1,000 m² is 0 % of 29,400 residents × 36.52 m² "
        "(threshold 50 %): homes are thinly mapped"
    )
    assert rep.natural_high == {
        "B": "40 % of the area is water, forest or farmland (threshold 30 %): per-area figures "
        "understate the built-up area"
    }
    # built-up land from OSM covers 0 % of B (< 10 %); A 50 %, ALL 25 %
    assert rep.builtup_low == {
        "B": "built-up land from OSM covers 0 % of the area: land use and buildings are thinly "
        "mapped (give --built-up)"
    }
    assert t.loc["A", "flags"] == ""
    assert t.loc["B", "flags"] == "; ".join(
        [rep.home_low["B"], rep.natural_high["B"], rep.builtup_low["B"]]
    )
    assert t.loc["ALL", "flags"] == rep.home_low["ALL"]


def test_builtup_low_not_flagged_for_a_user_boundary() -> None:
    assert _run(builtup_from_user=True).builtup_low == {}


@pytest.mark.parametrize(
    ("width", "flagged"),
    [(299.0, False), (300.0, False), (301.0, True)],  # natural share 29.9 %, 30 %, 30.1 % of B
)
def test_natural_share_boundary(width: float, flagged: bool) -> None:
    rep = _run(natural=shapely.box(1000, 0, 1000 + width, 1000))
    assert ("B" in rep.natural_high) is flagged


@pytest.mark.parametrize(
    ("width", "flagged"),
    [(99.0, True), (100.0, False), (101.0, False)],  # built-up 9.9 %, 10 %, 10.1 % of B
)
def test_builtup_share_boundary(width: float, flagged: bool) -> None:
    rep = _run(builtup=shapely.box(1000, 0, 1000 + width, 1000))
    assert ("B" in rep.builtup_low) is flagged


@pytest.mark.parametrize(("b_floor", "flagged"), [(9129.0, True), (9130.0, False), (9131.0, False)])
def test_home_completeness_boundary(b_floor: float, flagged: bool) -> None:
    """B has 500 residents, who need 500 × 36.52 = 18,260 m²: 9,130 m² is exactly 0.5 (not
    flagged, the rule is "below 0.5"); 9,129 m² is below (flagged); 9,131 m² above."""
    homes = _homes([300.0, 200.0, 100.0, 500.0])
    homes["floor_area"] = [10000.0, 5000.0, 0.0, b_floor]
    rep = _run(homes=homes)
    assert ("B" in rep.home_low) is flagged


def test_without_population_floor_area_per_builtup_land() -> None:
    """No population: A has 15,000 m² on 0.5 km² of built-up land = 30,000 m²/km² < 50,000
    → flagged; B has no built-up land (never flagged on this measure); ALL 32,000 → flagged."""
    rep = _run(has_population=False)
    t = rep.table.set_index("district")
    assert t["residents"].isna().all()
    assert t["home_completeness_pct"].isna().all()
    assert t["floor_area_per_resident_m2"].isna().all()
    assert sorted(rep.home_low) == ["A", "ALL"]
    assert rep.home_low["A"] == (
        "mapped residential floor area 30,000 m² per km² of built-up land is below 50,000 "
        "(no population given): homes are thinly mapped"
    )
    assert rep.category_completeness == {}


@pytest.mark.parametrize(
    ("floor", "flagged"), [(24999.0, True), (25000.0, False), (25001.0, False)]
)
def test_floor_area_per_builtup_boundary(floor: float, flagged: bool) -> None:
    """A's 0.5 km² of built-up land: 25,000 m² of floor area is exactly 50,000 m²/km²."""
    homes = _homes([1.0, 1.0, 1.0, 1.0])
    homes["floor_area"] = [floor, 0.0, 0.0, 1000.0]
    rep = _run(has_population=False, homes=homes)
    assert ("A" in rep.home_low) is flagged


def test_category_completeness_against_gb50180() -> None:
    """30,000 residents: property management (block, 1,000–3,000) expects ≥ 10 → 4 found = 0.4;
    middle school (15-min, 50,000–100,000) expects ≥ 0.3 → 1 found = min(1, 3.33) = 1; bank
    (10-min 15,000–25,000 is more local than 15-min) expects ≥ 1.2 → 0 found = 0."""
    rep = _run(counts={"property_management": 4, "middle_school": 1})
    comp = rep.category_completeness
    assert comp["property_management"] == pytest.approx(0.4)
    assert comp["middle_school"] == 1.0
    assert comp["bank"] == 0.0
    assert "park" not in comp  # polygons have no expected count


def test_expected_facilities_take_the_most_local_circle() -> None:
    """100,000 residents: middle school only in the 15-min circle → (1, 2); sports ground in
    the 15-, 10- and 5-min circles → 5-min (100,000/12,000, 100,000/5,000) = (8.33, 20);
    waste station in the 5-min circle and the block → block (33.3, 100); bus stop in the
    10- and 5-min circles → 5-min."""
    exp = expected_facilities(CFG, 100000.0)
    assert exp["middle_school"] == pytest.approx((1.0, 2.0))
    assert exp["sports_ground"] == pytest.approx((100000 / 12000, 20.0))
    assert exp["waste_station"] == pytest.approx((100000 / 3000, 100.0))
    assert exp["bus_stop"] == pytest.approx((100000 / 12000, 20.0))
    assert exp["bank"] == pytest.approx((4.0, 100000 / 15000))
    assert "park" not in exp and "square" not in exp


def _two_circle_config(pop_a: list[int], pop_b: list[int]) -> Any:
    raw = {
        "version": 2,
        "categories": {"shop": {"osm": [{"shop": True}]}},
        "life_circles": {
            "near": {
                "distance_m": 300,
                "population": pop_a,
                "items": [{"item": "s", "categories": ["shop"]}],
            },
            "far": {
                "distance_m": 900,
                "population": pop_b,
                "items": [{"item": "s", "categories": ["shop"]}],
            },
            "none": {"distance_m": 1200, "items": [{"item": "s", "categories": ["shop"]}]},
        },
        "roads": {"classes": {"branch": ["residential"]}},
    }
    return _parse(raw, "test")


def test_expected_facilities_ties_keep_the_first_circle() -> None:
    """Two circles with the same minimum (12,000/3,000 = 4): the nearer circle (300 m, listed
    first) keeps its maximum 12,000/1,000 = 12, not the far one's 12,000/2,000 = 6. A circle
    without a population adds nothing."""
    cfg = _two_circle_config([1000, 3000], [2000, 3000])
    assert expected_facilities(cfg, 12000.0) == {"shop": pytest.approx((4.0, 12.0))}
    # the far circle is more local (higher minimum): 12,000/2,000 = 6
    cfg = _two_circle_config([1000, 3000], [1000, 2000])
    assert expected_facilities(cfg, 12000.0) == {"shop": pytest.approx((6.0, 12.0))}


def test_facility_table_status_and_rates() -> None:
    """20,000 residents: middle school expects 20,000/100,000 = 0.2 (1 per 10k: 0.1 … 0.2);
    found 0 → 0/0.2 = 0 < 0.5 → low; bank (10-min) expects 0.8 … 1.33, found 1 → 1.25 ≥ 0.5
    → ok; property management (block) expects 6.67 … 20, found 3 → 0.45 → low, 4 → 0.6 → ok.
    A status given by the caller wins; a category without expectation keeps ''."""
    counts = {"bank": 1, "property_management": 3}
    t = facility_table(CFG, counts, 20000.0, {"telecom": "not_expressible"}).set_index("category")
    assert t.loc["middle_school", "status"] == "low"
    assert t.loc["bank", "status"] == "ok"
    assert t.loc["property_management", "status"] == "low"
    assert t.loc["telecom", "status"] == "not_expressible"
    assert t.loc["park", "status"] == ""
    assert t.loc["bank", "found"] == 1
    assert t.loc["bank", "per_10k_residents"] == pytest.approx(0.5)
    assert t.loc["bank", "expected_min_per_10k"] == pytest.approx(0.4)
    assert t.loc["bank", "expected_max_per_10k"] == pytest.approx(1e4 / 15000)
    assert t.loc["middle_school", "expected_min_per_10k"] == pytest.approx(0.1)
    assert np.isnan(t.loc["park", "expected_min_per_10k"])
    assert t.loc["bank", "name_zh"] == CFG.categories["bank"].name_zh
    assert t.loc["bank", "osm_expressible"]
    t4 = facility_table(CFG, {"property_management": 4}, 20000.0, {}).set_index("category")
    assert t4.loc["property_management", "status"] == "ok"


def test_facility_table_without_population() -> None:
    t = facility_table(CFG, {"bank": 2}, None, {}).set_index("category")
    assert t.loc["bank", "found"] == 2
    assert np.isnan(t.loc["bank", "per_10k_residents"])
    assert np.isnan(t.loc["bank", "expected_min_per_10k"])
    assert (t["status"] == "").all()


def test_facility_completeness_boundary() -> None:
    """Property management (residential block, 1,000–3,000 residents each): 6,000 residents
    expect at least 6,000 / 3,000 = 2, so 1 found is exactly 0.5 → ok (the rule is "below
    0.5"); 6,001 residents expect 2.0003, so 1 found is below 0.5 → low."""
    t = facility_table(CFG, {"property_management": 1}, 6000.0, {}).set_index("category")
    assert t.loc["property_management", "status"] == "ok"
    t = facility_table(CFG, {"property_management": 1}, 6001.0, {}).set_index("category")
    assert t.loc["property_management", "status"] == "low"


def test_natural_land_union_of_tagged_polygons() -> None:
    """A lake (natural=water, 100×100) and a farm (landuse=farmland, 100×50) overlapping by
    50×50 give 10,000 + 5,000 − 2,500 = 12,500 m²; a park polygon and a water *point* are left
    out."""
    feats = gpd.GeoDataFrame(
        {
            "tags": [
                {"natural": "water"},
                {"landuse": "farmland"},
                {"leisure": "park"},
                {"natural": "water"},
            ]
        },
        geometry=[
            shapely.box(0, 0, 100, 100),
            shapely.box(50, 50, 150, 100),
            shapely.box(500, 500, 900, 900),
            shapely.Point(1000, 1000),
        ],
        crs=3857,
    )
    assert natural_land(feats, CFG).area == pytest.approx(12500.0)
    assert natural_land(feats.iloc[2:], CFG).is_empty
    assert natural_land(feats.iloc[:0], CFG).is_empty


def test_quality_table_is_a_frame() -> None:
    assert isinstance(_run().table, pd.DataFrame)


def test_thresholds_default_when_the_mapping_has_no_quality_section() -> None:
    """A mapping without ``quality`` uses the documented defaults (36.52 m² per person, 0.5,
    50,000 m²/km², 0.3): the same measures and flags as the built-in mapping, whose values
    are the same."""
    bare = _parse(
        {
            "version": 2,
            "categories": {"shop": {"osm": [{"shop": True}]}},
            "life_circles": {
                "near": {
                    "distance_m": 300,
                    "population": [1000, 2000],
                    "items": [{"item": "shop", "categories": ["shop"]}],
                }
            },
            "roads": {"classes": {"branch": ["residential"]}},
        },
        "bare.yaml",
    )
    assert bare.quality == {}
    rep, ref = _run(config=bare), _run()
    pd.testing.assert_frame_equal(rep.table, ref.table)
    assert rep.home_low == ref.home_low and rep.natural_high == ref.natural_high
    rep = _run(config=bare, has_population=False)
    assert rep.home_low["A"] == (
        "mapped residential floor area 30,000 m² per km² of built-up land is below 50,000 "
        "(no population given): homes are thinly mapped"
    )
    # facility completeness defaults to 0.5: 4,000 residents expect ≥ 4,000 / 2,000 = 2 shops;
    # 1 found is exactly half (ok), none is low
    t = facility_table(bare, {"shop": 1}, 4000.0, {}).set_index("category")
    assert t.loc["shop", "status"] == "ok"
    t = facility_table(bare, {}, 4000.0, {}).set_index("category")
    assert t.loc["shop", "status"] == "low"
