"""Small result directories for the store and API tests (built from the embedded real data).

- a check-up run of 30 cities × 3 years (``citycheckup run`` on a CSV cut from
  ``citycheckup.data.load_city_macro()``), plus a synthetic ``rank_intervals.csv``
  (the current composite engine writes none without Monte Carlo support);
- an index, a sensitivity and a spatial result directory in the layouts that
  ``citycheckup index``, ``sensitivity`` and ``spatial`` write, with made-up numbers.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

N_CITIES = 30
YEARS = (2020, 2021, 2022)


def small_data_csv(path: Path, *, n: int = N_CITIES, years: tuple[int, ...] = YEARS) -> Path:
    """A CSV of ``n`` cities × ``years`` from the embedded city-macro-data."""
    from citycheckup.data import load_city_macro

    d = load_city_macro().data
    codes = sorted(d["unit_code"].unique())[:n]
    d[d["unit_code"].isin(codes) & d["year"].isin(years)].to_csv(path, index=False)
    return path


def checkup_run(base: Path, *, name: str = "run", weights: str = "framework") -> Path:
    """Run ``citycheckup run`` on the small CSV; add a rank_intervals.csv; return the folder."""
    from typer.testing import CliRunner

    from citycheckup.cli import app

    data = base / "data.csv"
    if not data.exists():
        small_data_csv(data)
    out = base / name
    r = CliRunner().invoke(
        app,
        [
            "run",
            "--data",
            str(data),
            "--out",
            str(out),
            "--invalid",
            "missing",
            "--weights",
            weights,
        ],
    )
    assert r.exit_code == 0, r.output
    sc = pd.read_csv(out / "scores.csv", dtype={"unit_code": str})
    ri = sc[["unit_code", "year", "rank_index"]].dropna().rename(columns={"rank_index": "nominal"})
    ri["mean"] = ri["nominal"]
    ri["median"] = ri["nominal"]
    ri["q5"] = (ri["nominal"] - 2).clip(lower=1)
    ri["q95"] = ri["nominal"] + 2
    ri.to_csv(out / "rank_intervals.csv", index=False)
    (out / "reports").mkdir()  # the per-city reports that ``citycheckup report`` writes
    for lang in ("zh", "en"):
        (out / "reports" / f"city_110000_{lang}.html").write_text(
            f"<html><body>北京市 {lang}</body></html>"
        )
    (out / "reports" / "city_110000_zh.pdf").write_bytes(b"%PDF-1.4 stub")
    return out


def index_dir(base: Path) -> Path:
    """A composite-index result: datasets/Raw.csv, datasets/Aggregated.csv, ranks.csv, manifest.json."""
    out = base / "index"
    (out / "datasets").mkdir(parents=True)
    rng = np.random.default_rng(1)
    codes = ["AUT", "BEL", "CHN", "JPN", "NZL"]
    raw = pd.DataFrame(
        {
            "uCode": codes,
            "uName": ["Austria", "Belgium", "China", "Japan", "New Zealand"],
            "LPI": rng.uniform(2, 4, 5),
            "Flights": rng.uniform(0, 100, 5),
        }
    )
    raw.to_csv(out / "datasets" / "Raw.csv", index=False)
    agg = raw.copy()
    agg["Conn"] = rng.uniform(0, 100, 5)
    agg["Index"] = rng.uniform(0, 100, 5)
    agg.to_csv(out / "datasets" / "Aggregated.csv", index=False)
    ranks = pd.DataFrame(
        {
            "uCode": codes,
            "Conn": agg["Conn"].rank(ascending=False).astype(int),
            "Index": agg["Index"].rank(ascending=False).astype(int),
        }
    )
    ranks.to_csv(out / "ranks.csv", index=False)
    pd.DataFrame({"iCode": ["LPI"], "n": [5]}).to_csv(out / "stats.csv", index=False)
    (out / "manifest.json").write_text(
        json.dumps(
            {
                "datasets": ["Raw", "Aggregated"],
                "pipeline": [{"normalise": {"method": "minmax"}}],
                "framework": "asem.yaml",
                "data": "asem.csv",
            }
        )
    )
    return out


def sensitivity_dir(base: Path) -> Path:
    """A sensitivity result: rank_stats.csv, sensitivity_indices.csv, runs.csv, manifest.json."""
    out = base / "sensitivity"
    out.mkdir()
    pd.DataFrame(
        {
            "uCode": ["AUT", "BEL", "CHN"],
            "nominal": [1, 2, 3],
            "mean": [1.2, 2.1, 2.7],
            "median": [1, 2, 3],
            "q5": [1, 1, 2],
            "q95": [2, 3, 3],
        }
    ).to_csv(out / "rank_stats.csv", index=False)
    pd.DataFrame({"factor": ["winmax", "weights"], "Si": [0.1, 0.6], "STi": [0.2, 0.7]}).to_csv(
        out / "sensitivity_indices.csv", index=False
    )
    pd.DataFrame({"run": [0, 1], "ok": [True, True]}).to_csv(out / "runs.csv", index=False)
    (out / "manifest.json").write_text(
        json.dumps({"target": "Index", "n": 2, "seed": 1, "factors": ["winmax"], "pipeline": []})
    )
    return out


def spatial_dir(base: Path) -> Path:
    """A spatial result: indicators.csv per district (+ ALL), districts.gpkg in a projected CRS."""
    import geopandas as gpd
    from shapely.geometry import box

    out = base / "spatial"
    out.mkdir()
    pd.DataFrame(
        {
            "district": ["A", "B", "ALL"],
            "park_service_coverage": [0.5, 0.8, 0.65],
            "life_circle_15min": [0.7, np.nan, 0.7],
        }
    ).to_csv(out / "indicators.csv", index=False)
    pd.DataFrame(
        {"district": ["B"], "indicator": ["life_circle_15min"], "reason": ["no homes"]}
    ).to_csv(out / "missing.csv", index=False)
    x0, y0 = 500000.0, 4400000.0  # CGCS2000 / 3-degree GK CM 114E
    gdf = gpd.GeoDataFrame(
        {"district": ["A", "B"]},
        geometry=[box(x0, y0, x0 + 1000, y0 + 1000), box(x0 + 1000, y0, x0 + 2000, y0 + 1000)],
        crs="EPSG:4547",
    )
    gdf.to_file(out / "districts.gpkg", layer="districts", driver="GPKG")
    (out / "manifest.json").write_text(
        json.dumps(
            {
                "tool": "citycheckup spatial",
                "version": "0.1.0",
                "inputs": {"osm": {"path": "x.osm.pbf", "sha256": "ab"}},
            }
        )
    )
    return out
