"""Facilities by category, home–facility distances and compound items (issue 18).

Synthetic walk network: a straight street of four nodes at x = 0, 100, 200, 300 m (y = 0),
edges of 100 m. Every expected distance is the sum of straight pieces along it, derived in
each test's docstring.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from citycheckup.spatial._access import (
    Access,
    compound_item_coverage,
    facilities_by_category,
    facility_distances,
)
from citycheckup.spatial._facilities import CircleItem, LifeCircle, load_facility_config
from citycheckup.spatial._graph import WalkGraph, snap_points

CFG = load_facility_config()


def _street() -> WalkGraph:
    return WalkGraph.from_edges([0.0, 100.0, 200.0, 300.0], [0.0] * 4, [0, 1, 2], [1, 2, 3])


def _dist(geoms: list[shapely.Geometry], *, limit: float = np.inf, access_m: float = 30.0) -> tuple:
    g = _street()
    hx, hy = np.array([0.0, 0.0]), np.array([10.0, 900.0])  # the second home is too far to snap
    homes = snap_points(g, hx, hy, max_snap_m=100.0)
    return facility_distances(
        g,
        homes,
        shapely.points(hx, hy),
        np.array(geoms, dtype=object),
        access_m=access_m,
        max_snap_m=100.0,
        limit=limit,
    )


def test_point_facility() -> None:
    """Home (0, 10) → 10 m to the street at x = 0; shop (150, −5) → 5 m to the street at
    x = 150: 10 + 150 + 5 = 165 m. Straight line: √(150² + 15²) = 150.75 m. The unsnapped home
    (0, 900) gets NaN on the network and √(150² + 905²) = 917.3 m straight."""
    net, euc, lost = _dist([shapely.Point(150, -5)])
    assert net[0] == pytest.approx(165.0)
    assert np.isnan(net[1])
    assert euc[0] == pytest.approx(np.hypot(150, 15))
    assert euc[1] == pytest.approx(np.hypot(150, 905))
    assert lost == 0


def test_limit() -> None:
    """165 m is beyond a 160 m limit (→ inf) and within 165 m."""
    assert np.isinf(_dist([shapely.Point(150, -5)], limit=160.0)[0][0])
    assert _dist([shapely.Point(150, -5)], limit=165.0)[0][0] == pytest.approx(165.0)


def test_area_entered_at_nodes_within_the_access_distance() -> None:
    """Park (250, 20)–(350, 120): node 3 (300, 0) is 20 m from it (≤ 30: an entrance, offset
    20); node 2 (200, 0) is √(50² + 20²) = 53.9 m away (not). Home → node 3 → park:
    10 + 300 + 20 = 330 m (through its point on the surface instead it would be 10 + 300 +
    70 = 380). Straight line to the park's edge: √(250² + 10²) = 250.2 m."""
    park = shapely.box(250, 20, 350, 120)
    net, euc, lost = _dist([park])
    assert net[0] == pytest.approx(330.0)
    assert euc[0] == pytest.approx(np.hypot(250, 10))
    assert lost == 0
    # an access distance of 19 m leaves the park without entrance: it is snapped at a point
    # on its surface (300, 70), 70 m from the street at x = 300 → 10 + 300 + 70 = 380
    net, _, _ = _dist([park], access_m=19.0)
    assert net[0] == pytest.approx(380.0)
    # with 54 m node 2 is an entrance too: 10 + 200 + 53.85 = 263.85
    net, _, _ = _dist([park], access_m=54.0)
    assert net[0] == pytest.approx(210.0 + np.hypot(50, 20))


def test_area_without_an_entrance_and_an_unreachable_area() -> None:
    """Square (50, 40)–(60, 50): the nearest node is √(40² + 40²) = 56.6 m away (> 30), so it
    is snapped at its point on the surface (55, 45): 45 m from the street at x = 55, on the
    home's own edge: 10 + 55 + 45 = 110 m. A square at (1000, 1000) lies beyond the 100 m snap
    distance: one facility not attached."""
    net, euc, lost = _dist([shapely.box(50, 40, 60, 50), shapely.box(1000, 1000, 1010, 1010)])
    assert net[0] == pytest.approx(110.0)
    assert euc[0] == pytest.approx(np.hypot(50, 30))
    assert lost == 1


def test_points_and_areas_together() -> None:
    """Shop (150, −5) at 165 m and park entrance at 330 m: the nearest wins, 165 m; the
    straight line goes to the nearer geometry (the shop, 150.75 m)."""
    net, euc, lost = _dist([shapely.box(250, 20, 350, 120), shapely.Point(150, -5)])
    assert net[0] == pytest.approx(165.0)
    assert euc[0] == pytest.approx(np.hypot(150, 15))
    assert lost == 0


def test_no_facilities() -> None:
    net, euc, lost = _dist([])
    assert np.isinf(net[0]) and np.isnan(net[1])
    assert np.isnan(euc).all() and lost == 0


def _features() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "tags": [
                {"amenity": "bank"},
                {"leisure": "park"},  # 0–100 square, half outside the area
                {"leisure": "park"},  # a park mapped as a point: not an area
                {"leisure": "park", "access": "private"},
                {"highway": "bus_stop"},
                {"leisure": "park"},  # wholly outside: nothing left after clipping
            ]
        },
        geometry=[
            shapely.Point(10, 10),
            shapely.box(-50, 0, 50, 100),
            shapely.Point(20, 20),
            shapely.box(100, 100, 150, 150),
            shapely.Point(30, 30),
            shapely.box(-300, 0, -200, 100),
        ],
        crs=3857,
    )


AREA = shapely.box(0, 0, 500, 500)


def test_facilities_by_category_from_osm() -> None:
    acc = facilities_by_category(_features(), AREA, CFG)
    assert isinstance(acc, Access)
    assert acc.found("bank") == 1 and acc.sources["bank"] == ["OSM"]
    assert acc.found("park") == 1  # the point, the private park and the outside park are out
    assert acc.facilities["park"].geometry.iloc[0].area == pytest.approx(50 * 100)
    assert acc.found("bus_stop") == 1
    assert acc.found("no such category") == 0
    assert acc.facilities["bank"].crs == _features().crs
    assert acc.facilities["pharmacy"].crs == _features().crs and acc.found("pharmacy") == 0


def test_pois_and_gtfs_stops() -> None:
    """POI rows add to OSM for point categories with keywords (bank: 银行), never to
    polygons; GTFS stops replace OSM's bus stops and rail stations."""
    pois = gpd.GeoDataFrame(
        {"category": ["金融保险服务;银行", "餐饮服务", "风景名胜;公园"]},
        geometry=[shapely.Point(1, 1), shapely.Point(2, 2), shapely.Point(3, 3)],
        crs=3857,
    )
    stops = gpd.GeoDataFrame(
        {"category": ["bus_stop", "bus_stop", "rail_station"]},
        geometry=[shapely.Point(5, 5), shapely.Point(6, 6), shapely.Point(7, 7)],
        crs=3857,
    )
    stops.attrs["source"] = "feed.zip"
    acc = facilities_by_category(_features(), AREA, CFG, pois=pois, stops=stops)
    assert acc.found("bank") == 2 and acc.sources["bank"] == ["OSM", "POI table"]
    assert acc.found("park") == 1 and acc.sources["park"] == ["OSM"]
    assert acc.found("bus_stop") == 2 and acc.sources["bus_stop"] == ["GTFS feed.zip"]
    assert acc.found("rail_station") == 1 and acc.sources["rail_station"] == ["GTFS feed.zip"]
    assert acc.found("restaurant") == 1  # 餐饮 is a restaurant keyword
    # a feed without a source name
    stops.attrs.pop("source")
    acc = facilities_by_category(_features(), AREA, CFG, pois=pois.iloc[:0], stops=stops)
    assert acc.sources["bus_stop"] == ["GTFS"]
    assert acc.sources["bank"] == ["OSM", "POI table"] and acc.found("bank") == 1


def test_no_features() -> None:
    empty = _features().iloc[:0]
    acc = facilities_by_category(empty, AREA, CFG)
    assert acc.found("bank") == 0 and acc.found("park") == 0


def test_compound_items() -> None:
    """Compounds C1 = (0, 0)–(100, 100), C2 = (200, 0)–(300, 100); homes in C1, in C2 and in
    neither. Recycling point 20 m east of C1 (≤ 30: C1 has the waste item, which any of
    waste station/recycling satisfies); property management at (150, 50), 50 m from both;
    playground exactly 30 m east of C2 (at the edge distance: present) and another 30.5 m
    north of C1 (absent). Per item: 0 present, inf absent, NaN for the home in no compound."""
    homes = gpd.GeoDataFrame(
        geometry=[shapely.Point(50, 50), shapely.Point(250, 50), shapely.Point(500, 500)],
        crs=3857,
    )
    compounds = gpd.GeoSeries(
        [shapely.box(0, 0, 100, 100), shapely.box(200, 0, 300, 100)], crs=3857
    )
    items = (
        CircleItem("waste", "垃圾", "Waste", ("waste_station", "recycling")),
        CircleItem("pm", "物业", "PM", ("property_management",)),
        CircleItem("play", "场地", "Play", ("playground",)),
        CircleItem("none", "无", "None", ("parcel_point",)),
    )
    circle = LifeCircle("block", "街坊", "Block", None, items, scope="compound", edge_m=30.0)

    def pts(*xy: tuple[float, float]) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(geometry=[shapely.Point(p) for p in xy], crs=3857)

    fac = {
        "recycling": pts((120, 50)),
        "property_management": pts((150, 50)),
        "playground": pts((330, 50), (50, 130.5)),
        "parcel_point": pts(),
    }
    out = compound_item_coverage(homes, compounds, circle, fac, ["waste", "pm", "play", "none"])
    np.testing.assert_array_equal(out[0], [0.0, np.inf, np.nan])
    np.testing.assert_array_equal(out[1], [np.inf, np.inf, np.nan])
    np.testing.assert_array_equal(out[2], [np.inf, 0.0, np.nan])
    np.testing.assert_array_equal(out[3], [np.inf, np.inf, np.nan])
    # no compounds mapped: every home is NaN
    out = compound_item_coverage(homes, compounds.iloc[:0], circle, fac, ["waste"])
    assert np.isnan(out[0]).all()
