"""MOHURD road classes, built-up area and urban-road density on synthetic geometries (issue 18).

Classes follow the built-in mapping (facilities.yaml ``roads``): motorway/trunk → expressway
(快速路), primary → arterial (主干路), secondary → secondary (次干路), tertiary/unclassified/
residential/living_street → branch (支路); unclassified/residential/living_street inside
residential land or with private access are compound-internal roads (小区内部道路), not urban
roads. All geometries are synthetic, in metres.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from citycheckup.spatial._facilities import load_facility_config
from citycheckup.spatial._roads import builtup_area, mohurd_road_density, road_classes

CFG = load_facility_config()
AREA = shapely.box(0, 0, 2000, 1000)


def _lines(coords: list[tuple[float, float, float, float]]) -> gpd.GeoSeries:
    return gpd.GeoSeries([shapely.LineString([(a, b), (c, d)]) for a, b, c, d in coords], crs=3857)


def test_road_classes_and_compound_roads() -> None:
    """Residential land: box (0, 0)–(500, 500). Segments: motorway_link → expressway; trunk →
    expressway; primary → arterial; secondary_link → secondary; tertiary → branch (never a
    compound road); residential with its midpoint inside the land → ''; residential outside
    → branch; living_street outside with access=private → ''; unclassified outside with
    access=destination → ''; residential outside with access=yes → branch; footway → ''."""
    lines = _lines(
        [
            (1000, 0, 1100, 0),
            (1000, 10, 1100, 10),
            (1000, 20, 1100, 20),
            (1000, 30, 1100, 30),
            (100, 100, 200, 100),  # tertiary inside the land: still a branch road
            (100, 200, 200, 200),  # residential inside
            (1000, 40, 1100, 40),
            (1000, 50, 1100, 50),
            (1000, 60, 1100, 60),
            (1000, 70, 1100, 70),
            (1000, 80, 1100, 80),
        ]
    )
    hw = ["motorway_link", "trunk", "primary", "secondary_link", "tertiary", "residential",
          "residential", "living_street", "unclassified", "residential", "footway"]  # fmt: skip
    acc = [None, None, None, None, None, None, None, "private", "destination", "yes", None]
    land = shapely.box(0, 0, 500, 500)
    out = road_classes(lines, hw, acc, land, CFG)
    assert out.tolist() == [
        "expressway", "expressway", "arterial", "secondary", "branch", "", "branch", "", "",
        "branch", "",
    ]  # fmt: skip
    # without residential land only the access tag makes a compound road
    out = road_classes(lines, hw, acc, None, CFG)
    assert out[5] == "branch" and out[7] == "" and out[8] == ""
    out = road_classes(lines, hw, acc, shapely.Polygon(), CFG)
    assert out[5] == "branch"
    for a in ("no", "customers"):
        assert road_classes(
            lines[:1].reset_index(drop=True), ["residential"], [a], None, CFG
        ).tolist() == [""]


def test_compound_road_midpoint_rule() -> None:
    """A residential segment from (400, 100) to (700, 100) has its midpoint (550, 100) outside
    the land (0, 0)–(500, 500): an urban branch road, though it starts inside; the mirror
    segment from (300, 100) to (600, 100) has its midpoint (450, 100) inside: compound."""
    lines = _lines([(400, 100, 700, 100), (300, 100, 600, 100)])
    out = road_classes(lines, ["residential"] * 2, [None, None], shapely.box(0, 0, 500, 500), CFG)
    assert out.tolist() == ["branch", ""]


def test_builtup_from_a_user_boundary() -> None:
    b = builtup_area(
        gpd.GeoDataFrame({"tags": []}, geometry=[], crs=3857),
        gpd.GeoDataFrame(geometry=[], crs=3857),
        AREA,
        CFG,
        boundary=shapely.box(-500, 0, 500, 500),
    )
    assert b.source == "user boundary (--built-up)"
    assert b.geometry.area == pytest.approx(500.0 * 500.0)  # clipped to the study area


def test_builtup_without_anything_mapped() -> None:
    b = builtup_area(
        gpd.GeoDataFrame({"tags": []}, geometry=[], crs=3857),
        gpd.GeoDataFrame(geometry=[], crs=3857),
        AREA,
        CFG,
    )
    assert b.geometry.is_empty
    assert b.source == "none: no urban land use or buildings mapped"


def test_builtup_from_land_use_and_buildings() -> None:
    """Urban land use: commercial 200×200 at the origin (40,000 m²). A farmland polygon and a
    commercial *point* do not count. One building 10×10 far away, buffered 30 m:
    10² + 4·10·30 + π·30² = 4,127.4 m² (closing a convex shape changes it by < 1 %).
    The commercial block hangs 100 m outside the study area on the left: 20,000 m² remain."""
    feats = gpd.GeoDataFrame(
        {"tags": [{"landuse": "commercial"}, {"landuse": "farmland"}, {"landuse": "commercial"}]},
        geometry=[
            shapely.box(-100, 0, 100, 200),
            shapely.box(500, 500, 900, 900),
            shapely.Point(1500, 100),
        ],
        crs=3857,
    )
    bld = gpd.GeoDataFrame(geometry=[shapely.box(1500, 500, 1510, 510)], crs=3857)
    b = builtup_area(feats, bld, AREA, CFG)
    assert b.source == "OSM urban land use ∪ buildings buffered 30 m, closed 50 m"
    expected = 100 * 200 + 100 + 1200 + np.pi * 900
    assert b.geometry.area == pytest.approx(expected, rel=0.01)
    # nothing of the farmland square, whose centre is 200 m from both other shapes
    assert not b.geometry.contains(shapely.Point(700, 700))


def test_builtup_closing_fills_a_narrow_gap() -> None:
    """Two 100×100 land-use blocks 60 m apart: closing by 50 m (out 50, in 50) fills the gap
    (60 < 2 × 50). A full 260×100 block would be 26,000 m²; the round corners of the dilation
    leave a notch at the top and bottom of the gap (the two 50 m arcs meet 40 m above the
    blocks' edge at its middle, so up to 10 m of depth stays open), so the area lies between
    20,000 + 60 × 80 = 24,800 and 26,000 m². Blocks 110 m apart (> 100) stay apart: 20,000."""
    feats = gpd.GeoDataFrame(
        {"tags": [{"landuse": "residential"}, {"landuse": "industrial"}]},
        geometry=[shapely.box(100, 100, 200, 200), shapely.box(260, 100, 360, 200)],
        crs=3857,
    )
    b = builtup_area(feats, gpd.GeoDataFrame(geometry=[], crs=3857), AREA, CFG)
    assert 24800.0 < b.geometry.area < 26000.0
    assert b.geometry.contains(shapely.Point(230, 150))
    feats = feats.set_geometry([shapely.box(100, 100, 200, 200), shapely.box(310, 100, 410, 200)])
    b = builtup_area(feats, gpd.GeoDataFrame(geometry=[], crs=3857), AREA, CFG)
    assert b.geometry.area == pytest.approx(20000.0, rel=1e-3)
    assert not b.geometry.contains(shapely.Point(255, 150))


def test_mohurd_road_density() -> None:
    """Districts A = (0, 0)–(1000, 1000), B = (1000, 0)–(2000, 1000); built-up land: the lower
    half of A, (0, 0)–(1000, 500) = 0.5 km², none in B.
    Segments (class, weight): arterial 1,000 m along y = 100 (weight 1) → 1.0 km;
    branch 1,000 m along y = 200 (weight 0.5) → 0.5 km; arterial along y = 800 (outside the
    built-up land) → 0; '' (compound) along y = 300 → not counted; branch in B → 0 (B has no
    built-up land → NaN).
    A: total (1.0 + 0.5) / 0.5 = 3.0 km/km², arterial 2.0, branch 1.0, expressway 0;
    ALL equals A (all built-up land is in A)."""
    lines = _lines(
        [
            (0, 100, 1000, 100),
            (0, 200, 1000, 200),
            (0, 800, 1000, 800),
            (0, 300, 1000, 300),
            (1200, 100, 1800, 100),
        ]
    )
    cls = ["arterial", "branch", "arterial", "", "branch"]
    w = [1.0, 0.5, 1.0, 1.0, 1.0]
    d = gpd.GeoDataFrame(
        {"district": ["A", "B"]},
        geometry=[shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000)],
        crs=3857,
    )
    out = mohurd_road_density(lines, cls, w, d, shapely.box(0, 0, 1000, 500))
    assert sorted(out) == ["arterial", "branch", "expressway", "secondary", "total"]
    assert out["total"]["A"] == pytest.approx(3.0)
    assert out["arterial"]["A"] == pytest.approx(2.0)
    assert out["branch"]["A"] == pytest.approx(1.0)
    assert out["expressway"]["A"] == 0.0
    assert out["total"]["ALL"] == pytest.approx(3.0)
    for k in out:
        assert np.isnan(out[k]["B"])
    assert list(out["total"].index) == ["A", "B", "ALL"]
    only = mohurd_road_density(lines, cls, w, d, shapely.box(0, 0, 1000, 500), ("arterial",))
    assert sorted(only) == ["arterial", "total"]
    none = mohurd_road_density(lines, cls, w, d, shapely.Polygon())
    assert np.isnan(none["total"]).all()
