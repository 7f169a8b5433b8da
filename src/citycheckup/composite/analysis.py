"""Analysis of results: correlations, Cronbach's alpha, PCA and trends (COINr ``get_corr``,
``get_corr_flags``, ``get_pvals``, ``get_cronbach``, ``get_PCA``, ``get_trends``).

Unit-level results (tables, summaries, strengths and weaknesses, comparisons) are in
:mod:`citycheckup.composite.results`; ``strengths_weaknesses`` and ``compare_results``
are re-exported here for backward compatibility.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats as sps

from citycheckup.composite._coin import Coin
from citycheckup.composite._util import Registry
from citycheckup.composite.results import compare_results, strengths_weaknesses
from citycheckup.errors import ComputationError, PipelineError

__all__ = [
    "TRENDS",
    "compare_results",
    "correlation_flags",
    "correlation_pvalues",
    "correlation_table",
    "correlations",
    "cronbach_alpha",
    "pca_variance",
    "strengths_weaknesses",
    "trends",
]

CorrType = Literal["pearson", "spearman", "kendall"]
_TESTS = {"pearson": sps.pearsonr, "spearman": sps.spearmanr, "kendall": sps.kendalltau}


def correlation_pvalues(
    a: pd.DataFrame, b: pd.DataFrame | None = None, *, method: CorrType = "pearson"
) -> pd.DataFrame:
    """P-values of the correlations between the columns of ``a`` and ``b`` (COINr ``get_pvals``).

    Each pair uses its pairwise-complete observations (``cor.test``); a pair with fewer
    than 3 observations or a constant column gets 1. The diagonal of ``a`` with
    itself is 0.

    Returns
    -------
    pandas.DataFrame
        Rows = columns of ``a``, columns = columns of ``b`` (``a`` when ``b`` is ``None``).
    """
    if method not in _TESTS:
        raise PipelineError(
            f"unknown correlation type {method!r}; choose pearson, spearman or kendall"
        )
    same = b is None
    b = a if b is None else b
    test = _TESTS[method]
    P = np.ones((a.shape[1], b.shape[1]))
    A = a.astype(float)
    B = b.astype(float)
    for i, ca in enumerate(A.columns):
        for j, cb in enumerate(B.columns):
            if same and ca == cb:
                P[i, j] = 0.0
                continue
            x, y = A[ca].to_numpy(), B[cb].to_numpy()
            ok = ~np.isnan(x) & ~np.isnan(y)
            if ok.sum() > 2 and np.ptp(x[ok]) > 0 and np.ptp(y[ok]) > 0:
                P[i, j] = float(test(x[ok], y[ok])[1])
    return pd.DataFrame(P, index=A.columns, columns=B.columns)


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
    if pval is None or pval <= 0:
        return R
    P = correlation_pvalues(X, method=method)
    return R.where(pval >= P)


def _coinr_meta_order(coin: Coin) -> list[str]:
    """Indicator and aggregate codes in COINr's ``iMeta`` order (by level, then parent code)."""
    m = coin.meta[coin.meta["Type"].isin(["Indicator", "Aggregate"])].copy()
    m["_par"] = m["Parent"].fillna("").astype(str)
    m["_pos"] = np.arange(len(m))
    return m.sort_values(["Level", "_par", "_pos"], kind="stable")["iCode"].astype(str).tolist()


def _lineage_sorted(coin: Coin) -> pd.DataFrame:
    """COINr's ``Lineage``: one row per indicator, sorted by its ancestors from the top down."""
    lin = coin.lineage()
    return lin.sort_values(list(lin.columns[::-1]), kind="stable").reset_index(drop=True)


def level_codes(coin: Coin, level: int, within: Sequence[str] | str | None = None) -> list[str]:
    """Codes at ``level`` (below the codes ``within``, if given), in COINr's order.

    Parameters
    ----------
    coin
        Supplies the hierarchy.
    level
        Framework level (1 = indicators).
    within
        Codes of one level (e.g. a pillar); ``None`` takes the whole level.
    """
    if not 1 <= level <= coin.max_level:
        raise PipelineError(f"level must be between 1 and {coin.max_level}, got {level}")
    if within is None:
        order = _coinr_meta_order(coin)
        return [c for c in order if c in coin.levels[level]]
    within = [within] if isinstance(within, str) else list(within)
    lev_of = {c: lv for lv, cs in coin.levels.items() for c in cs}
    unknown = [c for c in within if c not in lev_of]
    if unknown:
        raise PipelineError(
            f"unknown code(s) {', '.join(unknown)}; use indicator or aggregate codes"
        )
    levs = {lev_of[c] for c in within}
    if len(levs) != 1:
        raise PipelineError("the codes in 'within' are from different levels")
    wl = levs.pop()
    if wl == level:
        return [c for c in level_codes(coin, level) if c in within]
    if wl < level:
        raise PipelineError(f"'within' codes are at level {wl}, below level {level}")
    lin = _lineage_sorted(coin)
    sel = lin.loc[lin[f"Level_{wl}"].isin(within), f"Level_{level}"]
    return list(dict.fromkeys(sel.tolist()))


def _pair_corr(x: pd.Series, y: pd.Series, method: CorrType) -> float:
    """Correlation of the pairwise-complete values; NaN (undefined) when fewer than two
    pairs remain or either side is constant, without scipy's warning about it."""
    ok = x.notna() & y.notna()
    if ok.sum() < 2 or x[ok].nunique() < 2 or y[ok].nunique() < 2:
        return float("nan")
    return float(x[ok].corr(y[ok], method=method))


def correlation_table(
    coin: Coin,
    data: pd.DataFrame,
    *,
    levels: int | Sequence[int] = 1,
    within: Sequence[Sequence[str] | str | None] | str | None = None,
    method: CorrType = "pearson",
    pval: float = 0.05,
    withparent: bool | Literal["family"] = False,
    grouplev: int | None = None,
    long: bool = True,
) -> pd.DataFrame:
    """Correlations between two sets of codes (COINr ``get_corr``).

    Parameters
    ----------
    coin
        Supplies the hierarchy.
    data
        A data set with the codes as columns (an ``Aggregated`` set for levels above 1).
    levels
        One level or two (correlate level ``levels[0]`` against ``levels[1]``); as in
        COINr the higher level comes first in the output.
    within
        Codes to restrict each side to (e.g. ``"Environ"`` for its indicators), one
        value for both sides or a pair.
    method
        ``pearson``, ``spearman`` or ``kendall``.
    pval
        Correlations whose p-value exceeds ``pval`` are NaN (0 disables). A pair with
        fewer than two complete observations or a constant side is NaN (undefined).
    withparent
        ``True``: keep only pairs of a code and its ancestor at the other level;
        ``"family"``: each code of ``levels[0]`` against all its ancestors (``Var1``
        is the ancestor's level name ``Level_k``).
    grouplev
        Same level on both sides: keep only pairs within the same group at this level.
    long
        ``True``: ``Var1, Var2, Correlation``; ``False``: a matrix.

    Returns
    -------
    pandas.DataFrame
    """
    levs = [levels] if isinstance(levels, int) else list(levels)
    if len(levs) == 1:
        levs = levs * 2
    sides = [within, within] if within is None or isinstance(within, str) else list(within)
    if len(sides) == 1:
        sides = sides * 2
    if withparent == "family":
        if levs[0] >= coin.max_level:
            raise PipelineError("withparent='family' needs a level below the top level")
        frames = []
        for lev in range(levs[0] + 1, coin.max_level + 1):
            t = correlation_table(
                coin,
                data,
                levels=(levs[0], lev),
                within=(sides[0], None),
                method=method,
                pval=pval,
                withparent=True,
            )
            t["Var1"] = f"Level_{lev}"
            frames.append(t)
        return pd.concat(frames, ignore_index=True)
    if withparent not in (True, False):
        raise PipelineError("withparent must be true, false or 'family'")
    if levs[1] > levs[0]:
        levs, sides = levs[::-1], sides[::-1]
    c1 = level_codes(coin, levs[0], sides[0])
    c2 = level_codes(coin, levs[1], sides[1])
    missing = [c for c in dict.fromkeys([*c1, *c2]) if c not in data.columns]
    if missing:
        raise PipelineError(
            f"code(s) {', '.join(missing[:5])} are not columns of the data set; "
            "levels above 1 need the Aggregated data set"
        )
    A, B = data[c1].astype(float), data[c2].astype(float)
    R = pd.DataFrame(
        {b: [_pair_corr(A[a], B[b], method) for a in c1] for b in c2}, index=c1, dtype=float
    )
    if pval > 0:
        R = R.where(correlation_pvalues(A, B, method=method).to_numpy() <= pval)
    tab = pd.DataFrame(
        {
            "Var1": np.tile(c1, len(c2)),
            "Var2": np.repeat(c2, len(c1)),
            "Correlation": R.to_numpy().T.ravel(),
        }
    )
    if withparent and levs[0] != levs[1] and len(c2) > 1:
        lin = coin.lineage()
        pairs = set(zip(lin[f"Level_{levs[0]}"], lin[f"Level_{levs[1]}"], strict=True))
        tab = tab[[(a, b) in pairs for a, b in zip(tab["Var1"], tab["Var2"], strict=True)]]
    if grouplev is not None and levs[0] == levs[1] and set(c1) == set(c2):
        if not levs[0] < grouplev <= coin.max_level:
            raise PipelineError(
                f"grouplev must be between {levs[0] + 1} and {coin.max_level}, got {grouplev}"
            )
        lin = coin.lineage()
        grp = dict(zip(lin[f"Level_{levs[0]}"], lin[f"Level_{grouplev}"], strict=True))
        tab = tab[[grp[a] == grp[b] for a, b in zip(tab["Var1"], tab["Var2"], strict=True)]]
    tab = tab.reset_index(drop=True)
    if long:
        return tab
    return tab.pivot(index="Var1", columns="Var2", values="Correlation").loc[
        list(dict.fromkeys(tab["Var1"])), list(dict.fromkeys(tab["Var2"]))
    ]


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
    with np.errstate(invalid="ignore"):
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
    use_latest: int | None = None,
    interp_at: Sequence[float] | Literal["all"] | None = None,
    time: Sequence[float] | None = None,
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
        ``{code: +1/-1}``; the trend is multiplied by the direction (COINr's
        ``adjust_directions``). Default +1.
    per
        Period for ``prc_change``.
    use_latest
        Use only the latest ``use_latest`` time points of each series, counted back
        from its last available value (NaN when the series is shorter).
    interp_at
        Years at which missing values are first filled by linear interpolation between
        available years (``"all"`` = every year of the data; no extrapolation).
    time
        Restrict to these years (ignored with ``use_latest``).

    Returns
    -------
    pandas.DataFrame
        ``uCode, iCode, <method>, Avail, t_first, t_latest`` in long form; fewer than
        2 available points give NaN.

    Notes
    -----
    COINr 1.1.14 also returns NaN when ``use_latest`` equals the whole series
    length (its check ``i_first > 1``); here the whole series is used then.
    """
    f = TRENDS.get_method(method)
    if "Time" not in data.columns:
        raise PipelineError("trends need panel data with a Time column")
    years_all = np.sort(data["Time"].dropna().unique().astype(float))
    if interp_at is not None:
        # checked before the conversion below, which fails on text with a bare ValueError
        if isinstance(interp_at, str) and interp_at != "all":
            raise PipelineError("interp_at must be 'all' or a list of years")
        pts = (
            years_all
            if isinstance(interp_at, str) and interp_at == "all"
            else np.asarray(interp_at, float)
        )
        if (pts < years_all.min()).any() or (pts > years_all.max()).any():
            raise PipelineError(
                "interp_at has year(s) outside the years of the data "
                f"({years_all.min():g}–{years_all.max():g})"
            )
    if time is not None:
        unknown = sorted(set(map(float, time)) - set(years_all.tolist()))
        if unknown:
            raise PipelineError(f"year(s) {unknown} are not in the data")
    if use_latest is not None and (not isinstance(use_latest, int) or use_latest < 2):
        raise PipelineError(f"use_latest must be an integer >= 2, got {use_latest!r}")
    rows = []
    for u, g in data.sort_values("Time").groupby("uCode", sort=True):
        t = g["Time"].to_numpy(dtype=float)
        for c in codes:
            y = g[c].to_numpy(dtype=float)
            raw_ok = ~np.isnan(y)
            tt, yy = t, y
            if interp_at is not None and raw_ok.sum() > 1:
                yy = y.copy()
                fill = np.isin(t, pts) & np.isnan(y)
                inside = (t >= t[raw_ok].min()) & (t <= t[raw_ok].max())
                yy[fill & inside] = np.interp(t[fill & inside], t[raw_ok], y[raw_ok])
            if time is not None and use_latest is None:
                keep = np.isin(tt, np.asarray(time, float))
                tt, yy = tt[keep], yy[keep]
            v = np.nan
            ok = ~np.isnan(yy)
            if use_latest is not None and ok.sum() >= 2:
                last = int(np.flatnonzero(ok)[-1])
                first = last - use_latest + 1
                if first >= 0:
                    tt, yy = tt[first : last + 1], yy[first : last + 1]
                    ok = ~np.isnan(yy)
                else:
                    ok = np.zeros_like(ok)
            if ok.sum() >= 2:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    v = f(tt[ok], yy[ok], per)
            d = 1.0 if directions is None else float(directions.get(c, 1.0))
            avail = t[raw_ok]
            rows.append(
                {
                    "uCode": u,
                    "iCode": c,
                    method: v * d,
                    "Avail": float(raw_ok.mean()),
                    "t_first": avail.min() if avail.size > 1 else np.nan,
                    "t_latest": avail.max() if avail.size > 1 else np.nan,
                }
            )
    return pd.DataFrame(rows)
