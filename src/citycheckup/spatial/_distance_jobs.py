"""Nearest-facility distances for several facility categories at once, on every CPU.

Each category is one multi-source Dijkstra run (:func:`~citycheckup.spatial._graph.nearest_node_distances`);
scipy's runs hold the GIL, so threads do not overlap them. On a large walk network
(:data:`PARALLEL_MIN_NODES` nodes or more) with two or more categories,
:func:`nearest_node_distances_many` forks worker processes, which share the graph with this
process (copy-on-write, nothing is sent to them) and send back one distance array per
category. The arrays are identical to those computed in this process (a test checks it).

On a small network the runs take milliseconds and the forks would cost more than they save,
so they run here; also where ``fork`` is not available, where the process already runs other
threads (a server, a Dask worker: forking a threaded process is unsafe), on a single CPU, or
with ``CITYCHECKUP_DISTANCE_WORKERS=0``.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import numpy as np
from numpy.typing import ArrayLike

from citycheckup.errors import SpatialError
from citycheckup.spatial._graph import FloatArray, WalkGraph, nearest_node_distances
from citycheckup.spatial._prefetch import can_fork, usable_cpus, worker_setting

__all__ = ["PARALLEL_MIN_NODES", "WORKERS_ENV", "distance_workers", "nearest_node_distances_many"]

#: Environment variable: how many processes run the Dijkstra searches (0: this process).
WORKERS_ENV = "CITYCHECKUP_DISTANCE_WORKERS"

#: Walk networks with fewer nodes run every search in this process: one search takes a few
#: milliseconds there, less than forking a worker (measured in ``benchmarks/bench_spatial.py``).
PARALLEL_MIN_NODES = 100_000

#: One source set: the source nodes and the distance already travelled at each (``None``: 0).
SourceSet = tuple[ArrayLike, ArrayLike | None]

# the work of the current call, inherited by the forked workers (never pickled)
_JOB: tuple[WalkGraph, Sequence[SourceSet], float] | None = None


def distance_workers(n_nodes: int, n_sets: int) -> int:
    """How many worker processes run ``n_sets`` searches on ``n_nodes`` nodes (0: this process)."""
    n = worker_setting(
        WORKERS_ENV,
        SpatialError,
        "run the distance searches in the calling process",
        "the number of processes that run them",
    )
    if n is None:
        if n_nodes < PARALLEL_MIN_NODES:
            return 0
        n = min(4, usable_cpus())  # one process per CPU, at most four
    n = min(n, n_sets)
    return n if n >= 2 and can_fork() else 0


def _search(i: int) -> FloatArray:
    """Worker: the distances of source set ``i`` of the job inherited from the parent."""
    if _JOB is None:
        raise RuntimeError("a distance worker runs only in a process forked by its caller")
    graph, sets, limit = _JOB
    sources, offsets = sets[i]
    return nearest_node_distances(graph, sources, offsets, limit=limit)


def nearest_node_distances_many(
    graph: WalkGraph,
    sets: Sequence[SourceSet],
    *,
    limit: float = np.inf,
    workers: int | None = None,
) -> list[FloatArray]:
    """:func:`~citycheckup.spatial._graph.nearest_node_distances` for each source set.

    Parameters
    ----------
    graph
        The walk network.
    sets
        ``(sources, source_offsets)`` per facility category.
    limit
        Stop searching beyond this distance; nodes farther away get ``inf``.
    workers
        Worker processes; ``None`` chooses with :func:`distance_workers`, 0 or 1 runs every
        search in this process.

    Returns
    -------
    list of numpy.ndarray
        One distance array per source set, in the order of ``sets``.
    """
    global _JOB
    n = distance_workers(graph.n_nodes, len(sets)) if workers is None else min(workers, len(sets))
    if n < 2:
        return [nearest_node_distances(graph, s, o, limit=limit) for s, o in sets]
    _ = graph.csr  # built once here, inherited by the workers
    _JOB = (graph, sets, limit)
    try:
        with ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("fork")) as pool:
            return list(pool.map(_search, range(len(sets))))
    except BrokenProcessPool as exc:
        raise SpatialError(
            f"a distance worker process stopped before it finished ({exc}); run again with "
            f"{WORKERS_ENV}=0 to compute the distances in the calling process"
        ) from exc
    finally:
        _JOB = None
