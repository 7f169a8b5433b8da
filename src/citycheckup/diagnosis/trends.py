"""Change of scores and ranks between two years."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["score_changes"]


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
