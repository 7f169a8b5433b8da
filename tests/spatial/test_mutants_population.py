"""Homes from buildings and the dasymetric placement of population (issue 18).

Synthetic buildings, population polygons/points and census tables built in the tests
(metres, EPSG:3857); each expected weight is derived by hand in the docstring: floor area
= footprint × storeys, and a cell's persons split over its buildings by floor area.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from citycheckup.errors import SpatialError
from citycheckup.spatial._facilities import load_facility_config
from citycheckup.spatial._population import (
    _levels,
    _share_by_floor_area,
    homes_from_buildings,
    population_homes,
    read_census,
)

CFG = load_facility_config()
CRS = pyproj.CRS.from_epsg(3857)
AREA = shapely.box(0, 0, 1000, 1000)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, 1.0),
        ("6", 6.0),
        ("2,5", 2.5),
        ("4;7", 4.0),
        ("x", 1.0),
        ("0", 1.0),  # storeys must be > 0 …
        ("0.5", 0.5),
        ("199", 199.0),  # … and < 200
        ("200", 1.0),
        ("-3", 1.0),
    ],
)
def test_levels(raw: str | None, expected: float) -> None:
    tags = {} if raw is None else {"building:levels": raw}
    assert _levels(tags, 1.0) == expected


def _buildings() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "tags": [
                {"building": "apartments", "building:levels": "6"},  # 20×10 × 6 = 1,200
                {"building": "yes"},  # inside residential land: 10×10 × 1 = 100
                {"building": "yes"},  # outside: not a home
                {"building": "office", "building:levels": "9"},  # not residential
                {"building": "house"},  # degenerate: zero area
            ]
        },
        geometry=[
            shapely.box(0, 0, 20, 10),
            shapely.box(100, 100, 110, 110),
            shapely.box(600, 600, 610, 610),
            shapely.box(300, 300, 320, 320),
            shapely.Polygon([(0, 0), (1, 1), (2, 2)]),
        ],
        crs=3857,
    )


def test_homes_from_buildings() -> None:
    h = homes_from_buildings(_buildings(), shapely.box(50, 50, 200, 200), CFG)
    assert h["floor_area"].tolist() == [1200.0, 100.0]
    assert h["weight"].tolist() == [1200.0, 100.0]
    assert set(h["source"]) == {"building"}
    assert h.crs == _buildings().crs
    assert h.geometry.iloc[0].within(shapely.box(0, 0, 20, 10))
    # without residential land a generic building=yes is not a home
    assert homes_from_buildings(_buildings(), None, CFG)["floor_area"].tolist() == [1200.0]
    assert homes_from_buildings(_buildings(), shapely.Polygon(), CFG)["floor_area"].tolist() == [
        1200.0
    ]
    empty = homes_from_buildings(_buildings().iloc[:0], None, CFG)
    assert len(empty) == 0 and list(empty.columns) == ["weight", "floor_area", "source", "geometry"]


def test_share_by_floor_area() -> None:
    """Cell 0 (300 persons) has buildings of 100 and 200 m² → 100 and 200 persons; cell 1
    (50 persons) has none; a building outside every cell (−1) gets 0; a cell whose buildings
    all have 0 m² gives 0 (not NaN)."""
    out = _share_by_floor_area(
        np.array([0, 0, -1, 2]), np.array([100.0, 200.0, 50.0, 0.0]), np.array([300.0, 50.0, 10.0])
    )
    np.testing.assert_allclose(out, [100.0, 200.0, 0.0, 0.0])
    assert _share_by_floor_area(np.array([-1]), np.array([5.0]), np.array([1.0])).tolist() == [0.0]


def _homes() -> gpd.GeoDataFrame:
    """Building homes: 100 m² at (100, 100), 300 m² at (150, 150), 200 m² at (700, 700)."""
    return gpd.GeoDataFrame(
        {
            "weight": [100.0, 300.0, 200.0],
            "floor_area": [100.0, 300.0, 200.0],
            "source": "building",
        },
        geometry=shapely.points([(100, 100), (150, 150), (700, 700)]),
        crs=3857,
    )


def test_population_polygons() -> None:
    """Polygon P1 (0, 0)–(500, 500), 1,000 persons, holds homes of 100 and 300 m² → 250 and
    750. Polygon P2 (500, 500)–(1500, 1000) is half outside the study area: 400 × 0.5 = 200
    persons, all to the 200 m² home. Polygon P3 (0, 500)–(500, 1000), 90 persons, has no home:
    they stay at its 50 m lattice points (10 × 10 = 100 points of 0.9). The population outside
    buildings is 90 / 1,290 = 7.0 %."""
    grid = gpd.GeoDataFrame(
        {"population": [1000, 400, 90]},
        geometry=[
            shapely.box(0, 0, 500, 500),
            shapely.box(500, 500, 1500, 1000),
            shapely.box(0, 500, 500, 1000),
        ],
        crs=3857,
    )
    grid.attrs["source"] = "cells.gpkg"
    r = population_homes(_homes(), AREA, CRS, grid=grid)
    b = r.homes[r.homes["source"] == "building"]
    np.testing.assert_allclose(b["weight"], [250.0, 750.0, 200.0])
    rest = r.homes[r.homes["source"] != "building"]
    assert len(rest) == 100
    np.testing.assert_allclose(rest["weight"], 0.9)
    assert rest.geometry.x.min() == 25.0 and rest.geometry.y.min() == 525.0
    assert r.total == pytest.approx(1290.0)
    assert r.notes == [
        "7.0 % of the population lies in cells without a mapped residential building and stays "
        "at the cell (mapped homes are incomplete there)"
    ]
    assert r.method.startswith("population polygons cells.gpkg (3): ")


def test_population_points() -> None:
    """Points 400 m apart → radius 0.75 × 400 = 300 m. Point (125, 125), 800 persons: homes
    at (100, 100) and (150, 150) (35 m away) share it 100 : 300 → 200 and 600. Point
    (525, 125), 50 persons: nearest home is 409 m away → stays at the point. Point (2000, 0)
    outside the study area is dropped. The 200 m² home at (700, 700) is 590 m from (525, 125):
    no persons, so it is left out."""
    grid = gpd.GeoDataFrame(
        {"pop": [800.0, 50.0, 999.0]},
        geometry=shapely.points([(125, 125), (525, 125), (2000, 0)]),
        crs=3857,
    )
    r = population_homes(_homes(), AREA, CRS, grid=grid)
    got = sorted(zip(r.homes["source"], r.homes["weight"].round(6), strict=True))
    assert got == [
        ("building", 200.0),
        ("building", 600.0),
        ("population cell without mapped buildings", 50.0),
    ]
    assert "within 300 m (nearest point)" in r.method


def test_one_population_point_uses_250_m() -> None:
    """A single point: the radius is 250 m. At (300, 300) the 100 and 300 m² homes are 283 m
    and 212 m away: only the second (within 250 m) gets the 90 persons."""
    grid = gpd.GeoDataFrame({"population": [90.0]}, geometry=[shapely.Point(300, 300)], crs=3857)
    r = population_homes(_homes(), AREA, CRS, grid=grid)
    assert r.homes["weight"].tolist() == [90.0]
    assert r.homes["floor_area"].tolist() == [300.0]
    assert "within 250 m" in r.method


def test_bad_population_layers() -> None:
    grid = gpd.GeoDataFrame({"people": [1.0]}, geometry=[shapely.Point(1, 1)], crs=3857)
    with pytest.raises(SpatialError, match="population column not found") as err:
        population_homes(_homes(), AREA, CRS, grid=grid)
    assert "found ['people', 'geometry']" in str(err.value)
    r = population_homes(_homes(), AREA, CRS, grid=grid, column="people")
    assert r.total == 1.0
    grid = gpd.GeoDataFrame(
        {"population": [1.0, -2.0, None]},
        geometry=shapely.points([(1, 1), (2, 2), (3, 3)]),
        crs=3857,
    )
    with pytest.raises(SpatialError, match="invalid population values") as err:
        population_homes(_homes(), AREA, CRS, grid=grid)
    assert "2 value(s) of 'population' are missing or negative (first rows: [1, 2])" in str(
        err.value
    )
    with pytest.raises(SpatialError, match="needs a grid or census totals"):
        population_homes(_homes(), AREA, CRS)


def _districts() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"district": ["A", "B", "C"]},
        geometry=[
            shapely.box(0, 0, 500, 500),
            shapely.box(500, 500, 1000, 1000),
            shapely.box(0, 500, 500, 1000),
        ],
        crs=3857,
    )


def test_census_without_grid() -> None:
    """Census A 2,000, B 500, C 100. A's homes have 100 and 300 m² → 500 and 1,500 persons;
    B's single home → 500; C has no home: its 100 persons are spread over 100 lattice points
    (1 each), with a note."""
    census = pd.Series({"A": 2000.0, "B": 500.0, "C": 100.0})
    r = population_homes(_homes(), AREA, CRS, census=census, districts=_districts())
    b = r.homes[r.homes["source"] == "building"]
    np.testing.assert_allclose(b["weight"], [500.0, 1500.0, 500.0])
    assert (r.homes["source"] != "building").sum() == 100
    assert r.total == pytest.approx(2600.0)
    assert r.notes[0] == (
        "district C: no mapped residential building; its census population (100) is spread "
        "evenly over the district"
    )
    assert r.method == (
        "census totals by district: each district's census total split over its residential "
        "buildings by floor area"
    )


def test_census_scales_a_grid() -> None:
    """Grid polygon over A with 1,000 persons → 250 / 750; census A = 3,000 scales them × 3
    → 750 / 2,250. B: the grid gives nothing, census 0 → no extra points."""
    grid = gpd.GeoDataFrame(
        {"population": [1000.0]}, geometry=[shapely.box(0, 0, 500, 500)], crs=3857
    )
    census = pd.Series({"A": 3000.0, "B": 0.0, "C": 0.0})
    r = population_homes(_homes(), AREA, CRS, grid=grid, census=census, districts=_districts())
    np.testing.assert_allclose(sorted(r.homes["weight"]), [750.0, 2250.0])
    assert r.notes == []


def test_census_district_without_homes_or_gridded_population() -> None:
    """With a grid, a district with a census figure (C: 100) but neither buildings nor
    gridded persons gets its census population on its lattice, and the note says both are
    missing."""
    grid = gpd.GeoDataFrame(
        {"population": [1000.0]}, geometry=[shapely.box(0, 0, 500, 500)], crs=3857
    )
    census = pd.Series({"A": 3000.0, "B": 0.0, "C": 100.0})
    r = population_homes(_homes(), AREA, CRS, grid=grid, census=census, districts=_districts())
    assert r.notes[0] == (
        "district C: no mapped residential building and no gridded population; its census "
        "population (100) is spread evenly over the district"
    )
    assert r.total == pytest.approx(3100.0)
    assert r.method.endswith(
        "census totals by district: the gridded population of each district scaled to its census total"
    )


def test_census_mismatch_and_missing_districts() -> None:
    census = pd.Series({"A": 1.0, "Z": 2.0})
    with pytest.raises(SpatialError, match="census table and districts do not match") as err:
        population_homes(_homes(), AREA, CRS, census=census, districts=_districts())
    msgs = [str(p) for p in err.value.problems]
    assert msgs == [
        "census: census district 'Z' is not among the districts (first ids: ['A', 'B', 'C'])",
        "census: district 'B' has no census figure",
        "census: district 'C' has no census figure",
    ]
    with pytest.raises(SpatialError, match="need district polygons"):
        population_homes(_homes(), AREA, CRS, census=census)


def test_read_census(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_text("街道,常住人口\n 东街 ,1200\n西街,0\n", encoding="utf-8")
    s = read_census(p)
    assert s.to_dict() == {"东街": 1200.0, "西街": 0.0}
    assert s.name == "population"
    df = pd.DataFrame({"code": ["a", "b"], "people": [1, 2], "pop": [5, 6]})
    assert read_census(df, column="people").to_dict() == {"a": 1.0, "b": 2.0}
    assert read_census(df).to_dict() == {"a": 5.0, "b": 6.0}


def test_read_census_problems(tmp_path: Path) -> None:
    with pytest.raises(SpatialError, match="census table not found"):
        read_census(tmp_path / "none.csv")
    bad = pd.DataFrame({"district": ["a", "a", "b", "c"], "population": [1, 2, -1, "x"]})
    with pytest.raises(SpatialError, match="invalid census table") as err:
        read_census(bad)
    assert [str(p) for p in err.value.problems] == [
        "census table row 4: population -1 is not a non-negative number",
        "census table row 5: population 'x' is not a non-negative number",
        "census table: district ids repeat: ['a']",
    ]
    with pytest.raises(SpatialError, match="unusable census table") as err:
        read_census(pd.DataFrame({"x": [1]}))
    assert len(err.value.problems) == 2
    assert "no district id column" in str(err.value.problems[0])
    assert "no population column" in str(err.value.problems[1])
    with pytest.raises(SpatialError, match="unusable census table") as err:
        read_census(pd.DataFrame({"id": ["a"], "pop": [1]}), column="nope")
    assert len(err.value.problems) == 1
    unreadable = tmp_path / "c.xlsx"
    unreadable.write_bytes(b"not a workbook")
    with pytest.raises(SpatialError, match="cannot read the census table"):
        read_census(unreadable)
