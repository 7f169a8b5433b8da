"""The read-ahead of an OSM extract without forking (issue 18).

The reader function runs in this process on one end of a pipe, and ``PendingRead`` is given a
stand-in process and pipe, so that every branch is checked in milliseconds (the forked reader
itself is tested in test_prefetch.py, which the mutation run leaves out as too slow).
"""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path
from typing import Any

import pytest

from citycheckup.errors import OutputError, SpatialError
from citycheckup.spatial import _osm, _prefetch
from citycheckup.spatial._prefetch import READ_AHEAD_ENV, PendingRead, _read, worker_setting
from tests.spatial.spatial_town import town_xml


def test_reader_sends_the_data(tmp_path: Path) -> None:
    p = tmp_path / "town.osm"
    p.write_text(town_xml(), encoding="utf-8")
    parent, child = multiprocessing.Pipe(duplex=False)
    _read(str(p), child)
    kind, data = parent.recv()
    assert kind == "ok"
    assert data.source == p
    assert len(data.walk) == 40  # the town's 5 × 5 grid: 2 × 5 × 4 segments
    assert child.closed


def test_reader_sends_the_error(tmp_path: Path) -> None:
    p = tmp_path / "bad.osm"
    p.write_text("<nope", encoding="utf-8")
    parent, child = multiprocessing.Pipe(duplex=False)
    _read(str(p), child)
    kind, exc = parent.recv()
    assert kind == "error"
    assert isinstance(exc, SpatialError)
    assert exc.headline == "cannot read the OSM XML extract"


def test_reader_sends_the_text_of_what_cannot_be_pickled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Unpicklable:
        def __reduce__(self) -> Any:
            raise TypeError("no pickling")

        def __repr__(self) -> str:
            return "<data>"

    monkeypatch.setattr(_osm, "read_osm", lambda path: Unpicklable())
    parent, child = multiprocessing.Pipe(duplex=False)
    _read("x.osm", child)
    kind, exc = parent.recv()
    assert kind == "error"
    assert str(exc) == "reading the OSM extract failed: <data> (no pickling)"
    assert child.closed


class _Proc:
    def __init__(self, alive: bool, exitcode: int | None) -> None:
        self.alive, self.exitcode = alive, exitcode
        self.calls: list[Any] = []

    def join(self, timeout: float) -> None:
        self.calls.append(("join", timeout))

    def is_alive(self) -> bool:
        return self.alive

    def terminate(self) -> None:
        self.calls.append("terminate")


class _Conn:
    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.closed = False

    def recv(self) -> Any:
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer

    def close(self) -> None:
        self.closed = True


def test_result_returns_the_data_and_closes() -> None:
    """An answered reader is closing its end and exiting: joined (2 s) before the check, not
    terminated, joined again, pipe closed."""
    proc, conn = _Proc(False, 0), _Conn(("ok", 42))
    pending = PendingRead(Path("a.osm"), proc, conn)  # type: ignore[arg-type]
    assert pending.result() == 42
    assert proc.calls == [("join", 2), ("join", 5)]
    assert conn.closed


def test_result_raises_the_readers_error() -> None:
    err = SpatialError("cannot read the OSM XML extract")
    proc, conn = _Proc(False, 0), _Conn(("error", err))
    with pytest.raises(SpatialError) as e:
        PendingRead(Path("a.osm"), proc, conn).result()  # type: ignore[arg-type]
    assert e.value is err
    assert conn.closed


@pytest.mark.parametrize(
    "broken", [EOFError(), OSError("pipe"), __import__("pickle").UnpicklingError()]
)
def test_a_reader_without_an_answer(broken: BaseException) -> None:
    """No answer: the reader is waited for (5 s), then stopped if still alive."""
    proc, conn = _Proc(True, -9), _Conn(broken)
    with pytest.raises(SpatialError) as e:
        PendingRead(Path("a.osm"), proc, conn).result()  # type: ignore[arg-type]
    assert str(e.value) == (
        "reading the OSM extract failed:\n  - a.osm: the reading process ended without an answer "
        "(exit code -9); run again with CITYCHECKUP_READ_AHEAD=0 to read it in this process"
    )
    assert proc.calls == [("join", 5), "terminate", ("join", 5)]
    assert conn.closed


@pytest.mark.parametrize(
    ("env", "cpus", "fork", "allowed"),
    [
        (None, 2, True, True),
        ("1", 2, True, True),
        ("0", 2, True, False),
        (" 0 ", 2, True, False),
        ("no", 2, True, False),
        ("false", 2, True, False),
        (None, 1, True, False),  # one CPU: nothing to gain
        (None, 2, False, False),
    ],
)
def test_allowed(
    monkeypatch: pytest.MonkeyPatch, env: str | None, cpus: int, fork: bool, allowed: bool
) -> None:
    if env is None:
        monkeypatch.delenv(READ_AHEAD_ENV, raising=False)
    else:
        monkeypatch.setenv(READ_AHEAD_ENV, env)
    monkeypatch.setattr(_prefetch, "usable_cpus", lambda: cpus)
    monkeypatch.setattr(_prefetch, "can_fork", lambda: fork)
    assert _prefetch._allowed() is allowed
    if not allowed:
        assert PendingRead.start("x.osm") is None


def test_can_fork_only_without_other_threads() -> None:
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert _prefetch.can_fork() is False
    finally:
        stop.set()
        t.join()


def test_worker_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    env = "CITYCHECKUP_TEST_WORKERS"
    monkeypatch.delenv(env, raising=False)
    assert worker_setting(env, OutputError, "serial", "N workers") is None
    for raw, n in (("0", 0), ("3", 3), (" 2", 2)):
        monkeypatch.setenv(env, raw)
        assert worker_setting(env, OutputError, "serial", "N workers") == n
    monkeypatch.setenv(env, "two")
    with pytest.raises(OutputError) as e:
        worker_setting(env, OutputError, "serial", "N workers")
    assert str(e.value) == (
        "CITYCHECKUP_TEST_WORKERS='two' is not a whole number; set it to 0 (serial) or to "
        "N workers, e.g. 2"
    )
    monkeypatch.setenv(env, "-1")
    with pytest.raises(OutputError) as e:
        worker_setting(env, OutputError, "serial", "N workers")
    assert str(e.value) == "CITYCHECKUP_TEST_WORKERS='-1' is negative; set it to 0 or more"
