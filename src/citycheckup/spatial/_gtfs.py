"""Transit stops from a GTFS feed, classified by the modes that serve them."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Collection
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from citycheckup.errors import Problem, SpatialError

__all__ = ["gtfs_stops"]

# SDG 11.2.1: bus, tram, trolleybus (low capacity) within 500 m; rail, metro, ferry (high) within 1000 m.
_LOW = {0, 3, 5, 11}
_HIGH = {1, 2, 4, 7, 12}


def _keep(cols: Collection[str]) -> Callable[[str], bool]:
    """``usecols`` for ``read_csv``: the wanted columns, whatever spaces surround a header."""

    def keep(c: str) -> bool:
        return c.strip() in cols

    return keep


_NEED_ALL = " (a GTFS feed needs stops.txt, stop_times.txt, trips.txt and routes.txt)"


def _few(ids: list[str]) -> str:
    """The first five ids, and how many more."""
    return ", ".join(map(repr, ids[:5])) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")


def _mode(route_type: int) -> str | None:
    if (
        route_type in _LOW
        or 700 <= route_type < 800
        or 900 <= route_type < 1000
        or 800 <= route_type < 900
    ):
        return "bus_stop"
    if (
        route_type in _HIGH
        or 100 <= route_type < 200
        or 400 <= route_type < 500
        or 1000 <= route_type < 1100  # water transport
        or 1200 <= route_type < 1300  # ferry (1100-1199 is air service: not transit)
    ):
        return "rail_station"
    return None


def gtfs_stops(path: str | Path) -> gpd.GeoDataFrame:
    """Stops of a GTFS feed with the category of the routes that serve them.

    Parameters
    ----------
    path
        A GTFS ``.zip`` (or a folder) with ``stops.txt``, ``stop_times.txt``,
        ``trips.txt`` and ``routes.txt``.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per (stop, category) with columns ``stop_id``, ``category``
        (``bus_stop`` or ``rail_station``), WGS-84 points. Stops served by no
        trip are left out, and so are routes of modes SDG 11.2.1 does not count
        (coach 200-299, aerial lift 6 and 1300-1399, air 1100-1199, taxi, …).

    Raises
    ------
    SpatialError
        If a required file or column is missing, a ``route_type`` is not a
        number, or a stop served by a trip is absent from ``stops.txt`` or has
        no valid ``stop_lat``/``stop_lon`` (all problems are listed at once).
    """
    p = Path(path)
    tables: dict[str, pd.DataFrame] = {}
    need = {
        "stops.txt": ["stop_id", "stop_lat", "stop_lon"],
        "stop_times.txt": ["trip_id", "stop_id"],
        "trips.txt": ["trip_id", "route_id"],
        "routes.txt": ["route_id", "route_type"],
    }
    problems: list[Problem] = []
    try:
        if p.is_dir():
            readers = {n: (p / n) for n in need}
            for name, cols in need.items():
                if not readers[name].is_file():
                    problems.append(Problem(f"missing {name}{_NEED_ALL}", str(p)))
                    continue
                tables[name] = pd.read_csv(readers[name], dtype=str, usecols=_keep(cols))
        else:
            with zipfile.ZipFile(p) as zf:
                names = {Path(n).name: n for n in zf.namelist()}
                for name, cols in need.items():
                    if name not in names:
                        problems.append(Problem(f"missing {name}{_NEED_ALL}", str(p)))
                        continue
                    with zf.open(names[name]) as fh:
                        tables[name] = pd.read_csv(
                            io.TextIOWrapper(fh, encoding="utf-8-sig"),
                            dtype=str,
                            usecols=_keep(cols),
                        )
    except (
        zipfile.BadZipFile,
        FileNotFoundError,
        pd.errors.ParserError,
        UnicodeDecodeError,
        ValueError,
    ) as exc:
        raise SpatialError(
            "cannot read the GTFS feed (give a GTFS .zip or a folder of its .txt files, "
            "comma-separated, UTF-8)",
            problems=[Problem(str(exc), str(p))],
        ) from exc
    for name, cols in need.items():
        if name in tables:
            t = tables[name]
            t.columns = [c.strip() for c in t.columns]
            miss = [c for c in cols if c not in t.columns]
            if miss:
                problems.append(
                    Problem(f"{name} lacks columns {miss} (add them to its header row)", str(p))
                )
    if problems:
        raise SpatialError("unusable GTFS feed", problems=problems)
    routes = tables["routes.txt"].assign(
        route_type=lambda r: pd.to_numeric(r.route_type.str.strip(), errors="coerce")
    )
    bad = routes.loc[routes.route_type.isna(), "route_id"].tolist()
    if bad:
        problems.append(
            Problem(
                f"routes.txt: route_type is not a number for route_id {_few(bad)} "
                "(give the GTFS integer code, e.g. 3 for bus, 1 for metro)",
                str(p),
            )
        )
    routes["category"] = [(_mode(int(t)) if np.isfinite(t) else None) for t in routes.route_type]
    trips = tables["trips.txt"].merge(routes[["route_id", "category"]], on="route_id", how="inner")
    st = tables["stop_times.txt"][["trip_id", "stop_id"]].drop_duplicates()
    served = st.merge(trips[["trip_id", "category"]], on="trip_id").dropna(subset=["category"])
    served = served[["stop_id", "category"]].drop_duplicates()
    stops = (
        tables["stops.txt"]
        .assign(
            stop_lat=lambda s: pd.to_numeric(s.stop_lat, errors="coerce"),
            stop_lon=lambda s: pd.to_numeric(s.stop_lon, errors="coerce"),
        )
        .dropna(subset=["stop_lat", "stop_lon"])
    )
    out = served.merge(stops[["stop_id", "stop_lat", "stop_lon"]], on="stop_id", how="inner")
    lost = sorted(set(served["stop_id"]) - set(out["stop_id"]))
    if lost:
        problems.append(
            Problem(
                f"stop_times.txt serves stop_id {_few(lost)}, absent from stops.txt or without a "
                "numeric stop_lat/stop_lon there (add the stops with WGS-84 coordinates)",
                str(p),
            )
        )
    if problems:
        raise SpatialError("unusable GTFS feed", problems=problems)
    return gpd.GeoDataFrame(
        out[["stop_id", "category"]].reset_index(drop=True),
        geometry=gpd.points_from_xy(out.stop_lon, out.stop_lat),
        crs="EPSG:4326",
    )
