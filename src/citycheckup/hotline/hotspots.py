"""Hotspots in space (hexagon cells or DBSCAN) and time (emerging increases) per category.

These feed 主动治理 / 未诉先办: a cell or cluster whose volume passes a threshold,
or a category whose weekly volume jumps above its recent baseline, becomes a
proactive-governance candidate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from citycheckup.errors import HotlineError

__all__ = ["emerging_hotspots", "haversine_m", "hex_cell", "spatial_hotspots"]

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def hex_cell(
    lat: np.ndarray, lon: np.ndarray, size_m: float, lat0: float
) -> tuple[np.ndarray, np.ndarray]:
    """Axial coordinates (q, r) of pointy-top hexagons of circumradius ``size_m``.

    Points are projected with a local equirectangular projection at latitude ``lat0``
    (accurate to well under 1 % across a city), then rounded in cube coordinates.
    """
    x = np.radians(lon) * EARTH_RADIUS_M * math.cos(math.radians(lat0))
    y = np.radians(lat) * EARTH_RADIUS_M
    qf = (math.sqrt(3) / 3 * x - y / 3) / size_m
    rf = (2 / 3 * y) / size_m
    sf = -qf - rf
    q, r, s = np.round(qf), np.round(rf), np.round(sf)
    dq, dr, ds = np.abs(q - qf), np.abs(r - rf), np.abs(s - sf)
    fix_q = (dq > dr) & (dq > ds)
    fix_r = ~fix_q & (dr > ds)
    q = np.where(fix_q, -r - s, q)
    r = np.where(fix_r, -q - s, r)
    return q.astype(np.int64), r.astype(np.int64)


def _hex_centre(
    q: np.ndarray, r: np.ndarray, size_m: float, lat0: float
) -> tuple[np.ndarray, np.ndarray]:
    x = size_m * (math.sqrt(3) * q + math.sqrt(3) / 2 * r)
    y = size_m * 1.5 * r
    lat = np.degrees(y / EARTH_RADIUS_M)
    lon = np.degrees(x / (EARTH_RADIUS_M * math.cos(math.radians(lat0))))
    return lat, lon


def spatial_hotspots(
    requests: pd.DataFrame,
    *,
    method: Literal["hex", "dbscan"] = "hex",
    size_m: float = 500.0,
    min_count: int = 5,
    by: Sequence[str] = ("category",),
) -> pd.DataFrame:
    """Places with many requests, per group (category by default).

    Parameters
    ----------
    requests
        Needs ``lat``, ``long`` and the ``by`` columns (rows without coordinates are ignored).
    method
        ``"hex"``: count requests in hexagons of circumradius ``size_m``; ``"dbscan"``:
        DBSCAN with the haversine metric, ``eps = size_m`` and ``min_samples = min_count``.
    size_m
        Hexagon size or DBSCAN radius in metres.
    min_count
        Smallest count reported.
    by
        Grouping columns.

    Returns
    -------
    pandas.DataFrame
        One row per hotspot: the ``by`` columns, ``cell`` (``"q:r"`` or cluster label),
        ``lat``, ``long`` (centre), ``count``, ``excess`` (count ÷ the group's mean
        count per occupied cell) — sorted by count.
    """
    need = {"lat", "long", *by}
    missing = need - set(requests.columns)
    if missing:
        raise HotlineError(f"spatial_hotspots needs columns {sorted(missing)}")
    df = requests.dropna(subset=["lat", "long"])
    df = df[(df["lat"].abs() <= 90) & (df["long"].abs() <= 180)]
    cols = [*by, "cell", "lat", "long", "count", "excess"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    lat0 = float(df["lat"].median())
    parts = []
    for key, g in df.groupby(list(by), dropna=False, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        if method == "hex":
            q, r = hex_cell(g["lat"].to_numpy(float), g["long"].to_numpy(float), size_m, lat0)
            cells = pd.DataFrame({"q": q, "r": r}).value_counts().rename("count").reset_index()
            clat, clon = _hex_centre(cells["q"].to_numpy(), cells["r"].to_numpy(), size_m, lat0)
            out = pd.DataFrame(
                {
                    "cell": cells["q"].astype(str) + ":" + cells["r"].astype(str),
                    "lat": clat,
                    "long": clon,
                    "count": cells["count"],
                }
            )
        elif method == "dbscan":
            from sklearn.cluster import DBSCAN

            coords = np.radians(g[["lat", "long"]].to_numpy(float))
            labels = DBSCAN(
                eps=size_m / EARTH_RADIUS_M,
                min_samples=min_count,
                metric="haversine",
                algorithm="ball_tree",
            ).fit_predict(coords)
            tmp = g.assign(_label=labels)
            tmp = tmp[tmp["_label"] >= 0]
            agg = (
                tmp.groupby("_label")
                .agg(lat=("lat", "mean"), long=("long", "mean"), count=("lat", "size"))
                .reset_index()
            )
            out = pd.DataFrame(
                {
                    "cell": "cluster" + agg["_label"].astype(str),
                    "lat": agg["lat"],
                    "long": agg["long"],
                    "count": agg["count"],
                }
            )
        else:
            raise HotlineError(f"unknown hotspot method {method!r}; choose hex or dbscan")
        if out.empty:
            continue
        out["excess"] = out["count"] / out["count"].mean()
        for name, value in zip(by, key, strict=True):
            out[name] = value
        parts.append(out[out["count"] >= min_count])
    if not parts:
        return pd.DataFrame(columns=cols)
    res = pd.concat(parts, ignore_index=True)[cols]
    return res.sort_values(
        ["count", *by], ascending=[False] + [True] * len(by), kind="stable"
    ).reset_index(drop=True)


def emerging_hotspots(
    requests: pd.DataFrame,
    *,
    as_of: pd.Timestamp | None = None,
    window_days: int = 7,
    baseline_windows: int = 4,
    min_count: int = 5,
    alpha: float = 0.01,
    by: Sequence[str] = ("category",),
) -> pd.DataFrame:
    """Groups whose latest window has significantly more requests than their baseline.

    Parameters
    ----------
    requests
        Needs ``requested_at`` and the ``by`` columns.
    as_of
        End of the latest window (default: the latest request time).
    window_days
        Length of a window.
    baseline_windows
        Number of earlier windows whose mean is the expected count.
    min_count
        Smallest latest-window count reported.
    alpha
        Significance level of the one-sided Poisson test.
    by
        Grouping columns.

    Returns
    -------
    pandas.DataFrame
        ``by`` columns, ``count`` (latest window), ``baseline`` (mean of earlier
        windows), ``ratio``, ``p_value`` and ``emerging`` (p < alpha and count ≥ min_count).

    Notes
    -----
    ``p = P(X ≥ count)`` for ``X ~ Poisson(max(baseline, 0.5))`` — the increase is
    judged against what the group's own recent history makes likely.
    """
    from scipy.stats import poisson

    if "requested_at" not in requests.columns:
        raise HotlineError("emerging_hotspots needs a requested_at column")
    t = pd.to_datetime(requests["requested_at"])
    end = pd.Timestamp(as_of) if as_of is not None else t.max()
    if pd.isna(end):
        return pd.DataFrame(columns=[*by, "count", "baseline", "ratio", "p_value", "emerging"])
    w = pd.Timedelta(days=window_days)
    k = np.floor((end - t) / w).astype("Int64")  # 0 = latest window
    df = requests.assign(_k=k)
    df = df[(df["_k"] >= 0) & (df["_k"] <= baseline_windows)]
    counts = df.groupby([*by, "_k"], dropna=False).size().unstack("_k", fill_value=0)
    for j in range(baseline_windows + 1):
        if j not in counts.columns:
            counts[j] = 0
    latest = counts[0]
    base = counts[list(range(1, baseline_windows + 1))].mean(axis=1)
    lam = np.maximum(base.to_numpy(float), 0.5)
    p = poisson.sf(latest.to_numpy() - 1, lam)
    out = pd.DataFrame(
        {
            "count": latest.to_numpy(),
            "baseline": base.to_numpy(float),
            "ratio": latest.to_numpy() / lam,
            "p_value": p,
        },
        index=counts.index,
    )
    out["emerging"] = (out["p_value"] < alpha) & (out["count"] >= min_count)
    return (
        out.reset_index()
        .sort_values(["emerging", "ratio"], ascending=False, kind="stable")
        .reset_index(drop=True)
    )
