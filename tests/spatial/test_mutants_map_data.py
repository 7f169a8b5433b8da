"""Map layout and map data as plain arrays, on synthetic districts (issue 18).

Path codes are matplotlib's (MOVETO 1, LINETO 2, CLOSEPOLY 79); a square ring has 5
coordinates (closed), so its codes are 1, 2, 2, 2, 79.
"""

from __future__ import annotations

import copy

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from citycheckup.errors import OutputError
from citycheckup.spatial._map_data import (
    _outline,
    _rings,
    map_data,
    map_layout,
    same_layout,
)
from citycheckup.spatial._result import IssueLog, SpatialResult


def test_rings_with_a_hole_and_non_polygons() -> None:
    """A 10×10 square with a 2×2 hole: two rings of 5 points each."""
    poly = shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], [[(4, 4), (6, 4), (6, 6), (4, 6)]])
    r = _rings(poly)
    assert r is not None
    verts, codes = r
    assert verts.shape == (10, 2)
    assert codes.tolist() == [1, 2, 2, 2, 79, 1, 2, 2, 2, 79]
    assert codes.dtype == np.uint8
    assert _rings(shapely.LineString([(0, 0), (1, 1)])) is None
    mixed = shapely.GeometryCollection([shapely.Point(0, 0), shapely.box(0, 0, 1, 1)])
    assert _rings(mixed)[1].tolist() == [1, 2, 2, 2, 79]  # type: ignore[index]


def test_outline() -> None:
    two = shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(5, 5, 6, 6)])
    xs, ys = _outline(two)
    assert xs.size == 12 and np.isnan(xs[5]) and np.isnan(xs[11])
    assert np.nanmax(xs) == 6.0 and np.nanmin(ys) == 0.0
    # parts that are not polygons are left out
    coll = shapely.GeometryCollection([shapely.box(0, 0, 1, 1), shapely.Point(9, 9)])
    assert _outline(coll)[0].size == 6


def _districts() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"district": ["A", 7], "cov": [50.0, np.nan]},
        geometry=[shapely.box(0, 0, 100, 100), shapely.box(100, 0, 300, 50)],
        crs=3857,
    )


def test_layout() -> None:
    net = gpd.GeoSeries(
        [shapely.LineString([(0, 0), (10, 0)]), shapely.LineString([(10, 0), (10, 5)])], crs=3857
    )
    area = shapely.box(-10, -10, 310, 110)
    m = map_layout(_districts(), net, area)
    assert m.names == ["A", "7"]
    assert m.bounds == (0.0, 0.0, 300.0, 100.0)
    assert m.areas.tolist() == [10000.0, 10000.0]
    assert m.label_points.shape == (2, 2)
    assert shapely.box(0, 0, 100, 100).contains(shapely.Point(m.label_points[0]))
    assert m.segments is not None and m.segments.tolist() == [[[0, 0], [10, 0]], [[10, 0], [10, 5]]]
    assert m.outline is not None and np.nanmax(m.outline[0]) == 310.0
    # without districts the study area gives the bounds; without either it is an error
    m = map_layout(_districts().iloc[:0], None, area)
    assert m.bounds == (-10.0, -10.0, 310.0, 110.0) and m.segments is None
    assert m.label_points.shape == (0, 2)
    assert map_layout(_districts(), gpd.GeoSeries([], crs=3857), None).outline is None
    with pytest.raises(
        OutputError, match="no districts and no study area: there is nothing to map"
    ):
        map_layout(_districts().iloc[:0], None, None)


def test_map_data_values_and_flags() -> None:
    log = IssueLog()
    log.add("A", "cov", "thin", "low_quality")
    log.add("7", "cov", "none")
    res = SpatialResult(
        indicators=pd.DataFrame({"district": ["A", "7", "ALL"], "cov": [50.0, np.nan, 42.0]}),
        missing=log.frame(),
        districts=_districts().assign(district=["A", "7"]),
        homes=gpd.GeoDataFrame(geometry=[]),
        manifest={},
        units={"cov": "%"},
        labels={"cov": {"zh": "覆盖率", "en": "Coverage"}},
    )
    m = map_data(res, ["cov"])
    np.testing.assert_array_equal(m.values["cov"], [50.0, np.nan])
    assert m.whole_area == {"cov": 42.0}
    assert m.units == {"cov": "%"} and m.labels == {"cov": {"zh": "覆盖率", "en": "Coverage"}}
    assert m.labels["cov"] is not res.labels["cov"]
    assert m.low["cov"].tolist() == [True, False]
    res.units = {}
    assert map_data(res, ["cov"]).units == {"cov": ""}


def test_same_layout_compares_each_part() -> None:
    area = shapely.box(-10, -10, 310, 110)
    net = gpd.GeoSeries([shapely.LineString([(0, 0), (10, 0)])], crs=3857)
    a = map_layout(_districts(), net, area)
    assert same_layout(a, copy.deepcopy(a))
    changes = [
        ("names", ["A", "8"]),
        ("bounds", (0.0, 0.0, 300.0, 101.0)),
        ("paths", a.paths[:1]),
        ("outline", None),
        ("areas", a.areas + 1),
        ("label_points", a.label_points + 1),
        ("segments", None),
    ]
    for attr, value in changes:
        b = copy.deepcopy(a)
        setattr(b, attr, value)
        assert not same_layout(a, b), attr
        assert not same_layout(b, a), attr
    b = copy.deepcopy(a)
    b.outline = (a.outline[0] + 1, a.outline[1])  # type: ignore[index]
    assert not same_layout(a, b)
    b = copy.deepcopy(a)
    b.paths = [None, a.paths[1]]
    assert not same_layout(a, b) and not same_layout(b, a)
    b = copy.deepcopy(a)
    p0 = a.paths[0]
    assert p0 is not None
    b.paths = [(p0[0] + 1, p0[1]), a.paths[1]]
    assert not same_layout(a, b)
    b.paths = [(p0[0], p0[1] * 0 + 2), a.paths[1]]
    assert not same_layout(a, b)
    # NaN equals NaN in the outline (its ring separators)
    assert same_layout(a, copy.deepcopy(a))
    # both without outline and segments: the same
    c = map_layout(_districts(), None, None)
    assert same_layout(c, copy.deepcopy(c))
