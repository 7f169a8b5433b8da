"""Rank intervals of the check-up index: Monte Carlo over weights, aggregation and treatment."""

from __future__ import annotations

from typing import Any

import pandas as pd

from citycheckup.checkup._options import CheckupOptions
from citycheckup.data.readers import UNIT, YEAR
from citycheckup.framework.models import Framework

__all__ = ["rank_intervals", "uncertainty_spec"]


def uncertainty_spec(opts: CheckupOptions, *, year: int, levels: int) -> dict[str, Any]:
    """The uncertain factors of the check-up's rank intervals, as a sensitivity spec."""
    factors: list[dict[str, Any]] = [
        {"name": "weights", "step": "aggregate", "noise": dict.fromkeys(range(1, levels), 0.25)},
        {
            "name": "aggregation",
            "step": "aggregate",
            "parameter": "method",
            "values": ["arithmetic", "geometric"],
        },
    ]
    if opts.scoring == "relative" and opts.treatment != "none":
        factors.append(
            {"name": "winmax", "step": "treat", "parameter": "winmax", "values": [3, 4, 5, 6, 7]}
        )
    return {
        "target": None,
        "n": opts.uncertainty_n,
        "seed": opts.seed,
        "sensitivity": False,
        "time": year,
        "factors": factors,
    }


def _replicate_steps(opts: CheckupOptions) -> list[dict[str, Any]]:
    """The pipeline of the replicates: a geometric mean needs positive values.

    Relative scoring normalises min-max onto [1, 100]; absolute scores (0–100) are
    mapped affinely onto [1, 100] (``scaled`` with lower −100/99: 0 → 1, 100 → 100),
    which changes no arithmetic-mean rank.
    """
    from citycheckup.checkup._run import build_pipeline

    steps = build_pipeline(opts)
    for st in steps:
        if "normalise" in st:
            if st["normalise"]["method"] == "minmax":
                st["normalise"]["lower"] = 1.0
            elif opts.scoring == "absolute":
                st["normalise"] = {
                    "method": "scaled",
                    "lower": -100.0 / 99.0,
                    "upper": 100.0,
                    "scale_factor": 100.0,
                }
        if "aggregate" in st:
            st["aggregate"]["nonpositive"] = "omit"
    return steps


def rank_intervals(
    coin: Any, fw: Framework, opts: CheckupOptions, years: list[int], scores: pd.DataFrame
) -> pd.DataFrame:
    """Rank intervals of the index (5th–95th percentile of the replicates' ranks).

    Every replicate re-runs the whole pipeline on the whole panel (so a global
    normalisation is the same as in the nominal run); ranks are read in each year.
    """
    from citycheckup.composite import Pipeline
    from citycheckup.composite.sensitivity import run_sensitivity

    pipe = Pipeline.from_steps(_replicate_steps(opts))
    frames = []
    for y in years if opts.uncertainty_years == "all" else years[-1:]:
        spec = uncertainty_spec(opts, year=y, levels=coin.max_level)
        spec["target"] = fw.index_code
        res = run_sensitivity(coin, pipe, spec)
        rs = res.rank_stats.rename(columns={"uCode": UNIT}).drop(columns=["nominal"])
        nominal = scores.loc[scores[YEAR] == y, [UNIT, "rank_index"]].rename(
            columns={"rank_index": "nominal"}
        )
        rs = nominal.merge(rs, on=UNIT, how="inner")
        rs = rs[rs["nominal"].notna()]
        rs.insert(1, YEAR, y)
        frames.append(rs)
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return out[[UNIT, YEAR, "nominal", "mean", "median", "q5", "q95"]] if not out.empty else out
