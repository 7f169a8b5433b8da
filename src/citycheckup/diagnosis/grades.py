"""Grades of indicators against their threshold intervals, and target attainment (达标率)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from citycheckup.framework.models import Framework

__all__ = ["grade_indicators", "grade_value", "target_attainment"]


def grade_value(value: float, bands: list) -> str | None:  # type: ignore[type-arg]
    """The grade of the band containing ``value``; ``None`` for a missing value or no band."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    for b in bands:
        if b.contains(float(value)):
            return str(b.grade)
    return None


def grade_indicators(values: pd.DataFrame, fw: Framework, *, id_cols: tuple[str, ...] = ("unit_code", "year")) -> pd.DataFrame:
    """Grade every value of every graded indicator.

    Parameters
    ----------
    values
        Wide table: ``id_cols`` plus one column per indicator code (raw values, not normalised).
    fw
        The framework; indicators without ``grading`` are skipped.

    Returns
    -------
    pandas.DataFrame
        Long table: ``id_cols``, ``indicator``, ``value``, ``grade`` (very_good/good/fair/poor,
        missing where the value is missing), ``threshold_source``.
    """
    frames = []
    for ind in fw.indicators:
        if ind.grading is None or ind.code not in values.columns:
            continue
        bands = ind.grading.resolved_bands(ind.direction)
        v = values[ind.code].astype("float64")
        grades = [grade_value(x, bands) for x in v.to_numpy()]
        frames.append(pd.DataFrame({
            **{c: values[c].to_numpy() for c in id_cols},
            "indicator": ind.code, "value": v.to_numpy(), "grade": grades,
            "threshold_source": ind.grading.source,
        }))
    if not frames:
        return pd.DataFrame(columns=[*id_cols, "indicator", "value", "grade", "threshold_source"])
    return pd.concat(frames, ignore_index=True)


def target_attainment(values: pd.DataFrame, fw: Framework, *, id_cols: tuple[str, ...] = ("unit_code", "year")) -> pd.DataFrame:
    """Whether each value meets its indicator's target, and the attainment rate per unit-year.

    A value attains its target when ``value ≥ target`` (direction +1) or ``value ≤ target``
    (direction −1). The rate (达标率) is attained / indicators with a target and a value.

    Returns
    -------
    pandas.DataFrame
        ``id_cols``, ``n_with_target``, ``n_attained``, ``attainment_rate`` (0–100, missing when
        no indicator with a target has a value).
    """
    hits = []
    for ind in fw.indicators:
        if ind.target is None or ind.code not in values.columns:
            continue
        v = values[ind.code].astype("float64").to_numpy()
        ok = (v >= ind.target) if ind.direction > 0 else (v <= ind.target)
        hits.append(pd.DataFrame({**{c: values[c].to_numpy() for c in id_cols},
                                  "has": ~np.isnan(v), "ok": ok & ~np.isnan(v)}))
    if not hits:
        out = values[list(id_cols)].copy()
        out["n_with_target"] = 0
        out["n_attained"] = 0
        out["attainment_rate"] = np.nan
        return out
    h = pd.concat(hits).groupby(list(id_cols), sort=False).agg(n_with_target=("has", "sum"), n_attained=("ok", "sum"))
    h["attainment_rate"] = np.where(h["n_with_target"] > 0, 100.0 * h["n_attained"] / h["n_with_target"].where(h["n_with_target"] > 0), np.nan)
    return h.reset_index()
