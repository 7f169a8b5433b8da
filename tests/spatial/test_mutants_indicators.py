"""Spatial indicator functions on synthetic geometries with hand-derived values (issue 18).

All geometries are built here in a metric CRS (EPSG:3857 coordinates used as metres); none
come from an OSM extract. Each expected value is derived in the test's docstring.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from citycheckup.spatial._indicators import (
    ALL,
    building_coverage_ratio,
    carriageway_weights,
    consolidated_intersections,
    coverage_share,
    intersection_density,
    length_within,
    life_circle_coverage,
    park_area_per_capita,
    road_network_density,
)

A = shapely.box(0, 0, 1000, 1000)
B = shapely.box(1000, 0, 2000, 1000)
AREA = shapely.box(0, 0, 2000, 1000)


def _districts() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"district": ["A", "B"]}, geometry=[A, B], crs=3857)


# ---------------------------------------------------------------- coverage


def test_coverage_share_threshold_weights_and_missing() -> None:
    """Homes (distance, weight, district): (300, 2, A) covered at 300 m (≤); (300.001, 3, A)
    not; (inf, 5, B) not; (NaN, 7, B) left out; (100, 1, None) in ALL only.
    A: 2 / 5 = 40 %; B: 0 / 5 = 0 %; C (no homes): NaN; ALL: (2 + 1) / (2 + 3 + 5 + 1) = 27.27 %."""
    s = coverage_share(
        [300.0, 300.001, np.inf, np.nan, 100.0],
        [2.0, 3.0, 5.0, 7.0, 1.0],
        np.array(["A", "A", "B", "B", "Z"], dtype=object),
        ["A", "B", "C"],
        threshold_m=300.0,
    )
    assert list(s.index) == ["A", "B", "C", ALL]
    assert s["A"] == pytest.approx(40.0)
    assert s["B"] == 0.0
    assert np.isnan(s["C"])
    assert s[ALL] == pytest.approx(300.0 / 11.0)
    assert s.dtype == np.float64


def test_coverage_share_district_array_is_not_modified() -> None:
    district = np.array(["A", "Z"], dtype=object)
    coverage_share([1.0, 1.0], [1.0, 1.0], district, ["A"], threshold_m=5)
    assert district.tolist() == ["A", "Z"]


def test_coverage_share_all_unevaluable_is_nan_and_zero_weight_district_is_nan() -> None:
    """Every home NaN: ALL has no evaluable weight → NaN (not 0). District B's only home has
    weight 0 → its denominator is 0 → NaN; A 1/1 = 100 %; ALL 100 %."""
    s = coverage_share([np.nan], [1.0], ["A"], ["A"], threshold_m=10)
    assert np.isnan(s["A"]) and np.isnan(s[ALL])
    s = coverage_share([1.0, 1.0], [1.0, 0.0], ["A", "B"], ["A", "B"], threshold_m=10)
    assert s["A"] == 100.0 and np.isnan(s["B"]) and s[ALL] == 100.0


def test_coverage_share_is_clipped_to_100() -> None:
    """0.1 + 0.2 (covered) over 0.1 + 0.2 (evaluable): the sums are equal, so exactly 100."""
    w = [0.1, 0.2, 0.7]
    s = coverage_share([1.0, 1.0, 1.0], w, ["A", "A", "A"], ["A"], threshold_m=10)
    assert s["A"] <= 100.0 and s[ALL] <= 100.0
    assert s["A"] == pytest.approx(100.0)


def test_life_circle_coverage_worst_category_and_nan() -> None:
    """Two categories: home 1 (100, 250) → worst 250 ≤ 300 covered; home 2 (100, 400) not;
    home 3 (NaN, 10) unevaluable. Weights 1, 1, 5 → 1 / 2 = 50 % (NaN home left out; counting
    it would give 1/7)."""
    s = life_circle_coverage(
        [[100.0, 100.0, np.nan], [250.0, 400.0, 10.0]],
        [1.0, 1.0, 5.0],
        ["A", "A", "A"],
        ["A"],
        threshold_m=300.0,
    )
    assert s["A"] == pytest.approx(50.0)
    assert s[ALL] == pytest.approx(50.0)


# ---------------------------------------------------------------- areas


def test_building_coverage_ratio_union_and_clipping() -> None:
    """Buildings: 100×100 in A, an overlapping 100×100 shifted by 50 (union 15,000 m²), and a
    200×100 straddling A/B (100×100 in each) → A 25,000 m² of 1 km² = 2.5 %, B 10,000 = 1 %,
    ALL 35,000 / 2 km² = 1.75 %. A building outside the area counts nowhere."""
    b = gpd.GeoSeries(
        [
            shapely.box(100, 100, 200, 200),
            shapely.box(150, 100, 250, 200),
            shapely.box(900, 500, 1100, 600),
            shapely.box(5000, 5000, 5100, 5100),
        ],
        crs=3857,
    )
    r = building_coverage_ratio(b, _districts(), AREA)
    assert r["A"] == pytest.approx(2.5)
    assert r["B"] == pytest.approx(1.0)
    assert r[ALL] == pytest.approx(1.75)
    r0 = building_coverage_ratio(gpd.GeoSeries([], crs=3857), _districts(), AREA)
    assert r0.tolist() == [0.0, 0.0, 0.0]


def test_park_area_per_capita() -> None:
    """A park of 200×100 = 20,000 m² in A and one of 100×100 straddling A/B (5,000 m² each):
    A 25,000 m² / 500 persons = 50 m²/person; B 5,000 m² / 0 persons → NaN; ALL 30,000 / 500
    = 60."""
    parks = gpd.GeoSeries([shapely.box(0, 0, 200, 100), shapely.box(950, 0, 1050, 100)], crs=3857)
    pop = pd.Series({"A": 500.0, "B": 0.0})
    r = park_area_per_capita(parks, _districts(), AREA, pop)
    assert r["A"] == pytest.approx(50.0)
    assert np.isnan(r["B"])
    assert r[ALL] == pytest.approx(60.0)
    r = park_area_per_capita(parks, _districts(), AREA, pd.Series({"A": 0.0, "B": 0.0}))
    assert np.isnan(r[ALL])
    r = park_area_per_capita(gpd.GeoSeries([], crs=3857), _districts(), AREA, pop)
    assert r["A"] == 0.0 and r[ALL] == 0.0


# ---------------------------------------------------------------- roads


def _segments(coords: list[tuple[float, float, float, float]]) -> gpd.GeoSeries:
    return gpd.GeoSeries([shapely.LineString([(a, b), (c, d)]) for a, b, c, d in coords], crs=3857)


def test_dual_carriageway_pair_and_its_conditions() -> None:
    """Segments 0/1: opposite one-way carriageways 10 m apart, same class (primary and
    primary_link count as one class), different ways → 0.5 each. Segment 2: one-way the
    same direction as 0, 25 m away (35 m from 1) → stays 1 (not opposite). Segment 3:
    opposite to 0, 20 m away, but secondary → 1. Segment 4: two-way → 1."""
    lines = _segments(
        [
            (0, 0, 100, 0),
            (100, 10, 0, 10),
            (0, -25, 100, -25),
            (100, 20, 0, 20),
            (100, -20, 0, -20),
        ]
    )
    w = carriageway_weights(
        lines,
        ["primary", "primary_link", "primary", "secondary", "primary"],
        ["yes", "-1", "yes", "yes", "no"],
        [1, 2, 3, 4, 5],
    )
    np.testing.assert_array_equal(w, [0.5, 0.5, 1.0, 1.0, 1.0])


def test_dual_carriageway_same_way_or_single_one_way() -> None:
    lines = _segments([(0, 0, 100, 0), (100, 10, 0, 10)])
    # the same way id: the two directions of one way are not a divided road
    w = carriageway_weights(lines, ["primary", "primary"], ["yes", "yes"], [7, 7])
    np.testing.assert_array_equal(w, [1.0, 1.0])
    # only one one-way segment
    w = carriageway_weights(lines, ["primary", "primary"], ["yes", None], [1, 2])
    np.testing.assert_array_equal(w, [1.0, 1.0])
    for flag in ("true", "1", "reverse"):
        w = carriageway_weights(lines, ["primary", "primary"], ["yes", flag], [1, 2])
        np.testing.assert_array_equal(w, [0.5, 0.5])
    assert carriageway_weights(_segments([]), [], [], []).size == 0


@pytest.mark.parametrize(("gap", "half"), [(29.999, True), (30.0, True), (30.001, False)])
def test_dual_carriageway_merge_distance_boundary(gap: float, half: bool) -> None:
    """Midpoints ``gap`` metres apart; within 30 m (inclusive) the pair is merged."""
    lines = _segments([(0, 0, 100, 0), (100, gap, 0, gap)])
    w = carriageway_weights(lines, ["primary", "primary"], ["yes", "yes"], [1, 2])
    np.testing.assert_array_equal(w, [0.5, 0.5] if half else [1.0, 1.0])


@pytest.mark.parametrize(("deg", "half"), [(29.0, True), (31.0, False), (0.0, True)])
def test_dual_carriageway_angle_boundary(deg: float, half: bool) -> None:
    """The second carriageway turned ``deg`` from exactly opposite (about its midpoint)."""
    t = np.radians(180.0 + deg)
    dx, dy = 50 * np.cos(t), 50 * np.sin(t)
    lines = _segments([(0, 0, 100, 0), (50 - dx, 10 - dy, 50 + dx, 10 + dy)])
    w = carriageway_weights(lines, ["primary", "primary"], ["yes", "yes"], [1, 2])
    np.testing.assert_array_equal(w, [0.5, 0.5] if half else [1.0, 1.0])


def test_length_within_cuts_only_crossing_lines() -> None:
    """Line 0 wholly inside A (300 m, weight 1); line 1 crosses into B (500 m in A, 500 in B,
    weight 0.5); line 2 outside. Length in A: 300 + 0.5 × 500 = 550; in B: 250."""
    geoms = _segments([(100, 100, 400, 100), (500, 500, 1500, 500), (0, 5000, 100, 5000)])
    g = geoms.to_numpy()
    w = np.array([1.0, 0.5, 1.0])
    assert length_within(g, w, A) == pytest.approx(550.0)
    assert length_within(g, w, B, shapely.STRtree(g)) == pytest.approx(250.0)
    assert length_within(g, w, shapely.box(10000, 0, 10001, 1)) == 0.0
    assert length_within(g, w, shapely.Polygon()) == 0.0
    assert length_within(g[:0], w[:0], A) == 0.0
    # a line along A's boundary is not properly inside: its length inside A is its own
    assert length_within(_segments([(0, 0, 1000, 0)]).to_numpy(), np.ones(1), A) == pytest.approx(
        1000.0
    )


def test_road_network_density() -> None:
    """A: 550 m (see above) per 1 km² = 0.55 km/km²; B: 0.25; ALL: (300 + 0.5 × 1,000 +
    100) m / 2 km² = 0.45 (every segment given counts in ALL, by its whole length)."""
    lines = _segments([(100, 100, 400, 100), (500, 500, 1500, 500), (0, 5000, 100, 5000)])
    r = road_network_density(lines, [1.0, 0.5, 1.0], _districts(), AREA)
    assert r["A"] == pytest.approx(0.55)
    assert r["B"] == pytest.approx(0.25)
    assert r[ALL] == pytest.approx(0.45)
    r0 = road_network_density(_segments([]), [], _districts(), AREA)
    assert r0.tolist() == [0.0, 0.0, 0.0]


# ---------------------------------------------------------------- intersections


def _star(
    cx: float, cy: float, base: int
) -> tuple[list[tuple[float, float]], list[tuple[int, int]]]:
    """A node with three arms (degree 3) at (cx, cy); nodes numbered from ``base``."""
    pts = [(cx, cy), (cx + 50, cy), (cx - 50, cy), (cx, cy + 50)]
    return pts, [(base, base + 1), (base, base + 2), (base, base + 3)]


def test_consolidated_intersections() -> None:
    """Two degree-3 nodes 10 m apart (≤ 15 m) merge at their midpoint; a third 100 m away
    stays. A degree-2 node (a bend), duplicated edges and a self-loop do not make an
    intersection."""
    p1, e1 = _star(0, 0, 0)
    p2, e2 = _star(10, 0, 4)
    p3, e3 = _star(100, 100, 8)
    pts = p1 + p2 + p3 + [(500, 500), (550, 500), (500, 550)]
    edges = e1 + e2 + e3 + [(12, 13), (13, 12), (12, 14), (12, 12)]
    x, y = np.array(pts).T
    u, v = np.array(edges).T
    out = consolidated_intersections(x, y, u, v)
    out = out[np.lexsort((out[:, 1], out[:, 0]))]
    np.testing.assert_allclose(out, [[5.0, 0.0], [100.0, 100.0]])
    # at 10 m tolerance exactly (inclusive) they still merge; at 9.9 m they do not
    assert len(consolidated_intersections(x, y, u, v, tolerance_m=10.0)) == 2
    assert len(consolidated_intersections(x, y, u, v, tolerance_m=9.9)) == 3
    assert consolidated_intersections([0.0, 1.0], [0.0, 0.0], [0], [1]).shape == (0, 2)


def test_three_nodes_merge_transitively() -> None:
    """Nodes at x = 0, 12, 24 (each 12 m from the next, 24 m end to end): one intersection at
    x = 12 (a chain, not only pairs)."""
    pts: list[tuple[float, float]] = []
    edges: list[tuple[int, int]] = []
    for k, cx in enumerate((0.0, 12.0, 24.0)):
        p, e = _star(cx, 0.0, 4 * k)
        pts += p
        edges += e
    x, y = np.array(pts).T
    u, v = np.array(edges).T
    np.testing.assert_allclose(consolidated_intersections(x, y, u, v), [[12.0, 0.0]])


def test_intersection_density_shared_border_counts_once() -> None:
    """Points: (500, 500) in A, (1000, 500) on the A/B border (counted once, in the first
    district that the spatial index returns — A or B, never both), (1500, 500) in B, and
    (5000, 5000) outside. Per district: counts / 1 km²; ALL: 3 inside / 2 km² = 1.5."""
    pts = np.array([[500.0, 500.0], [1000.0, 500.0], [1500.0, 500.0], [5000.0, 5000.0]])
    r = intersection_density(pts, _districts(), AREA)
    assert r["A"] + r["B"] == pytest.approx(3.0)
    assert {r["A"], r["B"]} == {1.0, 2.0}
    assert r[ALL] == pytest.approx(1.5)
    r0 = intersection_density(np.empty((0, 2)), _districts(), AREA)
    assert r0.tolist() == [0.0, 0.0, 0.0]
