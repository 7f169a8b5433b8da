"""Distance searches of several categories in worker processes (issue 14: ``_distance_jobs``).

The workers must be invisible except in time: the same arrays as the searches in the calling
process (offsets, limits, repeated and empty source sets included), a clear error when a
worker dies, nothing forked where it does not pay or is unsafe, and the CLI's outputs
byte-identical with and without workers. Graphs are small synthetic grids built here; the
CLI test reads a small real extract of ``shared/data/osm`` (© OpenStreetMap contributors, ODbL).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from citycheckup.errors import SpatialError
from citycheckup.spatial import _distance_jobs
from citycheckup.spatial._access import facility_destinations, facility_distances, network_distances
from citycheckup.spatial._distance_jobs import (
    PARALLEL_MIN_NODES,
    WORKERS_ENV,
    distance_workers,
    nearest_node_distances_many,
)
from citycheckup.spatial._graph import WalkGraph, nearest_node_distances, snap_points


@pytest.fixture(autouse=True)
def _forkable(monkeypatch: pytest.MonkeyPatch) -> None:
    # two CPUs and no other thread (earlier tests may leave idle threads in this process);
    # the refusals on one CPU and in a threaded process are tested on their own below
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    monkeypatch.delenv(WORKERS_ENV, raising=False)


def _grid(side: int = 30, seed: int = 7) -> WalkGraph:
    """A ``side × side`` street grid, 100 m blocks jittered by up to ±20 m (seeded)."""
    rng = np.random.default_rng(seed)
    idx = np.arange(side * side).reshape(side, side)
    rows, cols = np.divmod(np.arange(side * side), side)
    x = cols * 100.0 + rng.uniform(-20, 20, side * side)
    y = rows * 100.0 + rng.uniform(-20, 20, side * side)
    u = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    v = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    return WalkGraph.from_edges(x, y, u, v)


def _sets(n_nodes: int) -> list[tuple[np.ndarray, np.ndarray | None]]:
    rng = np.random.default_rng(3)
    s1 = rng.choice(n_nodes, 5, replace=False)
    s2 = rng.choice(n_nodes, 9, replace=False)
    return [
        (s1, None),  # zero offsets: one multi-source run
        (np.r_[s2, s2[:3]], rng.uniform(0, 400, s2.size + 3)),  # offsets, repeated nodes
        (np.array([0]), np.array([250.0])),  # one source with an offset
        (np.empty(0, np.int64), None),  # no source: every node unreachable
        (s1[:2], None),
    ]


@pytest.mark.parametrize("limit", [np.inf, 650.0])
def test_workers_give_the_arrays_of_the_calling_process(limit: float) -> None:
    g = _grid()
    sets = _sets(g.n_nodes)
    here = [nearest_node_distances(g, s, o, limit=limit) for s, o in sets]
    forked = nearest_node_distances_many(g, sets, limit=limit, workers=2)
    assert len(forked) == len(sets)
    for a, b in zip(here, forked, strict=True):
        assert np.array_equal(a, b)  # bit for bit, inf included
    assert np.isinf(forked[3]).all()
    if np.isfinite(limit):  # the limit reached the workers
        assert np.isinf(forked[0]).any() and forked[0][np.isfinite(forked[0])].max() <= limit
    assert _distance_jobs._JOB is None  # nothing of the call is kept


def test_in_process_when_fewer_than_two_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    g = _grid(8)
    sets = _sets(g.n_nodes)
    monkeypatch.setattr(_distance_jobs, "ProcessPoolExecutor", None)  # any fork would fail
    for workers in (0, 1):
        out = nearest_node_distances_many(g, sets, workers=workers, limit=250.0)
        assert [a.tolist() for a in out] == [
            nearest_node_distances(g, s, o, limit=250.0).tolist() for s, o in sets
        ]
        assert np.isinf(out[0]).any()  # the limit applies: 250 m is less than 3 blocks
    # a small network chooses the calling process by itself
    assert len(nearest_node_distances_many(g, sets)) == len(sets)


def test_the_pool_has_the_workers_asked_for_and_forks_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = _distance_jobs.ProcessPoolExecutor
    seen: list[tuple[object, str]] = []

    def recording(max_workers: int, *, mp_context: object) -> object:
        # an explicit fork context: the default one is not "fork" everywhere (Python 3.14)
        seen.append((max_workers, type(mp_context).__name__))
        return real(max_workers, mp_context=mp_context)  # type: ignore[arg-type]

    monkeypatch.setattr(_distance_jobs, "ProcessPoolExecutor", recording)
    g = _grid(8)
    assert "csr" not in g.__dict__
    nearest_node_distances_many(g, _sets(g.n_nodes), workers=3)
    assert seen == [(3, "ForkContext")]  # three workers, forked (they inherit the graph)
    assert "csr" in g.__dict__  # built in this process before the fork, not once per worker
    nearest_node_distances_many(g, _sets(g.n_nodes)[:2], workers=3)
    assert seen[-1] == (2, "ForkContext")  # never more workers than sets
    # chosen by the network size (the threshold lowered to this small grid): one per CPU (2)
    monkeypatch.setattr(_distance_jobs, "PARALLEL_MIN_NODES", g.n_nodes)
    out = nearest_node_distances_many(g, _sets(g.n_nodes))
    assert seen[-1] == (2, "ForkContext") and len(seen) == 3 and len(out) == 5
    nearest_node_distances_many(g, _sets(g.n_nodes)[:1])
    assert len(seen) == 3  # one set: searched here
    # fork even where the default start method is another one (macOS, Python 3.14)
    before = multiprocessing.get_start_method()
    multiprocessing.set_start_method("spawn", force=True)
    try:
        nearest_node_distances_many(g, _sets(g.n_nodes), workers=2)
    finally:
        multiprocessing.set_start_method(before, force=True)
    assert seen[-1] == (2, "ForkContext")


def test_the_worker_function_reads_the_inherited_job() -> None:
    g = _grid(8)
    sets = _sets(g.n_nodes)
    _distance_jobs._JOB = (g, sets, 250.0)
    try:
        for i, (s, o) in enumerate(sets):  # run here, as a forked worker runs it
            assert np.array_equal(
                _distance_jobs._search(i), nearest_node_distances(g, s, o, limit=250.0)
            )
    finally:
        _distance_jobs._JOB = None
    with pytest.raises(
        RuntimeError, match="^a distance worker runs only in a process forked by its caller$"
    ):
        _distance_jobs._search(0)


def test_a_worker_that_dies_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = os.getpid()
    real = _distance_jobs.nearest_node_distances

    def dies_in_a_worker(*args: object, **kw: object) -> np.ndarray:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(_distance_jobs, "nearest_node_distances", dies_in_a_worker)
    g = _grid(8)
    with pytest.raises(SpatialError) as err:
        nearest_node_distances_many(g, _sets(g.n_nodes), workers=2)
    assert str(err.value).startswith("a distance worker process stopped before it finished (")
    assert str(err.value).endswith(
        f"); run again with {WORKERS_ENV}=0 to compute the distances in the calling process"
    )
    assert _distance_jobs._JOB is None


def test_a_workers_exception_reaches_the_caller_unchanged() -> None:
    g = _grid(8)
    bad = [(np.array([0]), None), (np.array([1, 2]), np.array([1.0]))]  # 1 offset for 2 sources
    with pytest.raises(SpatialError, match=r"^1 source offsets for 2 sources$"):
        nearest_node_distances_many(g, bad, workers=2)
    assert _distance_jobs._JOB is None


@pytest.mark.parametrize(
    ("n_nodes", "expected"),
    [
        (PARALLEL_MIN_NODES - 1, 0),  # just below: the searches take milliseconds
        (PARALLEL_MIN_NODES, 2),  # at: one worker per CPU (2)
        (PARALLEL_MIN_NODES + 1, 2),  # just above
    ],
)
def test_default_workers_from_the_network_size(n_nodes: int, expected: int) -> None:
    assert distance_workers(n_nodes, 8) == expected


def test_default_workers_follow_cpus_and_sets(monkeypatch: pytest.MonkeyPatch) -> None:
    big = PARALLEL_MIN_NODES
    assert distance_workers(big, 1) == 0  # one set: nothing to run beside it
    assert distance_workers(big, 2) == 2
    for cpus, n in [(1, 0), (3, 3), (4, 4), (6, 4)]:  # at most four, none on one CPU
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid, c=cpus: set(range(c)))
        assert distance_workers(big, 8) == n, cpus
    assert distance_workers(big, 3) == 3  # six CPUs, three sets
    monkeypatch.setattr(threading, "active_count", lambda: 2)
    assert distance_workers(big, 8) == 0  # forking a threaded process is unsafe
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    monkeypatch.setattr(_distance_jobs.multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert distance_workers(big, 8) == 0


def test_workers_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WORKERS_ENV, "0")
    assert distance_workers(10 * PARALLEL_MIN_NODES, 8) == 0
    monkeypatch.setenv(WORKERS_ENV, "3")
    assert distance_workers(10, 8) == 3  # on any network size
    assert distance_workers(10, 2) == 2  # never more than the sets
    monkeypatch.setenv(WORKERS_ENV, "1")
    assert distance_workers(10 * PARALLEL_MIN_NODES, 8) == 0  # one worker: this process
    monkeypatch.setenv(WORKERS_ENV, "two")
    with pytest.raises(SpatialError) as err:
        distance_workers(10, 8)
    assert str(err.value) == (
        f"{WORKERS_ENV}='two' is not a whole number; set it to 0 (run the distance searches in "
        "the calling process) or to the number of processes that run them, e.g. 2"
    )
    monkeypatch.setenv(WORKERS_ENV, "-1")
    with pytest.raises(SpatialError) as err:
        distance_workers(10, 8)
    assert str(err.value) == f"{WORKERS_ENV}='-1' is negative; set it to 0 or more"


def test_network_distances_per_set_match_one_set_at_a_time() -> None:
    g = _grid(12)
    rng = np.random.default_rng(11)
    hx, hy = rng.uniform(0, 1100, 40), rng.uniform(0, 1100, 40)
    homes = snap_points(g, hx, hy, max_snap_m=60)
    import shapely

    home_pts = shapely.points(hx, hy)
    geoms = {
        "a": shapely.points(rng.uniform(0, 1100, 3), rng.uniform(0, 1100, 3)),
        "b": np.array([shapely.box(300, 300, 420, 420)]),  # an area entered at nearby nodes
        "far": shapely.points([50_000.0], [50_000.0]),  # unsnapped: no source at all
    }
    kw = {"access_m": 30.0, "max_snap_m": 60.0}
    dests = {k: facility_destinations(g, home_pts, v, **kw) for k, v in geoms.items()}
    assert dests["far"].nodes.size == 0 and dests["far"].unsnapped == 1
    both = network_distances(g, homes, dests, limit=800.0)
    assert list(both) == ["a", "b", "far"]
    for k, v in geoms.items():
        one, euc, lost = facility_distances(g, homes, home_pts, v, limit=800.0, **kw)
        assert np.array_equal(both[k], one, equal_nan=True)
        assert np.array_equal(dests[k].euc, euc, equal_nan=True) and dests[k].unsnapped == lost
    snapped = homes.snapped
    assert np.isnan(both["far"][~snapped]).all() and np.isinf(both["far"][snapped]).all()


def test_the_command_writes_the_same_files_with_and_without_workers(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("pyrosm")
    from citycheckup.cli import app

    pbf = shared_data / "osm" / "misc" / "aguascalientes.osm.pbf"
    monkeypatch.setenv("CITYCHECKUP_READ_AHEAD", "0")
    out = {}
    for workers in ("2", "0"):
        monkeypatch.setenv(WORKERS_ENV, workers)
        target = tmp_path / f"w{workers}"
        args = ["spatial", "--osm", str(pbf), "--grid", "1000", "--out", str(target)]
        r = CliRunner().invoke(app, [*args, "--maps", "none"])
        assert r.exit_code == 0, r.output
        out[workers] = {p.name: p.read_bytes() for p in target.glob("*.csv")}
    assert out["2"].keys() == out["0"].keys() and "indicators.csv" in out["2"]
    assert out["2"] == out["0"]


def _ring() -> WalkGraph:
    """A square ring road, 1,000 m a side, a node every 100 m (40 nodes), nothing inside."""
    side = [(float(i * 100), 0.0) for i in range(10)]
    side += [(1000.0, float(i * 100)) for i in range(10)]
    side += [(float(1000 - i * 100), 1000.0) for i in range(10)]
    side += [(0.0, float(1000 - i * 100)) for i in range(10)]
    x, y = np.array(side).T
    u = np.arange(40)
    return WalkGraph.from_edges(x, y, u, (u + 1) % 40)


def test_areas_are_entered_at_the_nodes_near_them_single_or_multi_part() -> None:
    import shapely

    g = _ring()
    homes = shapely.points([500.0], [-20.0])
    kw = {"access_m": 150.0, "max_snap_m": 60.0}
    # The park box(100, 100, 900, 900) lies 100 m inside the ring: the 36 side nodes are
    # 100 m from it, the 4 corners sqrt(100² + 100²) = 141.42 m, all within 150 m; so 40
    # entrances, and nothing is snapped at the park's centre (400 m from any road).
    park = shapely.box(100, 100, 900, 900)
    # The same park in two parts (a MultiPolygon, a 40 m gap at x = 480..520) is an area as
    # well, not a point: the nodes (500, 0) and (500, 1000) are sqrt(20² + 100²) = 101.98 m
    # from the nearer half, the home sqrt(20² + 120²) = 121.66 m.
    halves = shapely.multipolygons(
        [shapely.box(100, 100, 480, 900), shapely.box(520, 100, 900, 900)]
    )
    cases = [
        (park, [100.0] * 36 + [141.42] * 4, 120.0),
        (halves, [100.0] * 34 + [101.98] * 2 + [141.42] * 4, 121.66),
    ]
    for geom, offsets, euc in cases:
        d = facility_destinations(g, homes, np.array([geom]), **kw)
        assert d.unsnapped == 0 and d.snap.edge.shape[0] == 0  # no point snapped
        assert d.nodes.size == 40
        assert sorted(np.round(d.offsets, 2).tolist()) == offsets
        assert np.round(d.euc, 2).tolist() == [euc]  # home (500, -20); park edge y = 100


def test_point_facilities_snap_within_the_given_distance() -> None:
    import shapely

    g = _ring()
    homes = shapely.points([500.0], [-20.0])
    # 80 m below the road y = 0: beyond max_snap_m = 60 (not attached), within 100
    far = np.array([shapely.Point(500.0, -80.0)])
    d60 = facility_destinations(g, homes, far, access_m=150.0, max_snap_m=60.0)
    d100 = facility_destinations(g, homes, far, access_m=150.0, max_snap_m=100.0)
    assert (d60.unsnapped, d60.nodes.size) == (1, 0)
    # It projects onto the node (500, 0), which ends two edges: both are candidates, each
    # giving its two end nodes: (500, 0) at 80 m, (400, 0) and (600, 0) at 80 + 100 m.
    assert d100.unsnapped == 0
    pairs = sorted(zip(g.x[d100.nodes].tolist(), np.round(d100.offsets, 6).tolist(), strict=True))
    assert pairs == [(400.0, 180.0), (500.0, 80.0), (500.0, 80.0), (600.0, 180.0)]


def test_network_distances_search_only_what_can_be_reached(monkeypatch: pytest.MonkeyPatch) -> None:
    import shapely

    from citycheckup.spatial import _access

    g = _ring()
    calls: list[tuple[int, float]] = []
    real = _access.nearest_node_distances_many

    def recording(graph: WalkGraph, sets: list, *, limit: float) -> list:  # type: ignore[type-arg]
        calls.append((len(sets), limit))
        return real(graph, sets, limit=limit)

    monkeypatch.setattr(_access, "nearest_node_distances_many", recording)
    fac = {
        "a": facility_destinations(
            g,
            shapely.points([500.0], [-20.0]),
            np.array([shapely.Point(500.0, 10.0)]),
            access_m=150.0,
            max_snap_m=60.0,
        )
    }
    # no home on the network: nothing to search, every distance NaN
    nowhere = snap_points(g, np.array([500.0]), np.array([500.0]), max_snap_m=60.0)
    out = network_distances(g, nowhere, fac, limit=800.0)
    assert calls == [(0, 800.0)] and np.isnan(out["a"]).all()
    # a home 20 m below the road at x = 300: 20 m + 200 m along the road + 10 m = 230 m
    home = snap_points(g, np.array([300.0]), np.array([-20.0]), max_snap_m=60.0)
    out = network_distances(g, home, fac, limit=800.0)
    assert calls[-1] == (1, 800.0)  # one search, with the limit
    assert out["a"].round(6).tolist() == [230.0]
