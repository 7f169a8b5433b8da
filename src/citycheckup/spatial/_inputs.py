"""User inputs of a spatial run: layers, the study area and the manifest's input records."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, TypeAlias

import geopandas as gpd
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from citycheckup.errors import Problem, SpatialError
from citycheckup.spatial._areas import read_layer
from citycheckup.spatial._osm import WGS84, OSMData

__all__ = ["LayerInput", "input_record", "layer", "study_area"]

LayerInput: TypeAlias = str | Path | gpd.GeoDataFrame | None

# CGCS2000 geographic and its 3°/6° Gauss–Krüger projections; CGCS2000 and WGS-84 agree to a few cm.
_CGCS2000 = {4490, *range(4491, 4555)}


def layer(value: LayerInput, what: str) -> gpd.GeoDataFrame | None:
    """A user layer as a GeoDataFrame with a CRS (a file is read with :func:`read_layer`)."""
    if value is None:
        return None
    if isinstance(value, gpd.GeoDataFrame):
        if value.crs is None:
            raise SpatialError(
                f"the {what} layer has no CRS; set one (e.g. EPSG:4326 or CGCS2000 EPSG:4490)"
            )
        g = value.copy()
        g.attrs.setdefault("source", what)
        return g
    return read_layer(value, what)


def crs_note(layers: dict[str, gpd.GeoDataFrame | None]) -> list[str]:
    """Notes on the CRSs of the user layers (each is reprojected; CGCS2000 is named)."""
    notes = []
    for name, g in layers.items():
        if g is None or g.crs is None:
            continue
        epsg = g.crs.to_epsg()
        if epsg in _CGCS2000:
            notes.append(
                f"{name} layer in CGCS2000 ({g.crs.name}); reprojected (CGCS2000 and WGS-84 agree to a few cm)"
            )
    return notes


def study_area(osm: OSMData, boundary: gpd.GeoDataFrame | None) -> tuple[BaseGeometry, str]:
    """The study area (WGS-84) and where it comes from."""
    extent = osm.bounds if osm.bounds is not None else osm.data_extent
    if boundary is not None:
        b = shapely.union_all(shapely.make_valid(boundary.to_crs(WGS84).geometry.to_numpy()))
        if extent is not None:
            clipped = shapely.intersection(b, extent)
            if clipped.is_empty or clipped.area == 0:
                raise SpatialError(
                    "the study-area boundary does not overlap the OSM extract",
                    problems=[Problem(f"boundary bounds {tuple(round(v, 5) for v in b.bounds)} vs extract "
                                      f"{tuple(round(v, 5) for v in extent.bounds)}",
                                      boundary.attrs.get("source", "boundary"))],
                )  # fmt: skip
            return clipped, "boundary ∩ extract bounds"
        return b, "boundary"
    if extent is None:
        raise SpatialError(
            "the OSM extract has no bounds and no walkable or road ways",
            problems=[
                Problem("nothing to analyse; check that it covers a built-up area", str(osm.source))
            ],
        )
    return extent, "extract bounds" if osm.bounds is not None else "extent of the extract's ways"


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def input_record(value: Any) -> dict[str, Any] | None:
    """What the manifest records of an input: path, size and SHA-256 of a file."""
    if value is None:
        return None
    if isinstance(value, gpd.GeoDataFrame):
        return {"kind": "GeoDataFrame", "features": len(value)}
    if not isinstance(value, (str, Path)):
        return {"kind": type(value).__name__}
    p = Path(value)
    return (
        {"path": str(p), "bytes": p.stat().st_size, "sha256": _file_sha256(p)}
        if p.is_file()
        else {"path": str(p)}
    )


def projected(geom: BaseGeometry, crs: pyproj.CRS) -> BaseGeometry:
    """A WGS-84 geometry in ``crs``."""
    return gpd.GeoSeries([geom], crs=WGS84).to_crs(crs).iloc[0]
