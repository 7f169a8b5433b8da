"""Placing 12345 tickets in a community and a block: boundary polygons, else the nearest register point."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from citycheckup.errors import DataError, Problem
from citycheckup.inventory._hotline_mapping import HotlineMapping
from citycheckup.inventory._model import Inventory

__all__ = ["EARTH_RADIUS_M", "locate_tickets", "read_boundaries"]

EARTH_RADIUS_M = 6_371_008.8
#: Tolerance of the distance comparison (floating-point rounding of the haversine).
_EPS_M = 1e-6


def _haversine(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def _nearest(
    lat: np.ndarray, lon: np.ndarray, rlat: np.ndarray, rlon: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest register point (great-circle) and its distance, per ticket."""
    idx = np.zeros(len(lat), dtype=np.int64)
    dist = np.full(len(lat), np.inf)
    if len(rlat) == 0 or len(lat) == 0:
        return idx, dist
    step = max(1, 2_000_000 // len(rlat))
    for s in range(0, len(lat), step):
        d = _haversine(
            lat[s : s + step, None], lon[s : s + step, None], rlat[None, :], rlon[None, :]
        )
        k = np.argmin(d, axis=1)
        idx[s : s + step] = k
        dist[s : s + step] = d[np.arange(len(k)), k]
    return idx, dist


def _inside(lat: np.ndarray, lon: np.ndarray, polygons: Mapping[str, Any] | None) -> np.ndarray:
    """ID of the first boundary polygon containing each point (``None`` outside every one)."""
    out = np.full(len(lat), None, dtype=object)
    if not polygons:
        return out
    import shapely

    for pid, geom in polygons.items():
        hit = shapely.contains_xy(geom, lon, lat) & pd.isna(out)
        out[hit] = str(pid)
    return out


def locate_tickets(
    tickets: pd.DataFrame,
    registers: Inventory,
    unit_code: str,
    year: int,
    mapping: HotlineMapping,
    *,
    boundaries: Mapping[str, Mapping[str, Any]] | None = None,
) -> pd.DataFrame:
    """Add ``community_id, community_distance_m, block_id, block_distance_m, located_by``.

    Parameters
    ----------
    boundaries
        Optional ``{"community": {id: polygon}, "block": {id: polygon}}`` (shapely
        geometries in WGS-84 longitude/latitude); a ticket inside one is located there
        (distance 0) before the nearest-point rule is tried.

    Raises
    ------
    citycheckup.errors.DataError
        A boundary names a record that is not in the register of that city and year.
    """
    out = tickets.copy()
    lat = pd.to_numeric(out["lat"], errors="coerce").to_numpy(float)
    lon = pd.to_numeric(out["long"], errors="coerce").to_numpy(float)
    ok = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    how = np.full(len(out), None, dtype=object)
    for kind, limit in (
        ("community", mapping.community_distance_m),
        ("block", mapping.block_distance_m),
    ):
        reg = registers.register(kind, unit_code=unit_code, year=year)
        reg = reg.dropna(subset=["lon", "lat"])
        ids = reg[f"{kind}_id"].astype(str).to_numpy()
        polys = (boundaries or {}).get(kind) or {}
        unknown = sorted(set(map(str, polys)) - set(ids))
        if unknown:
            raise DataError(
                f"boundaries of {kind} records not in the {kind} register of {unit_code} "
                f"{year}: {unknown[:10]}; import the register first or fix the IDs"
            )
        found = np.full(len(out), None, dtype=object)
        dist = np.full(len(out), np.nan)
        inside = _inside(lat[ok], lon[ok], polys)
        k, d = _nearest(lat[ok], lon[ok], reg["lat"].to_numpy(float), reg["lon"].to_numpy(float))
        near = d <= limit + _EPS_M
        f_ok = np.where(
            pd.notna(inside), inside, np.where(near, ids[k] if len(ids) else None, None)
        )
        d_ok = np.where(pd.notna(inside), 0.0, d)
        found[ok] = f_ok
        dist[ok] = np.where(np.isfinite(d_ok), d_ok, np.nan)
        out[f"{kind}_id"] = found
        out[f"{kind}_distance_m"] = dist
        if kind == "community":
            via = np.where(near, "nearest", None)  # type: ignore[call-overload]
            how[ok] = np.where(pd.notna(inside), "boundary", via)
    # a community-located ticket without a block of its own takes its community's block
    com = registers.register("community", unit_code=unit_code, year=year)
    block_of = dict(zip(com["community_id"].astype(str), com["block_id"], strict=True))
    fill = out["block_id"].isna() & out["community_id"].notna()
    out.loc[fill, "block_id"] = out.loc[fill, "community_id"].map(block_of)
    out["located_by"] = how
    out["has_coordinates"] = ok
    return out


def read_boundaries(path: str | Path, kind: str) -> dict[str, Any]:
    """Boundary polygons of ``kind`` (``community`` or ``block``) from a GeoJSON file.

    Each feature needs the property ``<kind>_id``; coordinates in WGS-84.
    """
    import json

    import shapely.geometry

    p = Path(path)
    try:
        gj = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read the boundaries {p}: {exc}") from exc
    out: dict[str, Any] = {}
    problems: list[Problem] = []
    for n, f in enumerate(gj.get("features", []) if isinstance(gj, dict) else [], start=1):
        pid = (f.get("properties") or {}).get(f"{kind}_id")
        if pid in (None, ""):
            problems.append(Problem(f"{p}: feature {n} has no property {kind}_id"))
            continue
        try:
            geom = shapely.geometry.shape(f["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            problems.append(Problem(f"{p}: feature {n} ({pid}) has no valid geometry: {exc}"))
            continue
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(
                Problem(f"{p}: feature {n} ({pid}) is a {geom.geom_type}, not a polygon")
            )
            continue
        out[str(pid)] = geom
    if problems:
        raise DataError(f"{len(problems)} problem(s) in the boundaries", problems=problems)
    if not out:
        raise DataError(f"{p}: no {kind} boundary polygons (GeoJSON FeatureCollection expected)")
    return out
