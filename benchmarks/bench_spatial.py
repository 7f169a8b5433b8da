"""Benchmark: nearest-facility network distance for every node of a ~500k-node street grid.

Ours (scipy multi-source Dijkstra, one run per category) against networkx
multi-source Dijkstra and, when installed, pandana (contraction hierarchies).
Each engine runs in its own process so that its peak memory (max RSS) is its own.

Run::

    .venv/bin/python benchmarks/bench_spatial.py                # 708² grid, 8 categories
    .venv/bin/python benchmarks/bench_spatial.py --side 300     # quicker

Prints median wall-clock seconds of several runs, the speed-up ratios and peak
RSS. Targets: ≤ 3 s and ≤ 1.5 GiB for ours at ~500k nodes.
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


def run_ours(g: dict[str, np.ndarray], repeat: int, limit: float | None) -> dict[str, Any]:
    from citycheckup.spatial import WalkGraph, nearest_node_distances

    rss_imports = _rss_mib()
    t0 = time.perf_counter()
    graph = WalkGraph.from_edges(g["x"], g["y"], g["u"], g["v"])
    _ = graph.csr
    build = time.perf_counter() - t0
    times, cpu = [], []
    out = None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = np.stack(
            [
                nearest_node_distances(graph, c, limit=np.inf if limit is None else limit)
                for c in g["cats"]
            ]
        )
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    assert out is not None
    np.save(_ours_file(g), out)
    return {
        "build_s": build,
        "times_s": times,
        "cpu_s": cpu,
        "max_rss_mib": _rss_mib(),
        "rss_after_imports_mib": rss_imports,
    }


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


ENGINES = {"ours": run_ours, "networkx": run_networkx, "pandana": run_pandana}


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
    ap.add_argument("--worker", choices=sorted(ENGINES), help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.worker:
        g = street_grid(args.side)
        with open(args.result, "w", encoding="utf-8") as fh:
            json.dump(ENGINES[args.worker](g, args.repeat, args.limit), fh)
        return
    g = street_grid(args.side)
    logger.info("grid %d² → %d nodes, %d edges, 8 categories × %d facilities; limit %s",
                args.side, g["x"].size, g["u"].size, g["cats"].shape[1], args.limit or "none")  # fmt: skip
    rows = []
    ours = _child("ours", args.side, args.repeat, args.limit, args.timeout)
    if ours is None:
        raise SystemExit("our engine failed")
    t_ours = statistics.median(ours["times_s"])
    rows.append(
        (
            "ours (scipy, 8 multi-source runs)",
            args.side,
            t_ours,
            ours["max_rss_mib"],
            f"CPU {statistics.median(ours['cpu_s']):.2f} s; build {ours['build_s']:.2f} s; "
            f"RSS after imports {ours['rss_after_imports_mib']:.0f} MiB",
        )
    )
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
    ok_m = ours["max_rss_mib"] <= 1.5 * 1024
    logger.info("target ≤ 3 s: %s (%.2f s); ≤ 1.5 GiB peak: %s (%.0f MiB)",
                "met" if ok_t else "MISSED", t_ours, "met" if ok_m else "MISSED", ours["max_rss_mib"])  # fmt: skip


if __name__ == "__main__":
    main()
