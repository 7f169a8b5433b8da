"""Analysis of results: correlations, Cronbach's alpha, PCA, trends, strengths, comparisons."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats as sps

from citycheckup.composite._coin import Coin
from citycheckup.composite._util import Registry, rank_desc
from citycheckup.errors import ComputationError

__all__ = [
    "TRENDS",
    "compare_results",
    "correlation_flags",
    "correlations",
    "cronbach_alpha",
    "pca_variance",
    "strengths_weaknesses",
    "trends",
]

CorrType = Literal["pearson", "spearman", "kendall"]


def correlations(
    data: pd.DataFrame,
    codes: Sequence[str],
    *,
    method: CorrType = "pearson",
    pval: float | None = None,
) -> pd.DataFrame:
    """Correlation matrix of ``codes`` (pairwise complete); entries with p-value above
    ``pval`` are set to NaN (COINr ``get_corr(pval=)``)."""
    X = data[list(codes)].astype(float)
    R = X.corr(method=method)
    if pval is None:
        return R
    P = pd.DataFrame(np.ones(R.shape), index=R.index, columns=R.columns)
    test = {"pearson": sps.pearsonr, "spearman": sps.spearmanr, "kendall": sps.kendalltau}[method]
    for i, a in enumerate(codes):
        for j, b in enumerate(codes):
            if j <= i:
                continue
            ok = X[a].notna() & X[b].notna()
            if ok.sum() > 2 and X.loc[ok, a].nunique() > 1 and X.loc[ok, b].nunique() > 1:
                p = float(test(X.loc[ok, a], X.loc[ok, b])[1])
                P.iloc[i, j] = P.iloc[j, i] = p
    np.fill_diagonal(P.values, 0.0)
    return R.where(pval >= P)


def correlation_flags(
    coin: Coin,
    data: pd.DataFrame,
    *,
    level: int = 1,
    group_level: int = 2,
    threshold: float = 0.9,
    kind: Literal["high", "low"] = "high",
    method: CorrType = "pearson",
) -> pd.DataFrame:
    """Pairs of codes in the same group whose correlation is above (``high``) or below (``low``) ``threshold``.

    Returns
    -------
    pandas.DataFrame
        ``Group, Code1, Code2, Corr``.
    """
    rows = []
    groups: dict[str, list[str]] = {}
    for c in coin.levels[level]:
        g = c
        for _ in range(level, group_level):
            g = coin.parent[g]
        groups.setdefault(g, []).append(c)
    for g, cs in groups.items():
        R = data[cs].astype(float).corr(method=method)
        for i, a in enumerate(cs):
            for b in cs[i + 1 :]:
                r = R.loc[a, b]
                if (kind == "high" and r > threshold) or (kind == "low" and r < threshold):
                    rows.append({"Group": g, "Code1": a, "Code2": b, "Corr": r})
    return pd.DataFrame(rows, columns=["Group", "Code1", "Code2", "Corr"])


def cronbach_alpha(data: pd.DataFrame, codes: Sequence[str]) -> float:
    """Cronbach's alpha :math:`\\frac{k}{k-1}(1 - \\sum_j s_j^2 / s_T^2)` from the
    pairwise-complete covariance matrix (:math:`s_T^2` = sum of all its entries)."""
    C = data[list(codes)].astype(float).cov().to_numpy()
    k = C.shape[0]
    if k < 2:
        raise ComputationError("Cronbach's alpha needs at least 2 codes")
    return float(k / (k - 1) * (1 - np.trace(C) / C.sum()))


def pca_variance(data: pd.DataFrame, codes: Sequence[str]) -> pd.DataFrame:
    """Share of variance per principal component (centred, scaled, complete cases).

    Returns
    -------
    pandas.DataFrame
        ``PC, Eigenvalue, Variance, Cumulative`` and the loadings of each code.
    """
    Z = data[list(codes)].astype(float).dropna()
    C = np.corrcoef(Z.to_numpy(), rowvar=False)
    vals, vecs = np.linalg.eigh(C)
    order = np.argsort(vals)[::-1]
    vals, vecs = vals[order], vecs[:, order]
    share = vals / vals.sum()
    out = pd.DataFrame(
        {
            "PC": [f"PC{i + 1}" for i in range(len(vals))],
            "Eigenvalue": vals,
            "Variance": share,
            "Cumulative": np.cumsum(share),
        }
    )
    load = pd.DataFrame(vecs.T, columns=list(codes))
    return pd.concat([out, load], axis=1)


TrendFunction = Callable[[np.ndarray, np.ndarray, float], float]
TRENDS: Registry[TrendFunction] = Registry("trend")


@TRENDS.register("CAGR")
def cagr(t: np.ndarray, y: np.ndarray, per: float = 1.0) -> float:
    """Compound annual growth rate between the first and last available years:
    :math:`(y_{end}/y_{start})^{1/(t_{end} - t_{start})} - 1` (0 when the two are equal)."""
    if y[-1] == y[0]:
        return 0.0
    return float((y[-1] / y[0]) ** (1.0 / (t[-1] - t[0])) - 1)


@TRENDS.register("prc_change")
def prc_change(t: np.ndarray, y: np.ndarray, per: float = 1.0) -> float:
    r"""Percentage change per ``per`` time units (COINr ``prc_change``).

    Notes
    -----
    Two points: :math:`100 (y_{end} - y_{start}) / y_{start} \cdot per / (t_{end} - t_{start})`.
    Three or more: from the least-squares line :math:`a + b t`,
    :math:`100 \, b \, per / (a + b t_{start})`. A constant series gives 0.
    """
    if np.unique(y).size == 1:
        return 0.0
    if y.size < 3:
        return float((y[-1] - y[0]) * 100 / y[0] * (per / (t[-1] - t[0])))
    slope, icpt = np.polyfit(t, y, 1)
    return float(slope * per / (icpt + slope * t[0]) * 100)


def trends(
    data: pd.DataFrame,
    codes: Sequence[str],
    *,
    method: str = "CAGR",
    directions: Mapping[str, float] | None = None,
    per: float = 1.0,
) -> pd.DataFrame:
    """Trend of each unit and code over a panel (COINr ``get_trends``).

    Parameters
    ----------
    data
        Panel data set (``uCode``, ``Time`` and code columns).
    codes
        Columns.
    method
        Name in :data:`TRENDS` (``CAGR`` or ``prc_change``).
    directions
        ``{code: +1/-1}``; the trend is multiplied by the direction (COINr does so
        with the iMeta directions). Default +1.
    per
        Period for ``prc_change``.

    Returns
    -------
    pandas.DataFrame
        ``uCode, iCode, <method>`` in long form; fewer than 2 available years give NaN.
    """
    f = TRENDS.get_method(method)
    rows = []
    for u, g in data.sort_values("Time").groupby("uCode", sort=True):
        t = g["Time"].to_numpy(dtype=float)
        for c in codes:
            y = g[c].to_numpy(dtype=float)
            ok = ~np.isnan(y)
            v = f(t[ok], y[ok], per) if ok.sum() >= 2 else np.nan
            d = 1.0 if directions is None else float(directions.get(c, 1.0))
            rows.append({"uCode": u, "iCode": c, method: v * d})
    return pd.DataFrame(rows)


def strengths_weaknesses(
    data: pd.DataFrame, codes: Sequence[str], unit: str, *, top: int = 5, bottom: int = 5
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A unit's best- and worst-ranked codes (COINr ``get_str_weak``).

    ``data`` should be oriented so that higher is better (e.g. the Normalised set).

    Returns
    -------
    tuple
        ``(strengths, weaknesses)``: ``iCode, Value, Rank`` tables.
    """
    V = data[list(codes)].to_numpy(dtype=float)
    R = rank_desc(V, axis=0)
    i = int(np.flatnonzero(data["uCode"].to_numpy() == unit)[0])
    tab = pd.DataFrame({"iCode": list(codes), "Value": V[i], "Rank": R[i]}).dropna(subset=["Rank"])
    tab = tab.sort_values("Rank", kind="stable")
    return tab.head(top).reset_index(drop=True), tab.tail(bottom).iloc[::-1].reset_index(drop=True)


def compare_results(a: pd.DataFrame, b: pd.DataFrame, code: str) -> pd.DataFrame:
    """Compare the ranks of ``code`` in two result sets (COINr ``compare_coins``).

    Returns
    -------
    pandas.DataFrame
        ``uCode, Rank_a, Rank_b, Diff, AbsDiff`` sorted by ``AbsDiff`` (descending).
    """
    ra = pd.DataFrame({"uCode": a["uCode"], "Rank_a": rank_desc(a[code].to_numpy(dtype=float))})
    rb = pd.DataFrame({"uCode": b["uCode"], "Rank_b": rank_desc(b[code].to_numpy(dtype=float))})
    m = ra.merge(rb, on="uCode", how="outer")
    m["Diff"] = m["Rank_b"] - m["Rank_a"]
    m["AbsDiff"] = m["Diff"].abs()
    return m.sort_values("AbsDiff", ascending=False, kind="stable").reset_index(drop=True)
