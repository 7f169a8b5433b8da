"""Reading registers and located problems: every error with sheet/row/column, coordinates in three systems.

All data here is SYNTHETIC (tests/inventory/helpers.py) except the published GCJ-02 test
vector below, whose source is named.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyproj import Geod

from citycheckup.errors import DataError
from citycheckup.framework.models import Framework
from citycheckup.inventory import (
    normalise_crs,
    read_problems,
    read_register,
    to_wgs84,
    validate_problems,
)
from tests.inventory.helpers import UNIT, raw, tiny_registers

GEOD = Geod(ellps="WGS84")


def _metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    return float(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def test_gcj02_published_vector_lands_within_a_metre() -> None:
    # Test vector of wandergis/coordtransform (test/app.js, MIT): WGS-84 (116.404, 39.915) is
    # GCJ-02 (116.41024449916938, 39.91640428150164). An independent implementation.
    lon, lat = to_wgs84([116.41024449916938], [39.91640428150164], "GCJ-02")
    assert _metres(float(lon[0]), float(lat[0]), 116.404, 39.915) < 1.0


def test_cgcs2000_geographic_is_wgs84_within_a_metre() -> None:
    lon, lat = to_wgs84([114.30, 87.6], [30.60, 43.8], "CGCS2000")
    assert _metres(float(lon[0]), float(lat[0]), 114.30, 30.60) < 1.0
    assert _metres(float(lon[1]), float(lat[1]), 87.6, 43.8) < 1.0


def _meridian_arc(lat_deg: float) -> float:
    """Meridian arc length on the CGCS2000 ellipsoid (a = 6378137, f = 1/298.257222101), by quadrature."""
    from scipy.integrate import quad

    a, f = 6378137.0, 1 / 298.257222101
    e2 = f * (2 - f)
    val, _ = quad(
        lambda p: a * (1 - e2) / (1 - e2 * math.sin(p) ** 2) ** 1.5, 0.0, math.radians(lat_deg)
    )
    return float(val)


@pytest.mark.parametrize("lat", [22.5, 30.6, 40.0])
def test_cgcs2000_gauss_kruger_point_on_the_central_meridian(lat: float) -> None:
    # Analytic oracle: on the central meridian (114° E for EPSG:4547, CGCS2000 / 3-degree
    # Gauss-Kruger CM 114E) easting is the false easting 500 000 m and northing is the
    # meridian arc length (scale factor 1).
    lon, la = to_wgs84([500000.0], [_meridian_arc(lat)], "EPSG:4547")
    assert _metres(float(lon[0]), float(la[0]), 114.0, lat) < 1.0


def test_crs_names_and_unknown_ones() -> None:
    assert normalise_crs("wgs84") == normalise_crs("EPSG:4326") == "wgs84"
    assert normalise_crs("国家2000") == normalise_crs("4490") == "EPSG:4490"
    assert normalise_crs("高德") == "gcj02" and normalise_crs("BD-09") == "bd09"
    with pytest.raises(DataError, match="unknown coordinate system 'mars'"):
        normalise_crs("mars")
    with pytest.raises(DataError, match="not known to PROJ"):
        to_wgs84([1.0], [1.0], "EPSG:999999")


def test_register_in_gcj02_is_stored_in_wgs84(tmp_path: Path) -> None:
    from citycheckup.spatial import wgs84_to_gcj02

    truth = tiny_registers()["building"]
    gx, gy = wgs84_to_gcj02(truth["lon"].to_numpy(float), truth["lat"].to_numpy(float))
    df = truth.drop(columns=["unit_code", "year"]).assign(lon=gx, lat=gy)
    df.to_csv(tmp_path / "b.csv", index=False)
    got = read_register(tmp_path / "b.csv", "building", unit_code=UNIT, year=2024, crs="gcj02")
    for a, b, c, d in zip(got["lon"], got["lat"], truth["lon"], truth["lat"], strict=True):
        assert _metres(a, b, c, d) < 1.0
    assert (
        _metres(float(gx[0]), float(gy[0]), float(truth["lon"][0]), float(truth["lat"][0])) > 100
    )  # it moved


def test_register_from_geopackage_uses_the_layer_crs(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    truth = tiny_registers()["compound"]
    gdf = gpd.GeoDataFrame(
        truth.drop(columns=["lon", "lat"]),
        geometry=[Point(x, y) for x, y in zip(truth["lon"], truth["lat"], strict=True)],
        crs="EPSG:4326",
    ).to_crs("EPSG:4547")  # CGCS2000 3° Gauss-Krüger, metres
    gdf.to_file(tmp_path / "q.gpkg", layer="compounds")
    got = read_register(
        tmp_path / "q.gpkg", "compound", layer="compounds", crs="gcj02"
    )  # the file's CRS wins
    for a, b, c, d in zip(got["lon"], got["lat"], truth["lon"], truth["lat"], strict=True):
        assert _metres(a, b, c, d) < 1.0
    assert list(got["compound_id"]) == ["Q1", "Q2"] and list(got["year"]) == [2024, 2024]


def test_chinese_headers_with_units_and_required_marks(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "楼栋编号*": ["A-1"],
            "楼栋地址": ["一号楼"],
            "所属街区编号*": ["B1"],
            "住宅套数（套）*": ["36"],
            "地上层数（层）": [6],
            "经度（度）*": [114.3],
            "纬度（度）*": [30.6],
        }
    )
    df.to_csv(tmp_path / "b.csv", index=False, encoding="gb18030")
    got = read_register(tmp_path / "b.csv", "building", unit_code=UNIT, year=2024)
    assert (
        got.loc[0, "dwellings"] == 36
        and got.loc[0, "floors"] == 6
        and got.loc[0, "address"] == "一号楼"
    )


def test_register_errors_are_all_listed_with_sheet_row_and_column(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "楼栋"
    ws.append(["台账"])  # a title row above the header
    ws.append(["楼栋编号", "楼栋地址", "所属街区编号", "住宅套数", "建成年份", "经度", "纬度"])
    ws.append(["A-1", "一号楼", "B1", 36, 1990, 114.30, 30.60])
    ws.append(["A-1", "一号楼", "B1", "三十", 1990, 114.30, 30.60])  # repeated ID, not a number
    ws.append(
        ["A-3", None, "B1", 12.5, 1700, 30.60, 114.30]
    )  # empty address, fraction, year, swapped
    ws.append(["A-4", "四号楼", "B1", 12, 1990, 114.30, None])  # half a coordinate
    wb.save(tmp_path / "r.xlsx")
    with pytest.raises(DataError) as ei:
        read_register(tmp_path / "r.xlsx", "building", unit_code=UNIT, year=2024)
    msg = str(ei.value)
    assert (
        "r.xlsx sheet '楼栋' row 4, column A (楼栋编号): building_id 'A-1' is repeated (first in row 3)"
        in msg
    )
    assert "row 4, column D (住宅套数): '三十' is not a number" in msg
    assert "row 5, column B (楼栋地址): address (楼栋地址) is required" in msg
    assert "row 5, column D (住宅套数): 12.5 must be a whole number" in msg
    assert (
        "row 5, column E (建成年份): year built 1700 is outside the allowed range 1800 – 2100"
        in msg
    )
    assert "row 5, column F (经度): (30.6, 114.3) are longitude and latitude swapped?" in msg
    assert "row 6, column G (纬度): give both longitude and latitude, or neither" in msg


def test_a_missing_required_column_is_named(tmp_path: Path) -> None:
    pd.DataFrame({"building_id": ["A"], "address": ["x"], "lon": [114.3], "lat": [30.6]}).to_csv(
        tmp_path / "b.csv", index=False
    )
    with pytest.raises(
        DataError, match=r"b.csv row 1: required column 所属街区编号\* / block ID\* \(block_id\)"
    ):
        read_register(tmp_path / "b.csv", "building", unit_code=UNIT, year=2024)
    with pytest.raises(DataError, match="no year column and none given"):
        read_register(tmp_path / "b.csv", "building", unit_code=UNIT)


def test_many_errors_are_capped_with_a_count(tmp_path: Path) -> None:
    n = 40
    pd.DataFrame(
        {
            "building_id": [f"A{i}" for i in range(n)],
            "address": ["x"] * n,
            "block_id": ["B1"] * n,
            "dwellings": ["many"] * n,
            "lon": [114.3] * n,
            "lat": [30.6] * n,
        }
    ).to_csv(tmp_path / "b.csv", index=False)
    with pytest.raises(DataError) as ei:
        read_register(tmp_path / "b.csv", "building", unit_code=UNIT, year=2024)
    assert len(
        ei.value.problems
    ) == 26 and "… and 15 more: non-numeric cells in column dwellings" in str(ei.value)


def test_problem_errors_are_all_listed(synthetic_fw: Framework) -> None:
    regs = tiny_registers()
    df = pd.DataFrame(
        [
            {
                "indicator": "H-01",
                "register_id": "Q1-1",
                "sub_item": "concrete_cracks",
                "severity": "严重",
                "date_found": "2024-05-01",
            },
            {
                "indicator": "H-99",
                "register_id": "Q1-1",
                "severity": "严重",
                "date_found": "2024-05-01",
            },
            {
                "indicator": "green_space_per_capita",
                "register_id": "Q1-1",
                "severity": "严重",
                "date_found": "2024-05-01",
            },
            {
                "indicator": "H-01",
                "register_id": "Q1-9",
                "sub_item": "lamps_broken",
                "severity": "很重",
                "date_found": "2024/5/1",
            },
            {
                "indicator": "H-01",
                "register_id": "Q1-2",
                "severity": "一般",
                "date_found": "2031-01-01",
            },
            {
                "indicator": "B-06",
                "register_id": "B1",
                "sub_item": "路灯损坏",
                "severity": "一般",
                "date_found": "2022-01-01",
            },
            {
                "indicator": "H-01 存在结构安全隐患的住宅数量",
                "register_id": "Q1-1",
                "sub_item": "混凝土构件裂缝",
                "severity": "moderate",
                "date_found": "2024-05-02",
            },
        ]
    )
    out, problems = validate_problems(
        raw(df, "s.csv"),
        synthetic_fw,
        registers=regs,
        unit_code=UNIT,
        year=2024,
        today=dt.date(2030, 1, 1),
    )
    text = "\n".join(map(str, problems))
    assert (
        "s.csv row 3, column 'indicator': indicator 'H-99' is not a located-problem indicator"
        in text
    )
    assert (
        "s.csv row 4, column 'indicator': indicator 'green_space_per_capita' is at level city"
        in text
    )
    assert (
        "s.csv row 5, column 'sub_item': sub-item 'lamps_broken' does not belong to indicator H-01"
        in text
    )
    assert (
        "s.csv row 5, column 'severity': severity '很重' is not one of the allowed values" in text
    )
    assert "s.csv row 5, column 'register_id': 'Q1-9' is not in the building register" in text
    assert "s.csv row 6, column 'sub_item': indicator H-01 needs a sub-item" in text
    assert "s.csv row 6, column 'date_found': date 2031-01-01 is after today (2030-01-01)" in text
    assert (
        "s.csv row 7, column 'road': this indicator is located on a road: give the road name"
        in text
    )
    assert "s.csv row 7, column 'date_found': date 2022-01-01 is more than a year away" in text
    assert (
        "s.csv row 8, column 'register_id': the same problem (structural_hazard_buildings, Q1-1, sub-item "
        "concrete_cracks) is already recorded in row 2" in text
    )
    assert len(problems) == 10
    assert (
        out.loc[0, "indicator"] == "structural_hazard_buildings"
        and out.loc[0, "register"] == "building"
    )
    assert out.loc[0, "lon"] == regs["building"].loc[0, "lon"]  # taken from the register


def test_problem_level_is_checked(synthetic_fw: Framework) -> None:
    df = pd.DataFrame(
        [{"indicator": "B-10", "register_id": "B1", "severity": "一般", "date_found": "2024-05-01"}]
    )
    _, problems = validate_problems(
        raw(df),
        synthetic_fw,
        registers=tiny_registers(),
        level="housing",
        unit_code=UNIT,
        year=2024,
    )
    assert "B-10 is a block indicator, not housing" in str(problems[0])


@pytest.mark.parametrize(
    ("found", "ok"), [("2029-12-31", True), ("2030-01-01", True), ("2030-01-02", False)]
)
def test_date_found_boundary_today(synthetic_fw: Framework, found: str, ok: bool) -> None:
    df = pd.DataFrame(
        [{"indicator": "B-10", "register_id": "B1", "severity": "一般", "date_found": found}]
    )
    _, problems = validate_problems(
        raw(df),
        synthetic_fw,
        registers=tiny_registers(),
        unit_code=UNIT,
        year=2030,
        today=dt.date(2030, 1, 1),
    )
    assert (problems == []) is ok


@pytest.mark.parametrize(
    ("found", "ok"),
    [("2023-01-01", True), ("2022-12-31", False), ("2025-12-31", True), ("2026-01-01", False)],
)
def test_date_found_boundary_check_up_year(synthetic_fw: Framework, found: str, ok: bool) -> None:
    df = pd.DataFrame(
        [{"indicator": "B-10", "register_id": "B1", "severity": "一般", "date_found": found}]
    )
    _, problems = validate_problems(
        raw(df),
        synthetic_fw,
        registers=tiny_registers(),
        unit_code=UNIT,
        year=2024,
        today=dt.date(2030, 1, 1),
    )
    assert (problems == []) is ok, problems


def test_problems_from_csv_in_gcj02(tmp_path: Path, synthetic_fw: Framework) -> None:
    from citycheckup.spatial import wgs84_to_gcj02

    gx, gy = wgs84_to_gcj02(114.31, 30.61)
    pd.DataFrame(
        [
            {
                "unit_code": UNIT,
                "year": 2024,
                "indicator": "H-01",
                "register_id": "Q1-1",
                "sub_item": "concrete_cracks",
                "severity": "一般",
                "date_found": "20240601",
                "经度": float(gx),
                "纬度": float(gy),
            }
        ]
    ).to_csv(tmp_path / "p.csv", index=False)
    got = read_problems(tmp_path / "p.csv", synthetic_fw, registers=tiny_registers(), crs="gcj02")
    assert got.loc[0, "date_found"] == pd.Timestamp("2024-06-01")
    assert _metres(got.loc[0, "lon"], got.loc[0, "lat"], 114.31, 30.61) < 1.0
    assert np.isnan(got.loc[0, "quantity"])


@pytest.mark.parametrize(
    ("cell", "want"),
    [
        (
            45444,
            "2024-06-01",
        ),  # an Excel serial date number (1900 system: day 1 = 1900-01-01, with the 1900 bug)
        (dt.datetime(2024, 6, 1, 0, 0), "2024-06-01"),
        ("2024年6月1日", "2024-06-01"),
        ("2024/6/1", "2024-06-01"),
        ("2024.06.01", "2024-06-01"),
    ],
)
def test_date_cells(synthetic_fw: Framework, cell: object, want: str) -> None:
    df = pd.DataFrame(
        [{"indicator": "B-10", "register_id": "B1", "severity": "一般", "date_found": cell}]
    )
    out, problems = validate_problems(
        raw(df),
        synthetic_fw,
        registers=tiny_registers(),
        unit_code=UNIT,
        year=2024,
        today=dt.date(2030, 1, 1),
    )
    assert problems == [] and out.loc[0, "date_found"] == pd.Timestamp(want)


@pytest.mark.parametrize("cell", ["2024-02-30", "01/06/2024", "June 1", "2024-6"])
def test_bad_date_cells(synthetic_fw: Framework, cell: str) -> None:
    df = pd.DataFrame(
        [{"indicator": "B-10", "register_id": "B1", "severity": "一般", "date_found": cell}]
    )
    _, problems = validate_problems(
        raw(df), synthetic_fw, registers=tiny_registers(), unit_code=UNIT, year=2024
    )
    assert len(problems) == 1 and "is not a date; write YYYY-MM-DD" in str(problems[0])
