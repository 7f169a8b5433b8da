"""The map worker's protocol, run in this process (issue 18).

``_worker`` reads its messages from a pipe: the tests send them all first (layout, draw,
stop), then run the worker function here and read its answers, with one drawing process, so
that nothing forks (the forked pool is tested in test_map_jobs.py, which the mutation run
leaves out as too slow).
"""

from __future__ import annotations

import multiprocessing
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from citycheckup.errors import OutputError
from citycheckup.spatial import _map_jobs
from citycheckup.spatial._map_data import map_data, map_layout
from citycheckup.spatial._map_jobs import MapPool, _answer, _draw_forked, _portable, _worker
from tests.spatial.test_mutants_maps_canvas import _result


def _run_worker(messages: list[Any]) -> list[Any]:
    parent, child = multiprocessing.Pipe()
    for m in messages:
        parent.send(m)
    _worker(child)
    answers = []
    while True:
        try:
            answers.append(parent.recv())
        except EOFError:  # the worker closed its end
            return answers


def test_worker_draws_with_and_without_a_layout(tmp_path: Path) -> None:
    res = _result((50.0, np.nan))
    data = map_data(res, ["cov"])
    layout = map_layout(res.districts, res.network, res.study_area)
    answers = _run_worker([
        ("layout", layout),
        ("draw", (data, ["cov"], str(tmp_path / "a"), 1)),
        ("draw", (data, ["cov"], str(tmp_path / "b"), 1)),
        None,
    ])  # fmt: skip
    assert answers == [("ok", ["a/cov.png"]), ("ok", ["b/cov.png"])]
    assert (tmp_path / "a" / "cov.png").read_bytes() == (tmp_path / "b" / "cov.png").read_bytes()


def test_worker_reports_a_failed_draw_and_goes_on(tmp_path: Path) -> None:
    """A code without values fails (KeyError, picklable: sent as it is); a bad layout is not
    answered (the draw redraws and reports it); the next draw works."""
    res = _result((50.0, 60.0))
    data = map_data(res, ["cov"])
    answers = _run_worker([
        ("layout", "not a layout"),
        ("draw", (data, ["nope"], str(tmp_path / "a"), 1)),
        ("draw", (data, ["cov"], str(tmp_path / "b"), 1)),
        None,
    ])  # fmt: skip
    assert len(answers) == 2
    status, exc = answers[0]
    assert status == "error" and isinstance(exc, KeyError) and exc.args == ("nope",)
    assert answers[1] == ("ok", ["b/cov.png"])


def test_worker_stops_when_the_parent_is_gone() -> None:
    parent, child = multiprocessing.Pipe()
    parent.close()
    _worker(child)  # returns at once
    assert child.closed


def test_draw_forked_in_one_process(tmp_path: Path) -> None:
    res = _result((50.0, 60.0))
    res.indicators["cov2"] = [1.0, 2.0, 1.5]
    res.districts["cov2"] = [1.0, 2.0]
    res.units["cov2"] = "%"
    data = map_data(res, ["cov", "cov2"])
    out = tmp_path / "p1"
    assert _draw_forked(data, ["cov", "cov2"], out, None, 1) == ["p1/cov.png", "p1/cov2.png"]
    assert sorted(p.name for p in out.iterdir()) == ["cov.png", "cov2.png"]
    with pytest.raises(KeyError):
        _draw_forked(data, ["nope"], tmp_path / "x", None, 1)
    assert _draw_forked(data, [], tmp_path / "y", None, 1) == []


def test_portable() -> None:
    ok = ValueError("bad value")
    assert _portable(ok) is ok

    class Local(Exception):  # a class defined in a function cannot be pickled
        pass

    with pytest.raises((pickle.PicklingError, AttributeError)):
        pickle.dumps(Local("x"))
    out = _portable(Local("the font is missing"))
    assert isinstance(out, OutputError)
    assert str(out) == "drawing a map failed: Local: the font is missing"


def test_answer_of_a_closed_pipe() -> None:
    parent, child = multiprocessing.Pipe()
    child.send(("ok", ["m/a.png"]))
    assert _answer(parent, "drawing") == ("ok", ["m/a.png"])
    child.close()
    status, exc = _answer(parent, "worker")
    assert status == "error"
    assert str(exc) == (
        "a map worker process stopped unexpectedly; run again with CITYCHECKUP_MAP_WORKERS=0 "
        "to draw the maps in this process"
    )


class _Conn:
    def __init__(self, answer: Any) -> None:
        self.answer = answer

    def recv(self) -> Any:
        return self.answer


def test_collect_orders_by_code_and_raises_errors() -> None:
    pool = MapPool.__new__(MapPool)  # no worker: collect only reads the answer
    busy = _Conn(("ok", ["maps/b.png", "maps/a.png", "maps/other.png"]))
    got = pool.collect(busy, ["a", "b", "c"], "maps")  # type: ignore[arg-type]
    assert got == ["maps/a.png", "maps/b.png"]
    err = OutputError("boom")
    with pytest.raises(OutputError) as e:
        pool.collect(_Conn(("error", err)), ["a"], "maps")  # type: ignore[arg-type]
    assert e.value is err


def test_no_pool_without_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITYCHECKUP_MAP_WORKERS", "0")
    assert _map_jobs.map_workers() == 0
    assert MapPool.start() is None
