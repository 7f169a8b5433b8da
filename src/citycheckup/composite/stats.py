"""Checks and statistics: per indicator, per unit, indicator–denominator correlations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from citycheckup.composite._coin import Coin
from citycheckup.composite._util import kurt, skew
from citycheckup.composite.screen import unit_availability

__all__ = ["denominator_correlations", "indicator_stats", "unit_data_availability"]


def indicator_stats(
    data: pd.DataFrame,
    codes: Sequence[str],
    *,
    t_avail: float = 0.65,
    t_zero: float = 0.5,
    t_unique: float = 0.5,
    skew_thresh: float = 2.0,
    kurt_thresh: float = 3.5,
) -> pd.DataFrame:
    """Statistics per indicator (COINr ``get_stats``).

    Parameters
    ----------
    data
        A data set (one column per code).
    codes
        Columns to describe.
    t_avail, t_zero, t_unique
        Flag ``"LOW"`` when the share of available / non-zero / unique values is below
        (a column without any value is ``"LOW"`` on all three).
    skew_thresh, kurt_thresh
        Flag ``"OUT"`` when ``|skew| > skew_thresh`` and ``kurtosis > kurt_thresh``.

    Returns
    -------
    pandas.DataFrame
        ``iCode, Min, Max, Mean, Median, Std, Skew, Kurt, N.Avail, N.NonZero, N.Unique,
        N.Same, Frc.Avail, Frc.NonZero, Frc.Zero, Frc.Unique, Frc.Same, Flag.Avail, Flag.NonZero,
        Flag.Unique, Flag.SkewKurt``. Skew and kurtosis are the bias-corrected "type 2"
        kind (Excel ``SKEW``/``KURT``); shares of non-zero, unique and same values are
        of the available values.
    """
    rows = []
    n = len(data)
    for code in codes:
        x = data[code].to_numpy(dtype=float)
        v = x[~np.isnan(x)]
        na = v.size
        if na:
            _, counts = np.unique(v, return_counts=True)
            nunique, nsame = counts.size, int(counts.max())
        else:
            nunique, nsame = 0, 0
        nz = int(np.sum(v != 0))
        sk, kt = skew(x), kurt(x)
        frc_avail = na / n if n else np.nan
        frc_nz = nz / na if na else np.nan
        frc_unq = nunique / na if na else np.nan
        rows.append(
            {
                "iCode": code,
                "Min": v.min() if na else np.nan,
                "Max": v.max() if na else np.nan,
                "Mean": v.mean() if na else np.nan,
                "Median": float(np.median(v)) if na else np.nan,
                "Std": v.std(ddof=1) if na > 1 else np.nan,
                "Skew": sk,
                "Kurt": kt,
                "N.Avail": na,
                "N.NonZero": nz,
                "N.Unique": nunique,
                "N.Same": nsame,
                "Frc.Avail": frc_avail,
                "Frc.NonZero": frc_nz,
                "Frc.Zero": 1 - frc_nz if na else np.nan,
                "Frc.Unique": frc_unq,
                "Frc.Same": nsame / na if na else np.nan,
                "Flag.Avail": "LOW" if frc_avail < t_avail else "ok",
                # an indicator without any value is LOW, not "ok" (COINr: nzero/n = 0)
                "Flag.NonZero": "ok" if frc_nz >= t_zero else "LOW",
                "Flag.Unique": "ok" if frc_unq >= t_unique else "LOW",
                "Flag.SkewKurt": "OUT" if (abs(sk) > skew_thresh and kt > kurt_thresh) else "ok",
            }
        )
    return pd.DataFrame(rows)


def unit_data_availability(coin: Coin, data: pd.DataFrame) -> pd.DataFrame:
    """Data availability per unit (COINr ``get_data_avail``), overall and per aggregate.

    Returns
    -------
    pandas.DataFrame
        ``uCode, (Time), N_missing, N_zero, Dat_Avail, Non_Zero`` and one column per
        aggregate code with the share of its indicators available.
    """
    X = data[list(coin.indicators)].to_numpy(dtype=float)
    avail, nonzero = unit_availability(X)
    head = ["uCode"] + (["Time"] if "Time" in data.columns else [])
    out = data[head].reset_index(drop=True).copy()
    out["N_missing"] = np.isnan(X).sum(axis=1)
    out["N_zero"] = (X == 0).sum(axis=1)
    out["Dat_Avail"] = avail
    out["Non_Zero"] = nonzero
    lin = coin.lineage()
    ok = ~np.isnan(X)
    for lev in range(2, coin.max_level + 1):
        labels = lin[f"Level_{lev}"].to_numpy()
        for code in coin.levels[lev]:
            out[code] = ok[:, labels == code].mean(axis=1)
    return out


def denominator_correlations(
    coin: Coin,
    data: pd.DataFrame,
    *,
    threshold: float = 0.6,
    method: Literal["pearson", "kendall", "spearman"] = "pearson",
) -> pd.DataFrame:
    """Correlations of each indicator with each denominator (size effects), flagged above ``threshold``.

    Returns
    -------
    pandas.DataFrame
        Long table ``iCode, Denominator, r, Flag`` (``Flag`` true when ``|r| > threshold``).
        ``r`` uses the units with both values; it is NaN (undefined, ``Flag`` false) when
        fewer than two units have both or either side is constant.
    """
    base = coin.data.set_index(["uCode", "Time"] if "Time" in data.columns else ["uCode"])
    key = ["uCode", "Time"] if "Time" in data.columns else ["uCode"]
    dens = base.loc[
        pd.MultiIndex.from_frame(data[key]) if len(key) > 1 else data["uCode"],
        list(coin.denominator_columns),
    ]
    rows = []
    for code in coin.indicators:
        x = pd.Series(data[code].to_numpy(dtype=float))
        for den in coin.denominator_columns:
            d = pd.Series(dens[den].to_numpy(dtype=float))
            ok = x.notna() & d.notna()
            # undefined: skip scipy, which warns on too few or constant values
            defined = ok.sum() >= 2 and x[ok].nunique() > 1 and d[ok].nunique() > 1
            r = x[ok].corr(d[ok], method=method) if defined else np.nan
            rows.append(
                {"iCode": code, "Denominator": den, "r": r, "Flag": bool(abs(r) > threshold)}
            )
    return pd.DataFrame(rows)
