"""Coordinates of registers and problems: accepted systems and conversion to WGS-84.

Field teams record positions with phones (WGS-84), from Amap/Tencent maps (GCJ-02),
from Baidu (BD-09) or from surveying and planning data in CGCS2000 — geographic
(EPSG:4490) or projected, e.g. a 3° Gauss–Krüger zone (EPSG:4513–4554). Everything
is stored in WGS-84 (EPSG:4326). GCJ-02 and BD-09 are converted with
:mod:`citycheckup.spatial._coords`; EPSG codes with pyproj.
"""

from __future__ import annotations

import re

import numpy as np
from numpy.typing import ArrayLike, NDArray

from citycheckup.errors import DataError

__all__ = ["CRS_CHOICES", "CHINA_BOUNDS", "crs_label", "normalise_crs", "to_wgs84", "wgs84_to"]

#: Names accepted for ``crs`` besides ``EPSG:<code>``.
CRS_CHOICES: dict[str, str] = {
    "wgs84": "WGS-84 (EPSG:4326; GPS, OpenStreetMap)",
    "gcj02": "GCJ-02 (Amap, Tencent)",
    "bd09": "BD-09 (Baidu)",
    "cgcs2000": "CGCS2000 geographic (EPSG:4490)",
}
_ALIASES = {
    "wgs84": "wgs84",
    "wgs-84": "wgs84",
    "wgs 84": "wgs84",
    "epsg:4326": "wgs84",
    "4326": "wgs84",
    "gcj02": "gcj02",
    "gcj-02": "gcj02",
    "gcj": "gcj02",
    "火星坐标": "gcj02",
    "高德": "gcj02",
    "bd09": "bd09",
    "bd-09": "bd09",
    "百度": "bd09",
    "cgcs2000": "EPSG:4490",
    "cgcs 2000": "EPSG:4490",
    "epsg:4490": "EPSG:4490",
    "4490": "EPSG:4490",
    "国家2000": "EPSG:4490",
    "2000国家大地坐标系": "EPSG:4490",
}
#: (lon_min, lat_min, lon_max, lat_max) of China with a margin, for plausibility checks.
CHINA_BOUNDS = (73.0, 3.0, 136.0, 54.0)


def normalise_crs(crs: str) -> str:
    """``wgs84``, ``gcj02``, ``bd09`` or ``EPSG:<code>`` for a CRS name given by a user.

    Raises
    ------
    DataError
        For a name that is none of these (the message lists the accepted names).

    Examples
    --------
    >>> normalise_crs("CGCS2000"), normalise_crs("GCJ-02"), normalise_crs("epsg:4547")
    ('EPSG:4490', 'gcj02', 'EPSG:4547')
    """
    key = str(crs).strip().lower()
    if key in _ALIASES:
        return _ALIASES[key]
    m = re.fullmatch(r"(?:epsg:)?(\d{4,6})", key)
    if m:
        code = int(m.group(1))
        return "wgs84" if code == 4326 else f"EPSG:{code}"
    raise DataError(
        f"unknown coordinate system {crs!r}; use one of {', '.join(CRS_CHOICES)} or an EPSG code "
        "such as EPSG:4490 (CGCS2000) or EPSG:4547 (CGCS2000 / 3-degree Gauss-Kruger CM 114E)"
    )


def crs_label(crs: str) -> str:
    """A readable name of a normalised CRS."""
    return CRS_CHOICES.get(crs, "CGCS2000 geographic (EPSG:4490)" if crs == "EPSG:4490" else crs)


def _transformer(src: str, dst: str) -> object:
    try:
        from pyproj import Transformer
        from pyproj.exceptions import CRSError
    except ImportError as exc:  # pragma: no cover - pyproj is in the spatial extra
        raise DataError(
            f"converting {src} coordinates needs pyproj: pip install 'citycheckup[spatial]'"
        ) from exc
    try:
        return Transformer.from_crs(src, dst, always_xy=True)
    except CRSError as exc:
        raise DataError(
            f"coordinate system {src} is not known to PROJ ({exc}); check the EPSG code"
        ) from exc


def to_wgs84(
    x: ArrayLike, y: ArrayLike, crs: str
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Convert coordinates in ``crs`` to WGS-84 longitude and latitude (degrees).

    Parameters
    ----------
    x, y
        Longitude and latitude in degrees, or easting and northing in metres for a
        projected EPSG system (x = easting, always).
    crs
        A name accepted by :func:`normalise_crs`.

    Returns
    -------
    tuple of numpy.ndarray
        WGS-84 longitude and latitude; missing inputs stay missing.
    """
    from citycheckup.spatial._coords import bd09_to_wgs84, gcj02_to_wgs84

    c = normalise_crs(crs)
    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    if c == "wgs84":
        return np.array(xa, dtype=np.float64), np.array(ya, dtype=np.float64)
    if c == "gcj02":
        lon, lat = gcj02_to_wgs84(xa, ya)
    elif c == "bd09":
        lon, lat = bd09_to_wgs84(xa, ya)
    else:
        tr = _transformer(c, "EPSG:4326")
        lon, lat = tr.transform(xa, ya)  # type: ignore[attr-defined]
    lon = np.where(np.isnan(xa) | np.isnan(ya), np.nan, lon)
    lat = np.where(np.isnan(xa) | np.isnan(ya), np.nan, lat)
    return np.array(lon, dtype=np.float64), np.array(lat, dtype=np.float64)


def wgs84_to(
    lon: ArrayLike, lat: ArrayLike, epsg: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Convert WGS-84 longitude/latitude to ``EPSG:<epsg>`` (for exports, e.g. CGCS2000 4490)."""
    xa = np.asarray(lon, dtype=np.float64)
    ya = np.asarray(lat, dtype=np.float64)
    if epsg == 4326:
        return xa.copy(), ya.copy()
    tr = _transformer("EPSG:4326", f"EPSG:{epsg}")
    x, y = tr.transform(xa, ya)  # type: ignore[attr-defined]
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
