"""Error messages of unusable spatial inputs, matched in full: headline, each problem and where
it is (issue 18). A partial ``match=`` does not see a mutant that changes the rest of the text.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from citycheckup.errors import Problem, SpatialError
from citycheckup.spatial._areas import clipped_segments, file_districts, read_layer, utm_crs
from citycheckup.spatial._inputs import projected, study_area
from citycheckup.spatial._osm import read_osm
from citycheckup.spatial._population import population_homes, read_census
from tests.spatial.spatial_town import osm_xml


def test_layer_without_crs_and_features(tmp_path: Path) -> None:
    """A CSV has its CRS from its columns; a GeoPackage written without a CRS has none: both
    problems of an empty layer without CRS are reported at once."""
    p = tmp_path / "d.gpkg"
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        gpd.GeoDataFrame({"district": ["A"]}, geometry=[shapely.box(0, 0, 1, 1)]).to_file(p)
    with pytest.raises(SpatialError) as e:
        read_layer(p, "districts")
    assert e.value.headline == "unusable districts layer"
    assert e.value.problems == [
        Problem("the layer has no CRS; set one (e.g. EPSG:4326) and save it again", str(p))
    ]
    c = tmp_path / "d.csv"
    c.write_text("lon,lat\n", encoding="utf-8")
    with pytest.raises(SpatialError) as e:
        read_layer(c, "population")
    assert e.value.problems == [Problem("the layer has no features", str(c))]
    assert str(e.value) == f"unusable population layer:\n  - {c}: the layer has no features"


def test_layer_missing_and_csv_without_coordinates(tmp_path: Path) -> None:
    with pytest.raises(SpatialError) as e:
        read_layer(tmp_path / "none.gpkg", "boundary")
    assert str(e.value) == f"boundary file not found:\n  - {tmp_path / 'none.gpkg'}: no such file"
    c = tmp_path / "p.csv"
    c.write_text("east,north\n1,2\n", encoding="utf-8")
    with pytest.raises(SpatialError) as e:
        read_layer(c, "population")
    assert e.value.headline == "population CSV has no coordinate columns"
    assert e.value.problems == [
        Problem("expected lon/lat columns (WGS-84), found ['east', 'north']", str(c))
    ]


@pytest.mark.parametrize(("xc", "yc"), [("LON", "Lat"), ("longitude", "latitude"), ("x", "Y")])
def test_csv_coordinate_columns(tmp_path: Path, xc: str, yc: str) -> None:
    """Column names are matched without case; the CRS is WGS-84; the source is recorded."""
    c = tmp_path / "p.csv"
    c.write_text(f"{xc},{yc},population\n116.1,40.2,5\n", encoding="utf-8")
    g = read_layer(c, "population")
    assert g.crs == "EPSG:4326"
    assert (g.geometry.x.iloc[0], g.geometry.y.iloc[0]) == (116.1, 40.2)
    assert g.attrs["source"] == str(c)
    assert list(g["population"]) == [5]


def test_districts_outside_the_extract() -> None:
    crs = utm_crs(116.35, 40.0)
    layer = gpd.GeoDataFrame(
        {"district": ["Far"]}, geometry=[shapely.box(10, 10, 11, 11)], crs=4326
    )
    layer.attrs["source"] = "far.gpkg"
    area = shapely.box(440000, 4420000, 441000, 4421000)
    with pytest.raises(SpatialError) as e:
        file_districts(layer, area, crs)
    assert str(e.value) == (
        "no district overlaps the OSM extract:\n  - far.gpkg: the districts lie outside the "
        "extract's area; check the files and their CRS"
    )


def test_districts_need_polygons_and_the_named_column() -> None:
    crs = utm_crs(116.35, 40.0)
    pts = gpd.GeoDataFrame({"district": ["P"]}, geometry=[shapely.Point(116.35, 40.0)], crs=4326)
    area = shapely.box(440000, 4420000, 441000, 4421000)
    with pytest.raises(SpatialError) as e:
        file_districts(pts, area, crs)
    assert str(e.value) == "districts must be polygons:\n  - districts: no (multi)polygon features"
    poly = pts.set_geometry([shapely.box(116.34, 39.99, 116.36, 40.01)])
    with pytest.raises(SpatialError) as e:
        file_districts(poly, area, crs, id_column="code")
    assert str(e.value) == (
        "district id column not found:\n  - districts: no column 'code'; columns are "
        "['district', 'geometry']"
    )


def test_study_area_needs_bounds_or_ways(tmp_path: Path) -> None:
    p = tmp_path / "n.osm"
    p.write_text('<osm><node id="1" lat="1" lon="2"/></osm>', encoding="utf-8")
    data = read_osm(p)
    with pytest.raises(SpatialError) as e:
        study_area(data, None)
    assert str(e.value) == (
        f"the OSM extract has no bounds and no walkable or road ways:\n  - {p}: nothing to "
        "analyse; check that it covers a built-up area"
    )


def test_study_area_from_the_ways_or_a_boundary(tmp_path: Path) -> None:
    """Without <bounds> the area is the extent of the ways; a boundary without extract bounds
    is taken as it is; a boundary outside the bounds is refused with both boxes."""
    p = tmp_path / "w.osm"
    p.write_text(
        '<osm><node id="1" lat="40.0" lon="116.0"/><node id="2" lat="40.01" lon="116.02"/>'
        '<way id="9"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/></way></osm>',
        encoding="utf-8",
    )
    data = read_osm(p)
    area, src = study_area(data, None)
    assert src == "extent of the extract's ways"
    assert area.bounds == pytest.approx((116.0, 40.0, 116.02, 40.01))
    b = gpd.GeoDataFrame(geometry=[shapely.box(116.001, 40.001, 116.002, 40.002)], crs=4326)
    data.nodes = data.nodes.iloc[:0]  # no extent either
    area, src = study_area(data, b)
    assert src == "boundary"
    assert area.bounds == pytest.approx((116.001, 40.001, 116.002, 40.002))
    data.bounds = shapely.box(117.0, 41.0, 117.1, 41.1)
    b.attrs["source"] = "b.gpkg"
    with pytest.raises(SpatialError) as e:
        study_area(data, b)
    assert str(e.value) == (
        "the study-area boundary does not overlap the OSM extract:\n  - b.gpkg: boundary bounds "
        "(116.001, 40.001, 116.002, 40.002) vs extract (117.0, 41.0, 117.1, 41.1)"
    )


def test_corrupt_xml_names_the_file(tmp_path: Path) -> None:
    p = tmp_path / "bad.osm"
    p.write_text("<osm><node id='1'", encoding="utf-8")
    with pytest.raises(SpatialError) as e:
        read_osm(p)
    assert e.value.headline == "cannot read the OSM XML extract"
    (prob,) = e.value.problems
    assert prob.where == str(p)
    assert prob.message.startswith("the file is corrupt or not OSM XML (")
    assert prob.message.endswith(")")


def test_census_columns_not_found(tmp_path: Path) -> None:
    df = pd.DataFrame({"where": ["A"], "count": [5]})
    with pytest.raises(SpatialError) as e:
        read_census(df)
    text = str(e.value)
    assert (
        "no district id column (district/name/code/id/街道/社区); found ['where', 'count']" in text
    )
    df = pd.DataFrame({"district": ["A"], "count": [5]})
    with pytest.raises(SpatialError) as e:
        read_census(df)
    assert (
        "no population column (population/pop/人口, or give its name); found ['district', 'count']"
        in str(e.value)
    )


def test_population_layer_without_its_column() -> None:
    crs = utm_crs(116.35, 40.0)
    b = gpd.GeoDataFrame(
        {"floor_area": [100.0], "source": ["building"]},
        geometry=[shapely.Point(440500, 4420500)],
        crs=crs,
    )
    grid = gpd.GeoDataFrame({"persons": [5]}, geometry=[shapely.Point(116.35, 40.0)], crs=4326)
    grid.attrs["source"] = "pop.gpkg"
    area = shapely.box(440000, 4420000, 441000, 4421000)
    with pytest.raises(SpatialError) as e:
        population_homes(b, area, crs, grid=grid)
    assert str(e.value) == (
        "population column not found:\n  - pop.gpkg: expected a 'population' column (or "
        "--population-column), found ['persons', 'geometry']"
    )
    with pytest.raises(SpatialError) as e:
        population_homes(b, area, crs, grid=grid, column="people")
    assert e.value.headline == "population column not found"


def test_unreadable_layer_names_the_error(tmp_path: Path) -> None:
    p = tmp_path / "d.gpkg"
    p.write_bytes(b"not a geopackage")
    with pytest.raises(SpatialError) as e:
        read_layer(p, "districts")
    assert e.value.headline == "cannot read the districts file"
    (prob,) = e.value.problems
    assert prob.where == str(p)
    assert prob.message.startswith("DataSourceError: ")


def test_clipped_segments_columns(tmp_path: Path) -> None:
    """A street of two 100 m segments cut by an area ending 50 m along the second: the first
    segment whole, the second cut to 50 m with a new node (id −1) at the cut; the columns are
    the input's, u and v as int64, and the length."""
    d = 0.001172 / 100, 0.0009 / 100
    lon0, lat0 = 116.35, 40.0
    xml = osm_xml(
        bounds=((lon0 - 0.001, lat0 - 0.001), (lon0 + 0.003, lat0 + 0.001)),
        nodes={1: (lon0, lat0), 2: (lon0 + 100 * d[0], lat0), 3: (lon0 + 200 * d[0], lat0)},
        ways=[([1, 2, 3], {"highway": "residential"})],
    )
    p = tmp_path / "s.osm"
    p.write_text(xml, encoding="utf-8")
    data = read_osm(p)
    crs = utm_crs(lon0, lat0)
    x0 = projected(shapely.Point(lon0, lat0), crs)
    area = shapely.box(x0.x - 10, x0.y - 10, x0.x + 150, x0.y + 10)
    nodes, seg = clipped_segments(data, data.walk, area, crs)
    assert list(seg.columns) == ["u", "v", "way_id", "highway", "length"]
    assert seg["u"].dtype == "int64" and seg["v"].dtype == "int64"
    assert list(seg["u"]) == [1, 2] and list(seg["v"]) == [2, -1]
    assert list(seg["length"]) == pytest.approx([100.0, 50.0], abs=0.5)
    assert sorted(nodes["id"]) == [-1, 1, 2]
