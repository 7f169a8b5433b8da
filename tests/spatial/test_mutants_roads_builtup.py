"""The built-up area's defaults when the mapping leaves them out (issue 18).

A mapping without ``roads.builtup`` settings buffers buildings by 30 m and closes by 50 m.
One 20 m × 20 m building buffered by 30 m: the square, four 20 m × 30 m sides and four
quarter circles of 30 m, which shapely draws as a 32-gon: 400 + 2,400 + 16 × 30² × sin(2π/32)
= 400 + 2,400 + 2,809.3 = 5,609.3 m². Closing (out and back in by 50 m) leaves a convex shape
as it is, up to the polygon approximation of the arcs (within 0.5 %); a 31 m buffer would
give ≈ 5,880 m² (+5 %).
"""

from __future__ import annotations

import dataclasses
import math

import geopandas as gpd
import pytest
import shapely

from citycheckup.spatial._facilities import load_facility_config
from citycheckup.spatial._roads import builtup_area

AREA = shapely.box(-1000, -1000, 1000, 1000)
NO_FEATURES = gpd.GeoDataFrame({"tags": []}, geometry=[], crs=3857)


def test_defaults_without_settings() -> None:
    cfg = dataclasses.replace(load_facility_config(), builtup={})
    bld = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 20, 20)], crs=3857)
    b = builtup_area(NO_FEATURES, bld, AREA, cfg)
    expected = 400 + 4 * 20 * 30 + 16 * 30**2 * math.sin(2 * math.pi / 32)
    assert b.geometry.area == pytest.approx(expected, rel=0.005)
    assert b.source == "OSM urban land use ∪ buildings buffered 30 m, closed 50 m"


def test_settings_are_used() -> None:
    """Buffer 10 m: 400 + 800 + 16 × 10² × sin(2π/32) = 1,512.1 m²."""
    cfg = dataclasses.replace(
        load_facility_config(), builtup={"building_buffer_m": 10, "closing_m": 5}
    )
    bld = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 20, 20)], crs=3857)
    b = builtup_area(NO_FEATURES, bld, AREA, cfg)
    expected = 400 + 4 * 20 * 10 + 16 * 10**2 * math.sin(2 * math.pi / 32)
    assert b.geometry.area == pytest.approx(expected, rel=0.005)
    assert b.source == "OSM urban land use ∪ buildings buffered 10 m, closed 5 m"
