"""Batch lists, their keyword arguments and the map-worker count, without a cluster (issue 18).

Synthetic batch CSVs written in the tests; nothing is computed, so these stay fast (the
cluster itself is tested in test_spatial_cli.py).
"""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import pytest

from citycheckup.errors import OutputError, SpatialError
from citycheckup.spatial import _map_jobs
from citycheckup.spatial._batch import BatchResult, _kwargs, read_batch


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "batch.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_read_batch_resolves_paths(tmp_path: Path) -> None:
    (tmp_path / "a.osm").write_text("x", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.gpkg").write_text("x", encoding="utf-8")
    p = _write(tmp_path, "city,osm,districts,grid,year\nA,a.osm,sub/d.gpkg,500,2024\nB,a.osm,,,\n")
    t = read_batch(p)
    assert t["city"].tolist() == ["A", "B"]
    assert t["osm"].tolist() == [str((tmp_path / "a.osm").resolve())] * 2
    assert t["districts"].tolist() == [str((tmp_path / "sub" / "d.gpkg").resolve()), ""]
    assert t["grid"].tolist() == ["500", ""]


def test_read_batch_lists_every_problem(tmp_path: Path) -> None:
    (tmp_path / "a.osm").write_text("x", encoding="utf-8")
    p = _write(
        tmp_path,
        "city,osm,gtfs,grid,admin_level,year\n"
        "A,a.osm,,x,8,2024\n"
        "A,none.osm,feed.zip,1,8.5,y\n"
        " ,a.osm,,,,\n",
    )
    with pytest.raises(SpatialError, match="invalid batch list") as err:
        read_batch(p)
    assert [str(x) for x in err.value.problems] == [
        f"{p}: city names repeat: ['A']",
        f"{p} row 2: grid must be a number, got 'x'",
        f"{p} row 3: osm file 'none.osm' not found",
        f"{p} row 3: gtfs file 'feed.zip' not found",
        f"{p} row 3: year must be a number, got 'y'",
        f"{p} row 4: empty city name",
    ]


def test_read_batch_bad_columns_and_files(tmp_path: Path) -> None:
    with pytest.raises(SpatialError, match="batch list not found") as err:
        read_batch(tmp_path / "none.csv")
    assert str(err.value.problems[0]) == f"{tmp_path / 'none.csv'}: no such file"
    p = _write(tmp_path, "name,extract,grid\nA,a.osm,1\n")
    with pytest.raises(SpatialError, match="invalid batch list") as err:
        read_batch(p)
    assert [str(x) for x in err.value.problems] == [
        f"{p}: missing column 'city'",
        f"{p}: missing column 'osm'",
        f"{p}: unknown columns ['name', 'extract']; allowed: ['city', 'osm', 'boundary', "
        "'districts', 'district_id', 'admin_level', 'grid', 'population', 'population_column', "
        "'census', 'gtfs', 'poi', 'poi_crs', 'built_up', 'year']",
    ]
    p = _write(tmp_path, "city,osm\n")
    with pytest.raises(SpatialError, match="the batch list has no rows") as err:
        read_batch(p)
    assert str(err.value.problems[0]) == f"{p}: add one row per city"


def test_kwargs() -> None:
    row = {"city": "A", "osm": "a.osm", "boundary": "b.gpkg", "districts": "", "district_id": "code",
           "population": "p.tif", "population_column": "pop", "census": "c.csv", "gtfs": "g.zip",
           "poi": "p.csv", "poi_crs": " GCJ02 ", "built_up": "bu.gpkg", "admin_level": "8.0",
           "grid": "750", "year": "2024.0"}  # fmt: skip
    assert _kwargs(row) == {
        "boundary": "b.gpkg", "district_id": "code", "population": "p.tif",
        "population_column": "pop", "census": "c.csv", "gtfs": "g.zip", "poi": "p.csv",
        "poi_crs": "gcj02", "built_up": "bu.gpkg", "admin_level": 8, "grid": 750.0, "year": 2024,
    }  # fmt: skip
    assert _kwargs({"city": "A", "osm": "a.osm", "grid": "", "year": ""}) == {}


def test_batch_result_failed() -> None:
    r = BatchResult(pd.DataFrame(), pd.DataFrame({"city": ["x", 3], "error": ["e", "f"]}))
    assert r.failed == ["x", "3"]
    assert BatchResult(pd.DataFrame()).failed == [] and BatchResult(pd.DataFrame()).out is None


def test_map_workers_default_follows_the_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    """No setting: one per CPU, at most 4; 0 on one CPU (nothing would run in parallel)."""
    monkeypatch.delenv(_map_jobs.WORKERS_ENV, raising=False)
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    for cpus, n in ((1, 0), (2, 2), (4, 4), (5, 4), (16, 4)):
        monkeypatch.setattr(_map_jobs.os, "sched_getaffinity", lambda _pid, c=cpus: set(range(c)))
        assert _map_jobs.map_workers() == n, cpus
    # a second thread: forking is unsafe, so the calling process draws
    monkeypatch.setattr(threading, "active_count", lambda: 2)
    assert _map_jobs.map_workers() == 0
    # no fork start method (e.g. Windows): the calling process draws
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    monkeypatch.setattr(_map_jobs.multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert _map_jobs.map_workers() == 0
    monkeypatch.setenv(_map_jobs.WORKERS_ENV, "0")
    assert _map_jobs.map_workers() == 0


def test_map_workers_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(_map_jobs.WORKERS_ENV, "two")
    with pytest.raises(OutputError) as err:
        _map_jobs.map_workers()
    assert str(err.value) == (
        f"{_map_jobs.WORKERS_ENV}='two' is not a whole number; set it to 0 (draw the maps in the "
        "calling process) or to the number of processes that draw them, e.g. 2"
    )
    monkeypatch.setenv(_map_jobs.WORKERS_ENV, "-1")
    with pytest.raises(OutputError) as err:
        _map_jobs.map_workers()
    assert str(err.value) == f"{_map_jobs.WORKERS_ENV}='-1' is negative; set it to 0 or more"


def test_map_worker_is_a_daemon() -> None:
    """The map worker is a daemon process: a caller that exits without closing the pool is
    not kept waiting for it (multiprocessing joins non-daemon children at exit, and the
    worker would wait for work forever)."""
    pool = _map_jobs.MapPool(1)
    try:
        assert pool._proc.daemon is True
        assert pool._proc.name == "citycheckup-maps"
        assert pool.procs == 1
    finally:
        pool.close()
    assert not pool._proc.is_alive()
