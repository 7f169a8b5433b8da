"""POI tables: columns, coordinate systems, errors, and the shifted-coordinates check (issue 18).

Synthetic tables written in the tests. Expected coordinates come from the published GCJ-02
reference pair of the ``coordtransform`` README: WGS-84 (116.404, 39.915) ↔ GCJ-02
(116.41024449916938, 39.91640428150164).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from citycheckup.errors import SpatialError
from citycheckup.spatial._coords import gcj02_to_bd09, wgs84_to_gcj02
from citycheckup.spatial._poi import _pick, detect_shift, read_poi_table, to_wgs84

G = (116.41024449916938, 39.91640428150164)  # GCJ-02 of WGS-84 (116.404, 39.915)


def test_to_wgs84() -> None:
    x, y = to_wgs84(np.array([G[0]]), np.array([G[1]]), "gcj02")
    np.testing.assert_allclose([x[0], y[0]], [116.404, 39.915], atol=1e-9)
    b = gcj02_to_bd09(*G)
    x, y = to_wgs84(np.array([float(b[0])]), np.array([float(b[1])]), "bd09")
    np.testing.assert_allclose([x[0], y[0]], [116.404, 39.915], atol=1e-9)
    x, y = to_wgs84(np.array([1.5]), np.array([2.5]), "wgs84")
    assert x.tolist() == [1.5] and y.tolist() == [2.5]
    with pytest.raises(
        SpatialError, match="unknown POI coordinate system 'utm'; use wgs84, gcj02 or bd09"
    ):
        to_wgs84(np.array([1.0]), np.array([1.0]), "utm")  # type: ignore[arg-type]


def test_pick_is_case_and_space_insensitive_and_ordered() -> None:
    assert _pick(["ID", " LNG ", "Lon"], ("lon", "lng")) == "Lon"
    assert _pick(["ID", " LNG "], ("lon", "lng")) == " LNG "
    assert _pick(["a"], ("lon",)) is None


def test_read_csv_in_gcj02(tmp_path: Path) -> None:
    p = tmp_path / "p.csv"
    p.write_text(
        f"\ufeff名称,类型,经度,纬度\n菜场,购物服务;菜市场,{G[0]},{G[1]}\n", encoding="utf-8"
    )
    g = read_poi_table(p, crs="gcj02")
    assert g["name"].tolist() == ["菜场"] and g["category"].tolist() == ["购物服务;菜市场"]
    assert g.geometry.x.iloc[0] == pytest.approx(116.404, abs=1e-9)
    assert g.geometry.y.iloc[0] == pytest.approx(39.915, abs=1e-9)
    assert g.crs.to_epsg() == 4326
    assert g.attrs == {"source": str(p), "crs": "gcj02"}


def test_read_without_a_name_column(tmp_path: Path) -> None:
    p = tmp_path / "p.csv"
    p.write_text("type,lng,lat\n银行,116.404,39.915\n", encoding="utf-8")
    g = read_poi_table(p)
    assert g["name"].tolist() == [""]
    assert (g.geometry.x.iloc[0], g.geometry.y.iloc[0]) == (116.404, 39.915)


def test_read_vector_layer(tmp_path: Path) -> None:
    """A GeoJSON in EPSG:3857 declared as WGS-84 is reprojected: x = 0, y = 0 → (0°, 0°)."""
    p = tmp_path / "p.geojson"
    gpd.GeoDataFrame({"type": ["银行"]}, geometry=[shapely.Point(0, 0)], crs=3857).to_file(p)
    g = read_poi_table(p)
    assert g["category"].tolist() == ["银行"]
    assert g.geometry.x.iloc[0] == pytest.approx(0.0, abs=1e-9)


def test_read_errors(tmp_path: Path) -> None:
    with pytest.raises(SpatialError, match="POI table not found") as err:
        read_poi_table(tmp_path / "none.csv")
    assert str(err.value.problems[0]) == f"{tmp_path / 'none.csv'}: no such file; check --poi"
    p = tmp_path / "p.csv"
    p.write_text("foo,bar\n1,2\n", encoding="utf-8")
    with pytest.raises(SpatialError, match="unusable POI table") as err:
        read_poi_table(p)
    assert [str(x) for x in err.value.problems] == [
        f"{p}: no category column (category, type, types, 类型, 类别…); found ['foo', 'bar']",
        f"{p}: no coordinate columns (lon/lng/经度 and lat/纬度); found ['foo', 'bar']",
    ]
    p.write_text("type,lon,lat\na,181,0\nb,0,-91\nc,180,90\nd,x,1\n", encoding="utf-8")
    with pytest.raises(SpatialError, match="POI coordinates are missing or out of range") as err:
        read_poi_table(p)
    assert str(err.value.problems[0]) == (
        f"{p}: 3 row(s), e.g. rows [2, 3, 5]: give decimal degrees in 'lon'/'lat'"
    )
    bad = tmp_path / "p.xlsx"
    bad.write_bytes(b"not a workbook")
    with pytest.raises(SpatialError, match="cannot read the POI table"):
        read_poi_table(bad)


def _reference(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    pts = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326).to_crs(32650)
    return pts.to_numpy()


def _pois(lon: np.ndarray, lat: np.ndarray, crs: str = "wgs84") -> gpd.GeoDataFrame:
    g = gpd.GeoDataFrame(
        {"category": ["x"] * len(lon)}, geometry=gpd.points_from_xy(lon, lat), crs=4326
    )
    g.attrs["projected_crs"] = "EPSG:32650"
    g.attrs["crs"] = crs
    return g


LON = 116.40 + 0.002 * np.arange(10)
LAT = np.full(10, 39.91)


def test_shift_detected_for_gcj02_read_as_wgs84() -> None:
    """OSM POIs at ten WGS-84 points; the table gives their GCJ-02 coordinates (a few hundred
    metres off) but is declared WGS-84: 0 % match as given, 100 % read as GCJ-02."""
    gx, gy = wgs84_to_gcj02(LON, LAT)
    msg = detect_shift(_pois(gx, gy), _reference(LON, LAT))
    assert msg == (
        "the POI coordinates look shifted: declared wgs84, 0 % of them lie within 30 m of an OSM "
        "point of interest, but 100 % when read as gcj02; check the coordinate system (--crs "
        "gcj02 (Amap/Tencent) or --crs bd09 (Baidu))"
    )


def test_shift_detected_for_converted_twice() -> None:
    """Declared GCJ-02 but already WGS-84, so converted once too often: reading them as WGS-84
    converted twice matches all."""
    wx, wy = to_wgs84(LON, LAT, "gcj02")
    msg = detect_shift(_pois(wx, wy, "gcj02"), _reference(LON, LAT))
    assert msg is not None and "when read as wgs84 (converted twice)" in msg
    assert msg.endswith("check the coordinate system (--crs wgs84)")
    assert "declared gcj02, 0 %" in msg


def test_no_shift_and_too_little_to_judge() -> None:
    ref = _reference(LON, LAT)
    assert detect_shift(_pois(LON, LAT), ref) is None
    assert detect_shift(_pois(LON[:4], LAT[:4]), ref) is None  # fewer than 5 POIs
    gx, gy = wgs84_to_gcj02(LON[:5], LAT[:5])
    assert detect_shift(_pois(gx, gy), ref) is not None  # exactly 5 is enough
    assert detect_shift(_pois(LON, LAT), ref[:0]) is None


def test_shift_thresholds() -> None:
    """6 of 10 POIs as given match (60 %); read as GCJ-02, the 4 shifted ones plus none of the
    others match (40 %): no warning. With 1 of 10 as given (10 %) and 9 shifted (90 % as
    GCJ-02): a warning."""
    gx, gy = wgs84_to_gcj02(LON, LAT)
    x = np.where(np.arange(10) < 6, LON, gx)
    y = np.where(np.arange(10) < 6, LAT, gy)
    assert detect_shift(_pois(x, y), _reference(LON, LAT)) is None
    x = np.where(np.arange(10) < 1, LON, gx)
    y = np.where(np.arange(10) < 1, LAT, gy)
    msg = detect_shift(_pois(x, y), _reference(LON, LAT))
    assert msg is not None and "10 % of them" in msg and "but 90 % when read as gcj02" in msg
    # a gain of 0.1 is required: min_share = 0.95 suppresses the 0.8 gain
    assert detect_shift(_pois(x, y), _reference(LON, LAT), min_share=0.95) is None


def test_shift_needs_twice_the_matches() -> None:
    """3 POIs as given match (30 %), 6 shifted ones match when read as GCJ-02 (60 %: exactly
    twice) and one lies far from everything → a warning; with 4 as given (40 %) and the same 6
    shifted (60 % < 80 %) → none."""
    gx, gy = wgs84_to_gcj02(LON, LAT)
    far = np.arange(10) == 9
    x = np.where(np.arange(10) < 3, LON, np.where(far, LON + 1.0, gx))
    y = np.where(np.arange(10) < 3, LAT, gy)
    msg = detect_shift(_pois(x, y), _reference(LON, LAT))
    assert msg is not None and "30 % of them" in msg and "but 60 % when read" in msg
    gx2, gy2 = wgs84_to_gcj02(LON[:6], LAT[:6])
    x = np.r_[LON[6:], gx2]
    y = np.r_[LAT[6:], gy2]
    assert detect_shift(_pois(x, y), _reference(LON, LAT)) is None
