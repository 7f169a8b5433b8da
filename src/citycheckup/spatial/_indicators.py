"""Indicator functions: each returns a Series indexed by district plus ``ALL``.

Coverage indicators are shares **in percent (0–100)** of the weighted homes
(persons, or residential floor area when no population is given), matching the
framework's unit ``%``. Missing values are NaN; the reason is recorded by the
caller in the ``missing`` table, never replaced by zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

__all__ = [
    "length_within",
    "ALL",
    "building_coverage_ratio",
    "carriageway_weights",
    "consolidated_intersections",
    "coverage_share",
    "intersection_density",
    "life_circle_coverage",
    "park_area_per_capita",
    "road_network_density",
]

ALL = "ALL"


def _groups(district: ArrayLike, districts: Sequence[str]) -> pd.Categorical:
    # homes in no district (outside every polygon) count in ALL only
    cats = list(districts)
    cat = pd.Categorical.from_codes(_codes(district, cats), categories=pd.Index(cats))
    return cast(pd.Categorical, cat)


def _codes(district: ArrayLike, districts: Sequence[str]) -> np.ndarray:
    """Position of every home's district in ``districts``; -1 for a home in none of them."""
    return pd.Index(list(districts)).get_indexer(pd.Index(np.asarray(district, dtype=object)))


def coverage_share(
    distance: ArrayLike,
    weight: ArrayLike,
    district: ArrayLike,
    districts: Sequence[str],
    *,
    threshold_m: float,
) -> pd.Series:
    """Weighted share of homes within ``threshold_m`` of a facility, in percent (0–100).

    Parameters
    ----------
    distance
        Distance of every home to its nearest facility (m); ``inf`` when none is
        reachable, NaN for homes that cannot be evaluated (not snapped to the
        network), which are left out of numerator and denominator.
    weight
        Home weights (persons or floor area).
    district
        District of every home.
    districts
        All district ids (districts without homes get NaN).
    threshold_m
        Coverage distance.

    Returns
    -------
    pandas.Series
        Percent per district and for ``ALL``.

    Notes
    -----
    ``coverage = 100 · Σ w_i [d_i ≤ r] / Σ w_i`` over evaluable homes.
    """
    d = np.asarray(distance, dtype=np.float64)
    w = np.asarray(weight, dtype=np.float64)
    ok = ~np.isnan(d)
    covered = np.where(ok & (d <= threshold_m), w, 0.0)
    evaluable = np.where(ok, w, 0.0)
    cats = list(districts)
    # sums per district by integer code (-1: in no district, counted in ALL only); one
    # bincount instead of a pandas group-by, as this runs once per indicator and category
    code = _codes(district, cats)
    inn = code >= 0
    num = np.bincount(code[inn], weights=covered[inn], minlength=len(cats))
    den = np.bincount(code[inn], weights=evaluable[inn], minlength=len(cats))
    total = evaluable.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.append(
            np.where(den > 0, 100.0 * num / den, np.nan),
            100.0 * covered.sum() / total if total > 0 else np.nan,
        )
    # clip: a guard against 100.00000000000001 from rounding (NaN stays NaN)
    return pd.Series(np.clip(share, 0.0, 100.0), index=pd.Index([*cats, ALL], dtype=object))


def life_circle_coverage(
    distances: Sequence[ArrayLike],
    weight: ArrayLike,
    district: ArrayLike,
    districts: Sequence[str],
    *,
    threshold_m: float,
) -> pd.Series:
    """Weighted share of homes with *every* category within ``threshold_m``, percent (0–100).

    Parameters
    ----------
    distances
        One distance array per required category (see :func:`coverage_share`).

    Returns
    -------
    pandas.Series
        Percent per district and for ``ALL``.

    References
    ----------
    GB 50180-2018 城市居住区规划设计标准: 5-, 10- and 15-minute life circles at
    300, 500 and 1000 m walking distance.
    """
    stack = np.vstack([np.asarray(d, dtype=np.float64) for d in distances])
    worst = stack.max(axis=0)
    worst[np.isnan(stack).any(axis=0)] = np.nan
    return coverage_share(worst, weight, district, districts, threshold_m=threshold_m)


def _area_by_district(geoms: gpd.GeoSeries, districts: gpd.GeoDataFrame) -> pd.Series:
    """Area (m²) of the union of ``geoms`` inside each district."""
    out = pd.Series(0.0, index=districts["district"].tolist())
    if len(geoms) == 0:
        return out
    union = shapely.union_all(shapely.make_valid(geoms.to_numpy()))
    for name, poly in zip(districts["district"], districts.geometry, strict=True):
        out[name] = shapely.intersection(union, poly).area
    return out


def building_coverage_ratio(
    buildings: gpd.GeoSeries, districts: gpd.GeoDataFrame, area: shapely.Geometry
) -> pd.Series:
    """Building footprint area over land area, percent (0–100) (建筑密度).

    Parameters
    ----------
    buildings
        Building footprints (projected CRS).
    districts
        ``district`` and geometry (clipped to the study area).
    area
        The study area (for ``ALL``).
    """
    fp = _area_by_district(buildings, districts)
    land = pd.Series(districts.geometry.area.to_numpy(), index=districts["district"].tolist())
    out = 100.0 * fp / land
    union = shapely.union_all(shapely.make_valid(buildings.to_numpy())) if len(buildings) else None
    out[ALL] = (
        100.0 * (shapely.intersection(union, area).area if union is not None else 0.0) / area.area
    )
    return out


def park_area_per_capita(
    parks: gpd.GeoSeries,
    districts: gpd.GeoDataFrame,
    area: shapely.Geometry,
    population: pd.Series,
) -> pd.Series:
    """Park area per resident, m² per person (人均公园绿地面积).

    Parameters
    ----------
    parks
        Park polygons (projected).
    population
        Persons per district (index: district ids); districts with no residents get NaN.
    """
    pa = _area_by_district(parks, districts)
    pop = population.reindex(pa.index)
    out = pa / pop.where(pop > 0)
    union = shapely.union_all(shapely.make_valid(parks.to_numpy())) if len(parks) else None
    total_pop = float(population.sum())
    total_area = shapely.intersection(union, area).area if union is not None else 0.0
    out[ALL] = total_area / total_pop if total_pop > 0 else np.nan
    return out


def carriageway_weights(
    lines: gpd.GeoSeries,
    highway: ArrayLike,
    oneway: ArrayLike,
    way_id: ArrayLike,
    *,
    merge_m: float = 30.0,
    max_angle_deg: float = 30.0,
) -> np.ndarray:
    """Weight of each road segment in centre-line length: 0.5 for one half of a dual carriageway.

    A one-way segment counts half when another one-way segment of a different
    way and of the same road class runs the opposite way (within
    ``max_angle_deg``) with its midpoint within ``merge_m`` of this one's
    midpoint: the two carriageways of a divided road then add up to one
    centre line.

    Returns
    -------
    numpy.ndarray
        1.0 or 0.5 per segment.
    """
    n = len(lines)
    w = np.ones(n)
    if n == 0:
        return w
    ow = np.isin(np.asarray(oneway, dtype=object), ["yes", "true", "1", "-1", "reverse"])
    if ow.sum() < 2:
        return w
    coords = shapely.get_coordinates(lines.to_numpy())
    start, end = coords[0::2], coords[1::2]
    mid = (start + end) / 2
    vec = end - start
    norm = np.hypot(vec[:, 0], vec[:, 1])
    norm[norm == 0] = 1
    unit = vec / norm[:, None]
    cls = np.array(
        [str(h).removesuffix("_link") for h in np.asarray(highway, dtype=object)], dtype=object
    )
    ways = np.asarray(way_id)
    idx = np.flatnonzero(ow)
    tree = cKDTree(mid[idx])
    pairs = tree.query_pairs(merge_m, output_type="ndarray")
    if pairs.size == 0:
        return w
    a, b = idx[pairs[:, 0]], idx[pairs[:, 1]]
    cos = np.einsum("ij,ij->i", unit[a], unit[b])
    good = (cls[a] == cls[b]) & (ways[a] != ways[b]) & (cos <= -np.cos(np.radians(max_angle_deg)))
    w[a[good]] = 0.5
    w[b[good]] = 0.5
    return w


def length_within(
    geoms: np.ndarray,
    weights: np.ndarray,
    poly: shapely.Geometry,
    tree: shapely.STRtree | None = None,
) -> float:
    """Weighted length, in CRS units, of the parts of the line ``geoms`` inside ``poly``.

    Lines wholly inside the polygon count with their own length; only those crossing its
    boundary are cut (the overlay is the slow part, and most segments of a street network lie
    inside a district).
    """
    if poly.is_empty or geoms.size == 0:
        return 0.0
    hit = (tree if tree is not None else shapely.STRtree(geoms)).query(poly, predicate="intersects")
    if hit.size == 0:
        return 0.0
    shapely.prepare(poly)
    inside = shapely.contains_properly(poly, geoms[hit])
    whole, cut = hit[inside], hit[~inside]
    total = float((shapely.length(geoms[whole]) * weights[whole]).sum())
    if cut.size:
        total += float(
            (shapely.length(shapely.intersection(geoms[cut], poly)) * weights[cut]).sum()
        )
    return total


def road_network_density(
    lines: gpd.GeoSeries, weights: ArrayLike, districts: gpd.GeoDataFrame, area: shapely.Geometry
) -> pd.Series:
    """Centre-line road length per land area, km/km² (道路网密度).

    Parameters
    ----------
    lines
        Road segments (projected, clipped to the study area).
    weights
        Centre-line weight per segment (see :func:`carriageway_weights`).
    districts
        ``district`` and geometry.
    area
        The study area (for ``ALL``).
    """
    w = np.asarray(weights, dtype=np.float64)
    geoms = lines.to_numpy()
    names = districts["district"].tolist()
    polys = districts.geometry.to_numpy()
    length = pd.Series(0.0, index=names)
    if len(geoms):
        tree = shapely.STRtree(geoms)
        for name, poly in zip(names, polys, strict=True):
            length[name] = length_within(geoms, w, poly, tree)
    land_km2 = pd.Series(shapely.area(polys) / 1e6, index=names)
    out = (length / 1000.0) / land_km2
    out[ALL] = float((shapely.length(geoms) * w).sum()) / 1000.0 / (area.area / 1e6)
    return out


def consolidated_intersections(
    x: ArrayLike, y: ArrayLike, u: ArrayLike, v: ArrayLike, *, tolerance_m: float = 15.0
) -> np.ndarray:
    """Street intersections after merging those closer than ``tolerance_m``.

    Parameters
    ----------
    x, y
        Node coordinates (m).
    u, v
        Road segments as node positions.
    tolerance_m
        Intersections within this distance of each other (transitively) become one,
        placed at their centroid.

    Returns
    -------
    numpy.ndarray
        ``(k, 2)`` coordinates of the consolidated intersections: nodes where
        three or more distinct streets meet.
    """
    xa, ya = np.asarray(x, float), np.asarray(y, float)
    ua, va = np.asarray(u, np.int64), np.asarray(v, np.int64)
    n = xa.size
    keep = ua != va
    a, b = np.minimum(ua[keep], va[keep]), np.maximum(ua[keep], va[keep])
    pairs = np.unique(np.c_[a, b], axis=0) if a.size else np.empty((0, 2), np.int64)
    degree = np.bincount(pairs.ravel(), minlength=n)
    nodes = np.flatnonzero(degree >= 3)
    if nodes.size == 0:
        return np.empty((0, 2))
    pts = np.c_[xa[nodes], ya[nodes]]
    close = cKDTree(pts).query_pairs(tolerance_m, output_type="ndarray")
    m = nodes.size
    adj = (
        coo_array((np.ones(len(close)), (close[:, 0], close[:, 1])), shape=(m, m))
        if len(close)
        else coo_array((m, m))
    )
    _, labels = connected_components(adj, directed=False)
    cx = np.bincount(labels, weights=pts[:, 0]) / np.bincount(labels)
    cy = np.bincount(labels, weights=pts[:, 1]) / np.bincount(labels)
    return np.c_[cx, cy]


def intersection_density(
    points: np.ndarray, districts: gpd.GeoDataFrame, area: shapely.Geometry
) -> pd.Series:
    """Consolidated street intersections per km² (see :func:`consolidated_intersections`)."""
    names = districts["district"].tolist()
    counts = np.zeros(len(names))
    if len(points):
        # each intersection counts in one district, also when it lies on a shared border
        tree = shapely.STRtree(districts.geometry.to_numpy())
        pi, di = tree.query(shapely.points(points), predicate="intersects")
        _, first = np.unique(pi, return_index=True)
        counts = np.bincount(di[first], minlength=len(names)).astype(float)
    out = pd.Series(counts / (districts.geometry.area.to_numpy() / 1e6), index=names)
    inside = shapely.intersects_xy(area, points[:, 0], points[:, 1]).sum() if len(points) else 0
    out[ALL] = float(inside) / (area.area / 1e6)
    return out
