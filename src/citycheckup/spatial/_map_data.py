"""What a map needs of a spatial result, as plain arrays: cheap to pickle, no matplotlib.

:func:`map_layout` is the part no indicator changes (district outlines, label places, the
network as segments); :func:`map_data` adds the values, texts and quality flags of the
indicators to map. The renderer (:mod:`citycheckup.spatial._maps`) draws from these, in the
calling process or in a map worker (:mod:`citycheckup.spatial._map_jobs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from citycheckup.errors import OutputError
from citycheckup.spatial._result import ALL, SpatialResult

__all__ = ["MapData", "map_data", "map_layout", "same_layout"]


@dataclass
class MapData:
    """What a map needs of a :class:`SpatialResult`, as plain arrays (cheap to pickle)."""

    names: list[str]
    #: per district, the vertices and matplotlib path codes of its rings (``None``: no polygon)
    paths: list[tuple[np.ndarray, np.ndarray] | None]
    areas: np.ndarray
    label_points: np.ndarray
    bounds: tuple[float, float, float, float]
    outline: tuple[np.ndarray, np.ndarray] | None
    segments: np.ndarray | None
    values: dict[str, np.ndarray] = field(default_factory=dict)
    whole_area: dict[str, float] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    low: dict[str, np.ndarray] = field(default_factory=dict)


def _rings(geom: shapely.Geometry) -> tuple[np.ndarray, np.ndarray] | None:
    # matplotlib.path.Path codes, written as numbers so that this module needs no matplotlib
    moveto, lineto, closepoly = 1, 2, 79
    verts, codes = [], []
    for poly in shapely.get_parts(geom):
        if poly.geom_type != "Polygon":
            continue
        for ring in [poly.exterior, *poly.interiors]:
            c = np.asarray(ring.coords)
            verts.append(c)
            codes.append(np.r_[moveto, np.full(len(c) - 2, lineto), closepoly].astype(np.uint8))
    if not verts:
        return None
    return np.concatenate(verts), np.concatenate(codes)


def _outline(geom: shapely.Geometry) -> tuple[np.ndarray, np.ndarray]:
    xs: list[float] = []
    ys: list[float] = []
    for poly in shapely.get_parts(geom):
        if poly.geom_type != "Polygon":
            continue
        x, y = poly.exterior.xy
        xs += [*x, np.nan]
        ys += [*y, np.nan]
    return np.asarray(xs), np.asarray(ys)


def map_layout(
    districts: gpd.GeoDataFrame, network: gpd.GeoSeries | None, study_area: BaseGeometry | None
) -> MapData:
    """The part of the maps that no indicator changes: outlines, label places, the network."""
    names = [str(n) for n in districts["district"]]
    geoms = list(districts.geometry)
    if len(districts):
        minx, miny, maxx, maxy = (float(v) for v in districts.total_bounds)
    elif study_area is not None:
        minx, miny, maxx, maxy = study_area.bounds
    else:
        raise OutputError("no districts and no study area: there is nothing to map")
    segments = None
    if network is not None and len(network):
        segments = shapely.get_coordinates(network.to_numpy()).reshape(-1, 2, 2)
    pts = [g.representative_point() for g in geoms]
    return MapData(
        names=names,
        paths=[_rings(g) for g in geoms],
        areas=np.array([g.area for g in geoms], float),
        label_points=np.array([[p.x, p.y] for p in pts], float).reshape(-1, 2),
        bounds=(minx, miny, maxx, maxy),
        outline=_outline(study_area) if study_area is not None else None,
        segments=segments,
    )


def map_data(result: SpatialResult, codes: list[str]) -> MapData:
    """The layout and the values, texts and flags the maps of ``codes`` draw from ``result``."""
    data = map_layout(result.districts, result.network, result.study_area)
    d = result.districts
    table = result.indicators.set_index("district")
    flagged = result.flagged()
    data.values = {c: d[c].to_numpy(float) for c in codes}
    data.whole_area = {c: float(cast("float", table.loc[ALL, c])) for c in codes}
    data.units = {c: result.units.get(c, "") for c in codes}
    data.labels = {c: dict(result.labels.get(c, {})) for c in codes}
    data.low = {c: np.array([(n, c) in flagged for n in d["district"]], bool) for c in codes}
    return data


def _same(x: np.ndarray | None, y: np.ndarray | None) -> bool:
    if x is None or y is None:
        return x is None and y is None
    return x.shape == y.shape and bool(np.array_equal(x, y, equal_nan=True))


def same_layout(a: MapData, b: MapData) -> bool:
    """Whether ``a`` and ``b`` share their layout (so one figure serves both)."""
    if a.names != b.names or a.bounds != b.bounds or len(a.paths) != len(b.paths):
        return False
    if (a.outline is None) != (b.outline is None):
        return False
    if (
        a.outline is not None
        and b.outline is not None
        and not all(_same(x, y) for x, y in zip(a.outline, b.outline, strict=True))
    ):
        return False
    for p, q in zip(a.paths, b.paths, strict=True):
        if (p is None) != (q is None):
            return False
        if p is not None and q is not None and not (_same(p[0], q[0]) and _same(p[1], q[1])):
            return False
    return (
        _same(a.areas, b.areas)
        and _same(a.label_points, b.label_points)
        and _same(a.segments, b.segments)
    )
