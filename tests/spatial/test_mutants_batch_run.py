"""``run_batch`` and ``run_city`` without a Dask cluster (issue 18).

``run_batch`` imports ``Client``, ``LocalCluster`` and ``as_completed`` from ``distributed``
when it runs; the tests put in-process stand-ins there that record how they were called and
run each task at once, so that the gathering, ordering and error handling are checked in well
under a second (the real cluster is tested in test_spatial_cli.py). ``run_city`` runs once for
real on the synthetic town.
"""

from __future__ import annotations

import io
import socket
import tarfile
from pathlib import Path
from typing import Any

import distributed
import pandas as pd
import pytest

from citycheckup.errors import SpatialError
from citycheckup.spatial import _batch
from citycheckup.spatial._batch import _check_scheduler, run_batch, run_city
from tests.spatial.spatial_town import town_xml


class _Future:
    def __init__(self, value: Any) -> None:
        self.value = value

    def result(self) -> Any:
        return self.value


class _Fake:
    """Records the cluster and client calls; runs each submitted task at once."""

    def __init__(self) -> None:
        self.cluster_kw: dict[str, Any] | None = None
        self.client_args: tuple[Any, ...] | None = None
        self.submitted: list[tuple[Any, ...]] = []
        self.closed: list[str] = []

    def install(self, mp: pytest.MonkeyPatch, *, client_error: Exception | None = None) -> None:
        fake = self

        class Cluster:
            def __init__(self, **kw: Any) -> None:
                fake.cluster_kw = kw

            def close(self) -> None:
                fake.closed.append("cluster")

        class Client:
            def __init__(self, *args: Any, **kw: Any) -> None:
                if client_error is not None:
                    raise client_error
                fake.client_args = (*args, kw)

            def submit(self, fn: Any, row: Any, maps: Any, *, key: str, pure: bool) -> _Future:
                fake.submitted.append((key, pure, maps))
                return _Future(fn(row, maps))

            def close(self) -> None:
                fake.closed.append("client")

        mp.setattr(distributed, "LocalCluster", Cluster)
        mp.setattr(distributed, "Client", Client)
        # finished in the reverse order of submission: the table must be put back in list order
        mp.setattr(distributed, "as_completed", lambda futs: list(reversed(futs)))


def _fake_city(row: dict[str, str], maps: Any) -> tuple[str, Any, Any, Any]:
    """A city named 'Bad…' fails; the others give a one-row table and a tar with one file."""
    city = row["city"]
    if city.startswith("Bad"):
        return city, None, f"{city} is broken", None
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        data = f"{city}\n".encode()
        info = tarfile.TarInfo("./indicators.csv")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return city, pd.DataFrame({"city": [city], "v": [len(city) + 0.5]}), None, buf.getvalue()


def _batch_file(tmp_path: Path, cities: list[str]) -> Path:
    (tmp_path / "a.osm").write_text("x", encoding="utf-8")
    p = tmp_path / "batch.csv"
    p.write_text("city,osm\n" + "".join(f"{c},a.osm\n" for c in cities), encoding="utf-8")
    return p


def test_run_batch_gathers_in_list_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _Fake()
    fake.install(monkeypatch)
    monkeypatch.setattr(_batch, "run_city", _fake_city)
    b = _batch_file(tmp_path, ["Alpha", "Bad1", "Beta", "Gamma"])
    res = run_batch(b, tmp_path / "out", n_workers=3, maps="none", progress=False)
    # a local cluster: min(3 workers, 4 cities), one thread each, processes, loopback, no dashboard
    assert fake.cluster_kw == {
        "n_workers": 3, "threads_per_worker": 1, "processes": True, "host": "127.0.0.1",
        "scheduler_port": 0, "dashboard_address": None,
    }  # fmt: skip
    assert [k for k, _, _ in fake.submitted] == [
        "city-0-Alpha", "city-1-Bad1", "city-2-Beta", "city-3-Gamma",
    ]  # fmt: skip
    assert all(pure is False and maps == "none" for _, pure, maps in fake.submitted)
    assert fake.closed == ["client", "cluster"]
    assert list(res.indicators["city"]) == ["Alpha", "Beta", "Gamma"]
    assert list(res.indicators["v"]) == [5.5, 4.5, 5.5]
    assert res.failed == ["Bad1"]
    assert res.errors.to_dict("records") == [{"city": "Bad1", "error": "Bad1 is broken"}]
    out = tmp_path / "out"
    assert res.out == out.resolve()
    assert sorted(p.name for p in out.iterdir()) == [
        "Alpha", "Beta", "Gamma", "errors.csv", "indicators.csv",
    ]  # fmt: skip
    assert (out / "Beta" / "indicators.csv").read_text("utf-8") == "Beta\n"
    assert (out / "indicators.csv").read_text("utf-8") == (
        "city,v\nAlpha,5.5\nBeta,4.5\nGamma,5.5\n"
    )
    assert (out / "errors.csv").read_text("utf-8") == "city,error\nBad1,Bad1 is broken\n"


def test_local_cluster_not_larger_than_the_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _Fake()
    fake.install(monkeypatch)
    monkeypatch.setattr(_batch, "run_city", _fake_city)
    run_batch(_batch_file(tmp_path, ["Alpha"]), tmp_path / "out", progress=False)
    assert fake.cluster_kw is not None and fake.cluster_kw["n_workers"] == 1  # min(2, 1)
    assert fake.submitted[0][2] == "default"


def test_every_city_failed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """All problems at once, each under its city; the earlier output folder is kept."""
    fake = _Fake()
    fake.install(monkeypatch)
    monkeypatch.setattr(_batch, "run_city", _fake_city)
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("keep", encoding="utf-8")
    with pytest.raises(SpatialError) as e:
        run_batch(_batch_file(tmp_path, ["Bad1", "Bad2"]), out, progress=False)
    assert e.value.headline == "every city of the batch failed"
    assert sorted((p.where, p.message) for p in e.value.problems) == [
        ("Bad1", "Bad1 is broken"), ("Bad2", "Bad2 is broken"),
    ]  # fmt: skip
    assert [p.name for p in out.iterdir()] == ["old.txt"]
    assert fake.closed == ["client", "cluster"]


def test_existing_scheduler(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a scheduler address no local cluster is started; the client gets the address and
    the timeout; a client that cannot connect gives one clear line."""
    with socket.socket() as srv:  # something listening, so the reachability check passes
        srv.bind(("127.0.0.1", 0))
        srv.listen()
        addr = f"tcp://127.0.0.1:{srv.getsockname()[1]}"
        fake = _Fake()
        fake.install(monkeypatch)
        monkeypatch.setattr(_batch, "run_city", _fake_city)
        res = run_batch(
            _batch_file(tmp_path, ["Alpha"]), tmp_path / "o1", scheduler=addr,
            connect_timeout_s=2.5, progress=False,
        )  # fmt: skip
        assert fake.cluster_kw is None
        assert fake.client_args == (addr, {"timeout": 2.5})
        assert fake.closed == ["client"]
        assert list(res.indicators["city"]) == ["Alpha"]
        run_batch(_batch_file(tmp_path, ["Alpha"]), tmp_path / "o0", scheduler=addr, progress=False)
        assert fake.client_args == (addr, {"timeout": 5.0})  # the default wait: 5 s
        fake.install(monkeypatch, client_error=TimeoutError("timed out"))
        with pytest.raises(SpatialError) as e:
            run_batch(_batch_file(tmp_path, ["Alpha"]), tmp_path / "o2", scheduler=addr,
                      progress=False)  # fmt: skip
        assert str(e.value) == f"cannot connect to the Dask scheduler at {addr}: timed out"


def test_check_scheduler() -> None:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(SpatialError) as e:
        _check_scheduler(f"127.0.0.1:{port}", 1.0)  # no scheme: tcp:// is assumed
    assert str(e.value) == (
        f"cannot reach the Dask scheduler at 127.0.0.1:{port} (Connection refused); start it "
        "(dask scheduler) or check the address and firewall"
    )
    for bad in ("http://127.0.0.1:8786", "tcp://127.0.0.1", "tcp://:8786"):
        with pytest.raises(SpatialError) as e:
            _check_scheduler(bad, 1.0)
        assert str(e.value) == (f"invalid Dask scheduler address {bad!r}; expected tcp://HOST:PORT")
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen()
        _check_scheduler(f"tls://127.0.0.1:{srv.getsockname()[1]}", 1.0)  # reachable: no error


def test_run_city(tmp_path: Path) -> None:
    """A bad extract is returned as an error, not raised; a good one returns its table with the
    city first and its output folder as a gzip tar."""
    bad = tmp_path / "bad.osm"
    bad.write_text("not xml", encoding="utf-8")
    city, table, err, archive = run_city({"city": "X", "osm": str(bad)}, maps="none")
    assert (city, table, archive) == ("X", None, None)
    assert err is not None and err.startswith("cannot read the OSM XML extract:\n")
    good = tmp_path / "town.osm"
    good.write_text(town_xml(), encoding="utf-8")
    city, table, err, archive = run_city(
        {"city": "Town", "osm": str(good), "grid": "1000", "year": "2024"}, maps="none"
    )
    assert (city, err) == ("Town", None)
    assert table is not None and list(table.columns[:3]) == ["city", "district", "year"]
    # one 1,000 m grid cell and the whole area: two rows
    assert list(table["city"]) == ["Town", "Town"] and list(table["year"]) == [2024, 2024]
    assert archive is not None
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        names = {n.removeprefix("./") for n in tar.getnames()}
    assert {"indicators.csv", "manifest.json", "missing.csv"} <= names
