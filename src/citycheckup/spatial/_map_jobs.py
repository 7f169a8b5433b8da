"""PNG maps drawn off the critical path of a spatial run, by pre-warmed worker processes.

After the distances, most of a run's CPU went to matplotlib: importing it, and drawing
the maps. When a run will write maps, :class:`MapPool` forks worker processes at its
start; they import matplotlib and read the font's character map while the parent reads
the extract. As soon as the districts are known, the parent sends them the layout
(:func:`map_layout`: outlines, label places, the network as segments) and they build the
figure while the distances are computed. At the end the parent sends each worker a small
picklable :class:`MapData` with a share of the indicators, and writes the tables while the
workers draw. The PNGs are byte-identical to those drawn in the calling process (a test
checks it).

The pool is not used (maps are drawn in the calling process) where ``fork`` is not
available, where the process already runs other threads (a server, a Dask worker: forking
a threaded process is unsafe), on a single CPU, or with ``CITYCHECKUP_MAP_WORKERS=0``.
This module does not import matplotlib; :mod:`citycheckup.spatial._maps` does.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import geopandas as gpd
from shapely.geometry.base import BaseGeometry

from citycheckup.errors import OutputError
from citycheckup.spatial._map_data import MapData, map_layout, same_layout

__all__ = ["MapPool", "map_workers"]

#: Environment variable: the number of map worker processes (0 draws in the calling process).
WORKERS_ENV = "CITYCHECKUP_MAP_WORKERS"


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


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling, else an :class:`OutputError` with its text."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return OutputError(f"drawing a map failed: {type(exc).__name__}: {exc}")
    return exc


def _worker(conn: Connection) -> None:
    """A map worker: warm up, then draw what the parent sends until it sends ``None``."""
    try:
        from citycheckup._fonts import _cmap, register_matplotlib
        from citycheckup.spatial import _maps

        register_matplotlib()
        _cmap()
        prepared: Any = None
        while True:
            try:
                msg = conn.recv()
            except EOFError:  # the parent is gone
                return
            if msg is None:
                return
            kind, payload = msg
            try:
                if kind == "layout":
                    prepared = _maps.prepared_canvas(payload)
                    continue
                data, codes, folder = payload
                if prepared is not None and not same_layout(prepared.data, data):
                    prepared = None  # the districts changed after the layout was sent
                conn.send(("ok", _maps.render_pngs(data, codes, Path(folder), canvas=prepared)))
            except Exception as exc:
                prepared = None
                if kind != "layout":  # a failed layout is drawn again, and reported, by the draw
                    conn.send(("error", _portable(exc)))
    finally:
        conn.close()


class MapPool:
    """Worker processes, forked and warming now, that draw PNG maps later.

    :meth:`layout` hands them the districts as soon as they are known, so that they build
    the figure while the distances are computed; :meth:`submit` hands each worker a share
    of the maps, and :meth:`collect` waits for them. Use as a context manager, or call
    :meth:`close`.
    """

    def __init__(self, workers: int) -> None:
        ctx = multiprocessing.get_context("fork")
        self._conns: list[Connection] = []
        self._procs: list[Any] = []
        for _ in range(workers):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_worker, args=(child,), daemon=True, name="citycheckup-maps")
            proc.start()
            child.close()
            self._conns.append(parent)
            self._procs.append(proc)

    @classmethod
    def start(cls) -> MapPool | None:
        """A warming pool, or ``None`` when the maps are to be drawn in the calling process."""
        n = map_workers()
        return cls(n) if n else None

    def layout(
        self,
        districts: gpd.GeoDataFrame,
        network: gpd.GeoSeries | None,
        study_area: BaseGeometry | None,
    ) -> None:
        """Let every worker build the figure of these districts now (see :func:`map_layout`)."""
        data = map_layout(districts, network, study_area)
        for conn in self._conns:
            conn.send(("layout", data))

    def submit(self, data: MapData, codes: list[str], folder: Path) -> list[Connection]:
        """Send each worker its share of ``codes``; pass the answer to :meth:`collect`."""
        busy = []
        for i, conn in enumerate(self._conns):
            share = codes[i :: len(self._conns)]
            if share:
                conn.send(("draw", (data, share, str(folder))))
                busy.append(conn)
        return busy

    def collect(self, busy: list[Connection], codes: list[str], folder_name: str) -> list[str]:
        """Wait for every share; the written paths in the order of ``codes``.

        Raises the first error of a worker (after all have answered).
        """
        written: set[str] = set()
        error: BaseException | None = None
        for conn in busy:
            try:
                status, payload = conn.recv()
            except EOFError:
                status, payload = (
                    "error",
                    OutputError(
                        "a map worker process stopped unexpectedly; run again with "
                        f"{WORKERS_ENV}=0 to draw the maps in this process"
                    ),
                )
            if status == "ok":
                written.update(payload)
            elif error is None:
                error = payload
        if error is not None:
            raise error
        return [p for c in codes if (p := f"{folder_name}/{c}.png") in written]

    def close(self) -> None:
        """Stop the workers (they finish what they are drawing first)."""
        for conn in self._conns:
            with contextlib.suppress(OSError):  # the worker may be gone already
                conn.send(None)
            conn.close()
        for proc in self._procs:
            proc.join(timeout=60)
            if proc.is_alive():  # pragma: no cover - a worker stuck in a draw
                proc.terminate()
                proc.join()
        self._conns, self._procs = [], []

    def __enter__(self) -> MapPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
