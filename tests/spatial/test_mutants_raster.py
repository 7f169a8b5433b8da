"""Reading a population GeoTIFF into pixel centres, persons and building cells (issue 18).

A 3 × 2 raster of 100 m pixels in UTM 50N (the study area's CRS), north-west corner at
(440,000, 4,421,000): pixel (row r, column c) has its centre at x = 440,050 + 100 c,
y = 4,420,950 − 100 r. Values [[1, 2, nodata], [−5, NaN, 4]]: nodata, NaN and negative
values count as 0 persons.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

from citycheckup.errors import SpatialError
from citycheckup.spatial._population import _raster_cells, population_homes

CRS = pyproj.CRS.from_epsg(32650)
X0, Y0 = 440_000.0, 4_421_000.0


def _tif(path: Path, *, crs: str | None = "EPSG:32650") -> Path:
    data = np.array([[1, 2, -9999], [-5, np.nan, 4]], np.float32)
    # rasterio's writer multiplies affines with `*`, which affine ≥ 3 marks as deprecated
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        with rasterio.open(
            path, "w", driver="GTiff", height=2, width=3, count=1, dtype="float32", crs=crs,
            transform=from_origin(X0, Y0, 100, 100), nodata=-9999,
        ) as dst:  # fmt: skip
            dst.write(data, 1)
    return path


def test_raster_cells(tmp_path: Path) -> None:
    """The area is the raster's extent less the north-west pixel, whose centre (440,050,
    4,420,950) is thus outside: its 1 person is not counted. Persons: [0, 2, 0, 0, 0, 4]."""
    p = _tif(tmp_path / "pop.tif")
    area = shapely.box(X0, Y0 - 200, X0 + 300, Y0).difference(
        shapely.box(X0, Y0 - 100, X0 + 100, Y0)
    )
    bx = np.array([X0 + 120, X0 + 299, X0 - 10, X0 + 300])
    by = np.array([Y0 - 10, Y0 - 199, Y0 - 100, Y0 - 150])
    gx, gy, pop, cell, what = _raster_cells(p, area, CRS, bx, by)
    assert gx == pytest.approx([X0 + 50, X0 + 150, X0 + 250] * 2, abs=1e-6)
    assert gy == pytest.approx([Y0 - 50] * 3 + [Y0 - 150] * 3, abs=1e-6)
    assert list(pop) == [0.0, 2.0, 0.0, 0.0, 0.0, 4.0]
    # (440,120, 4,420,990) → row 0, col 1 → 1; (440,299, 4,420,801) → row 1, col 2 → 5;
    # west of the raster → −1; x = 440,300 is column 3, past the last → −1
    assert list(cell) == [1, 5, -1, -1]
    assert what == "raster pop.tif (3×2 pixels read)"


def test_raster_window_is_the_area(tmp_path: Path) -> None:
    """Only the pixels under the area's bounds are read: the eastern column."""
    p = _tif(tmp_path / "pop.tif")
    area = shapely.box(X0 + 200, Y0 - 200, X0 + 300, Y0)
    gx, gy, pop, cell, what = _raster_cells(
        p, area, CRS, np.array([X0 + 250, X0 + 50]), np.array([Y0 - 150, Y0 - 50])
    )
    assert gx == pytest.approx([X0 + 250] * 2, abs=1e-6)
    assert gy == pytest.approx([Y0 - 50, Y0 - 150], abs=1e-6)
    assert list(pop) == [0.0, 4.0]
    assert list(cell) == [1, -1]  # row 1 of the one-column window; the other is west of it
    assert what == "raster pop.tif (1×2 pixels read)"


def test_raster_without_crs_or_unreadable(tmp_path: Path) -> None:
    p = _tif(tmp_path / "nocrs.tif", crs=None)
    area = shapely.box(X0, Y0 - 200, X0 + 300, Y0)
    with pytest.raises(SpatialError) as e:
        _raster_cells(p, area, CRS, np.array([]), np.array([]))
    assert str(e.value) == (
        f"the population raster has no CRS:\n  - {p}: set one (e.g. EPSG:4326) with "
        "gdalwarp/rasterio"
    )
    bad = tmp_path / "bad.tif"
    bad.write_bytes(b"not a tiff")
    with pytest.raises(SpatialError) as e:
        _raster_cells(bad, area, CRS, np.array([]), np.array([]))
    assert e.value.headline == "cannot read the population raster"
    (prob,) = e.value.problems
    assert prob.where == str(bad)
    assert prob.message.startswith("RasterioIOError: ")


def test_population_layer_with_index_columns() -> None:
    """A layer exported from pandas after two ``reset_index()`` calls carries the columns
    ``level_0`` and ``index``; they are data like any other. One 100 m square of 50 persons over a building of 100 m² → 50 persons there; one
    point of 20 persons 1 km away from every building (a single point reaches 250 m) → kept
    at the point. 70 in all."""
    crs = CRS
    b = gpd.GeoDataFrame(
        {"floor_area": [100.0], "source": ["building"]},
        geometry=[shapely.Point(X0 + 50, Y0 - 50)],
        crs=crs,
    )
    layer = gpd.GeoDataFrame(
        {"level_0": [0, 1], "index": [7, 8], "population": [50.0, 20.0]},
        geometry=[shapely.box(X0, Y0 - 100, X0 + 100, Y0), shapely.Point(X0 + 1050, Y0 - 50)],
        crs=crs,
    )
    area = shapely.box(X0 - 100, Y0 - 500, X0 + 1500, Y0 + 100)
    r = population_homes(b, area, crs, grid=layer)
    assert list(r.homes["weight"]) == [50.0, 20.0]
    assert list(r.homes["source"]) == ["building", "population cell without mapped buildings"]
    assert r.total == 70.0
