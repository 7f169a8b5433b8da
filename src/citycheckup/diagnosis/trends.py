"""Trends: change of scores and ranks between two years; indicator trends (year-on-year, CAGR)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["indicator_trends", "score_changes"]


def score_changes(
    scores: pd.DataFrame,
    codes: list[str],
    *,
    year: int,
    base_year: int,
    unit: str = "unit_code",
) -> pd.DataFrame:
    """Change of each score and rank of every unit from ``base_year`` to ``year``.

    Parameters
    ----------
    scores
        ``unit``, ``year``, score columns ``codes`` and rank columns ``rank_<code>``.

    Returns
    -------
    pandas.DataFrame
        ``unit, base_year, year`` and for every code: ``<code>_base``, ``<code>``,
        ``<code>_change`` (score difference), ``<code>_cagr`` (compound annual growth of the
        score in %, missing when a score is not positive), ``rank_<code>_change`` (positive =
        moved up, i.e. the rank number fell).
    """
    a = scores[scores["year"] == base_year].set_index(unit)
    b = scores[scores["year"] == year].set_index(unit)
    common = b.index.intersection(a.index)
    out = pd.DataFrame({unit: common.to_numpy()}, index=common)
    out["base_year"] = base_year
    out["year"] = year
    span = year - base_year
    for c in codes:
        if c not in scores.columns:
            continue
        out[f"{c}_base"] = a.loc[common, c]
        out[c] = b.loc[common, c]
        out[f"{c}_change"] = out[c] - out[f"{c}_base"]
        if span > 0:
            ratio = (out[c] / out[f"{c}_base"].where(out[f"{c}_base"] > 0)).where(out[c] > 0)
            out[f"{c}_cagr"] = (ratio ** (1.0 / span) - 1.0) * 100.0
        else:
            out[f"{c}_cagr"] = np.nan
        rc = f"rank_{c}"
        if rc in scores.columns:
            out[f"{rc}_change"] = a.loc[common, rc] - b.loc[common, rc]
    return out.reset_index(drop=True)


def indicator_trends(
    values: pd.DataFrame,
    directions: dict[str, int],
    *,
    year: int | None = None,
    base_year: int | None = None,
    tolerance: float = 0.0,
    unit: str = "unit_code",
    year_col: str = "year",
) -> pd.DataFrame:
    """Year-on-year change, change since a base year, CAGR and an improving/worsening flag.

    Parameters
    ----------
    values
        Wide table: ``unit``, ``year_col`` and one column per indicator (raw values).
    directions
        Indicator code → +1 (higher is better) / −1.
    year
        Latest year (default: the last year in ``values``).
    base_year
        Base year (default: the first year in ``values``).
    tolerance
        Relative change (in %) below which a trend counts as ``stable``.

    Returns
    -------
    pandas.DataFrame
        One row per unit and indicator with a value in ``year``: ``unit``, ``indicator``,
        ``year``, ``value``, ``prev_year`` (latest earlier year with a value), ``prev_value``,
        ``yoy_change`` (value − prev_value), ``base_year`` (first year ≥ ``base_year`` with a
        value), ``base_value``, ``change``, ``cagr`` (% per year; missing when a value is
        not positive or the span is 0) and ``trend`` (``improving`` / ``worsening`` /
        ``stable`` from the direction-adjusted change since the base year; missing without
        a base value). The years used are in the ``*year`` columns, so a gap is visible.

    Notes
    -----
    CAGR = ((value / base_value) ** (1 / (year − base_year)) − 1) × 100.
    """
    codes = [c for c in directions if c in values.columns]
    years = sorted(int(y) for y in values[year_col].dropna().unique())
    cols = [
        unit,
        "indicator",
        "year",
        "value",
        "prev_year",
        "prev_value",
        "yoy_change",
        "base_year",
        "base_value",
        "change",
        "cagr",
        "trend",
    ]
    if not years or not codes:
        return pd.DataFrame(columns=cols)
    y1 = year if year is not None else years[-1]
    y0 = base_year if base_year is not None else years[0]
    long = (
        values[[unit, year_col, *codes]]
        .melt(id_vars=[unit, year_col], var_name="indicator", value_name="value")
        .dropna(subset=["value"])
    )
    long = long[long[year_col] <= y1]
    cur = long[long[year_col] == y1].set_index([unit, "indicator"])["value"]
    earlier = long[long[year_col] < y1].sort_values(year_col)
    prev = earlier.groupby([unit, "indicator"]).last()
    base = long[long[year_col] >= y0].sort_values(year_col).groupby([unit, "indicator"]).first()
    out = pd.DataFrame({"value": cur})
    out["year"] = y1
    out["prev_year"] = prev[year_col].reindex(out.index)
    out["prev_value"] = prev["value"].reindex(out.index)
    out["yoy_change"] = out["value"] - out["prev_value"]
    out["base_year"] = base[year_col].reindex(out.index)
    out["base_value"] = base["value"].reindex(out.index)
    same = out["base_year"] >= y1
    out.loc[same, ["base_year", "base_value"]] = np.nan
    out["change"] = out["value"] - out["base_value"]
    span = out["year"] - out["base_year"]
    ratio = (out["value"] / out["base_value"].where(out["base_value"] > 0)).where(out["value"] > 0)
    out["cagr"] = (ratio ** (1.0 / span.where(span > 0)) - 1.0) * 100.0
    idx = out.index.get_level_values("indicator")
    signed = out["change"] * np.asarray([directions[c] for c in idx], dtype="float64")
    rel = (signed / out["base_value"].abs().where(out["base_value"] != 0) * 100.0).fillna(signed)
    trend = np.where(
        rel > tolerance, "improving", np.where(rel < -tolerance, "worsening", "stable")
    )
    out["trend"] = pd.Series(trend, index=out.index).where(out["change"].notna())
    out = out.reset_index()
    out["prev_year"] = out["prev_year"].astype("Int64")
    out["base_year"] = out["base_year"].astype("Int64")
    order = {c: i for i, c in enumerate(codes)}
    out = out.assign(_o=out["indicator"].map(order)).sort_values([unit, "_o"]).drop(columns="_o")
    return out[cols].reset_index(drop=True)
