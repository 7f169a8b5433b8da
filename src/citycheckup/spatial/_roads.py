"""Road-network density after MOHURD: urban roads by class per km² of built-up area (建成区).

MOHURD's 城市道路网密度 counts the centre-line length of urban roads — 快速路
(expressway), 主干路 (arterial), 次干路 (secondary) and 支路 (branch) — per km² of
built-up area; roads inside residential compounds (小区内部道路) are not urban roads.
The all-roads density (every motor road per km² of study area) is kept next to it for
comparison, labelled as such.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike
from shapely.geometry.base import BaseGeometry

from citycheckup.spatial._facilities import FacilityConfig
from citycheckup.spatial._indicators import length_within
from citycheckup.spatial._result import ALL

__all__ = ["BuiltUp", "builtup_area", "mohurd_road_density", "road_classes"]


@dataclass(frozen=True)
class BuiltUp:
    """The built-up area (建成区) and how it was obtained."""

    geometry: BaseGeometry
    source: str


def builtup_area(
    features: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    area: BaseGeometry,
    config: FacilityConfig,
    *,
    boundary: BaseGeometry | None = None,
) -> BuiltUp:
    """The built-up area: a user boundary, or urban land use ∪ buffered buildings.

    Parameters
    ----------
    features
        Projected OSM features with ``tags``.
    buildings
        Projected building footprints.
    area
        The study area (the result is clipped to it).
    boundary
        A user's built-up boundary (projected); used as given when present.

    Notes
    -----
    Without a boundary: the union of urban land-use polygons (``roads.builtup.landuse``
    in the mapping) and building footprints buffered by ``building_buffer_m``, then
    closed (buffer out and in by ``closing_m``) to fill streets and yards, clipped to
    the study area.
    """
    if boundary is not None:
        return BuiltUp(shapely.intersection(boundary, area), "user boundary (--built-up)")
    spec = config.builtup
    lu = set(spec.get("landuse", []))
    parts: list[BaseGeometry] = []
    if len(features):
        mask = np.array([t.get("landuse") in lu for t in features["tags"]], bool)
        polys = features[mask]
        polys = polys[polys.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
        parts += list(polys.geometry)
    if len(buildings):
        parts += list(
            shapely.buffer(buildings.geometry.to_numpy(), float(spec.get("building_buffer_m", 30)))
        )
    if not parts:
        return BuiltUp(shapely.Polygon(), "none: no urban land use or buildings mapped")
    close = float(spec.get("closing_m", 50))
    geom = shapely.union_all(shapely.make_valid(np.asarray(parts, dtype=object)))
    geom = shapely.buffer(shapely.buffer(geom, close), -close)
    return BuiltUp(
        shapely.intersection(geom, area),
        "OSM urban land use ∪ buildings buffered "
        f"{spec.get('building_buffer_m', 30)} m, closed {close:g} m",
    )


def road_classes(
    lines: gpd.GeoSeries,
    highway: ArrayLike,
    access: ArrayLike,
    residential_land: BaseGeometry | None,
    config: FacilityConfig,
) -> np.ndarray:
    """MOHURD road class of every segment (``""`` for compound-internal roads).

    Returns
    -------
    numpy.ndarray
        ``expressway``, ``arterial``, ``secondary``, ``branch`` or ``""``.
    """
    hw = np.asarray(highway, dtype=object)
    out = np.full(hw.size, "", dtype=object)
    for cls, values in config.road_classes.items():
        out[np.isin(hw, list(values))] = cls
    compound = np.isin(hw, list(config.compound_road_classes))
    acc = np.isin(np.asarray(access, dtype=object), ["private", "no", "customers", "destination"])
    inside = np.zeros(hw.size, bool)
    if compound.any() and residential_land is not None and not residential_land.is_empty:
        mids = shapely.line_interpolate_point(lines.to_numpy()[compound], 0.5, normalized=True)
        inside[compound] = shapely.contains(residential_land, mids)
    out[compound & (inside | acc)] = ""
    return out


def mohurd_road_density(
    lines: gpd.GeoSeries,
    classes: ArrayLike,
    weights: ArrayLike,
    districts: gpd.GeoDataFrame,
    builtup: BaseGeometry,
    class_names: tuple[str, ...] = ("expressway", "arterial", "secondary", "branch"),
) -> dict[str, pd.Series]:
    """Urban-road centre-line km per km² of built-up area, total and per class.

    Parameters
    ----------
    lines
        Road segments (projected, clipped to the study area).
    classes
        Class per segment from :func:`road_classes` (``""`` is not counted).
    weights
        Centre-line weight per segment (0.5 for each carriageway of a divided road).
    districts
        ``district`` and geometry.
    builtup
        The built-up area.
    class_names
        The classes to report (from the mapping's ``roads.classes``).

    Returns
    -------
    dict
        ``"total"`` and one entry per class: Series per district and ``ALL``
        (NaN where a district has no built-up land).
    """
    cls = np.asarray(classes, dtype=object)
    w = np.asarray(weights, dtype=np.float64)
    geoms = lines.to_numpy()
    names = districts["district"].tolist()
    parts = [shapely.intersection(p, builtup) for p in districts.geometry]
    km2 = np.array([p.area for p in parts] + [builtup.area]) / 1e6
    out: dict[str, pd.Series] = {}
    kinds = ["total", *class_names]
    for kind in kinds:
        sel = cls != "" if kind == "total" else cls == kind
        g, ww = geoms[sel], w[sel]
        tree = shapely.STRtree(g) if len(g) else None
        lengths = [length_within(g, ww, p, tree) for p in [*parts, builtup]]
        with np.errstate(invalid="ignore", divide="ignore"):
            dens = np.where(
                km2 > 0, np.asarray(lengths) / 1000.0 / np.where(km2 > 0, km2, 1), np.nan
            )
        out[kind] = pd.Series(dens, index=[*names, ALL])
    return out
