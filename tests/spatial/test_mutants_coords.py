"""GCJ-02 / BD-09 conversions against published reference values and the China box (issue 18).

Reference values: the README of the widely used ``coordtransform`` library (wandergis,
JavaScript; the same formulas as the Python ``coordTransform_py``) converts the point
(116.404, 39.915):

* ``wgs84togcj02`` → (116.41024449916938, 39.91640428150164)
* ``gcj02tobd09``  → (116.41036949371029, 39.92133699351022)
* ``bd09togcj02``  → (116.39762729119315, 39.90865673957631) — its one-step closed form;
  this package refines that by fixed-point iteration, so the round trip is exact instead.
"""

from __future__ import annotations

import numpy as np
import pytest

from citycheckup.spatial._coords import (
    _in_china,
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    wgs84_to_gcj02,
)


def test_wgs84_to_gcj02_reference_value() -> None:
    lon, lat = wgs84_to_gcj02(116.404, 39.915)
    assert float(lon) == pytest.approx(116.41024449916938, abs=1e-12)
    assert float(lat) == pytest.approx(39.91640428150164, abs=1e-12)


def test_gcj02_to_bd09_reference_value() -> None:
    lon, lat = gcj02_to_bd09(116.404, 39.915)
    assert float(lon) == pytest.approx(116.41036949371029, abs=1e-12)
    assert float(lat) == pytest.approx(39.92133699351022, abs=1e-12)


def test_inverses_reproduce_the_reference_inputs() -> None:
    """The iterated inverses map the published outputs back to (116.404, 39.915) to 1e-9°
    (0.1 mm); the closed-form BD-09 inverse alone is ~4e-7° off, so the refinement matters."""
    lon, lat = gcj02_to_wgs84(116.41024449916938, 39.91640428150164)
    assert float(lon) == pytest.approx(116.404, abs=1e-9)
    assert float(lat) == pytest.approx(39.915, abs=1e-9)
    lon, lat = bd09_to_gcj02(116.41036949371029, 39.92133699351022)
    assert float(lon) == pytest.approx(116.404, abs=1e-9)
    assert float(lat) == pytest.approx(39.915, abs=1e-9)
    # the closed form (reference bd09togcj02) differs from the refined value
    lon, lat = bd09_to_gcj02(116.404, 39.915)
    assert abs(float(lon) - 116.39762729119315) > 1e-7
    assert float(lon) == pytest.approx(116.39762729119315, abs=1e-5)
    assert float(lat) == pytest.approx(39.90865673957631, abs=1e-5)
    # BD-09 → WGS-84 goes through GCJ-02
    w = bd09_to_wgs84(*gcj02_to_bd09(*wgs84_to_gcj02(116.404, 39.915)))
    np.testing.assert_allclose(w, (116.404, 39.915), atol=1e-9)


def test_loose_tolerance_stops_early() -> None:
    """With a tolerance of 1° the first step already passes the test, so the result is the
    one-step inverse (measured: 1.9e-6° off for GCJ-02, 8e-10° for BD-09), not the converged
    one (exact to 1e-12° here)."""
    g = wgs84_to_gcj02(116.404, 39.915)
    one = gcj02_to_wgs84(*g, tol_deg=1.0)
    full = gcj02_to_wgs84(*g)
    assert abs(float(full[0]) - 116.404) < 1e-9
    assert 1e-8 < abs(float(one[0]) - 116.404) < 1e-4
    b = gcj02_to_bd09(116.404, 39.915)
    one_b = bd09_to_gcj02(*b, tol_deg=1.0)
    assert 1e-11 < abs(float(one_b[0]) - 116.404) < 1e-4


@pytest.mark.parametrize(
    ("lon", "lat", "inside"),
    [
        (72.004, 30.0, False),  # the bounds are exclusive
        (72.0041, 30.0, True),
        (137.8347, 30.0, False),
        (137.8346, 30.0, True),
        (100.0, 0.8293, False),
        (100.0, 0.8294, True),
        (100.0, 55.8271, False),
        (100.0, 55.8270, True),
    ],
)
def test_china_box_boundaries(lon: float, lat: float, inside: bool) -> None:
    assert bool(_in_china(np.array(lon), np.array(lat))) is inside
    g = wgs84_to_gcj02(lon, lat)
    assert (float(g[0]) != lon) is inside
    assert (float(g[1]) != lat) is inside
