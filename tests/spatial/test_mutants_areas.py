"""Study-area helpers: UTM zones, grid districts, district layers, CRS checks (issue 18).

Synthetic rectangles in metres; UTM zones from the zone formula (6° zones numbered from
180° W, EPSG 326zz north of the equator and 327zz south).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyproj
import pytest
import shapely

from citycheckup.errors import SpatialError
from citycheckup.spatial._areas import (
    _merge_slivers,
    file_districts,
    grid_districts,
    read_layer,
    require_same_crs,
    utm_crs,
)

CRS = pyproj.CRS.from_epsg(3857)


@pytest.mark.parametrize(
    ("lon", "lat", "epsg"),
    [
        (116.4, 39.9, 32650),  # Beijing: floor(296.4 / 6) + 1 = 50
        (-46.63, -23.55, 32723),  # São Paulo: floor(133.37 / 6) + 1 = 23, south
        (0.0, 0.0, 32631),  # the equator counts as north; 0° starts zone 31
        (-0.000001, 10.0, 32630),
        (-180.0, 10.0, 32601),
        (180.0, 10.0, 32601),  # 180° E wraps to zone 1
        (174.0, -0.000001, 32760),
    ],
)
def test_utm_zone(lon: float, lat: float, epsg: int) -> None:
    assert utm_crs(lon, lat).to_epsg() == epsg


def test_grid_cells_named_from_the_south_west_with_the_sliver_merged() -> None:
    """A 2,100 × 1,000 m area and 1 km cells: 3 columns (ceil 2.1), 1 row; the east piece
    (100 × 1,000 = 0.1 km² < 0.25 km²) is merged into its neighbour R000C001 → 1.1 km²."""
    g = grid_districts(shapely.box(0, 0, 2100, 1000), 1000.0, CRS)
    assert g["district"].tolist() == ["R000C000", "R000C001"]
    assert g.geometry.area.tolist() == pytest.approx([1e6, 1.1e6])
    g = grid_districts(shapely.box(0, 0, 1000, 2500), 1000.0, CRS)
    assert g["district"].tolist() == ["R000C000", "R001C000", "R002C000"]
    assert g.geometry.area.tolist() == pytest.approx([1e6, 1e6, 0.5e6])


@pytest.mark.parametrize(("width", "cells"), [(2249.0, 2), (2250.0, 3), (2251.0, 3)])
def test_sliver_boundary(width: float, cells: int) -> None:
    """The east piece is (width − 2,000) × 1,000 m; at 250 m it is exactly 0.25 of a cell and
    kept; below, merged."""
    assert len(grid_districts(shapely.box(0, 0, width, 1000), 1000.0, CRS)) == cells


def test_grid_smaller_than_a_cell_and_bad_sizes() -> None:
    g = grid_districts(shapely.box(0, 0, 10, 10), 1000.0, CRS)
    assert g["district"].tolist() == ["R000C000"]
    assert g.geometry.area.tolist() == pytest.approx([100.0])
    for bad in (0.0, -5.0, float("nan")):
        with pytest.raises(SpatialError, match="grid size must be positive"):
            grid_districts(shapely.box(0, 0, 10, 10), bad, CRS)
    with pytest.raises(SpatialError, match="a 1 m grid gives 200100 cells; choose a larger --grid"):
        grid_districts(shapely.box(0, 0, 2001, 100), 1.0, CRS)


def test_merge_slivers_picks_the_longest_shared_border() -> None:
    """Sliver S = (100, 0)–(110, 100) touches A = (0, 0)–(100, 100) along 100 m and
    B = (110, 50)–(210, 150) along 50 m: it goes to A. A far sliver touching nothing stays.
    A sliver touching a big cell only at a corner (shared length 0) stays."""
    cells = gpd.GeoDataFrame(
        {"district": ["A", "S", "B", "F", "C"]},
        geometry=[
            shapely.box(0, 0, 100, 100),
            shapely.box(100, 0, 110, 100),
            shapely.box(110, 50, 210, 150),
            shapely.box(1000, 1000, 1001, 1001),
            shapely.box(-10, -10, 0, 0),  # touches A at the corner (0, 0) only
        ],
        crs=CRS,
    )
    out = _merge_slivers(cells, min_area=5000.0)
    assert out["district"].tolist() == ["A", "B", "F", "C"]
    assert out.geometry.area.tolist() == pytest.approx([11000.0, 10000.0, 1.0, 100.0])
    # nothing big: unchanged
    assert len(_merge_slivers(cells, min_area=1e9)) == 5
    assert len(_merge_slivers(cells.iloc[:1], min_area=1e9)) == 1


def _layer(**cols: list[object]) -> gpd.GeoDataFrame:
    g = gpd.GeoDataFrame(
        cols,
        geometry=[
            shapely.box(0, 0, 100, 100),
            shapely.box(100, 0, 200, 100),
            shapely.box(500, 500, 600, 600),
        ],
        crs=CRS,
    )
    g.attrs["source"] = "d.gpkg"
    return g


def test_file_districts_ids_and_clipping(caplog: pytest.LogCaptureFixture) -> None:
    """Area (0, 0)–(150, 100): district a whole (10,000 m²), b half (5,000), c outside
    (dropped, with a warning)."""
    area = shapely.box(0, 0, 150, 100)
    out = file_districts(_layer(街道=["a", "b", "c"], other=[1, 2, 3]), area, CRS)
    assert out["district"].tolist() == ["a", "b"]
    assert out.geometry.area.tolist() == pytest.approx([10000.0, 5000.0])
    assert "1 district(s) lie outside the extract and are dropped: c" in caplog.text
    out = file_districts(_layer(other=[1, 2, 3]), area, CRS)
    assert out["district"].tolist() == ["D001", "D002"]
    out = file_districts(_layer(other=["x", "y", "z"], name=["n1", "n2", "n3"]), area, CRS, "other")
    assert out["district"].tolist() == ["x", "y"]


def test_file_districts_merge_repeated_ids(caplog: pytest.LogCaptureFixture) -> None:
    area = shapely.box(0, 0, 1000, 1000)
    out = file_districts(_layer(district=["a", "a", "b"]), area, CRS)
    assert out["district"].tolist() == ["a", "b"]
    assert out.geometry.area.tolist() == pytest.approx([20000.0, 10000.0])
    assert "district ids repeat (a); their polygons are merged" in caplog.text


def test_file_districts_errors() -> None:
    area = shapely.box(0, 0, 150, 100)
    with pytest.raises(SpatialError, match="district id column not found") as err:
        file_districts(_layer(district=["a", "b", "c"]), area, CRS, "nope")
    assert (
        str(err.value.problems[0])
        == "d.gpkg: no column 'nope'; columns are ['district', 'geometry']"
    )
    with pytest.raises(SpatialError, match="no district overlaps the OSM extract"):
        file_districts(_layer(district=["a", "b", "c"]), shapely.box(5000, 5000, 5001, 5001), CRS)
    pts = gpd.GeoDataFrame({"district": ["a"]}, geometry=[shapely.Point(1, 1)], crs=CRS)
    with pytest.raises(SpatialError, match="districts must be polygons") as err:
        file_districts(pts, area, CRS)
    assert str(err.value.problems[0]) == "districts: no (multi)polygon features"


def test_require_same_crs() -> None:
    a = _layer(district=["a", "b", "c"])
    b = a.to_crs(4326)
    b.attrs["source"] = "b.gpkg"
    require_same_crs({"a": a, "a2": a.copy(), "none": None})  # type: ignore[dict-item]
    with pytest.raises(SpatialError, match="the input layers use different CRSs") as err:
        require_same_crs({"a": a, "b": b})
    assert [str(p) for p in err.value.problems] == [
        "d.gpkg: CRS EPSG:3857",
        "b.gpkg: CRS EPSG:4326",
    ]


def test_read_layer_csv(tmp_path: Path) -> None:
    p = tmp_path / "pts.csv"
    p.write_text("Longitude,Latitude,v\n116.4,39.9,1\n", encoding="utf-8")
    g = read_layer(p, "population")
    assert g.crs.to_epsg() == 4326 and g.geometry.iloc[0].x == 116.4
    assert g.attrs["source"] == str(p)
    q = tmp_path / "bad.csv"
    q.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(SpatialError, match="population CSV has no coordinate columns") as err:
        read_layer(q, "population")
    assert str(err.value.problems[0]) == f"{q}: expected lon/lat columns (WGS-84), found ['a', 'b']"
    with pytest.raises(SpatialError, match="boundary file not found"):
        read_layer(tmp_path / "none.gpkg", "boundary")
    e = tmp_path / "empty.csv"
    e.write_text("x,y\n", encoding="utf-8")
    with pytest.raises(SpatialError, match="unusable districts layer") as err:
        read_layer(e, "districts")
    assert str(err.value.problems[0]) == f"{e}: the layer has no features"
