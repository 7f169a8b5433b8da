"""GCJ-02 / BD-09 ↔ WGS-84 conversions."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from citycheckup.spatial import bd09_to_wgs84, gcj02_to_bd09, gcj02_to_wgs84, wgs84_to_gcj02

GEOD = Geod(ellps="WGS84")


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.floats(min_value=73.0, max_value=135.0), st.floats(min_value=18.0, max_value=53.0))
def test_gcj02_round_trip_is_sub_millimetre(lon: float, lat: float) -> None:
    g = wgs84_to_gcj02(lon, lat)
    w = gcj02_to_wgs84(*g)
    _, _, err = GEOD.inv(lon, lat, float(w[0]), float(w[1]))
    assert err < 1e-3


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.floats(min_value=73.0, max_value=135.0), st.floats(min_value=18.0, max_value=53.0))
def test_bd09_round_trip(lon: float, lat: float) -> None:
    bd = gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))
    w = bd09_to_wgs84(*bd)
    _, _, err = GEOD.inv(lon, lat, float(w[0]), float(w[1]))
    assert err < 1e-3


def test_shift_in_beijing_is_hundreds_of_metres() -> None:
    # Tian'anmen: the published GCJ-02 shift in Beijing is about 0.006° east, 0.0014° north (~500 m)
    lon, lat = 116.3912, 39.9067
    g = wgs84_to_gcj02(lon, lat)
    assert 0.005 < float(g[0]) - lon < 0.0075
    assert 0.0008 < float(g[1]) - lat < 0.002
    _, _, d = GEOD.inv(lon, lat, float(g[0]), float(g[1]))
    assert 300 < d < 800
    bd = gcj02_to_bd09(*g)
    _, _, d2 = GEOD.inv(float(g[0]), float(g[1]), float(bd[0]), float(bd[1]))
    assert 500 < d2 < 1200  # BD-09 adds roughly another 0.0065°/0.006°


def test_outside_china_unchanged_and_vectorised() -> None:
    lon = np.array([24.94, -46.63, 116.39])
    lat = np.array([60.17, -23.55, 39.91])
    g = wgs84_to_gcj02(lon, lat)
    np.testing.assert_array_equal(g[0][:2], lon[:2])
    np.testing.assert_array_equal(g[1][:2], lat[:2])
    assert g[0][2] != lon[2]
