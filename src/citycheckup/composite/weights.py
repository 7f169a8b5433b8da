"""Weights: equal, effective, PCA, entropy, CRITIC, AHP, noisy sets and optimised weights.

Functions return ``{code: weight}`` mappings that plug into the aggregate step
(``weights: {...}``) or :class:`~citycheckup.composite.Coin` ``weight_sets``.
Registry :data:`WEIGHTERS` holds the data-driven methods (name → function of a
units × indicators DataFrame).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize

from citycheckup.composite._coin import Coin
from citycheckup.composite._util import Registry
from citycheckup.errors import ComputationError, PipelineError

__all__ = [
    "WEIGHTERS",
    "ahp_weights",
    "critic_weights",
    "effective_weights",
    "entropy_weights",
    "equal_weights",
    "noisy_weights",
    "optimise_weights",
    "pca_weights",
]

Weighter = Callable[..., dict[str, float]]
WEIGHTERS: Registry[Weighter] = Registry("weighting")


def equal_weights(coin: Coin) -> dict[str, float]:
    """Weight 1 for every indicator and aggregate."""
    return dict.fromkeys(coin.indicators + coin.aggregates, 1.0)


def effective_weights(coin: Coin, weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Effective weight of every code in the index (COINr ``get_eff_weights``).

    Notes
    -----
    Weights are normalised to sum 1 within each parent; the effective weight of a
    code is the product of its normalised weight and those of all its ancestors.

    Returns
    -------
    pandas.DataFrame
        ``iCode, Level, Weight (normalised within parent), EffWeight``.
    """
    w = dict(coin.weights()) if weights is None else {**coin.weights(), **weights}
    sums: dict[str, float] = {}
    for c, par in coin.parent.items():
        sums[par] = sums.get(par, 0.0) + w[c]
    norm = {c: (w[c] / sums[p] if sums[p] else np.nan) for c, p in coin.parent.items()}
    norm[coin.index_code] = 1.0
    rows = []
    for lev in range(coin.max_level, 0, -1):
        for c in coin.levels[lev]:
            eff = norm[c]
            p = coin.parent.get(c)
            while p is not None:
                eff *= norm[p]
                p = coin.parent.get(p)
            rows.append({"iCode": c, "Level": lev, "Weight": norm[c], "EffWeight": eff})
    return pd.DataFrame(rows)


@WEIGHTERS.register("pca")
def pca_weights(X: pd.DataFrame) -> dict[str, float]:
    """Loadings of the first principal component (centred, scaled, complete cases).

    Notes
    -----
    As COINr ``get_PCA``: ``prcomp(center = TRUE, scale = TRUE)`` on rows without
    missing values; the weights are the first eigenvector of the correlation matrix
    (sign chosen so that the loadings sum is positive). They can be negative.
    """
    Z = X.dropna()
    if len(Z) < 2:
        raise ComputationError("PCA weights need at least 2 units with complete data")
    C = np.corrcoef(Z.to_numpy(dtype=float), rowvar=False)
    vals, vecs = np.linalg.eigh(C)
    v = vecs[:, np.argmax(vals)]
    if v.sum() < 0:
        v = -v
    return dict(zip(X.columns, v.tolist(), strict=True))


@WEIGHTERS.register("entropy")
def entropy_weights(X: pd.DataFrame) -> dict[str, float]:
    """Entropy weights (Shannon): :math:`w_j \\propto 1 - E_j`,
    :math:`E_j = -\\sum_i p_{ij} \\ln p_{ij} / \\ln n`, :math:`p_{ij} = x_{ij}/\\sum_i x_{ij}`.

    Needs non-negative values (normalise first, e.g. min-max).
    """
    A = X.to_numpy(dtype=float)
    if np.nanmin(A) < 0:
        raise ComputationError(
            "entropy weights need non-negative values; normalise with minmax first"
        )
    n = np.sum(~np.isnan(A), axis=0)
    P = A / np.nansum(A, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        L = np.where(P > 0, P * np.log(P), 0.0)
    E = -np.nansum(L, axis=0) / np.log(n)
    d = 1 - E
    return dict(zip(X.columns, (d / d.sum()).tolist(), strict=True))


@WEIGHTERS.register("critic")
def critic_weights(X: pd.DataFrame) -> dict[str, float]:
    """CRITIC weights (Diakoulaki et al. 1995): :math:`w_j \\propto s_j \\sum_k (1 - r_{jk})`
    with the standard deviation :math:`s_j` of min-max scaled values and Pearson
    correlations :math:`r_{jk}` (pairwise complete)."""
    A = X.to_numpy(dtype=float)
    mn, mx = np.nanmin(A, axis=0), np.nanmax(A, axis=0)
    Z = (A - mn) / (mx - mn)
    s = np.nanstd(Z, axis=0, ddof=1)
    R = pd.DataFrame(Z).corr().to_numpy()
    c = s * np.sum(1 - R, axis=1)
    return dict(zip(X.columns, (c / c.sum()).tolist(), strict=True))


#: Saaty's random consistency indices for n = 1..15.
_RANDOM_INDEX = [
    0.0,
    0.0,
    0.58,
    0.90,
    1.12,
    1.24,
    1.32,
    1.41,
    1.45,
    1.49,
    1.51,
    1.48,
    1.56,
    1.57,
    1.59,
]


def ahp_weights(
    matrix: pd.DataFrame | np.ndarray, codes: Sequence[str] | None = None
) -> tuple[dict[str, float], float]:
    """AHP weights from a reciprocal pairwise-comparison matrix (Saaty).

    Parameters
    ----------
    matrix
        Square matrix with ``a_ij`` = importance of ``i`` over ``j`` and ``a_ji = 1/a_ij``.
    codes
        Names of the rows (default: the DataFrame index or ``0..n-1``).

    Returns
    -------
    tuple
        ``(weights, consistency_ratio)``: the principal eigenvector normalised to sum 1,
        and :math:`CR = ((\\lambda_{max} - n)/(n - 1)) / RI_n` (acceptable below 0.1).
    """
    A = np.asarray(matrix, dtype=float)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise PipelineError(f"the AHP matrix must be square, got shape {A.shape}")
    if not np.allclose(A * A.T, 1.0):
        raise PipelineError("the AHP matrix must be reciprocal: a_ji = 1 / a_ij and a_ii = 1")
    n = A.shape[0]
    if codes is None:
        codes = (
            [str(c) for c in matrix.index]
            if isinstance(matrix, pd.DataFrame)
            else [str(i) for i in range(n)]
        )
    vals, vecs = np.linalg.eig(A)
    k = int(np.argmax(vals.real))
    w = np.abs(vecs[:, k].real)
    w = w / w.sum()
    lam = float(vals[k].real)
    ri = _RANDOM_INDEX[n - 1] if n <= len(_RANDOM_INDEX) else 1.59
    cr = 0.0 if n <= 2 or ri == 0 else ((lam - n) / (n - 1)) / ri
    return dict(zip(codes, w.tolist(), strict=True)), float(cr)


def noisy_weights(
    coin: Coin,
    noise: Mapping[int, float],
    n: int,
    *,
    weights: Mapping[str, float] | None = None,
    seed: int | None = 1,
) -> list[dict[str, float]]:
    """``n`` weight sets with uniform noise per level (COINr ``get_noisy_weights``).

    Notes
    -----
    :math:`w' = w (1 + u)`, :math:`u \\sim U(-f_L, f_L)` for the codes of level :math:`L`.
    """
    base = {**coin.weights(), **(weights or {})}
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        w = dict(base)
        for lev, f in noise.items():
            for c in coin.levels[int(lev)]:
                w[c] = base[c] * (1 + rng.uniform(-f, f))
        out.append(w)
    return out


def optimise_weights(
    coin: Coin,
    data: pd.DataFrame,
    *,
    level: int,
    targets: Sequence[float] | Literal["equal"] = "equal",
    method: Literal["pearson", "spearman"] = "pearson",
    optype: Literal["balance", "infomax"] = "balance",
    aggregate: Mapping[str, Any] | None = None,
    tol: float = 1e-4,
    maxiter: int = 500,
) -> tuple[dict[str, float], pd.DataFrame]:
    """Optimise the weights of one level (COINr ``get_opt_weights``).

    Parameters
    ----------
    coin
        Supplies the hierarchy.
    data
        Normalised data set (``uCode`` + indicator columns).
    level
        Level whose weights are optimised (1 = indicators, below the top level).
    targets
        ``balance``: target relative importance of each code of the level (normalised
        to sum 1), or ``"equal"``. Ignored by ``infomax``.
    method
        Correlation type.
    optype
        ``"balance"``: make the shares of the codes' correlations with the index match
        the targets; ``"infomax"``: maximise the sum of those correlations (the
        information the index carries about its components).
    aggregate
        Parameters of the aggregate step used to rebuild the index.
    tol, maxiter
        Nelder-Mead settings (COINr uses a loose ``reltol = 0.1``; a tighter
        tolerance finds a better optimum).

    Notes
    -----
    ``balance`` minimises :math:`\\log \\overline{(c/\\sum c - t)^2}`, ``infomax``
    maximises :math:`\\sum c`, :math:`c` the correlations of the level's codes with
    the index rebuilt with the trial weights (Nelder-Mead on the level's weights,
    as COINr; negative trial weights are used by absolute value). Only the ratios of
    the weights matter, so the last one is held at its start value (unless that is 0)
    and the others are searched. Optimised weights are normalised to sum 1 over the
    level, as COINr.

    Returns
    -------
    tuple
        ``(weights of all codes, table iCode, target, achieved, weight)``; ``achieved``
        is the correlation share (``balance``) or the correlation (``infomax``).
        ``table.attrs`` holds ``converged`` (false when ``maxiter`` stopped the search, as
        COINr's "did not converge" message) and ``iterations``.
    """
    from citycheckup.composite.aggregate import aggregate_batch, resolve_weights, structure_codes

    if optype not in ("balance", "infomax"):
        raise PipelineError(f"optype must be 'balance' or 'infomax', got {optype!r}")
    if not 1 <= level < coin.max_level:
        raise PipelineError(f"level must be between 1 and {coin.max_level - 1}, got {level}")
    codes = list(coin.levels[level])
    if optype == "balance":
        if isinstance(targets, str):
            if targets != "equal":
                raise PipelineError("targets must be 'equal' or one number per code")
            t = np.full(len(codes), 1 / len(codes))
        else:
            t = np.asarray(targets, float)
            if t.shape != (len(codes),):
                raise PipelineError(
                    f"give {len(codes)} targets (codes {', '.join(codes)}), got {t.size}"
                )
            t = t / t.sum()
    else:
        t = np.full(len(codes), np.nan)
    params = dict(aggregate or {})
    base = resolve_weights(coin, params.pop("weights", None))
    allc = structure_codes(coin)
    pos = np.array([allc.index(c) for c in codes])
    X = data[list(coin.indicators)].to_numpy(dtype=float)
    agg_codes = coin.aggregates

    def correlations(w: np.ndarray) -> np.ndarray:
        W = base.copy()
        W[pos] = np.abs(w)
        S = aggregate_batch(coin, X, W, **params)[0]
        full = np.hstack([X, S])
        idx = full[:, len(coin.indicators) + agg_codes.index(coin.index_code)]
        cols = [full[:, allc.index(c)] for c in codes]
        df = pd.DataFrame({"i": idx, **{str(k): v for k, v in enumerate(cols)}})
        return df.corr(method=method)["i"].to_numpy()[1:]

    def obj(w: np.ndarray) -> float:
        if not np.abs(w).sum() > 0:
            return float("inf")
        c = correlations(w)
        if optype == "infomax":
            return float(-np.sum(c))
        return float(np.log(np.mean((c / c.sum() - t) ** 2) + 1e-300))

    start = t if optype == "balance" else base[pos]
    # the correlations depend only on the ratios of the weights: hold the last one at its
    # start value (when non-zero) so that the simplex cannot drift along the flat direction
    last = float(abs(start[-1]))
    opts = {"xatol": tol, "fatol": tol, "maxiter": maxiter}
    if last > 0 and len(codes) > 1:
        res = optimize.minimize(
            lambda v: obj(np.append(v, last)), start[:-1], method="Nelder-Mead", options=opts
        )
        w = np.abs(np.append(res.x, last))
    else:
        res = optimize.minimize(obj, start, method="Nelder-Mead", options=opts)
        w = np.abs(res.x)
    w = w / w.sum()
    out = {**coin.weights(), **dict(zip(codes, w.tolist(), strict=True))}
    c = correlations(w)
    table = pd.DataFrame(
        {
            "iCode": codes,
            "target": t,
            "achieved": c / c.sum() if optype == "balance" else c,
            "weight": w,
        }
    )
    table.attrs.update(converged=bool(res.success), iterations=int(res.nit))
    return out, table
