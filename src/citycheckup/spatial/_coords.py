"""Chinese commercial coordinate systems: GCJ-02 (Amap, Tencent) and BD-09 (Baidu) ↔ WGS-84.

POIs from Amap or Baidu are published in these obfuscated systems and are off
by several hundred metres against OSM (WGS-84); convert them before mixing.
Such data are under proprietary licences: never ship them.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["bd09_to_gcj02", "bd09_to_wgs84", "gcj02_to_bd09", "gcj02_to_wgs84", "wgs84_to_gcj02"]

_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0

Pair = tuple[NDArray[np.float64], NDArray[np.float64]]


def _in_china(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
    return (lon > 72.004) & (lon < 137.8347) & (lat > 0.8293) & (lat < 55.8271)


def _offsets(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> Pair:
    x = lon - 105.0
    y = lat - 35.0
    s = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * s + common
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * s + common
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sq = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sq) * np.pi)
    dlon = (dlon * 180.0) / (_A / sq * np.cos(rad) * np.pi)
    return dlon, dlat


def _arrays(lon: ArrayLike, lat: ArrayLike) -> Pair:
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """Convert WGS-84 longitude/latitude to GCJ-02 (points outside China are unchanged).

    Parameters
    ----------
    lon, lat
        Degrees (scalars or arrays).

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 longitude and latitude.
    """
    x, y = _arrays(lon, lat)
    dlon, dlat = _offsets(x, y)
    inside = _in_china(x, y)
    return np.where(inside, x + dlon, x), np.where(inside, y + dlat, y)


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike, *, tol_deg: float = 1e-10) -> Pair:
    """Convert GCJ-02 longitude/latitude to WGS-84.

    Parameters
    ----------
    lon, lat
        GCJ-02 degrees.
    tol_deg
        Convergence tolerance of the inversion, degrees (1e-10° ≈ 0.01 mm).

    Returns
    -------
    tuple of numpy.ndarray
        WGS-84 longitude and latitude.

    Notes
    -----
    The forward transform has no closed-form inverse; a fixed-point iteration
    ``w ← w − (f(w) − g)`` converges to sub-millimetre accuracy in a few steps
    (the one-step inverse common in scripts is off by up to ~1 m).
    """
    gx, gy = _arrays(lon, lat)
    wx, wy = gx.copy(), gy.copy()
    for _ in range(30):
        fx, fy = wgs84_to_gcj02(wx, wy)
        ex, ey = fx - gx, fy - gy
        wx, wy = wx - ex, wy - ey
        if np.all(np.abs(ex) < tol_deg) and np.all(np.abs(ey) < tol_deg):
            break
    return wx, wy


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """Convert GCJ-02 longitude/latitude to BD-09 (Baidu).

    Parameters
    ----------
    lon, lat
        GCJ-02 degrees.

    Returns
    -------
    tuple of numpy.ndarray
        BD-09 longitude and latitude.
    """
    x, y = _arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike, *, tol_deg: float = 1e-10) -> Pair:
    """Convert BD-09 (Baidu) longitude/latitude to GCJ-02.

    Parameters
    ----------
    lon, lat
        BD-09 degrees.
    tol_deg
        Convergence tolerance; the usual closed-form inverse is refined by
        fixed-point iteration to this accuracy.

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 longitude and latitude.
    """
    bx, by = _arrays(lon, lat)
    x, y = bx - 0.0065, by - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    gx, gy = z * np.cos(theta), z * np.sin(theta)
    for _ in range(30):
        fx, fy = gcj02_to_bd09(gx, gy)
        ex, ey = fx - bx, fy - by
        gx, gy = gx - ex, gy - ey
        if np.all(np.abs(ex) < tol_deg) and np.all(np.abs(ey) < tol_deg):
            break
    return gx, gy


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """Convert BD-09 (Baidu) longitude/latitude to WGS-84 (via GCJ-02).

    Parameters
    ----------
    lon, lat
        BD-09 degrees.

    Returns
    -------
    tuple of numpy.ndarray
        WGS-84 longitude and latitude.
    """
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))
