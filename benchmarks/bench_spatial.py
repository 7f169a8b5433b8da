"""Benchmarks of the spatial engine, two parts (``--part e2e|distance|all``, default all).

**e2e** — the whole ``citycheckup spatial`` command with its default maps on the São Paulo
extract (OSM PBF + GTFS + population hexgrid, 2 km grid districts), against OSMnx + networkx
doing the same job: OSMnx reads the same extract (as OSM XML, its offline format; converted
once with pyosmium, untimed), builds and projects the walk graph, fetches the features,
snaps homes and facilities to nearest nodes, runs one networkx multi-source Dijkstra per
facility category, computes the same coverage shares per district and draws the same maps
with geopandas. Both run as separate processes (imports included); medians and the ratio
are printed in the same run, for ours twice: a first run (pyrosm's result cache for the file
cleared, so the PBF is decoded) and a repeated run (the cache kept). Needs (benchmark-only,
not a dependency of citycheckup)::

    .venv/bin/pip install 'osmnx>=2.0' 'osmium>=3.7'

**distance** — nearest-facility network distance for every node of a ~500k-node street
grid: ours (scipy multi-source Dijkstra, one run per category, as ``citycheckup spatial``
runs them: in worker processes on a network this size, and again all in one process)
against networkx and, when installed, pandana. Each engine runs in its own process so that
its peak memory (max RSS) is its own; ours adds its workers' peaks and counts their CPU.
Targets: ≤ 3 s and ≤ 1.5 GiB for ours at ~500k nodes.

Run::

    .venv/bin/python benchmarks/bench_spatial.py                       # both parts
    .venv/bin/python benchmarks/bench_spatial.py --part e2e --e2e-repeat 3
    .venv/bin/python benchmarks/bench_spatial.py --part distance --side 300   # quicker
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

import numpy as np

logger = logging.getLogger("bench_spatial")

SEED = 20261126


def street_grid(side: int, *, spacing: float = 80.0, seed: int = SEED) -> dict[str, np.ndarray]:
    """A jittered ``side × side`` street grid with 8 facility categories (0.5 % of nodes each)."""
    rng = np.random.default_rng(seed)
    rows, cols = np.divmod(np.arange(side * side), side)
    x = cols * spacing + rng.uniform(-15, 15, side * side)
    y = rows * spacing + rng.uniform(-15, 15, side * side)
    idx = np.arange(side * side).reshape(side, side)
    u = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    v = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    # drop 5 % of the street segments so the grid is not perfectly regular
    keep = rng.random(u.size) > 0.05
    u, v = u[keep], v[keep]
    cats = np.stack(
        [rng.choice(side * side, size=max(1, side * side // 200), replace=False) for _ in range(8)]
    )
    return {"x": x, "y": y, "u": u, "v": v, "cats": cats}


def _ours_file(g: dict[str, np.ndarray]) -> str:
    # our distances, kept for the baselines' agreement check
    return os.path.join(tempfile.gettempdir(), f"bench_spatial_ours_{g['x'].size}.npy")


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cpu_s() -> float:
    """CPU seconds of this process and of its finished children (the distance workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def run_ours(
    g: dict[str, np.ndarray], repeat: int, limit: float | None, *, workers: int | None = None
) -> dict[str, Any]:
    """Ours as ``citycheckup spatial`` runs it: the 8 searches in one call of
    ``nearest_node_distances_many`` (worker processes on a network this size; ``workers=0``:
    all in this process)."""
    from citycheckup.spatial import WalkGraph, nearest_node_distances_many
    from citycheckup.spatial._distance_jobs import distance_workers

    rss_imports = _rss_mib()
    t0 = time.perf_counter()
    graph = WalkGraph.from_edges(g["x"], g["y"], g["u"], g["v"])
    _ = graph.csr
    build = time.perf_counter() - t0
    sets = [(c, None) for c in g["cats"]]
    n_workers = distance_workers(graph.n_nodes, len(sets)) if workers is None else workers
    times, cpu = [], []
    out = None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), _cpu_s()
        found = nearest_node_distances_many(
            graph, sets, limit=np.inf if limit is None else limit, workers=n_workers
        )
        times.append(time.perf_counter() - t0)
        cpu.append(_cpu_s() - c0)
        out = np.stack(found)
    assert out is not None
    if workers is None:
        np.save(_ours_file(g), out)
    return {
        "build_s": build,
        "times_s": times,
        "cpu_s": cpu,
        "workers": n_workers,
        "max_rss_mib": _rss_mib(),
        "worker_max_rss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0,
        "rss_after_imports_mib": rss_imports,
    }


def run_ours_one_process(
    g: dict[str, np.ndarray], repeat: int, limit: float | None
) -> dict[str, Any]:
    """Ours with every search in the calling process (``CITYCHECKUP_DISTANCE_WORKERS=0``)."""
    return run_ours(g, repeat, limit, workers=0)


def run_networkx(g: dict[str, np.ndarray], repeat: int, limit: float | None) -> dict[str, Any]:
    import networkx as nx

    t0 = time.perf_counter()
    w = np.hypot(g["x"][g["u"]] - g["x"][g["v"]], g["y"][g["u"]] - g["y"][g["v"]])
    G = nx.Graph()
    G.add_nodes_from(range(g["x"].size))
    G.add_weighted_edges_from(zip(g["u"].tolist(), g["v"].tolist(), w.tolist(), strict=True))
    build = time.perf_counter() - t0
    times, cpu = [], []
    out = np.full((len(g["cats"]), g["x"].size), np.inf)
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        for k, c in enumerate(g["cats"]):
            d = nx.multi_source_dijkstra_path_length(
                G, set(c.tolist()), cutoff=limit, weight="weight"
            )
            out[k, list(d.keys())] = list(d.values())
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    ours = np.load(_ours_file(g))
    fin = np.isfinite(out)
    max_diff = float(np.abs(out[fin] - ours[fin]).max()) if fin.any() else 0.0
    same_reach = bool((np.isfinite(ours) == fin).all())
    return {"build_s": build, "times_s": times, "cpu_s": cpu, "max_rss_mib": _rss_mib(), "max_abs_diff_m": max_diff,
            "same_reachability": same_reach}  # fmt: skip


def run_pandana(g: dict[str, np.ndarray], repeat: int, limit: float | None) -> dict[str, Any]:
    import pandana
    import pandas as pd

    lim = 3000.0 if limit is None else limit
    w = np.hypot(g["x"][g["u"]] - g["x"][g["v"]], g["y"][g["u"]] - g["y"][g["v"]])
    nodes = pd.DataFrame({"x": g["x"], "y": g["y"]})
    edges = pd.DataFrame({"from": g["u"], "to": g["v"], "w": w})
    t0 = time.perf_counter()
    net = pandana.Network(nodes.x, nodes.y, edges["from"], edges["to"], edges[["w"]], twoway=True)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    net.precompute(lim)
    pre = time.perf_counter() - t0
    times = []
    out = np.full((len(g["cats"]), g["x"].size), np.inf)
    for _ in range(repeat):
        t0 = time.perf_counter()
        for k, c in enumerate(g["cats"]):
            net.set_pois(f"c{k}", lim, 1, pd.Series(g["x"][c]), pd.Series(g["y"][c]))
            res = net.nearest_pois(lim, f"c{k}", num_pois=1)
            vals = res[1].to_numpy(float)
            out[k] = np.where(vals >= lim, np.inf, vals)
        times.append(time.perf_counter() - t0)
    ours = np.load(_ours_file(g))
    fin = np.isfinite(out) & np.isfinite(ours)
    return {"build_s": build, "precompute_s": pre, "times_s": times, "max_rss_mib": _rss_mib(),
            "median_abs_diff_m": float(np.median(np.abs(out[fin] - ours[fin]))) if fin.any() else 0.0}  # fmt: skip


ENGINES = {
    "ours": run_ours,
    "ours-one-process": run_ours_one_process,
    "networkx": run_networkx,
    "pandana": run_pandana,
}

# --------------------------------------------------------------------------------------------
# end to end on São Paulo

SHARED = os.environ.get(
    "CITYCHECKUP_SHARED", os.path.join(os.path.dirname(__file__), "..", "..", "shared")
)
SPO = os.path.join(SHARED, "data", "osm", "sao_paulo")
GRID_M = 2000.0


def _spo_xml() -> str:
    """The São Paulo PBF as OSM XML (OSMnx reads no PBF), converted once with pyosmium."""
    import osmium

    out = os.path.join(tempfile.gettempdir(), "bench_spatial_spo.osm")
    if not os.path.exists(out):
        w = osmium.SimpleWriter(out, overwrite=True)

        class Copy(osmium.SimpleHandler):  # type: ignore[misc]
            def node(self, n: Any) -> None:
                w.add_node(n)

            def way(self, x: Any) -> None:
                w.add_way(x)

            def relation(self, r: Any) -> None:
                w.add_relation(r)

        Copy().apply_file(os.path.join(SPO, "spo_osm.pbf"))
        w.close()
    return out


def run_osmnx_e2e(out: str, bounds: list[float]) -> dict[str, Any]:
    """OSMnx + networkx doing the job of ``citycheckup spatial`` on São Paulo (default maps)."""
    t_all = time.perf_counter()
    steps: dict[str, float] = {}
    import geopandas as gpd
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import networkx as nx
    import osmnx as ox
    import pandas as pd
    import shapely

    from citycheckup.spatial import gtfs_stops, load_facility_config

    steps["imports"] = time.perf_counter() - t_all
    t = time.perf_counter()
    xml = _spo_xml()
    area_wgs = shapely.box(*bounds)
    G = ox.graph_from_xml(xml, simplify=True, retain_all=True)
    G = ox.truncate.truncate_graph_polygon(G, area_wgs, truncate_by_edge=False)
    feats = ox.features_from_xml(xml, polygon=area_wgs, tags=dict.fromkeys(("amenity", "shop", "leisure", "healthcare", "social_facility", "office", "railway", "public_transport", "highway", "place", "landuse"), True))  # fmt: skip
    steps["read (osmnx xml)"] = time.perf_counter() - t
    t = time.perf_counter()
    G = ox.project_graph(G)
    crs = G.graph["crs"]
    Gu = ox.convert.to_undirected(G)
    area = gpd.GeoSeries([area_wgs], crs=4326).to_crs(crs).iloc[0]
    feats = feats.to_crs(crs)
    pop = pd.read_csv(os.path.join(SPO, "spo_hexgrid.csv"))
    homes = gpd.GeoDataFrame(pop, geometry=gpd.points_from_xy(pop.lon, pop.lat), crs=4326).to_crs(
        crs
    )
    homes = homes[homes.within(area)].reset_index(drop=True)
    stops = gtfs_stops(os.path.join(SPO, "spo_gtfs.zip")).to_crs(crs)
    cfg = load_facility_config()
    cols = [c for c in feats.columns if c != "geometry"]
    tags = [
        {k: str(v) for k, v in zip(cols, row, strict=True) if isinstance(v, str)}
        for row in feats[cols].itertuples(index=False)
    ]
    steps["project + features"] = time.perf_counter() - t
    t = time.perf_counter()
    hn = ox.distance.nearest_nodes(G, homes.geometry.x.to_numpy(), homes.geometry.y.to_numpy())
    dist: dict[str, Any] = {}
    needed = []
    for lc in cfg.life_circles:
        if lc.scope == "network":
            needed += [c for c in lc.categories if c not in cfg.polygon_categories]
    needed += [n.category for n in cfg.named]
    for cat in dict.fromkeys(needed):
        if cat in ("bus_stop", "rail_station"):
            pts = stops[stops.category == cat].geometry
        else:
            g = feats[cfg.matches(cat, tags)] if tags else feats.iloc[:0]
            pts = g.geometry.representative_point()
        if len(pts) == 0:
            continue
        src = set(ox.distance.nearest_nodes(G, pts.x.to_numpy(), pts.y.to_numpy()).tolist())
        d = nx.multi_source_dijkstra_path_length(Gu, src, cutoff=2000.0, weight="length")
        dist[cat] = np.array([d.get(n, np.inf) for n in hn])
    steps["snap + networkx dijkstra"] = time.perf_counter() - t
    t = time.perf_counter()
    minx, miny, maxx, maxy = area.bounds
    cells = [
        shapely.box(x, y, x + GRID_M, y + GRID_M)
        for x in np.arange(minx, maxx, GRID_M)
        for y in np.arange(miny, maxy, GRID_M)
    ]
    districts = gpd.GeoDataFrame(
        {"district": [f"D{i}" for i in range(len(cells))]}, geometry=cells, crs=crs
    ).clip(area)
    joined = gpd.sjoin(homes, districts, predicate="within", how="left")
    joined = joined[~joined.index.duplicated()]
    w = joined["population"].to_numpy(float)
    table = {}

    def share(ok: np.ndarray) -> pd.Series:
        s = (
            pd.Series(w * ok).groupby(joined["district"].to_numpy()).sum()
            / pd.Series(w).groupby(joined["district"].to_numpy()).sum()
        )
        s["ALL"] = (w * ok).sum() / w.sum()
        return 100 * s

    for lc in cfg.life_circles:
        if lc.scope != "network":
            continue
        items = [it for it in lc.items if any(c in dist for c in it.categories)]
        if items:
            ok = np.all(
                [
                    np.min([dist[c] for c in it.categories if c in dist], axis=0) <= lc.distance_m
                    for it in items
                ],
                axis=0,
            )
            table[lc.code] = share(ok)
        for c in lc.categories:
            if c in dist:
                table[f"facility_{c}_{int(lc.distance_m)}"] = share(dist[c] <= lc.distance_m)
    for nc in cfg.named:
        if nc.category in dist:
            table[nc.code] = share(dist[nc.category] <= nc.distance_m)
    result = pd.DataFrame(table)
    os.makedirs(out, exist_ok=True)
    result.to_csv(os.path.join(out, "indicators.csv"))
    steps["coverage"] = time.perf_counter() - t
    t = time.perf_counter()
    edges = ox.convert.graph_to_gdfs(G, nodes=False)
    dd = districts.merge(result, left_on="district", right_index=True, how="left")
    n_maps = 0
    for code in ("life_circle_5min_coverage", "life_circle_10min_coverage", "life_circle_15min_coverage",
                 "park_service_coverage", "transit_stop_coverage_500m", "fresh_market_coverage", "road_network_density"):  # fmt: skip
        fig, ax = plt.subplots(figsize=(7.5, 7.5), dpi=110)
        if code in dd.columns:
            dd.plot(
                column=code,
                ax=ax,
                legend=True,
                vmin=0,
                vmax=100,
                missing_kwds={"color": "lightgrey"},
            )
        else:
            dd.plot(ax=ax, color="lightgrey")
        edges.plot(ax=ax, color="black", linewidth=0.25, alpha=0.35)
        ax.set_axis_off()
        ax.set_title(code)
        fig.savefig(os.path.join(out, f"{code}.png"))
        plt.close(fig)
        n_maps += 1
    steps["maps"] = time.perf_counter() - t
    return {"total_s": time.perf_counter() - t_all, "steps": steps, "maps": n_maps, "categories": len(dist),
            "homes": len(homes), "nodes": G.number_of_nodes()}  # fmt: skip


def _e2e_child(kind: str, out: str, bounds: list[float], timeout: float) -> dict[str, Any] | None:
    if kind == "ours":
        exe = os.path.join(os.path.dirname(sys.executable), "citycheckup")
        cmd = [exe, "spatial", "--osm", os.path.join(SPO, "spo_osm.pbf"), "--gtfs", os.path.join(SPO, "spo_gtfs.zip"),
               "--population", os.path.join(SPO, "spo_hexgrid.csv"), "--grid", str(int(GRID_M)), "--out", out]  # fmt: skip
        t0 = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        wall = time.perf_counter() - t0
        if r.returncode != 0:
            logger.warning("citycheckup spatial failed: %s", r.stderr[-2000:])
            return None
        with open(os.path.join(out, "manifest.json"), encoding="utf-8") as fh:
            man = json.load(fh)
        return {"total_s": wall, "steps": man["timings_s"], "maps": len(man["maps"]["written"])}
    fd, result = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    cmd = [sys.executable, __file__, "--worker", "osmnx-e2e", "--result", result, "--out", out,
           "--bounds=" + ",".join(map(str, bounds))]  # fmt: skip
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        logger.warning("OSMnx baseline failed: %s", r.stderr[-2000:])
        return None
    with open(result, encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    os.unlink(result)
    data["total_s"] = wall
    return data


def _clear_pyrosm_cache(pbf: str) -> None:
    """Forget pyrosm's persistent result cache for ``pbf`` (``<tmp>/pyrosm/cache``).

    pyrosm's default (out-of-core) engine writes every layer it reads to a GeoParquet file
    and serves an identical later read of the same, unchanged file from there. A first run
    on an extract decodes the PBF; later runs on the same file read the cached layers.
    """
    from pyrosm.engine import cache

    cache.clear(pbf)


def main_e2e(repeat: int, timeout: float) -> None:
    import compileall
    import shutil

    from citycheckup.spatial import read_osm

    # bytecode of citycheckup as a pip install leaves it (an editable install under
    # PYTHONDONTWRITEBYTECODE would compile every module on every run)
    compileall.compile_dir(os.path.join(os.path.dirname(__file__), "..", "src"), quiet=1)
    pbf = os.path.join(SPO, "spo_osm.pbf")
    data = read_osm(pbf)
    bounds = list((data.bounds or data.data_extent).bounds)  # the study area ours uses
    _spo_xml()  # conversion for OSMnx, untimed
    runs: dict[str, list[dict[str, Any]]] = {"cold": [], "warm": [], "osmnx": []}
    base = tempfile.mkdtemp(prefix="bench_spatial_e2e_")
    # warm-up of both (the OS's file caches, imports), not counted
    for kind in ("ours", "osmnx"):
        _e2e_child(kind, os.path.join(base, f"warm_{kind}"), bounds, timeout)
    for i in range(repeat):
        # cold: pyrosm decodes the PBF (its result cache cleared first, as on a first run);
        # warm: the same command again, the layers read from pyrosm's cache
        for kind in ("cold", "warm", "osmnx"):
            if kind == "cold":
                _clear_pyrosm_cache(pbf)
            child = "osmnx" if kind == "osmnx" else "ours"
            res = _e2e_child(child, os.path.join(base, f"{kind}_{i}"), bounds, timeout)
            if res is None:
                raise SystemExit(f"{kind} failed")
            runs[kind].append(res)
    shutil.rmtree(base, ignore_errors=True)
    t_cold = statistics.median(r["total_s"] for r in runs["cold"])
    t_warm = statistics.median(r["total_s"] for r in runs["warm"])
    t_nx = statistics.median(r["total_s"] for r in runs["osmnx"])
    logger.info(
        "São Paulo end to end (2 km grid, GTFS, population hexgrid, default maps), median of %d runs:",
        repeat,
    )
    for kind, t, what in (("cold", t_cold, "first run: PBF decoded"),
                          ("warm", t_warm, "again: pyrosm's result cache")):  # fmt: skip
        logger.info("  citycheckup spatial, %-32s %6.2f s  %s  (%d maps; steps of the last run: %s)",
                    what, t, [round(r["total_s"], 2) for r in runs[kind]], runs[kind][-1]["maps"],
                    {k: round(v, 2) for k, v in runs[kind][-1]["steps"].items()})  # fmt: skip
    logger.info("  OSMnx + networkx (process)                        %6.2f s  %s  (%d maps; steps of the last run: %s)",
                t_nx, [round(r["total_s"], 2) for r in runs["osmnx"]], runs["osmnx"][-1]["maps"],
                {k: round(v, 2) for k, v in runs["osmnx"][-1]["steps"].items()})  # fmt: skip
    logger.info("  ratio OSMnx+networkx / citycheckup: first run %.1f×, again %.1f× (target ≥ 5×)",
                t_nx / t_cold, t_nx / t_warm)  # fmt: skip
    logger.info(
        "  load average during the run: %.1f (cores: %d)", os.getloadavg()[0], os.cpu_count() or 0
    )


def _child(
    engine: str, side: int, repeat: int, limit: float | None, timeout: float
) -> dict[str, Any] | None:
    fd, result = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    cmd = [sys.executable, __file__, "--worker", engine, "--side", str(side), "--repeat", str(repeat),
           "--result", result]  # fmt: skip
    if limit is not None:
        cmd += ["--limit", str(limit)]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        logger.warning("%s did not finish within %.0f s", engine, timeout)
        return None
    if r.returncode != 0:
        logger.warning("%s failed: %s", engine, r.stderr.strip().splitlines()[-1:] or r.returncode)
        return None
    # pandana's C++ core writes to stdout, so the result travels in a file
    with open(result, encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    os.unlink(result)
    return data


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--side", type=int, default=708, help="grid side (708 → 501,264 nodes)")
    ap.add_argument("--repeat", type=int, default=5, help="runs of ours (median reported)")
    ap.add_argument("--baseline-repeat", type=int, default=3, help="runs of networkx/pandana")
    ap.add_argument(
        "--limit", type=float, default=None, help="search limit in metres (default: none)"
    )
    ap.add_argument("--pandana-side", type=int, default=150,
                    help="grid side for pandana: its CH build on a 500k grid takes > 8 min (reference notes)")  # fmt: skip
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per engine")
    ap.add_argument(
        "--engines", default="ours,networkx,pandana", help="comma-separated subset to run"
    )
    ap.add_argument("--part", choices=["e2e", "distance", "all"], default="all")
    ap.add_argument("--e2e-repeat", type=int, default=3, help="runs of each side of the e2e part")
    ap.add_argument("--worker", choices=[*sorted(ENGINES), "osmnx-e2e"], help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--bounds", help=argparse.SUPPRESS)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.worker == "osmnx-e2e":
        res = run_osmnx_e2e(args.out, [float(v) for v in args.bounds.split(",")])
        with open(args.result, "w", encoding="utf-8") as fh:
            json.dump(res, fh)
        return
    if args.worker:
        g = street_grid(args.side)
        with open(args.result, "w", encoding="utf-8") as fh:
            json.dump(ENGINES[args.worker](g, args.repeat, args.limit), fh)
        return
    if args.part in ("e2e", "all"):
        main_e2e(args.e2e_repeat, args.timeout)
        if args.part == "e2e":
            return
        logger.info("")
    g = street_grid(args.side)
    logger.info("grid %d² → %d nodes, %d edges, 8 categories × %d facilities; limit %s",
                args.side, g["x"].size, g["u"].size, g["cats"].shape[1], args.limit or "none")  # fmt: skip
    rows = []
    ours = _child("ours", args.side, args.repeat, args.limit, args.timeout)
    if ours is None:
        raise SystemExit("our engine failed")
    t_ours = statistics.median(ours["times_s"])
    # peak memory: this process plus each worker's own peak (pages shared after the fork
    # are counted in both, so the sum over-states the real total)
    peak = ours["max_rss_mib"] + ours["workers"] * ours["worker_max_rss_mib"]
    rows.append(
        (
            f"ours (scipy, 8 searches, {ours['workers']} worker processes)",
            args.side,
            t_ours,
            peak,
            f"CPU {statistics.median(ours['cpu_s']):.2f} s (workers included); build "
            f"{ours['build_s']:.2f} s; RSS after imports {ours['rss_after_imports_mib']:.0f} MiB; "
            f"peak {ours['max_rss_mib']:.0f} MiB + {ours['workers']} × {ours['worker_max_rss_mib']:.0f} MiB",
        )
    )
    one = _child("ours-one-process", args.side, args.repeat, args.limit, args.timeout)
    if one is not None:
        rows.append(("ours, all in one process", args.side, statistics.median(one["times_s"]),
                     one["max_rss_mib"], f"CPU {statistics.median(one['cpu_s']):.2f} s"))  # fmt: skip
    engines = set(args.engines.split(","))
    nx_res = (
        _child("networkx", args.side, args.baseline_repeat, args.limit, args.timeout)
        if "networkx" in engines
        else None
    )
    if nx_res is not None:
        t_nx = statistics.median(nx_res["times_s"])
        rows.append(("networkx multi_source_dijkstra", args.side, t_nx, nx_res["max_rss_mib"],
                     f"CPU {statistics.median(nx_res['cpu_s']):.1f} s; max |Δ| vs ours "
                     f"{nx_res['max_abs_diff_m']:.2e} m, same reach {nx_res['same_reachability']}"))  # fmt: skip
    try:
        import pandana  # noqa: F401

        has_pandana = "pandana" in engines
    except ImportError:
        has_pandana = False
        logger.info("pandana not installed: skipped")
    if has_pandana:
        small = _child("ours", args.pandana_side, args.repeat, args.limit, args.timeout)
        pd_res = _child(
            "pandana", args.pandana_side, args.baseline_repeat, args.limit, args.timeout
        )
        if small is not None:
            rows.append(("ours (scipy) on the pandana grid", args.pandana_side, statistics.median(small["times_s"]),
                         small["max_rss_mib"], ""))  # fmt: skip
        if pd_res is not None:
            rows.append(("pandana nearest_pois (query only)", args.pandana_side, statistics.median(pd_res["times_s"]),
                         pd_res["max_rss_mib"], f"CH build {pd_res['build_s']:.1f} s + precompute "
                         f"{pd_res['precompute_s']:.1f} s; median |Δ| {pd_res['median_abs_diff_m']:.3f} m"))  # fmt: skip
    logger.info("")
    logger.info("%-38s %6s %10s %11s  %s", "engine", "side", "median s", "peak RSS", "notes")
    for name, side, t, rss, note in rows:
        logger.info("%-38s %6d %10.3f %8.0f MiB  %s", name, side, t, rss, note)
    logger.info("")
    if nx_res is not None:
        logger.info(
            "CPU-time speed-up vs networkx (robust to other jobs on the machine): %.1f×",
            statistics.median(nx_res["cpu_s"]) / statistics.median(ours["cpu_s"]),
        )
        logger.info(
            "speed-up vs networkx at %d nodes: %.1f×",
            g["x"].size,
            statistics.median(nx_res["times_s"]) / t_ours,
        )
    if has_pandana and small is not None and pd_res is not None:
        t_small = statistics.median(small["times_s"])
        t_pd = statistics.median(pd_res["times_s"])
        logger.info("speed-up vs pandana at %d nodes: %.1f× (query only), %.1f× (incl. CH build + precompute)",
                    args.pandana_side**2, t_pd / t_small,
                    (t_pd + pd_res["build_s"] + pd_res["precompute_s"]) / t_small)  # fmt: skip
    logger.info(
        "load average during the run: %.1f (cores: %d)", os.getloadavg()[0], os.cpu_count() or 0
    )
    ok_t = t_ours <= 3.0
    ok_m = peak <= 1.5 * 1024
    logger.info("target ≤ 3 s: %s (%.2f s); ≤ 1.5 GiB peak: %s (%.0f MiB)",
                "met" if ok_t else "MISSED", t_ours, "met" if ok_m else "MISSED", peak)  # fmt: skip


if __name__ == "__main__":
    main()
