"""``compute_spatial`` end to end on small synthetic extracts: the manifest, the notes and the
errors of the pipeline, each value derived by hand from the geometry (issue 18).

The town (tests/spatial/spatial_town.py) is a 5 × 5 street grid at 100 m spacing (rows are
``highway=residential``, columns ``highway=footway``), five 40 m × 40 m apartment blocks of six
storeys whose centres lie 30 m north of a row and 50 m from the nearest column, a kindergarten on
the node (200 m, 200 m), a shop, a playground, a bus stop, a school and an 80 m × 80 m park.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from citycheckup.errors import SpatialError
from citycheckup.spatial import compute_spatial
from citycheckup.spatial._areas import utm_crs
from citycheckup.spatial._inputs import projected, study_area
from citycheckup.spatial._osm import read_osm
from citycheckup.spatial._outputs import DEFAULT_MAP_CODES, write_spatial_outputs
from citycheckup.spatial._pipeline import _clean_features, _districts
from citycheckup.spatial._result import SpatialResult
from tests.spatial.spatial_town import DLAT, DLON, LAT0, LON0, osm_xml, town_xml

# the extract's <bounds>: half a spacing around the grid
X0, X1 = LON0 - DLON / 2, LON0 + 4.5 * DLON
Y0, Y1 = LAT0 - DLAT / 2, LAT0 + 4.5 * DLAT
XM = LON0 + 2 * DLON  # the west/east split of the districts below (the column at x = 200 m)


@pytest.fixture(scope="module")
def town_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("town") / "town.osm"
    p.write_text(town_xml(), encoding="utf-8")
    return p


def _town_inputs(town_file: Path) -> SpatialResult:
    """The town with every layer given as a GeoDataFrame (the built-up area: the western half
    only) and every parameter set away from its default; ``max_distance_m`` exactly at the largest coverage distance of the built-in mapping
    (the 15-minute circle, 1,000 m), which is allowed."""
    box = shapely.box(X0, Y0, X1, Y1)
    boundary = gpd.GeoDataFrame({"name": ["town"]}, geometry=[box], crs=4326)
    districts = gpd.GeoDataFrame(
        {"district": ["West", "East"]},
        geometry=[shapely.box(X0, Y0, XM, Y1), shapely.box(XM, Y0, X1, Y1)],
        crs=4326,
    )
    west = gpd.GeoDataFrame(geometry=[shapely.box(X0, Y0, XM, Y1)], crs=4326)
    return compute_spatial(
        town_file, boundary=boundary, districts=districts, built_up=west, year=2024,
        max_snap_m=80.0, max_distance_m=1000.0, carriageway_merge_m=25.0,
        intersection_tolerance_m=10.0,
    )  # fmt: skip


def _check_manifest_static_parts(town_inputs: SpatialResult) -> None:
    m = town_inputs.manifest
    assert m["tool"] == "citycheckup spatial"
    assert m["attribution"] == "© OpenStreetMap contributors, ODbL"
    assert m["licence_note"] == (
        "Results built from OpenStreetMap data; a derivative database published must be "
        "offered under ODbL."
    )
    assert m["transit_stops_from"] == "OpenStreetMap"
    assert m["notes"] == []
    assert set(m) == {
        "tool", "version", "attribution", "licence_note", "inputs", "crs", "crs_name",
        "study_area", "built_up_area", "districts", "parameters", "walk_graph", "homes",
        "homes_columns", "transit_stops_from", "facilities", "roads", "units", "labels",
        "quality", "notes", "timings_s",
    }  # fmt: skip
    assert set(m["timings_s"]) == {
        "read", "walk graph", "features", "districts", "homes", "distances", "indicators", "total",
    }  # fmt: skip
    assert all(v >= 0 for v in m["timings_s"].values())
    assert m["homes_columns"] == {
        "weight": "residential floor area, m² (footprint × storeys); no population given",
        "floor_area": "residential floor area of the building, m² (0 for population left at a "
        "grid cell)",
        "snapped": "within max_snap_m of the main walk network (used by the network indicators)",
        "snap_m": "straight-line distance to the nearest main-network edge, m",
        "on_fragment": "nearest to a disconnected piece of the walk network (attached to the "
        "main one)",
        "net_<category>_m": "network distance to the nearest facility, m, walks to and from the "
        "network included; empty when the home is not snapped or nothing is reachable within "
        "max_distance_m",
        "euc_<category>_m": "straight-line distance to the nearest facility (edge of an area), m",
    }


def _check_manifest_inputs_record_each_layer(town_inputs: SpatialResult, town_file: Path) -> None:
    """A GeoDataFrame input is recorded by its kind and number of features; absent ones are
    None; the facility mapping is the built-in one."""
    inputs = town_inputs.manifest["inputs"]
    assert inputs["osm"]["path"] == str(town_file)
    assert inputs["osm"]["bytes"] == town_file.stat().st_size
    assert inputs["boundary"] == {"kind": "GeoDataFrame", "features": 1}
    assert inputs["districts"] == {"kind": "GeoDataFrame", "features": 2}
    assert inputs["built_up"] == {"kind": "GeoDataFrame", "features": 1}
    for k in ("population", "census", "gtfs", "poi", "poi_crs"):
        assert inputs[k] is None, k
    assert inputs["facilities"] == "facilities.yaml (builtin)"


def _check_manifest_crs_area_and_districts(town_inputs: SpatialResult) -> None:
    """UTM zone of 116.35° E: floor((116.35 + 180) / 6) + 1 = 50, north → EPSG:32650. The
    study area is the extract's bounds, 5 spacings of ≈ 100 m a side → ≈ 0.25 km²; the user's
    built-up area is the western half, 2.5 spacings wide: ≈ 0.125 km²."""
    m = town_inputs.manifest
    assert m["crs"] == "EPSG:32650"
    assert m["crs_name"] == "WGS 84 / UTM zone 50N"
    sa = m["study_area"]
    assert sa["source"] == "boundary ∩ extract bounds"
    assert sa["km2"] == pytest.approx(0.25, abs=0.002)
    assert sa["bounds_wgs84"] == pytest.approx([X0, Y0, X1, Y1], abs=1e-6)
    assert m["built_up_area"]["source"] == "user boundary (--built-up)"
    assert m["built_up_area"]["km2"] == pytest.approx(0.125, abs=0.001)
    assert m["districts"] == {"source": "file districts", "count": 2}


def _check_manifest_parameters_are_the_arguments(town_inputs: SpatialResult) -> None:
    p = town_inputs.manifest["parameters"]
    assert {k: v for k, v in p.items() if k not in {"life_circles", "park_rules"}} == {
        "max_snap_m": 80.0, "max_distance_m": 1000.0, "carriageway_merge_m": 25.0,
        "intersection_tolerance_m": 10.0, "admin_level": None, "grid_m": None, "year": 2024,
    }  # fmt: skip
    # GB 50180-2018: 5-minute circle 300 m, 10-minute 500 m, 15-minute 1,000 m walks; the
    # residential block (居住街坊) is checked inside the compound, without a distance
    lc = p["life_circles"]
    assert [(k, v["distance_m"], v["scope"]) for k, v in lc.items()] == [
        ("5min", 300.0, "network"), ("10min", 500.0, "network"), ("15min", 1000.0, "network"),
        ("block", None, "compound"),
    ]  # fmt: skip
    assert "kindergarten" in lc["5min"]["items"] and "middle_school" in lc["15min"]["items"]
    # MOHURD L-06: parks ≥ 2,000 m² serve 300 m, ≥ 5,000 m² serve 500 m
    assert p["park_rules"]["park_service_coverage"] == {
        "mohurd_id": "L-06",
        "categories": ["park"],
        "radii": [
            {"min_area_m2": 2000.0, "distance_m": 300.0},
            {"min_area_m2": 5000.0, "distance_m": 500.0},
        ],
    }
    assert p["park_rules"]["park_square_coverage_500m"] == {
        "mohurd_id": None,
        "categories": ["park", "square"],
        "radii": [{"min_area_m2": 0.0, "distance_m": 500.0}],
    }


def _check_manifest_graph_homes_and_facilities(town_inputs: SpatialResult) -> None:
    """25 nodes, 2 × 5 × 4 = 40 segments of ≈ 100 m; the five blocks are the homes, three west
    of x = 200 m (centres at x = 50, 50, 150 m) and two east (x = 350, 350 m), all within 30 m
    of a street. The park is 80 m × 80 m = 6,400 m², above both L-06 area thresholds."""
    m = town_inputs.manifest
    g = m["walk_graph"]
    assert (g["nodes"], g["edges"], g["components"]) == (25, 40, 1)
    assert g["km"] == pytest.approx(4.0, abs=0.01)
    assert g["main_component_km"] == g["km"]
    assert m["homes"] == {
        "count": 5,
        "weight": "residential floor area, m² (footprint × storeys); no population given",
        "unsnapped": 0, "on_fragment": 0, "outside_districts": 0, "population_method": None,
    }  # fmt: skip
    homes = town_inputs.homes
    assert sorted(homes["district"]) == ["East", "East", "West", "West", "West"]
    # 40 m × 40 m × 6 storeys = 9,600 m² (≈ 100 m spacing: within 1 %)
    assert homes["weight"].to_numpy() == pytest.approx(np.full(5, 9600.0), rel=0.01)
    assert homes["snap_m"].to_numpy() == pytest.approx(np.full(5, 30.0), abs=0.5)
    assert homes["snapped"].all() and not homes["on_fragment"].any()
    f = m["facilities"]
    assert f["kindergarten"] == {"facilities": 1, "unsnapped": 0}
    assert f["nursery"] == {"facilities": 0, "unsnapped": 0}
    assert f["park_service_coverage_300m"] == {
        "facilities": 1, "min_area_m2": 2000.0, "unreachable": 0,
    }  # fmt: skip
    assert f["park_service_coverage_500m"] == {
        "facilities": 1, "min_area_m2": 5000.0, "unreachable": 0,
    }  # fmt: skip


def _check_home_distances_to_the_kindergarten(town_inputs: SpatialResult) -> None:
    """The block centred at (150 m, 230 m) walks 30 m south to the row at y = 200 m, then 50 m
    east to the kindergarten on the node (200 m, 200 m): 80 m; straight line √(50² + 30²) =
    58.3 m. Homes are points at the blocks' centres."""
    homes = town_inputs.homes
    x = homes.geometry.x.to_numpy() - homes.geometry.x.min()
    i = int(np.argmin(np.abs(x - 100.0)))  # the only block at x = 150 m (others at 0 or 300)
    assert homes["net_kindergarten_m"].iloc[i] == pytest.approx(80.0, abs=1.0)
    assert homes["euc_kindergarten_m"].iloc[i] == pytest.approx(np.hypot(50, 30), abs=1.0)
    # every home reaches it within the 1,000 m search: no empty value
    assert homes["net_kindergarten_m"].notna().all()


def _check_manifest_quality_counts_agree_with_the_tables(town_inputs: SpatialResult) -> None:
    """The number of flagged values is the number of ``low_quality`` rows of the missing table;
    the districts listed low are those whose quality column says ``low``."""
    q = town_inputs.manifest["quality"]
    miss = town_inputs.missing
    n_low = int((miss["status"] == "low_quality").sum())
    assert n_low > 0
    assert q["flagged_values"] == n_low
    tab = town_inputs.indicators
    assert q["districts_low"] == [str(d) for d in tab.loc[tab["quality"] == "low", "district"]]
    assert q["checked_against_population"] is False
    assert list(tab.columns[:2]) == ["district", "year"]
    assert (tab["year"] == 2024).all()
    assert list(tab["district"]) == ["West", "East", "ALL"]


@pytest.mark.parametrize("limit", [999.0, 999.99])
def test_search_limit_below_the_largest_circle_is_refused(town_file: Path, limit: float) -> None:
    """The 15-minute circle needs 1,000 m; anything below is refused before reading (1,000
    itself runs: the module fixture above)."""
    with pytest.raises(SpatialError) as e:
        compute_spatial(town_file, max_distance_m=limit)
    assert str(e.value) == (
        f"max_distance_m={limit:g} is below the largest coverage distance 1000 m; raise it"
    )


def test_prefetched_extract_of_another_file_is_refused(town_file: Path, tmp_path: Path) -> None:
    class Pending:
        path = tmp_path / "other.osm"

        def result(self) -> Any:  # pragma: no cover - must not be reached
            raise AssertionError("read")

    with pytest.raises(ValueError) as e:
        compute_spatial(town_file, prefetched=Pending())  # type: ignore[arg-type]
    assert str(e.value) == f"the extract read ahead is {tmp_path / 'other.osm'}, not {town_file}"


def test_a_district_named_all_is_refused(town_file: Path) -> None:
    d = gpd.GeoDataFrame({"district": ["ALL"]}, geometry=[shapely.box(X0, Y0, X1, Y1)], crs=4326)
    with pytest.raises(SpatialError) as e:
        compute_spatial(town_file, districts=d)
    assert str(e.value) == (
        "a district is named 'ALL', which is reserved for the whole area; rename it"
    )


# A street of 2 × 100 m (nodes 1-2-3 along y = 0), a separate 50 m footway 200 m north of it
# (nodes 4-5) and another 500 m north (nodes 6-7), nothing else: no buildings, no population.
_D = 0.001172 / 100, 0.0009 / 100  # degrees per metre (as in spatial_town)


def _xy(x: float, y: float) -> tuple[float, float]:
    return LON0 + x * _D[0], LAT0 + y * _D[1]


def _fragment_result(folder: Path) -> SpatialResult:
    nodes = {1: _xy(0, 0), 2: _xy(100, 0), 3: _xy(200, 0), 4: _xy(0, 200), 5: _xy(50, 200),
             6: _xy(0, 500), 7: _xy(50, 500)}  # fmt: skip
    xml = osm_xml(
        bounds=(_xy(-50, -50), _xy(250, 550)),
        nodes=nodes,
        ways=[
            ([1, 2, 3], {"highway": "residential"}),
            ([4, 5], {"highway": "footway"}),
            ([6, 7], {"highway": "footway"}),
        ],
    )
    p = folder / "frag.osm"
    p.write_text(xml, encoding="utf-8")
    return compute_spatial(p, grid=1000, max_snap_m=300.0)


def _check_without_buildings_the_homes_are_the_walk_nodes(fragment_result: SpatialResult) -> None:
    """No population and no residential building: the seven walk nodes are the homes, weight 1
    each, floor area 0, source ``walk node``."""
    m = fragment_result.manifest
    homes = fragment_result.homes
    assert len(homes) == 7
    assert (homes["weight"] == 1.0).all() and (homes["floor_area"] == 0.0).all()
    assert set(homes["source"]) == {"walk node"}
    assert m["homes"]["weight"] == (
        "walk-network nodes, equal weights (no population, no residential buildings)"
    )
    assert m["homes_columns"]["weight"] == m["homes"]["weight"]
    assert (
        "no population layer and no residential buildings: homes are the walk-network nodes"
        in m["notes"]
    )


def _check_fragment_notes(fragment_result: SpatialResult) -> None:
    """Three parts: 200 m main street, two 50 m fragments → the main part holds 200 / 300 =
    66.7 % of the length. Nodes 4 and 5 lie 200 m and √(50² + 200²) = 206 m from the main
    street, within max_snap_m = 300 m: snapped, nearest to a fragment (2 of 7 homes, weight 1
    each → 28.6 %). Nodes 6 and 7 lie 500 m and 502 m away: not snapped (2 of 7, 28.6 %), and
    not counted on a fragment."""
    m = fragment_result.manifest
    assert m["walk_graph"]["components"] == 3
    assert m["walk_graph"]["km"] == pytest.approx(0.3, abs=0.001)
    assert m["walk_graph"]["main_component_km"] == pytest.approx(0.2, abs=0.001)
    h = m["homes"]
    assert (h["count"], h["unsnapped"], h["on_fragment"]) == (7, 2, 2)
    homes = fragment_result.homes
    y = homes.geometry.y.to_numpy() - homes.geometry.y.min()
    assert list(homes["on_fragment"]) == list(np.abs(y - 200) < 5)  # UTM grid tilt: ≈ 1.5 m
    assert list(homes["snapped"]) == list(y < 400)
    notes = m["notes"]
    assert notes[0] == (
        "the walk network has 3 connected parts; the main one holds 66.7 % of its length. "
        "Homes and facilities are attached to the main part"
    )
    assert (
        "2 of 7 homes (28.6 % of the weight) lie farther than 300 m from the main walk network "
        "and are left out of the network indicators"
    ) in notes
    assert (
        "2 homes (28.6 % of the weight) are nearest to a disconnected fragment of the walk "
        "network; they are attached to the main network, the straight-line walk to it included"
    ) in notes


def _check_missing_named_indicator_labels_say_straight_line(town_inputs: SpatialResult) -> None:
    """The town has no middle school: both secondary-school columns are missing, and the
    straight-line one keeps the suffix that tells it from the network one (before the fix both
    had the network label, so a report showed two columns of the same name)."""
    lab = town_inputs.labels
    assert lab["secondary_school_coverage"] == {
        "zh": "中学服务半径覆盖率", "en": "Secondary-school service-radius coverage",
    }  # fmt: skip
    assert lab["secondary_school_coverage_euclidean"] == {
        "zh": "中学服务半径覆盖率（直线距离）",
        "en": "Secondary-school service-radius coverage, straight-line",
    }
    assert town_inputs.units["secondary_school_coverage_euclidean"] == "%"
    m = town_inputs.missing
    for code in ("secondary_school_coverage", "secondary_school_coverage_euclidean"):
        rows = m[m["indicator"] == code]
        assert sorted(rows["district"]) == ["ALL", "East", "West"], code
        assert set(rows["status"]) == {"missing"}, code
    assert town_inputs.indicators["secondary_school_coverage_euclidean"].isna().all()


def _check_missing_park_rule_labels_say_straight_line(fragment_result: SpatialResult) -> None:
    """No park at all: the L-06 park coverage is missing with the area thresholds in the
    reason; its straight-line column keeps its own label."""
    lab = fragment_result.labels
    assert lab["park_service_coverage"] == {
        "zh": "公园绿地服务半径覆盖率",
        "en": "Park service-radius coverage (≥2,000 m² → 300 m, ≥5,000 m² → 500 m)",
    }
    assert lab["park_service_coverage_euclidean"] == {
        "zh": "公园绿地服务半径覆盖率（直线距离）",
        "en": "Park service-radius coverage (≥2,000 m² → 300 m, ≥5,000 m² → 500 m), straight-line",
    }
    m = fragment_result.missing
    for code in ("park_service_coverage", "park_service_coverage_euclidean"):
        reasons = set(m.loc[m["indicator"] == code, "reason"])
        assert reasons == {"no park of ≥ 2000 m² or ≥ 5000 m² in the study area (OSM)"}, code
    reasons = set(m.loc[m["indicator"] == "park_square_coverage_500m_euclidean", "reason"])
    assert reasons == {"no park/square of ≥ 0 m² in the study area (OSM)"}


def test_poi_outside_the_study_area_is_refused(town_file: Path, tmp_path: Path) -> None:
    p = tmp_path / "poi.csv"
    p.write_text("name,category,lon,lat\n一中,中学,117.0,41.0\n", encoding="utf-8")
    with pytest.raises(SpatialError) as e:
        compute_spatial(town_file, grid=1000, poi=p)
    assert str(e.value) == (f"no POI of {p} lies in the study area; check --poi-crs and the file")


def test_poi_adds_a_middle_school(town_file: Path, tmp_path: Path) -> None:
    """The town has no middle school; a POI 中学 on the node (200 m, 200 m), plus one outside
    the extract (dropped), gives the secondary-school coverage a value, and the manifest
    records the table and its coordinate system."""
    p = tmp_path / "poi.csv"
    p.write_text(
        f"name,category,lon,lat\n一中,中学,{LON0 + 2 * DLON:.7f},{LAT0 + 2 * DLAT:.7f}\n"
        "二中,中学,117.0,41.0\n",
        encoding="utf-8",
    )
    r = compute_spatial(town_file, grid=1000, poi=p)
    m = r.manifest
    assert m["inputs"]["poi"]["path"] == str(p)
    assert m["inputs"]["poi"]["bytes"] == p.stat().st_size
    assert m["inputs"]["poi_crs"] == "wgs84"
    assert m["facilities"]["middle_school"] == {"facilities": 1, "unsnapped": 0}
    assert r.indicators["secondary_school_coverage"].notna().all()
    # the farthest block centre, (350 m, 330 m), walks 30 m to its row and 150 + 100 m along
    # the grid to (200, 200): 280 m, within the 1,000 m of a secondary school → 100 %
    assert r.indicators["secondary_school_coverage"].iloc[-1] == pytest.approx(100.0)


def _check_outputs_with_maps_drawn_here(town_inputs: SpatialResult, tmp_path: Path) -> None:
    """A list of codes gives a PNG and an HTML map of each, drawn in this process; the
    manifest lists them with the tables; snapped/on_fragment are stored as 0/1."""
    code = "park_service_coverage"
    out = write_spatial_outputs(town_inputs, tmp_path / "o", maps=[code])
    man = json.loads((out / "manifest.json").read_text("utf-8"))
    assert man["files"] == [
        "districts.gpkg", "facility_counts.csv", "homes.gpkg", "indicators.csv",
        "life_circles.csv", f"maps/{code}.html", f"maps/{code}.png", "missing.csv",
        "quality.csv", "manifest.json",
    ]  # fmt: skip
    assert sorted(p.name for p in (out / "maps").iterdir()) == [f"{code}.html", f"{code}.png"]
    assert man["maps"] == {"written": [code], "default": list(DEFAULT_MAP_CODES)}
    assert man["timings_s"]["maps"] > 0 and man["timings_s"]["write"] >= man["timings_s"]["maps"]
    homes = gpd.read_file(out / "homes.gpkg", layer="homes")
    assert list(homes["snapped"]) == [1] * 5 and list(homes["on_fragment"]) == [0] * 5
    with pytest.raises(SpatialError) as e:
        write_spatial_outputs(town_inputs, tmp_path / "p", maps=["nope", code, "nix"])
    assert e.value.headline == "unknown indicator codes for --maps"
    assert [p.message.split(";")[0] for p in e.value.problems] == [
        "'nope' is not an indicator of this run", "'nix' is not an indicator of this run",
    ]  # fmt: skip
    assert {p.where for p in e.value.problems} == {"--maps"}


def _check_outputs_with_a_map_pool(town_inputs: SpatialResult, tmp_path: Path) -> None:
    """With a pool, the PNGs are the pool's (submitted before the tables are written,
    collected after); the default set draws no HTML page, and only the default codes that
    are columns of this run."""

    class Pool:
        def __init__(self) -> None:
            self.calls: list[Any] = []

        def submit(self, data: Any, codes: list[str], folder: Path) -> str:
            self.calls.append(
                ("submit", codes, folder.name, (folder.parent / "indicators.csv").exists())
            )
            return "busy"

        def collect(self, busy: str, codes: list[str], folder_name: str) -> list[str]:
            self.calls.append(("collect", busy, codes, folder_name))
            return [f"{folder_name}/{c}.png" for c in codes]

    pool = Pool()
    out = write_spatial_outputs(town_inputs, tmp_path / "o", maps="default", pool=pool)  # type: ignore[arg-type]
    cols = set(town_inputs.indicators.columns)
    codes = [c for c in DEFAULT_MAP_CODES if c in cols]
    assert "road_network_density" in codes and "fresh_market_coverage" in codes
    assert pool.calls == [("submit", codes, "maps", False), ("collect", "busy", codes, "maps")]
    man = json.loads((out / "manifest.json").read_text("utf-8"))
    assert [f for f in man["files"] if f.startswith("maps/")] == sorted(
        f"maps/{c}.png" for c in codes
    )
    assert not (out / "maps").exists()  # nothing drawn in this process


def _check_district_without_built_up_land(town_inputs: SpatialResult) -> None:
    """The built-up area covers only the western district: the eastern one has no MOHURD road
    density (per km² of built-up land), with the reason, for the total and every class."""
    tab: Any = town_inputs.indicators.set_index("district")
    codes = ["road_network_density"] + [
        f"road_density_{c}" for c in ("expressway", "arterial", "secondary", "branch")
    ]
    m = town_inputs.missing
    for code in codes:
        assert np.isnan(tab.loc["East", code]), code
        assert tab.loc["West", code] >= 0, code
        rows = m[(m["indicator"] == code) & (m["district"] == "East")]
        assert list(rows["reason"]) == ["no built-up land in the district"], code
    # the western rows (y = 0, 100, … 400 m) are residential streets: branch roads (支路)
    assert tab.loc["West", "road_density_branch"] == tab.loc["West", "road_network_density"]
    assert tab.loc["West", "road_density_branch"] > 0


def _check_no_built_up_area_and_the_roads(fragment_result: SpatialResult) -> None:
    """No building and no urban land use: no built-up area, so every MOHURD road density is
    missing with that reason; the one street (2 × 100 m, residential, two-way) is 0.2 km of
    centre line and of carriageway, all branch road, without intersections."""
    m = fragment_result.manifest
    assert m["built_up_area"] == {
        "source": "none: no urban land use or buildings mapped",
        "km2": 0.0,
    }
    assert m["roads"] == {
        "segments": 2, "centreline_km": 0.2, "carriageway_km": 0.2,
        "urban_road_km_by_class": {"expressway": 0.0, "arterial": 0.0, "secondary": 0.0, "branch": 0.2},
        "compound_internal_km": 0.0, "intersections": 0,
    }  # fmt: skip
    miss = fragment_result.missing
    for code in ["road_network_density"] + [
        f"road_density_{c}" for c in ("expressway", "arterial", "secondary", "branch")
    ]:
        rows = miss[miss["indicator"] == code]
        assert sorted(rows["district"]) == ["ALL", "R000C000"], code
        assert set(rows["reason"]) == {
            "no built-up area (none: no urban land use or buildings mapped); give --built-up"
        }, code
        assert fragment_result.units[code] == "km/km²"


def test_no_vehicle_roads(tmp_path: Path) -> None:
    """Only a footway: every road figure is missing, with its unit."""
    xml = osm_xml(
        bounds=(_xy(-50, -50), _xy(250, 50)),
        nodes={1: _xy(0, 0), 2: _xy(200, 0)},
        ways=[([1, 2], {"highway": "footway"})],
    )
    p = tmp_path / "foot.osm"
    p.write_text(xml, encoding="utf-8")
    r = compute_spatial(p, grid=1000)
    assert r.manifest["roads"] == {}
    miss = r.missing
    for code in ("road_density_all_roads", "intersection_density", "road_network_density",
                 "road_density_branch"):  # fmt: skip
        assert set(miss.loc[miss["indicator"] == code, "reason"]) == {
            "no vehicle roads in the study area"
        }, code
        assert r.indicators[code].isna().all()
    assert r.units["intersection_density"] == "个/km²"
    assert r.units["road_density_all_roads"] == "km/km²"
    assert r.units["road_density_expressway"] == "km/km²"


def test_district_sources_and_the_grid_fallback(town_file: Path) -> None:
    """No admin boundary of level 8 in the plain town: a 500 m grid (or the grid asked for)
    with a note; without any district option a 500 m grid. The study area is ≈ 500 m × 500 m,
    so a 500 m grid has one cell (a 250 m grid: 2 × 2)."""
    data = read_osm(town_file)
    area_wgs, _ = study_area(data, None)
    crs = utm_crs(area_wgs.centroid.x, area_wgs.centroid.y)
    area = projected(area_wgs, crs)
    notes: list[str] = []
    dist, src = _districts(data, None, None, 8, None, area, crs, notes)
    assert src == "grid 500 m (fallback)"
    assert notes == [
        "no administrative boundary of admin_level=8 could be assembled from the extract; "
        "using a 500 m grid"
    ]
    notes = []
    dist, src = _districts(data, None, None, 8, 250.0, area, crs, notes)
    assert src == "grid 250 m (fallback)" and len(dist) == 4
    assert notes[0].endswith("using a 250 m grid")
    notes = []
    dist, src = _districts(data, None, None, None, None, area, crs, notes)
    assert (src, notes) == ("grid 500 m", [])
    layer = gpd.GeoDataFrame({"district": ["Z"]}, geometry=[shapely.box(X0, Y0, X1, Y1)], crs=4326)
    layer.attrs["source"] = "z.gpkg"
    dist, src = _districts(data, layer, None, 8, 250.0, area, crs, notes)
    assert src == "file z.gpkg" and list(dist["district"]) == ["Z"]


def test_admin_districts_of_the_town(tmp_path: Path) -> None:
    p = tmp_path / "admin.osm"
    p.write_text(town_xml(admin=True), encoding="utf-8")
    data = read_osm(p)
    area_wgs, _ = study_area(data, None)
    crs = utm_crs(area_wgs.centroid.x, area_wgs.centroid.y)
    notes: list[str] = []
    dist, src = _districts(data, None, None, 8, None, projected(area_wgs, crs), crs, notes)
    assert src == "OSM admin_level=8"
    assert sorted(dist["district"]) == ["East", "West"]


def test_clean_features_repairs_and_clips() -> None:
    """A bow-tie (self-crossing ring) is invalid: repaired into its two triangles (base 2,
    height 1: 1 + 1 = 2 m²); a feature outside the area is dropped; valid ones stay."""
    bow = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])
    assert not bow.is_valid
    feats = gpd.GeoDataFrame(
        {"tags": [{"a": "1"}, {"b": "2"}, {"c": "3"}]},
        geometry=[bow, shapely.Point(50, 50), shapely.Point(1, 1)],
    )
    out = _clean_features(feats, shapely.box(-1, -1, 3, 3))
    assert list(out["tags"]) == [{"a": "1"}, {"c": "3"}]
    assert list(out.index) == [0, 1]
    g = out.geometry.iloc[0]
    assert g.is_valid and g.geom_type == "MultiPolygon"
    assert g.area == pytest.approx(2.0)
    assert out.geometry.iloc[1].equals(shapely.Point(1, 1))
    empty = feats.iloc[:0]
    assert _clean_features(empty, shapely.box(0, 0, 1, 1)) is empty


def _check_life_circles_of_the_town(town_inputs: SpatialResult) -> None:
    """Walks on the grid (rows every 100 m, columns every 100 m), from the block centres
    (50, 30), (50, 330), (150, 230) in the west and (350, 30), (350, 330) in the east, all of
    about the same floor area.

    10-minute circle (500 m): of its 9 items only the shop (convenience, at (50, 10), 10 m
    from the row y = 0) and the bus stop (on the column x = 100 at y = 205) are in the town.
    Every western block reaches both (e.g. (50, 330) → shop 30 + 50 + 300 + 50 + 10 = 440 m);
    (350, 30) too (shop 30 + 300 + 10 = 340, stop 30 + 250 + 205 = 485); (350, 330) not the
    shop (30 + 250 + 300 + 50 + 10 = 640 m) → West 100 %, East 50 %, all 4 / 5 = 80 %.
    Straight lines are shorter (438.6 m at most): 100 % everywhere.
    5-minute circle (300 m, 4 of 18 items: kindergarten, shop, playground at (400, 400), stop):
    the playground and the shop are ≥ 350 + 400 + 10 = 760 m apart on the grid, so no block is
    within 300 m of both → 0 %; in straight lines the closest block to the playground,
    (150, 230), is √(250² + 170²) = 302.3 m from it, and (350, 30) / (350, 330) are more than
    300 m from the shop → 0 % too. 15-minute circle: none of its items exists → missing,
    without a straight-line column."""
    tab = town_inputs.indicators.set_index("district")
    ten = tab["life_circle_10min_coverage"]
    assert [ten["West"], ten["East"], ten["ALL"]] == pytest.approx([100.0, 50.0, 80.0], abs=0.01)
    assert (tab["life_circle_10min_coverage_euclidean"] == 100.0).all()
    assert (tab["life_circle_5min_coverage"] == 0.0).all()
    assert (tab["life_circle_5min_coverage_euclidean"] == 0.0).all()
    assert tab["life_circle_15min_coverage"].isna().all()
    assert "life_circle_15min_coverage_euclidean" not in tab.columns
    m = town_inputs.missing
    for code in ("life_circle_10min_coverage", "life_circle_10min_coverage_euclidean"):
        part = m[(m["indicator"] == code) & (m["status"] == "partial")]
        assert sorted(part["district"]) == ["ALL", "East", "West"], code
        (reason,) = set(part["reason"])
        head = "computed over 2 of 9 GB 50180 items; not checked: "
        assert reason.startswith(head + "小学 (primary_school: not found); "), code
        assert len(reason[len(head) :].split("; ")) == 7, code
        low = m[(m["indicator"] == code) & (m["status"] == "low_quality")]
        # 2 / 9 = 22 % of the items, below the 50 % threshold
        assert all(
            "only 2 of 9 GB 50180 items found in the data (threshold 50 %)" in r
            for r in low["reason"]
        )
        assert sorted(low["district"]) == ["ALL", "East", "West"]
    miss = m[m["indicator"] == "life_circle_15min_coverage"]
    (reason,) = set(miss["reason"])
    head = "no GB 50180 item of this circle was found in the data: "
    assert reason.startswith(head + "初中 (middle_school: not found); ")
    assert len(reason[len(head) :].split("; ")) == 18
    assert set(miss["status"]) == {"missing"}
    assert town_inputs.labels["life_circle_15min_coverage"] == {
        "zh": "十五分钟生活圈覆盖率",
        "en": "15-minute life circle coverage (GB 50180-2018 items)",
    }
    assert town_inputs.labels["life_circle_10min_coverage_euclidean"] == {
        "zh": "十分钟生活圈覆盖率（直线距离）",
        "en": "10-minute life circle coverage (GB 50180-2018 items), straight-line",
    }
    block = m[m["indicator"] == "residential_block_coverage"]
    assert set(block["reason"]) == {
        "no residential compound (landuse=residential) is mapped in the study area"
    }
    assert town_inputs.labels["residential_block_coverage"]["zh"] == "居住街坊配套设施覆盖率"
    lc = town_inputs.life_circles
    five = lc[lc["circle"] == "5min"].set_index("item")
    assert sorted(five.index[five["status"] == "checked"]) == [
        "bus_stop", "kindergarten", "outdoor_fitness", "supermarket",
    ]  # fmt: skip
    assert (five.loc[five["status"] == "checked", "facilities_found"] == 1).all()
    assert (five.loc[five["status"] != "checked", "facilities_found"] == 0).all()


def test_gtfs_stops_replace_the_osm_stops(town_file: Path, tmp_path: Path) -> None:
    """A GTFS feed (a folder) with one bus stop on the node (300 m, 300 m) and one outside the
    extract: the OSM stop is replaced, the outside one dropped. Walks to (300, 300): (50, 30)
    30 + 250 + 300 = 580 m (> 500), (50, 330) 30 + 250 = 280, (150, 230) 30 + 150 + 100 =
    280, (350, 30) 30 + 50 + 300 = 380, (350, 330) 30 + 50 = 80 → West 2 / 3, East 2 / 2,
    all 4 / 5 of about equal weights."""
    feed = tmp_path / "feed"
    feed.mkdir()
    lon, lat = LON0 + 3 * DLON, LAT0 + 3 * DLAT
    files = {
        "stops.txt": f"stop_id,stop_lat,stop_lon\nS1,{lat:.7f},{lon:.7f}\nS2,41.0,117.0\n",
        "stop_times.txt": "trip_id,stop_id\nT1,S1\nT1,S2\n",
        "trips.txt": "trip_id,route_id\nT1,R1\n",
        "routes.txt": "route_id,route_type\nR1,3\n",
    }
    for name, text in files.items():
        (feed / name).write_text(text, encoding="utf-8")
    r = compute_spatial(
        town_file, districts=gpd.GeoDataFrame(
            {"district": ["West", "East"]},
            geometry=[shapely.box(X0, Y0, XM, Y1), shapely.box(XM, Y0, X1, Y1)], crs=4326,
        ), gtfs=feed,
    )  # fmt: skip
    m = r.manifest
    assert m["transit_stops_from"] == "GTFS feed"
    assert m["inputs"]["gtfs"] == {"path": str(feed)}
    assert m["facilities"]["bus_stop"] == {"facilities": 1, "unsnapped": 0}
    assert m["facilities"]["rail_station"] == {"facilities": 0, "unsnapped": 0}
    tab = r.indicators.set_index("district")["transit_stop_coverage_500m"]
    assert [tab["West"], tab["East"], tab["ALL"]] == pytest.approx([200 / 3, 100.0, 80.0], abs=0.01)


def test_census_population(town_file: Path) -> None:
    """Census totals West 300, East 200 persons, split over each district's blocks by floor
    area (about equal): ≈ 100 persons a block. The 80 m × 80 m park (x 210–290 m) lies in the
    east: park area per person East 6,400 / 200 = 32 m², West 0, all 6,400 / 500 = 12.8 m²."""
    districts = gpd.GeoDataFrame(
        {"district": ["West", "East"]},
        geometry=[shapely.box(X0, Y0, XM, Y1), shapely.box(XM, Y0, X1, Y1)],
        crs=4326,
    )
    census = pd.DataFrame({"district": ["West", "East"], "population": [300, 200]})
    r = compute_spatial(town_file, districts=districts, census=census)
    m = r.manifest
    assert m["inputs"]["census"] == {"kind": "DataFrame"}
    assert m["homes"]["weight"] == (
        "persons (population disaggregated to residential buildings by floor area)"
    )
    assert m["homes"]["population_method"] == (
        "census totals by district: each district's census total split over its residential "
        "buildings by floor area"
    )
    assert m["quality"]["checked_against_population"] is True
    homes = r.homes
    assert homes["weight"].sum() == pytest.approx(500.0)
    assert homes.groupby("district")["weight"].sum().to_dict() == pytest.approx(
        {"West": 300.0, "East": 200.0}
    )
    pc = r.indicators.set_index("district")["park_area_per_capita"]
    assert [pc["West"], pc["East"], pc["ALL"]] == pytest.approx([0.0, 32.0, 12.8], rel=0.01)
    assert r.quality.set_index("district").loc["ALL", "residents"] == pytest.approx(500.0)


def test_population_layer_with_its_own_column(town_file: Path) -> None:
    """A population polygon over the whole town with 500 persons in a column named
    ``persons`` (given as ``population_column``): split over the five blocks by floor area
    (about equal) → ≈ 100 persons each, 500 in all."""
    pop = gpd.GeoDataFrame({"persons": [500.0]}, geometry=[shapely.box(X0, Y0, X1, Y1)], crs=4326)
    r = compute_spatial(town_file, grid=1000, population=pop, population_column="persons")
    assert r.manifest["inputs"]["population"] == {"kind": "GeoDataFrame", "features": 1}
    assert r.homes["weight"].sum() == pytest.approx(500.0)
    assert r.homes["weight"].to_numpy() == pytest.approx(np.full(5, 100.0), rel=0.01)
    assert r.manifest["homes"]["population_method"].startswith("population polygons ")


# mutmut runs, for a mutant, only the tests that called the mutated function in its statistics
# run; a result shared by a module-scoped fixture is computed in the first test that uses it,
# and only that test would be credited. So each extract runs in one test that makes every check.


def test_town_with_every_input(town_file: Path, tmp_path: Path) -> None:
    """The checks above on one run of the town with every input (see ``_town_inputs``)."""
    r = _town_inputs(town_file)
    _check_manifest_static_parts(r)
    _check_manifest_inputs_record_each_layer(r, town_file)
    _check_manifest_crs_area_and_districts(r)
    _check_manifest_parameters_are_the_arguments(r)
    _check_manifest_graph_homes_and_facilities(r)
    _check_home_distances_to_the_kindergarten(r)
    _check_manifest_quality_counts_agree_with_the_tables(r)
    _check_missing_named_indicator_labels_say_straight_line(r)
    for sub in ("here", "pool"):
        (tmp_path / sub).mkdir()
    _check_outputs_with_maps_drawn_here(r, tmp_path / "here")
    _check_outputs_with_a_map_pool(r, tmp_path / "pool")
    _check_district_without_built_up_land(r)
    _check_life_circles_of_the_town(r)


def test_fragmented_extract(tmp_path: Path) -> None:
    """The checks above on one run of the fragmented extract (see ``_fragment_result``)."""
    r = _fragment_result(tmp_path)
    _check_without_buildings_the_homes_are_the_walk_nodes(r)
    _check_fragment_notes(r)
    _check_missing_park_rule_labels_say_straight_line(r)
    _check_no_built_up_area_and_the_roads(r)
