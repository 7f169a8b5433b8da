"""Indicator functions on hand-made inputs with known answers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, box

from citycheckup.spatial import (
    building_coverage_ratio,
    carriageway_weights,
    consolidated_intersections,
    coverage_share,
    intersection_density,
    life_circle_coverage,
    park_area_per_capita,
    road_network_density,
)

CRS = "EPSG:32650"


def two_districts() -> tuple[gpd.GeoDataFrame, shapely.Geometry]:
    d = gpd.GeoDataFrame(
        {"district": ["A", "B"]},
        geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)],
        crs=CRS,
    )
    return d, box(0, 0, 2000, 1000)


def test_coverage_share_percent_with_missing_and_empty_districts() -> None:
    d = [100.0, 400.0, np.inf, np.nan, 200.0]
    w = [1.0, 1.0, 2.0, 5.0, 4.0]
    dist = ["A", "A", "A", "A", "B"]
    s = coverage_share(d, w, dist, ["A", "B", "C"], threshold_m=300)
    # A: covered 1 of evaluable 1+1+2 (NaN home left out) → 25 %
    assert s["A"] == pytest.approx(25.0)
    assert s["B"] == pytest.approx(100.0)
    assert np.isnan(s["C"])  # no homes: missing, never 0
    assert s["ALL"] == pytest.approx(100 * 5 / 8)


def test_life_circle_needs_every_category() -> None:
    a = [100.0, 100.0, 900.0]
    b = [200.0, 600.0, 100.0]
    s = life_circle_coverage([a, b], [1, 1, 1], ["A", "A", "A"], ["A"], threshold_m=500)
    assert s["A"] == pytest.approx(100 / 3)


def test_dual_carriageway_counts_once() -> None:
    lines = gpd.GeoSeries(
        [
            LineString([(0, 0), (100, 0)]),
            LineString([(100, 20), (0, 20)]),
            LineString([(0, 300), (100, 300)]),
        ],
        crs=CRS,
    )
    w = carriageway_weights(lines, ["primary"] * 3, ["yes", "yes", "no"], [1, 2, 3])
    assert w.tolist() == [0.5, 0.5, 1.0]
    # same direction (two parallel one-way streets going the same way) is not a divided road
    w2 = carriageway_weights(
        lines.iloc[[0, 0]].reset_index(drop=True), ["primary"] * 2, ["yes"] * 2, [1, 2]
    )
    assert w2.tolist() == [1.0, 1.0]


def test_road_network_density_km_per_km2() -> None:
    d, area = two_districts()
    lines = gpd.GeoSeries(
        [LineString([(0, 500), (2000, 500)]), LineString([(500, 0), (500, 1000)])], crs=CRS
    )
    s = road_network_density(lines, [1.0, 1.0], d, area)
    assert s["A"] == pytest.approx(2.0)  # 1 km + 1 km in 1 km²
    assert s["B"] == pytest.approx(1.0)
    assert s["ALL"] == pytest.approx(1.5)


def test_intersections_consolidate_within_tolerance() -> None:
    # a 4-way crossing split into two 3-way nodes 10 m apart, and a separate T 200 m away
    x = [0, 10, -50, 60, 0, 10, 200, 150, 250, 200]
    y = [500, 500, 500, 500, 550, 450, 500, 500, 500, 550]
    u = [0, 0, 1, 0, 1, 6, 6, 6]
    v = [1, 2, 3, 4, 5, 7, 8, 9]
    pts = consolidated_intersections(x, y, u, v, tolerance_m=15)
    assert len(pts) == 2
    pts_fine = consolidated_intersections(x, y, u, v, tolerance_m=5)
    assert len(pts_fine) == 3
    d, area = two_districts()
    s = intersection_density(pts, d, area)
    assert s["A"] == pytest.approx(2.0) and s["B"] == 0 and s["ALL"] == pytest.approx(1.0)


def test_building_coverage_and_park_per_capita() -> None:
    d, area = two_districts()
    b = gpd.GeoSeries([box(0, 0, 100, 100), box(50, 0, 150, 100), box(1000, 0, 1100, 100)], crs=CRS)
    s = building_coverage_ratio(b, d, area)
    assert s["A"] == pytest.approx(100 * 15000 / 1e6)  # overlapping footprints count once
    assert s["B"] == pytest.approx(1.0)
    parks = gpd.GeoSeries([box(0, 0, 200, 100)], crs=CRS)
    p = park_area_per_capita(parks, d, area, pd.Series({"A": 100.0, "B": 0.0}))
    assert p["A"] == pytest.approx(200.0)
    assert np.isnan(p["B"])
    assert p["ALL"] == pytest.approx(200.0)
