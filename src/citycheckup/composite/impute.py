"""Imputation of missing values (COINr ``Impute`` and ``impute_panel``).

Registry :data:`IMPUTERS` of column methods (``mean``, ``median``, ``mean_group``,
``median_group``), applied within each time point for panels as COINr imputes
each coin of a purse separately; ``by: row`` imputes unit-wise (optionally within
the groups of one framework level: "shadow" imputation); and the panel methods
``latest``, ``constant``, ``linear`` and ``linear-constant`` use the unit's other
years.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import pandas as pd

from citycheckup.composite._state import State
from citycheckup.composite._util import Registry
from citycheckup.errors import PipelineError, Problem

__all__ = ["IMPUTERS", "PANEL_METHODS", "impute", "impute_panel_matrix"]

Imputer = Callable[..., np.ndarray]
IMPUTERS: Registry[Imputer] = Registry("imputation")

#: Panel (time-series) imputation methods.
PANEL_METHODS = ("latest", "constant", "linear", "linear-constant")


def _fill(X: np.ndarray, values: np.ndarray) -> np.ndarray:
    out = X.copy()
    nan = np.isnan(out)
    out[nan] = np.broadcast_to(values, X.shape)[nan]
    return out


@IMPUTERS.register("mean")
def i_mean(X: np.ndarray, **_: Any) -> np.ndarray:
    """Replace missing values by the column mean of the available values."""
    with np.errstate(all="ignore"):
        m = np.nanmean(X, axis=0) if X.shape[0] else np.full(X.shape[1], np.nan)
    return _fill(X, m)


@IMPUTERS.register("median")
def i_median(X: np.ndarray, **_: Any) -> np.ndarray:
    """Replace missing values by the column median of the available values."""
    out = X.copy()
    for j in range(X.shape[1]):
        col = X[:, j]
        ok = ~np.isnan(col)
        if ok.any() and not ok.all():
            out[~ok, j] = np.median(col[ok])
    return out


def _grouped(X: np.ndarray, groups: np.ndarray | None, func: Imputer) -> np.ndarray:
    if groups is None:
        raise PipelineError("group imputation needs 'group': the name of a *_group column")
    out = X.copy()
    g = pd.Series(groups)
    valid = g.notna().to_numpy()
    for label in pd.unique(g[valid]):
        pos = np.flatnonzero((g == label).to_numpy() & valid)
        out[pos] = func(X[pos])
    return out


@IMPUTERS.register("mean_group")
def i_mean_group(X: np.ndarray, *, groups: np.ndarray | None = None, **_: Any) -> np.ndarray:
    """Replace missing values by the mean of the unit's group; units without group are skipped."""
    return _grouped(X, groups, i_mean)


@IMPUTERS.register("median_group")
def i_median_group(X: np.ndarray, *, groups: np.ndarray | None = None, **_: Any) -> np.ndarray:
    """Replace missing values by the median of the unit's group; units without group are skipped."""
    return _grouped(X, groups, i_median)


@IMPUTERS.register("none")
def i_none(X: np.ndarray, **_: Any) -> np.ndarray:
    """No imputation."""
    return X


def _rowwise(
    X: np.ndarray,
    method: str,
    directions: np.ndarray,
    normalise_first: bool,
    col_groups: list[np.ndarray],
) -> np.ndarray:
    if method not in ("mean", "median"):
        raise PipelineError(f"row-wise imputation supports mean and median, not {method!r}")
    if normalise_first:
        Xd = X * directions
        with np.errstate(all="ignore"):
            mn = np.nanmin(Xd, axis=0)
            mx = np.nanmax(Xd, axis=0)
            Xn = (Xd - mn) / (mx - mn)
    else:
        Xn = X
    out = Xn.copy()
    f = np.nanmean if method == "mean" else np.nanmedian
    for cols in col_groups:
        block = Xn[:, cols]
        nan = np.isnan(block)
        rows = nan.any(axis=1) & ~nan.all(axis=1)
        if rows.any():
            fill = f(block[rows], axis=1)
            b = block[rows]
            b[np.isnan(b)] = np.broadcast_to(fill[:, None], b.shape)[np.isnan(b)]
            sub = out[:, cols]
            sub[rows] = b
            out[:, cols] = sub
    if normalise_first:
        out = (out * (mx - mn) + mn) * directions
    out[~np.isnan(X)] = X[~np.isnan(X)]
    return out


def impute_panel_matrix(
    X: np.ndarray,
    units: np.ndarray,
    time: np.ndarray,
    method: str = "latest",
    max_time: int | None = None,
) -> np.ndarray:
    """Impute each unit's time series from its other years.

    Parameters
    ----------
    X
        Values, rows = (unit, year) pairs.
    units, time
        Unit code and year of each row.
    method
        ``"latest"``: the latest earlier available value, looking back at most
        ``max_time`` time points (nothing before the first observation).
        ``"constant"``: the previous observed value, and the nearest observed value
        before the first / after the last observation (R ``approx(method="constant",
        rule=2)``). ``"linear"``: linear interpolation between observed years and the
        nearest observed value outside them (``approx(rule=2)``, COINr's ``linear``).
        ``"linear-constant"``: the same as ``linear`` (name kept for clarity).
        A series with a single observation is filled with it (constant methods).
    max_time
        Look-back limit for ``latest``.
    """
    if method not in PANEL_METHODS:
        raise PipelineError(
            f"unknown panel imputation {method!r}; choose one of {', '.join(PANEL_METHODS)}"
        )
    out = X.copy()
    years = np.sort(np.unique(time))
    for u in pd.unique(units):
        pos = np.flatnonzero(units == u)
        pos = pos[np.argsort(time[pos], kind="stable")]
        t = time[pos].astype(float)
        for j in range(X.shape[1]):
            y = X[pos, j]
            nan = np.isnan(y)
            if not nan.any() or nan.all():
                continue
            if method == "latest":
                for k in np.flatnonzero(nan):
                    older = years[years < time[pos[k]]][::-1]
                    if max_time is not None:
                        older = older[: int(max_time)]
                    for yr in older:
                        hit = np.flatnonzero(time[pos] == yr)
                        if hit.size and not np.isnan(y[hit[0]]):
                            out[pos[k], j] = y[hit[0]]
                            break
                continue
            tk, yk = t[~nan], y[~nan]
            tq = t[nan]
            if method == "constant" or tk.size == 1:
                idx = np.searchsorted(tk, tq, side="right") - 1
                idx = np.clip(idx, 0, tk.size - 1)
                vals = yk[idx]
            else:
                vals = np.interp(tq, tk, yk)  # nearest value outside (rule = 2)
            out[pos[nan], j] = vals
    return out


def _impute_values(
    state: State,
    method: str,
    group: str | None,
    by: str,
    group_level: int | None,
    normalise_first: bool | None,
    max_time: int | None,
) -> np.ndarray:
    coin = state.coin
    if method in PANEL_METHODS:
        t = state.time
        if t is None:  # checked by impute()
            raise PipelineError(f"method {method!r} needs panel data with a Time column")
        Xi = impute_panel_matrix(state.X, state.ucode, t, method, max_time)
    elif by == "row":
        lin = coin.lineage()
        if group_level is None:
            col_groups = [np.arange(len(coin.indicators))]
        else:
            labels = lin[f"Level_{int(group_level)}"].to_numpy()
            col_groups = [np.flatnonzero(labels == g) for g in pd.unique(labels)]
        nf = True if normalise_first is None else bool(normalise_first)
        dirs = state.arrays.directions
        Xi = state.per_time(lambda X, pos: _rowwise(X, method, dirs, nf, col_groups))
    else:
        func = IMPUTERS.get_method(method)
        grp = state.group(group) if group is not None else None
        Xi = state.per_time(lambda X, pos: func(X, groups=None if grp is None else grp[pos]))
    return Xi


def impute(
    state: State,
    *,
    method: str = "mean",
    group: str | None = None,
    by: Literal["column", "row"] = "column",
    group_level: int | None = None,
    normalise_first: bool | None = None,
    max_time: int | None = None,
) -> State:
    """Pipeline step ``impute``: write data set ``Imputed``.

    Parameters
    ----------
    state
        Pipeline state.
    method
        ``mean``, ``median``, ``mean_group``, ``median_group``, ``none``, or for panels
        ``latest``, ``constant``, ``linear``, ``linear-constant``.
    group
        ``*_group`` column for the group methods (COINr ``use_group``).
    by
        ``"column"`` (per indicator, default) or ``"row"`` (per unit, across its
        indicators, optionally within the groups of ``group_level``).
    group_level
        Framework level whose groups bound row-wise imputation (e.g. 2 = pillars).
    normalise_first
        Row-wise: min-max the columns (after directions) before imputing and back
        afterwards (default ``True`` for rows, as COINr).
    max_time
        Look-back limit of ``latest``.
    """
    problems: list[Problem] = []
    coin = state.coin
    if group is not None and group not in coin.group_columns:
        problems.append(
            Problem(
                f"group column {group!r} not in the data; available: {', '.join(coin.group_columns) or 'none'}",
                "impute.group",
            )
        )
    if method.endswith("_group") and group is None:
        problems.append(
            Problem(f"method {method!r} needs 'group' (a *_group column)", "impute.group")
        )
    if method in PANEL_METHODS and state.time is None:
        problems.append(
            Problem(f"method {method!r} needs panel data with a Time column", "impute.method")
        )
    if method not in PANEL_METHODS and method not in IMPUTERS:
        problems.append(
            Problem(
                f"unknown imputation method {method!r}; choose one of "
                f"{', '.join(sorted([*IMPUTERS, *PANEL_METHODS]))}",
                "impute.method",
            )
        )
    if by not in ("column", "row"):
        problems.append(Problem(f"'by' must be 'column' or 'row', got {by!r}", "impute.by"))
    if group_level is not None and not 2 <= int(group_level) <= coin.max_level:
        problems.append(
            Problem(f"group_level must be between 2 and {coin.max_level}", "impute.group_level")
        )
    if problems:
        raise PipelineError("invalid impute step", problems=problems)

    with warnings.catch_warnings():
        # all-missing columns stay missing; numpy warns "Mean of empty slice"
        warnings.simplefilter("ignore", RuntimeWarning)
        Xi = _impute_values(state, method, group, by, group_level, normalise_first, max_time)
    n_before = int(np.isnan(state.X).sum())
    n_after = int(np.isnan(Xi).sum())
    return state.with_dataset(
        "Imputed",
        Xi,
        details={"imputation": {"missing_before": n_before, "missing_after": n_after}},
    )
