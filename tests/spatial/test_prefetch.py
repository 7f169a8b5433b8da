"""The extract read ahead in a second process (issue 14, speed: ``spatial/_prefetch.py``).

The read-ahead must be invisible except in time: the same data as reading in the calling
process, the same errors, a clear error when the reader dies, nothing forked where forking is
unsafe or switched off, and the CLI's outputs byte-identical with and without it. Real data:
small extracts of ``shared/data/osm`` (© OpenStreetMap contributors, ODbL).
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

pytest.importorskip("pyrosm")

from citycheckup.cli import app
from citycheckup.errors import SpatialError
from citycheckup.spatial import _prefetch
from citycheckup.spatial._osm import read_osm
from citycheckup.spatial._pipeline import compute_spatial
from citycheckup.spatial._prefetch import READ_AHEAD_ENV, PendingRead


@pytest.fixture
def pbf(shared_data: Path) -> Path:
    return shared_data / "osm" / "misc" / "aguascalientes.osm.pbf"


@pytest.fixture(autouse=True)
def _two_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    # the read-ahead needs two CPUs; CI machines have them, this makes the tests independent
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.delenv(READ_AHEAD_ENV, raising=False)
    # earlier tests leave idle threads in this process (pyrosm's progress monitor); the CLI
    # starts the read-ahead before any of them exists. The refusal to fork a threaded process
    # is tested on its own below.
    monkeypatch.setattr(threading, "active_count", lambda: 1)


def test_the_data_are_those_read_in_this_process(pbf: Path) -> None:
    pending = PendingRead.start(pbf)
    assert pending is not None
    got = pending.result()
    want = read_osm(pbf)
    assert len(want.walk) > 50
    pd.testing.assert_frame_equal(got.nodes, want.nodes)
    pd.testing.assert_frame_equal(got.walk, want.walk)
    pd.testing.assert_frame_equal(got.roads, want.roads)
    assert got.features.geometry.to_wkb().tolist() == want.features.geometry.to_wkb().tolist()
    assert got.features["tags"].tolist() == want.features["tags"].tolist()
    assert got.bounds is None or got.bounds.equals(want.bounds)
    assert not pending._process.is_alive()


def test_the_readers_error_is_raised_unchanged(tmp_path: Path) -> None:
    bad = tmp_path / "broken.osm.pbf"
    bad.write_bytes(b"not a protocol buffer at all" * 10)
    with pytest.raises(SpatialError) as direct:
        read_osm(bad)
    pending = PendingRead.start(bad)
    assert pending is not None
    with pytest.raises(SpatialError) as ahead:
        pending.result()
    assert str(ahead.value) == str(direct.value)
    assert "corrupt or not an OSM PBF" in str(ahead.value)


def test_a_reader_that_dies_is_a_clear_error(pbf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the reader is killed before it answers (as by the OOM killer)
    monkeypatch.setattr(_prefetch, "_read", lambda path, conn: os.kill(os.getpid(), signal.SIGKILL))
    pending = PendingRead.start(pbf)
    assert pending is not None
    with pytest.raises(SpatialError) as err:
        pending.result()
    text = str(err.value)
    assert "ended without an answer" in text and "exit code -9" in text
    assert f"{READ_AHEAD_ENV}=0" in text and str(pbf) in text


@pytest.mark.parametrize("value", ["0", "no", "false"])
def test_switched_off_by_the_environment(
    pbf: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(READ_AHEAD_ENV, value)
    assert PendingRead.start(pbf) is None


def test_not_on_one_cpu_nor_in_a_threaded_process(
    pbf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert PendingRead.start(pbf) is None
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(threading, "active_count", lambda: 2)
    assert PendingRead.start(pbf) is None  # forking a threaded process is unsafe
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    pending = PendingRead.start(pbf)  # one thread again
    assert pending is not None
    pending.close()


def test_close_stops_a_running_reader_and_can_be_repeated(
    pbf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_prefetch, "_read", lambda path, conn: threading.Event().wait(60))
    pending = PendingRead.start(pbf)
    assert pending is not None and pending._process.is_alive()
    pending.close()
    assert not pending._process.is_alive()
    pending.close()


def test_another_extract_is_refused(pbf: Path, shared_data: Path) -> None:
    pending = PendingRead.start(pbf)
    assert pending is not None
    try:
        with pytest.raises(ValueError, match="read ahead"):
            compute_spatial(shared_data / "osm" / "helsinki" / "test.osm.pbf", prefetched=pending)
    finally:
        pending.close()


def test_the_command_writes_the_same_files_with_and_without_it(
    pbf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = {}
    for ahead in ("1", "0"):
        monkeypatch.setenv(READ_AHEAD_ENV, ahead)
        target = tmp_path / f"ahead{ahead}"
        r = CliRunner().invoke(
            app,
            [
                "spatial",
                "--osm",
                str(pbf),
                "--grid",
                "1000",
                "--out",
                str(target),
                "--maps",
                "none",
            ],
        )
        assert r.exit_code == 0, r.output
        out[ahead] = {p.name: p.read_bytes() for p in target.glob("*.csv")}
    assert out["1"].keys() == out["0"].keys() and "indicators.csv" in out["1"]
    assert out["1"] == out["0"]
