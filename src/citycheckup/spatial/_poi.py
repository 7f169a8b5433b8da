"""POI tables from Chinese map providers (Amap/Gaode, Baidu, Tencent) as facilities.

A POI table (CSV, XLSX or GeoPackage) holds one facility per row with a category text
(e.g. Amap's ``科教文化服务;学校;小学``) and coordinates in WGS-84, GCJ-02 (Amap,
Tencent) or BD-09 (Baidu). Coordinates are converted to WGS-84, and each row is
mapped to the facility categories whose ``poi`` keywords occur in its category text
(the editable table in ``facilities.yaml``). Commercial POI data come under their
providers' licences: use them locally, never redistribute them.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from citycheckup.errors import Problem, SpatialError
from citycheckup.spatial._coords import bd09_to_wgs84, gcj02_to_wgs84, wgs84_to_gcj02

__all__ = ["PoiCRS", "detect_shift", "read_poi_table", "to_wgs84"]

logger = logging.getLogger(__name__)

PoiCRS = Literal["wgs84", "gcj02", "bd09"]

_LON = ("lon", "lng", "longitude", "经度", "x", "wgs84_lng", "gcj02_lng", "bd09_lng", "lon_wgs")
_LAT = ("lat", "latitude", "纬度", "y", "wgs84_lat", "gcj02_lat", "bd09_lat", "lat_wgs")
_CAT = ("category", "type", "types", "类型", "类别", "分类", "typecode", "大类", "poi_type")
_NAME = ("name", "名称", "poi_name", "title")


def to_wgs84(lon: np.ndarray, lat: np.ndarray, crs: PoiCRS) -> tuple[np.ndarray, np.ndarray]:
    """Convert longitude/latitude from ``crs`` to WGS-84."""
    if crs == "wgs84":
        return np.asarray(lon, float), np.asarray(lat, float)
    if crs == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if crs == "bd09":
        return bd09_to_wgs84(lon, lat)
    raise SpatialError(f"unknown POI coordinate system {crs!r}; use wgs84, gcj02 or bd09")


def _pick(columns: list[str], names: tuple[str, ...]) -> str | None:
    low = {str(c).strip().lower(): c for c in columns}
    return next((low[n] for n in names if n in low), None)


def read_poi_table(path: str | Path, *, crs: PoiCRS = "wgs84") -> gpd.GeoDataFrame:
    """Read a POI table and convert its coordinates to WGS-84.

    Parameters
    ----------
    path
        CSV, XLSX or GeoPackage/GeoJSON. Tables need a category column
        (``category``/``type``/``类型``…) and coordinate columns (``lon``/``lng``/
        ``经度`` and ``lat``/``纬度``); a vector layer needs the category column.
    crs
        Coordinate system of the coordinates: ``wgs84``, ``gcj02`` (Amap, Tencent)
        or ``bd09`` (Baidu). Vector layers with a CRS are taken as that CRS unless
        ``crs`` says GCJ-02/BD-09 (the usual case for exports that claim EPSG:4326).

    Returns
    -------
    geopandas.GeoDataFrame
        ``name``, ``category`` and WGS-84 points.

    Raises
    ------
    SpatialError
        Naming the file, the missing columns or the rows with unusable coordinates.
    """
    p = Path(path)
    if not p.is_file():
        raise SpatialError(
            "POI table not found", problems=[Problem("no such file; check --poi", str(p))]
        )
    suffix = p.suffix.lower()
    try:
        if suffix in {".csv", ".txt"}:
            df = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        elif suffix in {".xlsx", ".xls"}:
            df = pd.read_excel(p, dtype=str).fillna("")
        else:
            g = gpd.read_file(p)
            if g.crs is not None and crs == "wgs84":
                g = g.to_crs("EPSG:4326")
            df = pd.DataFrame(g.drop(columns="geometry"))
            df["lon"], df["lat"] = g.geometry.x.to_numpy(), g.geometry.y.to_numpy()
    except SpatialError:
        raise
    except Exception as exc:  # pandas/pyogrio raise many kinds
        raise SpatialError(
            "cannot read the POI table", problems=[Problem(f"{type(exc).__name__}: {exc}", str(p))]
        ) from exc
    cols = [str(c) for c in df.columns]
    lonc, latc, catc, namec = (
        _pick(cols, _LON),
        _pick(cols, _LAT),
        _pick(cols, _CAT),
        _pick(cols, _NAME),
    )
    problems = []
    if catc is None:
        problems.append(
            Problem(f"no category column ({', '.join(_CAT[:5])}…); found {cols}", str(p))
        )
    if lonc is None or latc is None:
        problems.append(
            Problem(f"no coordinate columns (lon/lng/经度 and lat/纬度); found {cols}", str(p))
        )
    if problems:
        raise SpatialError("unusable POI table", problems=problems)
    lon = pd.to_numeric(df[lonc], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(df[latc], errors="coerce").to_numpy(float)
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    if bad.any():
        rows = (np.flatnonzero(bad)[:10] + 2).tolist()
        raise SpatialError("POI coordinates are missing or out of range", problems=[Problem(
            f"{int(bad.sum())} row(s), e.g. rows {rows}: give decimal degrees in {lonc!r}/{latc!r}", str(p))])  # fmt: skip
    wx, wy = to_wgs84(lon, lat, crs)
    out = gpd.GeoDataFrame(
        {
            "name": df[namec].astype(str).to_numpy() if namec else "",
            "category": df[catc].astype(str).to_numpy(),
        },
        geometry=gpd.points_from_xy(wx, wy),
        crs="EPSG:4326",
    )
    out.attrs["source"] = str(p)
    out.attrs["crs"] = crs
    return out


def detect_shift(
    pois: gpd.GeoDataFrame, reference: np.ndarray, *, within_m: float = 30.0, min_share: float = 0.1
) -> str | None:
    """Say whether POIs look shifted, by comparing them with OSM's own POIs.

    The share of POIs that lie within ``within_m`` of an OSM point of interest
    (amenity, shop, office, leisure …; areas by a point on their surface) is compared for three
    readings of their coordinates: as given, as if still in GCJ-02, and as if
    WGS-84 converted once too often. The GCJ-02 offset is a few hundred metres
    in one direction, so the right reading matches far more POIs than a wrong one.

    Parameters
    ----------
    pois
        The POIs as read (WGS-84 after conversion), with the projected CRS of
        ``reference`` in ``pois.attrs["projected_crs"]``.
    reference
        Projected OSM POI geometries (shapely array).
    within_m
        A POI matches when an OSM POI lies this close.
    min_share
        Warn only when another reading matches at least this share of the POIs
        more, and at least twice as many.

    Returns
    -------
    str or None
        A warning text, or None when the coordinates look right or cannot be judged.
    """
    if len(pois) < 5 or reference.size == 0:
        return None
    crs = pois.attrs["projected_crs"]
    # points, not areas: a campus polygon would "match" every POI inside it
    tree = shapely.STRtree(shapely.point_on_surface(reference))
    lon, lat = pois.geometry.x.to_numpy(), pois.geometry.y.to_numpy()

    def matched(x: np.ndarray, y: np.ndarray) -> float:
        pts = gpd.GeoSeries(gpd.points_from_xy(x, y), crs="EPSG:4326").to_crs(crs).to_numpy()
        hit, _ = tree.query(pts, predicate="dwithin", distance=within_m)
        return np.unique(hit).size / len(pts)

    declared = pois.attrs.get("crs", "wgs84")
    base = matched(lon, lat)
    readings = {"wgs84 (converted twice)": wgs84_to_gcj02(lon, lat)}
    if declared == "wgs84":
        readings = {"gcj02": gcj02_to_wgs84(lon, lat), **readings}
    best_name, best = None, base
    for name, (x, y) in readings.items():
        share = matched(x, y)
        if share > best:
            best_name, best = name, share
    if best_name is None or best - base < min_share or best < 2 * base:
        return None
    hint = (
        "--crs gcj02 (Amap/Tencent) or --crs bd09 (Baidu)"
        if best_name == "gcj02"
        else "--crs wgs84"
    )
    return (f"the POI coordinates look shifted: declared {declared}, {100 * base:.0f} % of them lie within "
            f"{within_m:g} m of an OSM point of interest, but {100 * best:.0f} % when read as {best_name}; "
            f"check the coordinate system ({hint})")  # fmt: skip
