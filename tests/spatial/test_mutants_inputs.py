"""User inputs: layers, CRS notes, the study area and the manifest's input records (issue 18).

Synthetic OSM data objects and layers built in the tests; the SHA-256 reference is the
well-known digest of the three bytes ``abc`` (FIPS 180-2, appendix B.1).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from citycheckup.errors import SpatialError
from citycheckup.spatial._inputs import crs_note, input_record, layer, projected, study_area
from citycheckup.spatial._osm import OSMData

ABC_SHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def _osm(bounds: shapely.Polygon | None, lons: list[float], lats: list[float]) -> OSMData:
    return OSMData(
        source=Path("x.osm"),
        bounds=bounds,
        nodes=pd.DataFrame({"lon": lons, "lat": lats}),
        walk=pd.DataFrame(),
        roads=pd.DataFrame(),
        features=gpd.GeoDataFrame(geometry=[]),
    )


def test_input_record(tmp_path: Path) -> None:
    p = tmp_path / "a.txt"
    p.write_bytes(b"abc")
    assert input_record(p) == {"path": str(p), "bytes": 3, "sha256": ABC_SHA256}
    assert input_record(str(p))["sha256"] == ABC_SHA256  # type: ignore[index]
    assert input_record(tmp_path / "none") == {"path": str(tmp_path / "none")}
    assert input_record(None) is None
    g = gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)] * 2, crs=4326)
    assert input_record(g) == {"kind": "GeoDataFrame", "features": 2}
    assert input_record(pd.Series([1.0])) == {"kind": "Series"}


def test_layer() -> None:
    g = gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(0, 0)], crs=4326)
    out = layer(g, "districts")
    assert out is not None and out is not g and out.attrs["source"] == "districts"
    g.attrs["source"] = "mine.gpkg"
    assert layer(g, "districts").attrs["source"] == "mine.gpkg"  # type: ignore[union-attr]
    assert layer(None, "districts") is None
    with pytest.raises(SpatialError, match="the boundary layer has no CRS; set one"):
        layer(gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)]), "boundary")


def test_crs_note_names_cgcs2000() -> None:
    wgs = gpd.GeoDataFrame(geometry=[shapely.Point(116, 40)], crs=4326)
    assert crs_note({"a": wgs, "b": None}) == []
    notes = crs_note(
        {"districts": wgs.to_crs(4490), "grid": wgs.to_crs(4554), "x": wgs.to_crs(4555)}
    )
    assert len(notes) == 2
    assert notes[0] == (
        "districts layer in CGCS2000 (China Geodetic Coordinate System 2000); reprojected "
        "(CGCS2000 and WGS-84 agree to a few cm)"
    )
    assert notes[1].startswith("grid layer in CGCS2000 (CGCS2000 / 3-degree Gauss-Kruger CM 135E)")


def test_study_area_sources() -> None:
    b = shapely.box(116.0, 39.0, 117.0, 40.0)
    area, how = study_area(_osm(b, [116.5], [39.5]), None)
    assert area.equals(b) and how == "extract bounds"
    area, how = study_area(_osm(None, [116.1, 116.2], [39.1, 39.3]), None)
    assert area.bounds == (116.1, 39.1, 116.2, 39.3) and how == "extent of the extract's ways"
    with pytest.raises(
        SpatialError, match="the OSM extract has no bounds and no walkable or road ways"
    ):
        study_area(_osm(None, [], []), None)


def test_study_area_from_a_boundary() -> None:
    """Boundary (116.5, 39.5)–(117.5, 40.5) against bounds (116, 39)–(117, 40): the area is
    their intersection, a quarter of the boundary."""
    ext = shapely.box(116.0, 39.0, 117.0, 40.0)
    bnd = gpd.GeoDataFrame(geometry=[shapely.box(116.5, 39.5, 117.5, 40.5)], crs=4326)
    area, how = study_area(_osm(ext, [116.5], [39.5]), bnd)
    assert area.bounds == (116.5, 39.5, 117.0, 40.0) and how == "boundary ∩ extract bounds"
    # no extract extent at all: the boundary as given
    area, how = study_area(_osm(None, [], []), bnd)
    assert area.bounds == (116.5, 39.5, 117.5, 40.5) and how == "boundary"
    # a boundary touching the extract only along an edge has no area in common
    edge = gpd.GeoDataFrame(geometry=[shapely.box(117.0, 39.0, 118.0, 40.0)], crs=4326)
    edge.attrs["source"] = "b.gpkg"
    with pytest.raises(SpatialError, match="the study-area boundary does not overlap") as err:
        study_area(_osm(ext, [116.5], [39.5]), edge)
    assert str(err.value.problems[0]) == (
        "b.gpkg: boundary bounds (117.0, 39.0, 118.0, 40.0) vs extract (116.0, 39.0, 117.0, 40.0)"
    )


def test_projected() -> None:
    p = projected(shapely.Point(0.0, 0.0), gpd.GeoSeries(crs=3857).crs)
    assert p.x == pytest.approx(0.0, abs=1e-6) and p.y == pytest.approx(0.0, abs=1e-6)
