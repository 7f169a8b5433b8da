"""Labels, units and missing-value reasons of indicators that cannot be computed (issue 18).

A run of the synthetic town (tests/spatial/spatial_town.py: a 5×5 street grid, no
population given), made for each test of this module. Without a population the park area
per capita is missing, but it keeps its bilingual label and unit, so that tables and
reports can still name it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from citycheckup.spatial import compute_spatial
from citycheckup.spatial._outputs import write_spatial_outputs
from citycheckup.spatial._result import SpatialResult
from tests.spatial.spatial_town import town_xml


@pytest.fixture  # per test: mutmut credits a shared result only to the first test using it
def town_result(tmp_path_factory: pytest.TempPathFactory) -> SpatialResult:
    p = tmp_path_factory.mktemp("town") / "town.osm"
    p.write_text(town_xml(), encoding="utf-8")
    return compute_spatial(p, grid=1000)


def test_missing_park_area_per_capita_keeps_label_and_unit(town_result: SpatialResult) -> None:
    code = "park_area_per_capita"
    assert town_result.labels[code] == {
        "zh": "人均公园绿地面积",
        "en": "Park green space per capita",
    }
    assert town_result.units[code] == "m²/人"
    m = town_result.missing
    reasons = set(m.loc[m["indicator"] == code, "reason"])
    assert reasons == {"needs a population (--population or --census)"}
    assert town_result.indicators[code].isna().all()


def test_every_indicator_has_a_label_and_a_unit(town_result: SpatialResult) -> None:
    codes = [c for c in town_result.indicators.columns if c not in {"district", "quality"}]
    for c in codes:
        lab = town_result.labels[c]
        assert isinstance(lab, dict) and lab["zh"] and lab["en"], c
        assert town_result.units[c] in {"%", "km/km²", "个/km²", "m²/人"}, c


def test_written_files_are_the_manifest_files(
    town_result: SpatialResult, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Without maps the output folder holds the seven tables and layers and the manifest,
    and the manifest lists exactly those files."""
    out = write_spatial_outputs(town_result, tmp_path_factory.mktemp("out") / "o", maps="none")
    on_disk = sorted(p.name for p in out.iterdir())
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["files"] == [
        "districts.gpkg", "facility_counts.csv", "homes.gpkg", "indicators.csv",
        "life_circles.csv", "missing.csv", "quality.csv", "manifest.json",
    ]  # fmt: skip
    assert sorted(manifest["files"]) == on_disk
    assert manifest["maps"]["written"] == []


def test_manifest_parameters_and_walk_graph(town_result: SpatialResult) -> None:
    """The town is a 5 × 5 street grid at ~100 m: 25 nodes, 2 × 5 × 4 = 40 street segments,
    40 × 100 m = 4 km in one component; the run used a 1,000 m grid."""
    m = town_result.manifest
    assert m["parameters"]["grid_m"] == 1000
    g = m["walk_graph"]
    assert (g["nodes"], g["edges"], g["components"]) == (25, 40, 1)
    assert g["km"] == pytest.approx(4.0, abs=0.01)
    assert g["main_component_km"] == g["km"]


def test_manifest_records_the_extract_and_building_coverage_is_computed(
    town_result: SpatialResult,
) -> None:
    """The manifest records the OSM file read (path, size, SHA-256 of its bytes, computed here
    with hashlib); the town has buildings, so its building coverage ratio is a column."""
    rec = town_result.manifest["inputs"]["osm"]
    data = Path(rec["path"]).read_bytes()
    assert rec["bytes"] == len(data)
    assert rec["sha256"] == hashlib.sha256(data).hexdigest()
    assert "building_coverage_ratio" in town_result.indicators.columns
    assert town_result.units["building_coverage_ratio"] == "%"
