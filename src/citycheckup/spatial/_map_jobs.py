"""PNG maps drawn off the critical path of a spatial run, by pre-warmed worker processes.

After the distances, most of a run's CPU went to matplotlib: importing it, and drawing
the maps. When a run will write maps, :class:`MapPool` forks worker processes at its
start; they import matplotlib and read the font's character map while the parent reads
the extract and computes. The parent then sends each worker a small picklable
:class:`MapData` (district outlines and values as arrays, the network as segments) with a
share of the indicators, and writes the tables while the workers draw. The PNGs are
byte-identical to those drawn in the calling process (a test checks it).

The pool is not used (maps are drawn in the calling process) where ``fork`` is not
available, where the process already runs other threads (a server, a Dask worker: forking
a threaded process is unsafe), on a single CPU, or with ``CITYCHECKUP_MAP_WORKERS=0``.
This module does not import matplotlib; :mod:`citycheckup.spatial._maps` does.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import shapely

from citycheckup.errors import OutputError
from citycheckup.spatial._result import ALL, SpatialResult

__all__ = ["MapData", "MapPool", "map_data", "map_workers"]

#: Environment variable: the number of map worker processes (0 draws in the calling process).
WORKERS_ENV = "CITYCHECKUP_MAP_WORKERS"


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


def map_data(result: SpatialResult, codes: list[str]) -> MapData:
    """The arrays and texts the maps of ``codes`` draw from ``result``."""
    d = result.districts
    names = [str(n) for n in d["district"]]
    geoms = list(d.geometry)
    if len(d):
        minx, miny, maxx, maxy = (float(v) for v in d.total_bounds)
    elif result.study_area is not None:
        minx, miny, maxx, maxy = result.study_area.bounds
    else:
        raise OutputError("no districts and no study area: there is nothing to map")
    segments = None
    if result.network is not None and len(result.network):
        segments = shapely.get_coordinates(result.network.to_numpy()).reshape(-1, 2, 2)
    pts = [g.representative_point() for g in geoms]
    table = result.indicators.set_index("district")
    flagged = result.flagged()
    return MapData(
        names=names,
        paths=[_rings(g) for g in geoms],
        areas=np.array([g.area for g in geoms], float),
        label_points=np.array([[p.x, p.y] for p in pts], float).reshape(-1, 2),
        bounds=(minx, miny, maxx, maxy),
        outline=_outline(result.study_area) if result.study_area is not None else None,
        segments=segments,
        values={c: d[c].to_numpy(float) for c in codes},
        whole_area={c: float(cast("float", table.loc[ALL, c])) for c in codes},
        units={c: result.units.get(c, "") for c in codes},
        labels={c: dict(result.labels.get(c, {})) for c in codes},
        low={c: np.array([(n, c) in flagged for n in d["district"]], bool) for c in codes},
    )


def map_workers() -> int:
    """How many worker processes draw the maps (0: the calling process draws them)."""
    raw = os.environ.get(WORKERS_ENV)
    if raw is not None:
        try:
            n = int(raw)
        except ValueError:
            raise OutputError(
                f"{WORKERS_ENV}={raw!r} is not a whole number; set it to 0 (draw the maps in the "
                "calling process) or to the number of map worker processes, e.g. 2"
            ) from None
        if n < 0:
            raise OutputError(f"{WORKERS_ENV}={raw!r} is negative; set it to 0 or more")
    else:
        n = min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)
        n = n if n >= 2 else 0
    if n and (
        "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1
    ):
        return 0
    return n


def _warm() -> None:
    """Worker start-up: import matplotlib and read the font's character map once."""
    from citycheckup._fonts import _cmap, register_matplotlib
    from citycheckup.spatial import _maps  # noqa: F401 - the import is the warming

    register_matplotlib()
    _cmap()


def _render(data: MapData, codes: list[str], folder: str) -> list[str]:
    from citycheckup.spatial._maps import render_pngs

    return render_pngs(data, codes, Path(folder))


class MapPool:
    """Worker processes, forked and warmed now, that draw PNG maps later.

    Use as a context manager; :meth:`submit` hands a share of the maps to each worker.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("fork"), initializer=_warm
        )
        # with fork, the first submit starts every worker, each running the initializer in the
        # background; nothing waits for it here
        self._pool.submit(int)

    @classmethod
    def start(cls) -> MapPool | None:
        """A warmed pool, or ``None`` when maps are to be drawn in the calling process."""
        n = map_workers()
        return cls(n) if n else None

    def submit(self, data: MapData, codes: list[str], folder: Path) -> list[Future[list[str]]]:
        """Draw ``codes`` into ``folder``, split across the workers (one future per share)."""
        shares = [codes[i :: self.workers] for i in range(self.workers)]
        return [self._pool.submit(_render, data, s, str(folder)) for s in shares if s]

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> MapPool:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def collect(futures: list[Future[list[str]]], codes: list[str], folder_name: str) -> list[str]:
    """Wait for every share; the written paths in the order of ``codes``."""
    written: set[str] = set()
    for f in futures:
        written.update(f.result())
    return [p for c in codes if (p := f"{folder_name}/{c}.png") in written]
