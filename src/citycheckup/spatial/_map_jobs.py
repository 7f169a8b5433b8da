"""PNG maps drawn off the critical path of a spatial run, by pre-warmed worker processes.

After the distances, most of a run's CPU went to matplotlib: importing it, and drawing
the maps. When a run will write maps, :class:`MapPool` forks one worker process at its
start; it imports matplotlib and reads the font's character map while the parent reads
the extract. As soon as the districts are known, the parent sends it the layout
(:func:`~citycheckup.spatial._map_data.map_layout`: outlines, label places, the network as
segments) and it builds the figure while the distances are computed. At the end the parent
sends a small picklable :class:`~citycheckup.spatial._map_data.MapData` with the indicators'
values, and writes the tables while the worker draws; the worker forks itself once per
further CPU (the forks share its warmed matplotlib and prepared figure), so the maps are
drawn in parallel without a second import. The PNGs are byte-identical to those drawn in the
calling process (a test checks it).

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
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
from shapely.geometry.base import BaseGeometry

from citycheckup.errors import OutputError
from citycheckup.spatial._map_data import MapData, map_layout, same_layout
from citycheckup.spatial._prefetch import can_fork, usable_cpus, worker_setting

__all__ = ["MapPool", "map_workers"]

#: Environment variable: how many processes draw the maps (0: the calling process draws them).
WORKERS_ENV = "CITYCHECKUP_MAP_WORKERS"


def map_workers() -> int:
    """How many processes draw the maps (0: the calling process draws them)."""
    n = worker_setting(
        WORKERS_ENV,
        OutputError,
        "draw the maps in the calling process",
        "the number of processes that draw them",
    )
    if n is None:
        # one process per CPU, at most four; on one CPU nothing would run in parallel
        cpus = usable_cpus()
        n = min(4, cpus) if cpus >= 2 else 0
    return n if n and can_fork() else 0


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
                data, codes, folder, procs = payload
                if prepared is not None and not same_layout(prepared.data, data):
                    prepared = None  # the districts changed after the layout was sent
                conn.send(("ok", _draw_forked(data, codes, Path(folder), prepared, procs)))
            except Exception as exc:
                prepared = None
                if kind != "layout":  # a failed layout is drawn again, and reported, by the draw
                    conn.send(("error", _portable(exc)))
    finally:
        conn.close()


def _answer(conn: Connection, what: str) -> tuple[str, Any]:
    try:
        return cast("tuple[str, Any]", conn.recv())
    except EOFError:
        return "error", OutputError(
            f"a map {what} process stopped unexpectedly; run again with {WORKERS_ENV}=0 to draw "
            "the maps in this process"
        )


def _draw_forked(
    data: MapData, codes: list[str], folder: Path, prepared: Any, procs: int
) -> list[str]:
    """Draw ``codes`` with ``procs`` processes: this worker and ``procs - 1`` forks of it.

    The forks share the worker's imported matplotlib and prepared figure (copy-on-write), so
    they start drawing at once; each draws every ``procs``-th map.
    """
    from citycheckup.spatial._maps import render_pngs

    shares = [s for s in (codes[i::procs] for i in range(max(procs, 1))) if s]
    children = []
    for share in shares[1:]:
        read, write = multiprocessing.Pipe(duplex=False)
        pid = os.fork()
        if pid == 0:  # the fork: draw its share, answer, and leave without running anything else
            try:
                read.close()
                try:
                    write.send(("ok", render_pngs(data, share, folder, canvas=prepared)))
                except Exception as exc:
                    write.send(("error", _portable(exc)))
            finally:
                os._exit(0)
        write.close()
        children.append((pid, read))
    written: list[str] = []
    error: BaseException | None = None
    try:
        written += render_pngs(data, shares[0], folder, canvas=prepared) if shares else []
    except Exception as exc:
        error = exc
    for pid, read in children:
        status, answer = _answer(read, "drawing")
        read.close()
        os.waitpid(pid, 0)
        if status == "ok":
            written += answer
        elif error is None:
            error = answer
    if error is not None:
        raise error
    return written


class MapPool:
    """A map worker, forked and warming now, that draws the PNG maps later.

    :meth:`layout` hands it the districts as soon as they are known, so that it builds the
    figure while the distances are computed; :meth:`submit` hands it the maps, which it draws
    with ``procs`` processes (itself and forks of itself, see :func:`_draw_forked`), and
    :meth:`collect` waits for them. Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, procs: int) -> None:
        self.procs = procs
        ctx = multiprocessing.get_context("fork")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(
            target=_worker, args=(child,), daemon=True, name="citycheckup-maps"
        )
        self._proc.start()
        child.close()

    @classmethod
    def start(cls) -> MapPool | None:
        """A warming worker, or ``None`` when the maps are to be drawn in the calling process."""
        n = map_workers()
        return cls(n) if n else None

    def layout(
        self,
        districts: gpd.GeoDataFrame,
        network: gpd.GeoSeries | None,
        study_area: BaseGeometry | None,
    ) -> None:
        """Let the worker build the figure of these districts now (see :func:`map_layout`)."""
        self._conn.send(("layout", map_layout(districts, network, study_area)))

    def submit(self, data: MapData, codes: list[str], folder: Path) -> Connection:
        """Send the worker the maps of ``codes``; pass the answer to :meth:`collect`."""
        self._conn.send(("draw", (data, codes, str(folder), self.procs)))
        return self._conn

    def collect(self, busy: Connection, codes: list[str], folder_name: str) -> list[str]:
        """Wait for the maps; the written paths in the order of ``codes`` (or the first error)."""
        status, answer = _answer(busy, "worker")
        if status != "ok":
            raise answer
        written = set(answer)
        return [p for c in codes if (p := f"{folder_name}/{c}.png") in written]

    def close(self) -> None:
        """Stop the worker (it finishes what it is drawing first)."""
        with contextlib.suppress(OSError):  # the worker may be gone already
            self._conn.send(None)
        self._conn.close()
        self._proc.join(timeout=60)
        if self._proc.is_alive():  # pragma: no cover - a worker stuck in a draw
            self._proc.terminate()
            self._proc.join()

    def __enter__(self) -> MapPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
