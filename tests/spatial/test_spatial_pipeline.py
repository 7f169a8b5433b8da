"""The pipeline on the synthetic town: outputs, missing values with reasons, bad inputs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from citycheckup.errors import SpatialError
from citycheckup.spatial import compute_spatial, run_spatial
from tests.spatial.spatial_town import DLAT, DLON, LAT0, LON0

Town = Callable[..., Path]


def test_town_indicators_and_outputs(make_town: Town, tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = run_spatial(make_town(), out, grid=250, year=2025, maps=False)
    table = pd.read_csv(out / "indicators.csv")
    assert table.columns[:2].tolist() == ["district", "year"]
    assert table["district"].iloc[-1] == "ALL"
    assert (table["year"] == 2025).all()
    for f in (
        "districts.gpkg",
        "homes.gpkg",
        "missing.csv",
        "manifest.json",
        "quality.csv",
        "life_circles.csv",
        "facility_counts.csv",
    ):
        assert (out / f).is_file()
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["attribution"] == "© OpenStreetMap contributors, ODbL"
    assert manifest["crs"] == "EPSG:32650"
    assert manifest["homes"]["count"] == 5
    allrow = res.indicators.set_index("district").loc["ALL"]
    # percentages
    cov = [c for c in res.indicators.columns if "coverage" in c]
    vals = res.indicators[cov].to_numpy(float)
    assert np.nanmin(vals) >= 0 and np.nanmax(vals) <= 100
    # a named indicator whose facility was not found: missing with a reason, never 0
    assert np.isnan(allrow["secondary_school_coverage"])
    assert np.isnan(allrow["life_circle_15min_coverage"])
    m = res.missing
    reasons = m[(m.indicator == "secondary_school_coverage") & (m.district == "ALL")].reason.iloc[0]
    assert "no middle_school facility found" in reasons
    # everything is within 500 m in a 400 m town
    assert allrow["transit_stop_coverage_500m"] == pytest.approx(100.0)
    assert allrow["facility_kindergarten_coverage_300m"] < 100.0
    # all-roads density: 5 rows × 400 m of residential street over the bounds (500 m × 500 m)
    assert allrow["road_density_all_roads"] == pytest.approx(5 * 0.4 / 0.25, rel=0.02)
    homes = gpd.read_file(out / "homes.gpkg")
    assert {"district", "weight", "snapped", "net_kindergarten_m", "euc_kindergarten_m"} <= set(
        homes.columns
    )
    # network distance is never shorter than the straight line
    for cat in ("kindergarten", "supermarket", "bus_stop", "park_service_coverage_300m"):
        net, euc = homes[f"net_{cat}_m"], homes[f"euc_{cat}_m"]
        ok = net.notna()
        assert (net[ok] >= euc[ok] - 1e-6).all()
    # floor-area weights: footprint 40 m × 40 m × 6 storeys
    assert homes["weight"].to_numpy() == pytest.approx(np.full(5, 1600 * 6), rel=0.01)


def test_home_distance_known_answer(make_town: Town) -> None:
    res = compute_spatial(make_town(), grid=1000)
    row = res.homes.iloc[0]
    # home centred at (50 m, 30 m): its nearest edge is the row-0 street, 30 m south; the
    # footways at x = 0 and x = 100 m are 50 m away, within the 25 m candidate slack. Best: walk
    # 50 m east to the x = 100 footway, 170 m north to row 2 and 100 m east to the kindergarten
    # on node (200 m, 200 m) — shorter than by the street (30 + 150 + 200 = 380 m).
    assert row["snap_m"] == pytest.approx(30.0, abs=0.5)
    assert row["net_kindergarten_m"] == pytest.approx(50 + 170 + 100, abs=1.0)
    assert row["euc_kindergarten_m"] == pytest.approx(np.hypot(150, 170), abs=1.0)


def test_no_walkable_ways_gives_missing_network_values(make_town: Town) -> None:
    res = compute_spatial(make_town(walkable=False), grid=1000)
    allrow = res.indicators.set_index("district").loc["ALL"]
    assert np.isnan(allrow["transit_stop_coverage_500m"])
    assert not np.isnan(allrow["transit_stop_coverage_500m_euclidean"])
    m = res.missing
    r = m[(m.indicator == "transit_stop_coverage_500m") & (m.district == "ALL")].reason.iloc[0]
    assert r == "no walkable ways in the study area"
    assert any("no walkable ways" in n for n in res.manifest["notes"])
    assert allrow["road_network_density"] > 0


def test_districts_outside_the_extract(make_town: Town, tmp_path: Path) -> None:
    far = gpd.GeoDataFrame({"name": ["x"]}, geometry=[box(10, 10, 11, 11)], crs="EPSG:4326")
    p = tmp_path / "far.gpkg"
    far.to_file(p)
    with pytest.raises(SpatialError, match="no district overlaps the OSM extract"):
        compute_spatial(make_town(), districts=p)


def test_boundary_outside_the_extract(make_town: Town) -> None:
    far = gpd.GeoDataFrame(geometry=[box(10, 10, 11, 11)], crs="EPSG:4326")
    with pytest.raises(SpatialError, match="boundary does not overlap"):
        compute_spatial(make_town(), boundary=far)


def test_layers_in_different_crs_are_reprojected(make_town: Town, tmp_path: Path) -> None:
    # districts in CGCS2000 (EPSG:4490), population in Web Mercator: both reprojected, none refused
    d = gpd.GeoDataFrame(
        {"街道": ["学院路街道"]},
        geometry=[box(LON0 - DLON, LAT0 - DLAT, LON0 + 5 * DLON, LAT0 + 5 * DLAT)],
        crs="EPSG:4490",
    )
    pop = gpd.GeoDataFrame(
        {"population": [1000.0]},
        geometry=gpd.points_from_xy([LON0 + 2 * DLON], [LAT0 + 2 * DLAT]),
        crs="EPSG:4326",
    ).to_crs("EPSG:3857")
    d.to_file(tmp_path / "d.geojson")
    pop.to_file(tmp_path / "p.gpkg")
    res = compute_spatial(
        make_town(), districts=tmp_path / "d.geojson", population=tmp_path / "p.gpkg"
    )
    assert res.indicators["district"].tolist() == ["学院路街道", "ALL"]
    assert any("CGCS2000" in n for n in res.manifest["notes"])
    assert res.quality.set_index("district").loc["ALL", "residents"] == pytest.approx(1000.0)


def test_layer_without_crs_is_an_error(make_town: Town) -> None:
    d = gpd.GeoDataFrame({"name": ["a"]}, geometry=[box(0, 0, 1, 1)])
    with pytest.raises(SpatialError, match="no CRS"):
        compute_spatial(make_town(), districts=d)


def test_districts_population_and_reserved_names(make_town: Town) -> None:
    half = LON0 + 2 * DLON
    d = gpd.GeoDataFrame(
        {"name": ["west", "east"]},
        geometry=[
            box(LON0 - DLON, LAT0 - DLAT, half, LAT0 + 5 * DLAT),
            box(half, LAT0 - DLAT, LON0 + 5 * DLON, LAT0 + 5 * DLAT),
        ],
        crs="EPSG:4326",
    )
    pop = gpd.GeoDataFrame(
        {"population": [1000.0, 3000.0]},
        geometry=gpd.points_from_xy([LON0 + DLON, LON0 + 3 * DLON], [LAT0 + DLAT, LAT0 + DLAT]),
        crs="EPSG:4326",
    )
    res = compute_spatial(make_town(), districts=d, population=pop)
    t = res.indicators.set_index("district")
    assert t.index.tolist() == ["west", "east", "ALL"]
    assert not np.isnan(t.loc["ALL", "park_area_per_capita"])
    # park (80 m × 80 m) per 4000 persons
    assert t.loc["ALL", "park_area_per_capita"] == pytest.approx(6400 / 4000, rel=0.02)
    bad = d.assign(name=["ALL", "east"])
    with pytest.raises(SpatialError, match="reserved"):
        compute_spatial(make_town(), districts=bad)


def test_admin_level_falls_back_to_grid(make_town: Town) -> None:
    res = compute_spatial(make_town(), admin_level=8)
    assert res.manifest["districts"]["source"].startswith("grid 500 m (fallback)")
    assert any("admin_level=8" in n for n in res.manifest["notes"])


def test_failed_run_keeps_earlier_output(make_town: Town, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_spatial(make_town(), out, grid=1000, maps=False)
    before = (out / "indicators.csv").read_text()
    broken = tmp_path / "broken.osm"
    broken.write_text("<osm><node", encoding="utf-8")
    with pytest.raises(SpatialError):
        run_spatial(broken, out, grid=1000, maps=False)
    assert (out / "indicators.csv").read_text() == before


def test_admin_level_districts_from_osm_relations(make_town: Town) -> None:
    res = compute_spatial(make_town(admin=True), admin_level=8)
    t = res.indicators.set_index("district")
    assert t.index.tolist() == ["West", "East", "ALL"]
    assert res.manifest["districts"]["source"] == "OSM admin_level=8"
    # the two districts split the study area
    areas = res.districts.set_index("district").geometry.area
    assert areas.sum() == pytest.approx(res.study_area.area, rel=1e-4)  # 7-decimal OSM coordinates


def test_boundary_file_clips_everything(make_town: Town, tmp_path: Path) -> None:
    # study area: the south-west quarter of the town
    b = gpd.GeoDataFrame(
        geometry=[box(LON0 - DLON / 2, LAT0 - DLAT / 2, LON0 + 2 * DLON, LAT0 + 2 * DLAT)],
        crs="EPSG:4326",
    )
    b.to_file(tmp_path / "area.geojson")
    full = compute_spatial(make_town(), grid=1000)
    part = compute_spatial(make_town(), boundary=tmp_path / "area.geojson", grid=1000)
    assert part.manifest["study_area"]["source"] == "boundary ∩ extract bounds"
    assert part.manifest["study_area"]["km2"] == pytest.approx(0.25 * 0.25, rel=0.02)
    assert part.manifest["walk_graph"]["km"] < 0.4 * full.manifest["walk_graph"]["km"]
    assert part.manifest["homes"]["count"] == 1  # only the south-west home lies inside
    minx, miny, maxx, maxy = part.study_area.bounds
    nx0, ny0, nx1, ny1 = part.network.total_bounds
    assert nx0 >= minx - 1e-6 and ny0 >= miny - 1e-6 and nx1 <= maxx + 1e-6 and ny1 <= maxy + 1e-6
