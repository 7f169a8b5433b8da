"""Benchmark: uncertainty + sensitivity analysis of a whole composite-index pipeline.

1. COINr's vignette analysis on the ASEM data: 4 factors (winmax 1-5; min-max [1, 100] vs
   z-score (10, 2); noisy weights +/-25 % at levels 2 and 3; arithmetic vs geometric mean),
   N = 100 -> N (d + 2) = 600 rebuilds of the full pipeline. COINr 1.1.14 needed 100.0 /
   103.6 / 111.8 s on a 2-core machine (../shared/reference/composite_methods.md §1.13a).
2. Synthetic 300 units x 60 indicators (10 pillars, 3 sub-indices, index; 5 % missing),
   6 factors, N = 1000 -> 8000 rebuilds.

Usage::

    .venv/bin/python benchmarks/bench_sensitivity.py [--repeat 5] [--data ../shared/data]

Prints the median wall time of ``--repeat`` runs (the coin is built once, as COINr's
timing covers ``get_sensitivity`` only).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from citycheckup.composite import Coin
from citycheckup.composite.sensitivity import run_sensitivity

COINR_ASEM_SECONDS = [100.0, 103.6, 111.8]

ASEM_PIPE = [
    {"denominate": {}},
    {"impute": {"method": "mean_group", "group": "EurAsia_group"}},
    {"screen": {"by": "na", "min_availability": 0.9}},
    {
        "treat": {
            "method": "winsorise_log",
            "winmax": 5,
            "skew": 2,
            "kurtosis": 3.5,
            "log": "log_ct",
        }
    },
    {"normalise": {"method": "minmax", "lower": 0, "upper": 100}},
    {"aggregate": {"method": "arithmetic"}},
]
ASEM_SPEC = {
    "target": "Index",
    "n": 100,
    "seed": 1,
    "factors": [
        {"name": "winmax", "step": "treat", "parameter": "winmax", "values": [1, 2, 3, 4, 5]},
        {
            "name": "normalisation",
            "step": "normalise",
            "alternatives": [
                {"method": "minmax", "lower": 1, "upper": 100},
                {"method": "zscore", "mean": 10, "sd": 2},
            ],
        },
        {"name": "weights", "step": "aggregate", "noise": {2: 0.25, 3: 0.25}},
        {
            "name": "aggregation",
            "step": "aggregate",
            "parameter": "method",
            "values": ["arithmetic", "geometric"],
        },
    ],
}


def synthetic_coin(n_units: int = 300, n_ind: int = 60, seed: int = 0) -> Coin:
    """Skewed lognormal indicators with 5 % missing values in a 4-level hierarchy."""
    rng = np.random.default_rng(seed)
    pillars = [f"P{k}" for k in range(10)]
    subs = ["S0", "S1", "S2"]
    rows = []
    for j in range(n_ind):
        rows.append(
            {
                "Level": 1,
                "iCode": f"x{j}",
                "Direction": 1 if j % 4 else -1,
                "Weight": 1.0,
                "Parent": pillars[j % 10],
                "Type": "Indicator",
            }
        )
    for k, p in enumerate(pillars):
        rows.append(
            {
                "Level": 2,
                "iCode": p,
                "Direction": 1,
                "Weight": 1.0,
                "Parent": subs[k % 3],
                "Type": "Aggregate",
            }
        )
    for s in subs:
        rows.append(
            {
                "Level": 3,
                "iCode": s,
                "Direction": 1,
                "Weight": 1.0,
                "Parent": "Index",
                "Type": "Aggregate",
            }
        )
    rows.append(
        {
            "Level": 4,
            "iCode": "Index",
            "Direction": 1,
            "Weight": 1.0,
            "Parent": None,
            "Type": "Aggregate",
        }
    )
    meta = pd.DataFrame(rows)
    X = rng.lognormal(mean=2, sigma=rng.uniform(0.3, 1.2, n_ind), size=(n_units, n_ind))
    X[rng.random(X.shape) < 0.05] = np.nan
    data = pd.DataFrame(X, columns=[f"x{j}" for j in range(n_ind)])
    data.insert(0, "uCode", [f"C{i:03d}" for i in range(n_units)])
    return Coin(data=data, meta=meta)


SYN_PIPE = [
    {"screen": {"by": "na", "min_availability": 0.8}},
    {"impute": {"method": "mean"}},
    {"treat": {"winmax": 5}},
    {"normalise": {"method": "minmax", "lower": 1, "upper": 100}},
    # log-treated indicators can give z-scores below 0: skip those in geometric means
    {"aggregate": {"method": "arithmetic", "nonpositive": "omit"}},
]
SYN_SPEC = {
    "target": "Index",
    "n": 1000,
    "seed": 1,
    "factors": [
        {
            "name": "screening",
            "step": "screen",
            "parameter": "min_availability",
            "values": [0.8, 0.9],
        },
        {
            "name": "imputation",
            "step": "impute",
            "parameter": "method",
            "values": ["mean", "median"],
        },
        {"name": "winmax", "step": "treat", "parameter": "winmax", "values": [1, 2, 3, 4, 5]},
        {
            "name": "normalisation",
            "step": "normalise",
            "alternatives": [
                {"method": "minmax", "lower": 1, "upper": 100},
                {"method": "zscore", "mean": 50, "sd": 10},
            ],
        },
        {"name": "weights", "step": "aggregate", "noise": {2: 0.25, 3: 0.25}},
        {
            "name": "aggregation",
            "step": "aggregate",
            "parameter": "method",
            "values": ["arithmetic", "geometric"],
        },
    ],
}


CPU: dict[str, list[float]] = {}


def timed(coin: Coin, pipe: list, spec: dict, repeat: int) -> tuple[list[float], object]:
    """Wall times of ``repeat`` runs; their CPU times (less sensitive to other jobs on a
    shared machine) are kept in ``CPU["last"]``."""
    times = []
    cpu = []
    res = None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        res = run_sensitivity(coin, pipe, spec)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    CPU["last"] = cpu
    return times, res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data"
    )
    args = ap.parse_args()

    asem = args.data / "coinr_asem"
    coin = Coin(
        data=pd.read_csv(asem / "ASEM_iData.csv"), meta=pd.read_csv(asem / "ASEM_iMeta.csv")
    )
    times, res = timed(coin, ASEM_PIPE, ASEM_SPEC, args.repeat)
    med = statistics.median(times)
    coinr = statistics.median(COINR_ASEM_SECONDS)
    print(
        f"ASEM 51x49, 4 factors, N=100 ({len(res.runs)} rebuilds): median {med:.3f} s "  # type: ignore[attr-defined]
        f"of {args.repeat} runs {[round(t, 3) for t in times]}; COINr {coinr:.1f} s -> {coinr / med:.0f}x faster; "
        f"CPU median {statistics.median(CPU['last']):.3f} s; load average {os.getloadavg()[0]:.1f}"
    )
    print(res.indices.round(3).to_string(index=False))  # type: ignore[attr-defined]

    syn = synthetic_coin()
    times, res = timed(syn, SYN_PIPE, SYN_SPEC, args.repeat)
    med = statistics.median(times)
    print(
        f"synthetic 300x60, 6 factors, N=1000 ({len(res.runs)} rebuilds, {res.n_failed} failed): "  # type: ignore[attr-defined]
        f"median {med:.3f} s of {args.repeat} runs {[round(t, 3) for t in times]}; "
        f"{1000 * med / len(res.runs):.3f} ms per rebuild"
    )  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
