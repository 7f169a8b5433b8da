"""The real extracts in ../shared/data/osm: networkx agreement, clipping, indicators, GTFS."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from citycheckup.spatial import (
    SpatialResult,
    WalkGraph,
    compute_spatial,
    nearest_node_distances,
    read_osm,
    utm_crs,
)
from citycheckup.spatial._areas import clipped_segments

pytestmark = pytest.mark.shared

COVERAGE_PAIRS = (
    "transit_stop_coverage_500m",
    "park_service_coverage",
    "life_circle_15min_coverage",
)


def _graph_and_raw(path: Path) -> tuple[WalkGraph, pd.DataFrame]:
    data = read_osm(path)
    area_wgs = data.bounds or data.data_extent
    crs = utm_crs(area_wgs.centroid.x, area_wgs.centroid.y)
    import geopandas as gpd

    area = gpd.GeoSeries([area_wgs], crs="EPSG:4326").to_crs(crs).iloc[0]
    nodes, seg = clipped_segments(data, data.walk, area, crs)
    pos = pd.Series(np.arange(len(nodes)), index=nodes["id"].to_numpy())
    u, v = pos.loc[seg.u].to_numpy(), pos.loc[seg.v].to_numpy()
    g = WalkGraph.from_edges(nodes.x, nodes.y, u, v, seg.length)
    raw = pd.DataFrame({"u": u, "v": v, "w": seg.length.to_numpy()})
    return g, raw


@pytest.mark.parametrize(
    "rel",
    [
        "helsinki/Helsinki.osm.pbf",
        "china/beijing_haidian_cau.osm",
        "china/shanghai_baoshan_shu.osm",
    ],
)
def test_network_distances_match_networkx(shared_data: Path, rel: str) -> None:
    g, raw = _graph_and_raw(shared_data / "osm" / rel)
    # networkx on the raw segments (duplicates and both directions kept) is the reference
    ref = nx.MultiGraph()
    ref.add_nodes_from(range(g.n_nodes))
    ref.add_weighted_edges_from(raw.itertuples(index=False, name=None))
    rng = np.random.default_rng(20261126)
    sources = rng.choice(g.n_nodes, size=25, replace=False)
    offsets = rng.uniform(0, 80, size=sources.size)
    expected = nx.multi_source_dijkstra_path_length(ref, set(sources.tolist()))
    exp = np.array([expected.get(i, np.inf) for i in range(g.n_nodes)])
    np.testing.assert_allclose(nearest_node_distances(g, sources), exp, atol=1e-6, rtol=0)
    ref.add_node("S")
    ref.add_weighted_edges_from(
        [("S", int(s), float(o)) for s, o in zip(sources, offsets, strict=True)]
    )
    d = nx.single_source_dijkstra_path_length(ref, "S")
    exp2 = np.array([d.get(i, np.inf) for i in range(g.n_nodes)])
    np.testing.assert_allclose(nearest_node_distances(g, sources, offsets), exp2, atol=1e-6, rtol=0)
    lim = nearest_node_distances(g, sources, offsets, limit=300.0)
    np.testing.assert_array_equal(lim[exp2 <= 300], exp2[exp2 <= 300])
    assert np.isinf(lim[exp2 > 300]).all()


@pytest.fixture(scope="module")
def helsinki(shared_data: Path) -> SpatialResult:
    return compute_spatial(
        shared_data / "osm/helsinki/Helsinki.osm.pbf",
        grid=500,
        population=shared_data / "osm/helsinki/helsinki_population_grid_2020.gpkg",
    )


def _check_invariants(res: SpatialResult) -> None:
    t = res.indicators.set_index("district")
    assert t.index[-1] == "ALL"
    cov = [c for c in t.columns if "coverage" in c]
    assert set(t["quality"]) <= {"ok", "low"}
    vals = t[cov].to_numpy(float)
    assert np.nanmin(vals) >= 0 and np.nanmax(vals) <= 100
    # every missing value has a reason
    nan_cells = {(d, c) for c in t.columns if c != "quality" for d in t.index[t[c].isna()]}
    reasons = set(zip(res.missing.district, res.missing.indicator, strict=True))
    assert nan_cells <= reasons
    # network distance ≥ straight line, home by home
    h = res.homes
    for col in [c for c in h.columns if c.startswith("net_")]:
        net, euc = h[col], h["euc_" + col[4:]]
        ok = net.notna() & euc.notna()
        assert (net[ok] >= euc[ok] - 1e-6).all(), col


def test_helsinki_indicators(helsinki: SpatialResult) -> None:
    _check_invariants(helsinki)
    t = helsinki.indicators.set_index("district")
    a = t.loc["ALL"]
    # coverage grows with the distance
    assert (
        a["facility_sports_ground_coverage_300m"]
        <= a["facility_sports_ground_coverage_500m"]
        <= a["facility_sports_ground_coverage_1000m"]
    )
    for code in COVERAGE_PAIRS:
        assert a[code] <= a[code + "_euclidean"] + 1e-9
    assert 5 < a["road_density_all_roads"] < 30
    assert a["intersection_density"] > 0
    assert 0 < a["building_coverage_ratio"] < 100
    assert a["park_area_per_capita"] > 0
    assert helsinki.manifest["homes"]["weight"].startswith("persons")
    assert "floor area" in helsinki.manifest["homes"]["population_method"]
    assert helsinki.manifest["walk_graph"]["nodes"] > 5000


def test_beijing_clipped_to_bounds(shared_data: Path) -> None:
    res = compute_spatial(shared_data / "osm/china/beijing_haidian_cau.osm", grid=500)
    _check_invariants(res)
    # the raw API export reaches ~30 km² of ways; clipped, the study area is the 1.3 × 1.2 km bbox
    assert 1.4 < res.manifest["study_area"]["km2"] < 1.8
    net = res.network
    assert net is not None
    minx, miny, maxx, maxy = res.study_area.bounds
    bx = net.total_bounds
    assert (
        bx[0] >= minx - 1e-6
        and bx[1] >= miny - 1e-6
        and bx[2] <= maxx + 1e-6
        and bx[3] <= maxy + 1e-6
    )
    a = res.indicators.set_index("district").loc["ALL"]
    assert 3 < a["road_density_all_roads"] < 25
    assert res.manifest["crs"] == "EPSG:32650"
    # the 15-minute circle is computed over the GB 50180 items found, and says which it lacks
    assert np.isfinite(a["life_circle_15min_coverage"])
    lc = res.life_circles[res.life_circles.circle == "15min"]
    checked = int((lc.status == "checked").sum())
    assert 0 < checked < len(lc)
    m = res.missing[
        (res.missing.district == "ALL") & (res.missing.indicator == "life_circle_15min_coverage")
    ]
    assert f"computed over {checked} of {len(lc)}" in m[m.status == "partial"].reason.iloc[0]
    # homes nearest to a disconnected footway are attached to the main network and counted
    assert res.manifest["homes"]["on_fragment"] > 0
    assert res.homes.loc[res.homes.on_fragment, "net_bus_stop_m"].notna().all()
    # homes too far from the walk network are reported, not used
    assert res.manifest["homes"]["unsnapped"] == int((~res.homes["snapped"]).sum())


def test_shanghai_dual_carriageways_merged(shared_data: Path) -> None:
    res = compute_spatial(
        shared_data / "osm/china/shanghai_jingan_huangpu_drive_osmnx.osm", grid=1000
    )
    roads = res.manifest["roads"]
    assert roads["centreline_km"] < 0.9 * roads["carriageway_km"]
    a = res.indicators.set_index("district").loc["ALL"]
    area = res.manifest["study_area"]["km2"]
    assert a["road_density_all_roads"] == pytest.approx(roads["centreline_km"] / area, rel=1e-3)
    assert a["intersection_density"] > 10
    # a road-only extract: no facility of any category, so missing values with reasons
    assert np.isnan(a["life_circle_15min_coverage"])
    m = res.missing.set_index(["district", "indicator"])
    assert (
        "no GB 50180 item of this circle was found"
        in m.loc[("ALL", "life_circle_5min_coverage"), "reason"]
    )
    assert any("walk-network nodes" in n for n in res.manifest["notes"])
    # no buildings, no land use: no built-up area, so no MOHURD density (all-roads density stays)
    assert np.isnan(a["road_network_density"])


def test_shanghai_baoshan(shared_data: Path) -> None:
    res = compute_spatial(shared_data / "osm/china/shanghai_baoshan_shu.osm", grid=500)
    _check_invariants(res)
    assert res.manifest["crs"] == "EPSG:32651"
    a = res.indicators.set_index("district").loc["ALL"]
    assert np.isfinite(a["life_circle_15min_coverage"])
    # thin mapping is flagged: few homes per km² of built-up land and few GB 50180 items
    assert a["quality"] == "low"
    flags = res.missing[(res.missing.district == "ALL") & (res.missing.status == "low_quality")]
    life = flags[flags.indicator == "life_circle_15min_coverage"].reason.iloc[0]
    assert "homes are thinly mapped" in life and "GB 50180 items found" in life
    # MOHURD density (urban roads per built-up km²) and the all-roads density are both given
    assert np.isfinite(a["road_network_density"]) and np.isfinite(a["road_density_all_roads"])
    assert a["road_network_density"] != pytest.approx(a["road_density_all_roads"], rel=0.05)


def test_sao_paulo_gtfs_network_below_euclidean(shared_data: Path) -> None:
    spo = shared_data / "osm/sao_paulo"
    res = compute_spatial(
        spo / "spo_osm.pbf",
        gtfs=spo / "spo_gtfs.zip",
        population=spo / "spo_hexgrid.csv",
        grid=2000,
    )
    _check_invariants(res)
    a = res.indicators.set_index("district").loc["ALL"]
    assert res.manifest["transit_stops_from"] == "GTFS spo_gtfs.zip"
    assert (
        res.manifest["facilities"]["bus_stop"]["facilities"] > 100
    )  # GTFS stops inside the extract
    # straight-line buffers overstate access (pitfall 5 of the reference notes)
    assert a["transit_stop_coverage_500m"] < 0.8 * a["transit_stop_coverage_500m_euclidean"]
    assert a["rail_station_coverage_1000m"] < a["rail_station_coverage_1000m_euclidean"]
    # the extract has no parks: missing with a reason, not 0
    assert np.isnan(a["park_service_coverage"])
    assert res.manifest["crs"] == "EPSG:32723"
    assert shapely.area(res.study_area) > 40e6
    # the 15-minute circle is computed over the items the data express; the extract has no
    # buildings, so all the population stays at its grid cells and the values are flagged
    assert np.isfinite(a["life_circle_15min_coverage"])
    assert a["quality"] == "low"
    q = res.quality.set_index("district").loc["ALL"]
    assert q["homes_mapped"] == 0 and q["residents"] > 400_000
    flagged = res.missing[(res.missing.district == "ALL") & (res.missing.status == "low_quality")]
    assert "transit_stop_coverage_500m" in set(flagged.indicator)
