"""Codes without any value, reported instead of silently left out (``dropped.csv``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from citycheckup.composite._state import State

__all__ = ["dropped_codes"]


_REASONS = {
    "Raw": ("no data for any unit", "所有单位均无数据"),
    "Denominated": (
        "no value after denomination (denominator missing or zero)",
        "除以分母后无数值（分母缺失或为零）",
    ),
    "Screened": ("no value among the units kept by screening", "筛选保留的单位均无数据"),
    "Imputed": ("no value after imputation", "插补后仍无数值"),
    "Treated": ("no value after outlier treatment", "异常值处理后无数值"),
    "Normalised": (
        "no value after normalisation (a constant indicator with constant: nan)",
        "标准化后无数值（常数指标，constant: nan）",
    ),
}


def dropped_codes(state: State, scores: np.ndarray) -> pd.DataFrame:
    """Indicators and aggregates without any value (per year in panels), and why.

    Such a code is left out of its parent's mean for every unit; the table makes that
    visible (``dropped.csv``) instead of silent.

    Returns
    -------
    pandas.DataFrame
        ``iCode, Level, Parent, (Time), Reason, Reason_zh``.
    """
    coin = state.coin
    arr = state.arrays
    t = state.time
    lev_of = {c: lv for lv, cs in coin.levels.items() for c in cs}
    blocks = (
        [(None, np.arange(len(state.rows)))]
        if t is None
        else [(tt, np.flatnonzero(t == tt)) for tt in np.unique(t)]
    )
    full = np.hstack([state.X, scores])
    codes = coin.indicators + coin.aggregates
    rows = []
    for tt, pos in blocks:
        empty = np.isnan(full[pos]).all(axis=0) if pos.size else np.ones(len(codes), bool)
        for k in np.flatnonzero(empty):
            code = codes[k]
            if k < len(coin.indicators):
                reason = ("no value", "无数值")
                for name, (rws, vals, _) in state.datasets.items():
                    if name not in _REASONS:
                        continue
                    sel = rws if tt is None or arr.time is None else rws[arr.time[rws] == tt]
                    inblock = np.isin(rws, sel)
                    if not np.isnan(vals[inblock, k]).all():
                        continue
                    reason = _REASONS[name]
                    break
            else:
                kids = [c for c, p_ in coin.parent.items() if p_ == code]
                if all(empty[codes.index(c)] for c in kids):
                    reason = ("all its children have no value", "其下级指标均无数值")
                else:
                    reason = (
                        "no unit has enough of its children (min_availability)",
                        "没有单位满足下级指标的最低可得率（min_availability）",
                    )
            row = {"iCode": code, "Level": lev_of[code], "Parent": coin.parent.get(code)}
            if tt is not None:
                row["Time"] = tt
            row["Reason"] = reason[0] + (
                f"; left out of {coin.parent[code]}" if code in coin.parent else ""
            )
            row["Reason_zh"] = reason[1] + (
                f"；未计入{coin.parent[code]}" if code in coin.parent else ""
            )
            rows.append(row)
    cols = ["iCode", "Level", "Parent", *(["Time"] if t is not None else []), "Reason", "Reason_zh"]
    return pd.DataFrame(rows, columns=cols)
