"""GB 50180-2018 items, the park rule, MOHURD road density and data-quality flags."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from citycheckup.errors import SpatialError
from citycheckup.spatial import compute_spatial, load_facility_config
from tests.spatial.spatial_town import COMPLETE_TAGS, complete_town_xml


@pytest.fixture
def complete_town(tmp_path: Path) -> Path:
    p = tmp_path / "complete.osm"
    p.write_text(complete_town_xml(), encoding="utf-8")
    return p


def test_every_gb50180_item_is_found_in_a_complete_town(complete_town: Path) -> None:
    res = compute_spatial(complete_town, grid=1000)
    lc = res.life_circles
    assert set(lc["circle"]) == {"5min", "10min", "15min", "block"}
    not_checked = lc[lc["status"] != "checked"]
    assert not_checked.empty, not_checked[["circle", "item", "status"]].to_string()
    # every category is told apart by its own tags: one facility each (bus stops: the town has one too)
    counts = res.facility_counts.set_index("category")["found"]
    for cat in COMPLETE_TAGS:
        assert counts[cat] >= 1, cat
    t = res.indicators.set_index("district")
    for code in ("life_circle_5min_coverage", "life_circle_10min_coverage", "life_circle_15min_coverage",
                 "residential_block_coverage"):  # fmt: skip
        assert np.isfinite(t.loc["ALL", code]), code
    # no partial-circle rows when every item was checked
    assert not (res.missing["status"] == "partial").any()
    # the compound holding every facility covers its one home fully; the others lie in no compound
    assert t.loc["ALL", "residential_block_coverage"] == pytest.approx(100.0)


def test_items_not_found_are_named_and_the_circle_is_partial(tmp_path: Path) -> None:
    from tests.spatial.spatial_town import town_xml

    p = tmp_path / "town.osm"
    p.write_text(town_xml(), encoding="utf-8")
    res = compute_spatial(p, grid=1000)
    lc = res.life_circles.set_index(["circle", "item"])
    assert lc.loc[("5min", "kindergarten"), "status"] == "checked"
    assert lc.loc[("5min", "elderly_day_care"), "status"] == "not_found"
    # the unnamed amenity=school tells neither primary nor middle school: not counted as either
    assert lc.loc[("10min", "primary_school"), "status"] == "not_found"
    m = res.missing[
        (res.missing.indicator == "life_circle_5min_coverage") & (res.missing.district == "ALL")
    ]
    partial = m[m.status == "partial"].reason.iloc[0]
    assert (
        "社区食堂 (community_canteen: not found)" in partial and "computed over 4 of 18" in partial
    )
    # a circle with no item found at all is missing, not 0
    assert np.isnan(res.indicators.set_index("district").loc["ALL", "life_circle_15min_coverage"])


def test_category_rules_tell_facilities_apart() -> None:
    cfg = load_facility_config()
    tags = [
        {"amenity": "school", "name": "北京市第一〇一中学"},
        {"amenity": "school", "name": "海淀实验小学"},
        {"amenity": "school"},
        {"leisure": "nature_reserve", "name": "湿地保护区"},
        {"leisure": "garden", "access": "private", "name": "小区花园"},
        {"leisure": "park", "name": "紫竹院公园"},
        {"amenity": "townhall", "name": "学院路街道办事处"},
    ]
    assert cfg.matches("middle_school", tags).tolist() == [
        True,
        False,
        False,
        False,
        False,
        False,
        False,
    ]
    assert cfg.matches("primary_school", tags).tolist() == [
        False,
        True,
        False,
        False,
        False,
        False,
        False,
    ]
    # 公园绿地: parks, not nature reserves or private compound gardens
    assert cfg.matches("park", tags).tolist() == [False, False, False, False, False, True, False]
    assert cfg.matches("subdistrict_office", tags).tolist()[-1]
    # items OSM has no tag for are marked: found only by their Chinese names
    basis = {n: c.osm_basis for n, c in cfg.categories.items()}
    assert basis["justice_office"] == "names only" and basis["kindergarten"] == "tags"


def test_one_park_rule_stated_once() -> None:
    cfg = load_facility_config()
    rules = {r.code: r for r in cfg.park_rules}
    assert set(rules) == {"park_service_coverage", "park_square_coverage_500m"}
    assert rules["park_service_coverage"].mohurd_id == "L-06"
    assert rules["park_service_coverage"].radii == ((2000.0, 300.0), (5000.0, 500.0))


def test_mohurd_road_density_differs_from_all_roads(complete_town: Path) -> None:
    res = compute_spatial(complete_town, grid=1000)
    a = res.indicators.set_index("district").loc["ALL"]
    # all motor roads: 5 rows × 400 m of residential street over the 0.25 km² bounds
    assert a["road_density_all_roads"] == pytest.approx(5 * 0.4 / 0.25, rel=0.02)
    # MOHURD: row 0 runs through the compound (10–90 m … it passes south of it: y = 0 vs 5–60 m),
    # so all five rows are urban branch roads, counted per km² of built-up land instead
    bu = res.manifest["built_up_area"]["km2"]
    assert 0 < bu < 0.25
    assert a["road_network_density"] == pytest.approx(a["road_density_branch"])
    assert a["road_network_density"] != pytest.approx(a["road_density_all_roads"], rel=0.05)
    assert res.labels["road_network_density"]["zh"] == "城市道路网密度"
    assert "not MOHURD" in res.labels["road_density_all_roads"]["en"]
    assert res.units["road_network_density"] == "km/km²"


def test_compound_roads_are_not_urban_roads() -> None:
    import geopandas as gpd
    from shapely.geometry import LineString, box

    from citycheckup.spatial._roads import road_classes

    cfg = load_facility_config()
    lines = gpd.GeoSeries(
        [LineString([(10, 10), (90, 10)]), LineString([(10, 200), (90, 200)]),
         LineString([(0, 300), (100, 300)]), LineString([(0, 400), (100, 400)])],
        crs="EPSG:32650",
    )  # fmt: skip
    compound = box(0, 0, 100, 100)
    cls = road_classes(lines, ["residential", "residential", "primary", "unclassified"],
                       ["", "", "", "private"], compound, cfg)  # fmt: skip
    assert cls.tolist() == ["", "branch", "arterial", ""]


def test_quality_flags_thin_homes_against_population(tmp_path: Path) -> None:
    import geopandas as gpd

    from tests.spatial.spatial_town import DLAT, DLON, LAT0, LON0, town_xml

    p = tmp_path / "town.osm"
    p.write_text(town_xml(), encoding="utf-8")
    # 5 homes × 1,600 m² × 6 storeys = 48,000 m² of floor area; at 36.52 m² per resident that
    # houses 1,314 persons. 1,000 residents: complete (132 %); 3,000: 44 % < 50 % → flagged.
    pts = gpd.GeoDataFrame(
        {"population": [0.0]},
        geometry=gpd.points_from_xy([LON0 + 2 * DLON], [LAT0 + 2 * DLAT]),
        crs="EPSG:4326",
    )
    ok = compute_spatial(p, grid=1000, population=pts.assign(population=1000.0))
    low = compute_spatial(p, grid=1000, population=pts.assign(population=3000.0))
    qa = ok.quality.set_index("district").loc["ALL"]
    assert qa["home_completeness_pct"] == pytest.approx(100 * 48000 / (1000 * 36.52), rel=0.02)
    assert not any("thinly mapped" in r for r in ok.missing[ok.missing.district == "ALL"].reason)
    m = low.missing
    flagged = m[(m.status == "low_quality") & (m.district == "ALL")]
    assert "transit_stop_coverage_500m" in set(flagged.indicator)
    assert any("homes are thinly mapped" in r for r in flagged.reason)
    assert low.indicators.set_index("district").loc["ALL", "quality"] == "low"
    assert "ALL" in low.manifest["quality"]["districts_low"]


def test_bad_mapping_lists_every_problem(tmp_path: Path) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text(
        'version: 2\ncategories:\n  a: {osm: [{"name~": "("}]}\n  b: {poi: [x]}\n'
        "life_circles:\n  5min: {distance_m: 300, items: [{item: x, categories: [zzz]}]}\n"
        "roads: {classes: {branch: [residential]}}\n",
        encoding="utf-8",
    )
    with pytest.raises(SpatialError) as err:
        load_facility_config(p)
    msg = str(err.value)
    assert (
        "bad regular expression" in msg
        and "needs an 'osm' list" in msg
        and "unknown categories ['zzz']" in msg
    )


def test_table_has_quality_column_and_missing_statuses(complete_town: Path) -> None:
    res = compute_spatial(complete_town, grid=1000)
    assert res.indicators.columns[-1] == "quality"
    assert set(res.indicators["quality"]) <= {"ok", "low"}
    assert set(res.missing["status"]) <= {"missing", "low_quality", "partial"}
    assert isinstance(res.quality, pd.DataFrame) and "natural_share_pct" in res.quality.columns
