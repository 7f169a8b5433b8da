"""Snapping onto the main network: the near-stop case and homes next to disconnected fragments.

Hand-made geometry with distances worked out by hand (metres, a projected CRS).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from citycheckup.spatial import WalkGraph, along_network_distances, compute_spatial, snap_points
from tests.spatial.spatial_town import DLAT, DLON, LAT0, LON0, osm_xml


def _street_with_detour_and_fragment() -> WalkGraph:
    # main street y = 0 from x = -300 to 300 (nodes every 100 m and at the stop, x = 79);
    # a footway at y = 25 from x = -20 to 300, joined to the street only at its east end;
    # a disconnected footway fragment at y = 65 from x = -50 to 50.
    xs = [-300, -200, -100, 0, 79, 100, 200, 300, -20, 300, -50, 50]
    ys = [0, 0, 0, 0, 0, 0, 0, 0, 25, 25, 65, 65]
    u = [0, 1, 2, 3, 4, 5, 6, 8, 9, 10]
    v = [1, 2, 3, 4, 5, 6, 7, 9, 7, 11]
    return WalkGraph.from_edges(np.array(xs, float), np.array(ys, float), u, v)


def test_home_next_to_a_stop_gets_the_short_distance() -> None:
    g = _street_with_detour_and_fragment()
    # 20 m north of the street, 5 m south of the footway: the footway is the nearest edge, but
    # leaving by it means a 300 m detour (5 + 300 + 25 + 221 = 551 m). The street is within the
    # candidate slack, so the home walks 20 m to it and 79 m along it.
    home = snap_points(g, [0.0], [20.0])
    stop = snap_points(g, [79.0], [0.0])
    d = along_network_distances(g, home, stop)
    assert d[0] == pytest.approx(20 + 79)
    # with the slack off only the nearest edges count: the long way round, as single-edge snapping did
    home_nearest = snap_points(g, [0.0], [20.0], slack_m=0.0)
    stop_nearest = snap_points(g, [79.0], [0.0], slack_m=0.0)
    assert along_network_distances(g, home_nearest, stop_nearest)[0] == pytest.approx(
        5 + 300 + 25 + 221
    )


def test_home_on_a_fragment_is_attached_to_the_main_network() -> None:
    g = _street_with_detour_and_fragment()
    assert g.component[10] != 0 and g.component[11] != 0  # the fragment
    # 5 m from the fragment, 60 m from the street: snapped onto the street (not the fragment)
    home = snap_points(g, [0.0], [60.0])
    assert home.on_fragment.tolist() == [True]
    assert home.snapped.tolist() == [True]
    assert home.offset[0] == pytest.approx(35.0)  # nearest main edge: the footway at y = 25
    stop = snap_points(g, [79.0], [0.0], slack_m=0.0)
    # via the footway (35 + 79 + 25 at its east end … a 551 m detour) or straight to the street
    # (60 + 79): the street is 25 m farther than the footway, within the slack, so 60 + 79 wins
    assert along_network_distances(g, home, stop)[0] == pytest.approx(60 + 79)


def test_fragment_home_counts_as_covered_in_the_pipeline(tmp_path: Path) -> None:
    # synthetic: a 600 m street with a bus stop, a home 60 m north of it next to a 100 m footway
    # that OSM does not connect to anything (a common gap in Chinese compounds)
    m = 100.0

    def ll(x: float, y: float) -> tuple[float, float]:
        return LON0 + x / m * DLON, LAT0 + y / m * DLAT

    nodes = {1: ll(-300, 0), 2: ll(0, 0), 3: ll(300, 0), 4: ll(-50, 65), 5: ll(50, 65)}
    stop = ll(79, 0)
    home = [ll(-10, 50), ll(10, 50), ll(10, 70), ll(-10, 70)]
    xml = osm_xml(
        bounds=(ll(-320, -40), ll(320, 120)),
        nodes=nodes,
        ways=[([1, 2, 3], {"highway": "residential"}), ([4, 5], {"highway": "footway"})],
        points=[(stop, {"highway": "bus_stop"})],
        polygons=[(home, {"building": "apartments", "building:levels": "5"})],
    )
    p = tmp_path / "fragment.osm"
    p.write_text(xml, encoding="utf-8")
    res = compute_spatial(p, grid=1000)
    h = res.homes.iloc[0]
    assert bool(h["on_fragment"]) and bool(h["snapped"])
    # representative point of the 20 m square is its centre (0, 60): 60 m to the street, 79 m along
    assert h["net_bus_stop_m"] == pytest.approx(60 + 79, abs=1.0)
    assert res.indicators.set_index("district").loc["ALL", "transit_stop_coverage_500m"] == 100.0
    assert res.manifest["homes"]["on_fragment"] == 1
