"""Results for people: tables, unit summaries, strengths and weaknesses, comparisons.

COINr's ``get_results``, ``get_unit_summary``, ``get_str_weak``, ``rank_df``,
``compare_coins`` and ``compare_coins_multi``. Ranks are COINr's: 1 = highest value,
ties take the minimum rank, missing values stay missing; group ranks are ranks
within each value of a ``*_group`` column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from citycheckup.composite._coin import Coin
from citycheckup.composite._util import rank_desc
from citycheckup.errors import PipelineError

__all__ = [
    "compare_multi",
    "compare_results",
    "rank_frame",
    "results_table",
    "strengths_weaknesses",
    "unit_strengths",
    "unit_summary",
]


def rank_frame(
    df: pd.DataFrame, codes: Sequence[str] | None = None, *, group: str | None = None
) -> pd.DataFrame:
    """Ranks of the numeric columns ``codes`` (COINr ``rank_df``), optionally within groups.

    Parameters
    ----------
    df
        A table; other columns are kept as they are.
    codes
        Columns to rank (default: every numeric column except ``Time``).
    group
        Rank within each value of this column; rows without a group get missing ranks.
    """
    codes = (
        [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c]) and c != "Time"]
        if codes is None
        else list(codes)
    )
    out = df.copy()
    V = df[codes].to_numpy(dtype=float)
    if group is None:
        R = rank_desc(V, axis=0)
    else:
        if group not in df.columns:
            raise PipelineError(f"group column {group!r} is not in the table")
        R = np.full(V.shape, np.nan)
        g = df[group].to_numpy(dtype=object)
        for val in pd.unique(g[pd.notna(g)]):
            pos = np.flatnonzero(g == val)
            R[pos] = rank_desc(V[pos], axis=0)
    for j, c in enumerate(codes):
        out[c] = pd.array(R[:, j], dtype="Float64").astype("Int64")
    return out


def _structure_order(coin: Coin) -> list[str]:
    """Aggregates from the top down, ordered by parent within a level (COINr's results order)."""
    m = coin.meta[coin.meta["Type"].isin(["Indicator", "Aggregate"])].copy()
    m["_par"] = m["Parent"].fillna("").astype(str)
    m["_pos"] = np.arange(len(m))
    m = m.sort_values(["Level", "_par", "_pos"], kind="stable")  # COINr's iMeta order
    m["_neg"] = -m["Level"]
    m["_pos2"] = np.arange(len(m))
    return m.sort_values(["_neg", "_par", "_pos2"], kind="stable")["iCode"].astype(str).tolist()


def _one_time(data: pd.DataFrame, time: Any) -> pd.DataFrame:
    if "Time" not in data.columns:
        return data
    t = data["Time"].max() if time is None else time
    sel = data[data["Time"] == t]
    if sel.empty:
        raise PipelineError(
            f"no rows for Time {t!r}; the data have {sorted(data['Time'].unique().tolist())}"
        )
    return sel


def _attach(coin: Coin, data: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    """Columns of the coin's data (groups, names) for the rows of ``data``, matched by unit (and year)."""
    missing = [c for c in cols if c not in coin.data.columns]
    if missing:
        raise PipelineError(
            f"column(s) {', '.join(missing)} are not in the coin's data; "
            f"group columns: {', '.join(coin.group_columns) or 'none'}"
        )
    key = ["uCode", "Time"] if "Time" in data.columns and "Time" in coin.data.columns else ["uCode"]
    extra = coin.data[key + [c for c in cols if c not in key]].drop_duplicates(key)
    return data[key].merge(extra, on=key, how="left")[list(cols)].set_axis(data.index)


def results_table(
    coin: Coin,
    data: pd.DataFrame,
    *,
    kind: Literal["summary", "aggregates", "full"] = "summary",
    use: Literal["scores", "ranks", "groupranks"] = "scores",
    group: str | None = None,
    order_by: str | None = None,
    nround: int | None = 2,
    indicators_from: pd.DataFrame | None = None,
    also: Sequence[str] = (),
    time: Any = None,
) -> pd.DataFrame:
    """A results table sorted by the index (COINr ``get_results``).

    Parameters
    ----------
    coin
        Supplies the hierarchy and the group columns.
    data
        The ``Aggregated`` data set.
    kind
        ``"summary"`` (``order_by`` and ``Rank``), ``"aggregates"`` (``Rank`` and every
        aggregate from the top down) or ``"full"`` (also the indicators).
    use
        ``"scores"``, ``"ranks"`` or ``"groupranks"`` (ranks within ``group``).
    group
        A ``*_group`` column of the coin's data, shown after ``uCode``.
    order_by
        Code to sort by (default: the index).
    nround
        Decimals of the scores (``None``: no rounding).
    indicators_from
        Another data set (e.g. ``Raw``) to take the indicator columns from.
    also
        Further columns of the coin's data to show (e.g. ``uName``).
    time
        Panels: the year to tabulate (default the latest).

    Returns
    -------
    pandas.DataFrame
    """
    if kind not in ("summary", "aggregates", "full"):
        raise PipelineError(f"kind must be summary, aggregates or full, got {kind!r}")
    if use not in ("scores", "ranks", "groupranks"):
        raise PipelineError(f"use must be scores, ranks or groupranks, got {use!r}")
    if use == "groupranks" and group is None:
        raise PipelineError("use='groupranks' needs 'group' (a *_group column)")
    data = _one_time(data, time).reset_index(drop=True)
    struct = _structure_order(coin)
    missing = [c for c in struct if c not in data.columns]
    if missing:
        raise PipelineError(
            "the data set is not an aggregated data set: "
            f"{', '.join(missing[:5])} missing; pass the Aggregated data set"
        )
    tab = data[["uCode", *struct]].copy()
    if indicators_from is not None:
        ind = _one_time(indicators_from, time).set_index("uCode")
        for c in coin.indicators:
            tab[c] = ind[c].reindex(tab["uCode"]).to_numpy()
    meta_cols = list(dict.fromkeys([*([group] if group else []), *also]))
    if meta_cols:
        extra = _attach(coin, data, meta_cols)
        for i, c in enumerate(meta_cols):
            tab.insert(1 + i, c, extra[c].to_numpy())
    head = ["uCode", *meta_cols]
    sortcode = order_by or coin.index_code
    if sortcode not in tab.columns:
        raise PipelineError(f"order_by {sortcode!r} is not a column of the data set")
    tab["Rank"] = rank_desc(tab[sortcode].to_numpy(dtype=float))
    aggs = [c for c in struct if c in coin.aggregates]
    if kind == "summary":
        cols = [*head, sortcode, "Rank"]
    elif kind == "aggregates":
        cols = [*head, "Rank", *aggs]
    else:
        lin = coin.lineage()
        inds = lin.sort_values(list(lin.columns[::-1]), kind="stable")["Level_1"].tolist()
        cols = [*head, "Rank", *aggs, *inds]
    tab = tab[cols]
    tab = tab.iloc[np.argsort(-tab[sortcode].to_numpy(dtype=float), kind="stable")]
    numeric = [c for c in cols if c not in head and c != "Rank"]
    if use == "ranks":
        tab = rank_frame(tab.drop(columns="Rank"), list(numeric))
    elif use == "groupranks":
        tab = rank_frame(tab.drop(columns="Rank"), list(numeric), group=group)
        tab = tab.iloc[np.argsort(tab[group].astype(str).to_numpy(), kind="stable")]
    else:
        tab["Rank"] = tab["Rank"].astype("Int64")
        if nround is not None:
            tab[numeric] = tab[numeric].astype(float).round(nround)
    return tab


def unit_summary(
    coin: Coin,
    data: pd.DataFrame,
    unit: str,
    *,
    levels: Sequence[int] | None = None,
    nround: int | None = 2,
    time: Any = None,
) -> pd.DataFrame:
    """Scores and ranks of one unit at the given levels (COINr ``get_unit_summary``).

    Returns
    -------
    pandas.DataFrame
        ``Code, Name, Score, Rank``, the highest level first.
    """
    data = _one_time(data, time).reset_index(drop=True)
    levels = list(range(coin.max_level, 1, -1)) if levels is None else list(levels)
    bad = [lv for lv in levels if not 1 <= lv <= coin.max_level]
    if bad:
        raise PipelineError(f"levels must be between 1 and {coin.max_level}, got {bad}")
    hit = np.flatnonzero(data["uCode"].to_numpy() == unit)
    if hit.size == 0:
        raise PipelineError(f"unit {unit!r} is not in the data set")
    lev_of = {c: lv for lv, cs in coin.levels.items() for c in cs}
    codes = [c for c in _structure_order(coin) if lev_of[c] in levels]
    missing = [c for c in codes if c not in data.columns]
    if missing:
        raise PipelineError(
            f"{', '.join(missing[:5])} are not in the data set; pass the Aggregated data set"
        )
    V = data[codes].to_numpy(dtype=float)
    R = rank_desc(V, axis=0)
    names = dict(zip(coin.meta["iCode"], coin.meta.get("iName", coin.meta["iCode"]), strict=True))
    out = pd.DataFrame(
        {
            "Code": codes,
            "Name": [names.get(c, c) for c in codes],
            "Score": V[hit[0]],
            "Rank": pd.array(R[hit[0]], dtype="Float64").astype("Int64"),
        }
    )
    if nround is not None:
        out["Score"] = out["Score"].round(nround)
    return out


def strengths_weaknesses(
    data: pd.DataFrame,
    codes: Sequence[str],
    unit: str,
    *,
    top: int = 5,
    bottom: int = 5,
    directions: Mapping[str, float] | None = None,
    min_discard: bool = True,
    unq_discard: float | None = None,
    group: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A unit's best- and worst-ranked codes (COINr ``get_str_weak``).

    Parameters
    ----------
    data
        A data set (``uCode`` and the code columns).
    codes
        Indicator codes, in the order used to break ties.
    unit
        The unit.
    top, bottom
        How many strengths and weaknesses.
    directions
        ``{code: +1/-1}`` to orient raw data so that higher is better (omit for
        normalised data).
    min_discard
        Leave out codes in which the unit has the worst rank of all units (COINr's
        default): a tied-last value, e.g. one of many zeros, is not a weakness that
        tells anything.
    unq_discard
        Leave out codes whose share of distinct values (missing counted as one value,
        as COINr) is at most this (e.g. 0.2 for yes/no indicators).
    group
        A column of ``data``: rank within the unit's group.

    Returns
    -------
    tuple
        ``(strengths, weaknesses)``: ``iCode, Value, Rank`` tables, each sorted by rank
        (weaknesses end with the worst).
    """
    codes = list(codes)
    hit = np.flatnonzero(data["uCode"].to_numpy() == unit)
    if hit.size == 0:
        raise PipelineError(f"unit {unit!r} is not in the data set")
    if unq_discard is not None:
        if not 0 <= unq_discard <= 1:
            raise PipelineError(f"unq_discard must be between 0 and 1, got {unq_discard}")
        frc = {c: data[c].nunique(dropna=False) / len(data) for c in codes}
        codes = [c for c in codes if frc[c] > unq_discard]
    V = data[codes].to_numpy(dtype=float)
    if directions is not None:
        V = V * np.array([float(directions.get(c, 1.0)) for c in codes])
    frame = pd.DataFrame(V, columns=codes)
    if group is not None:
        frame["_g"] = data[group].to_numpy()
    ranked = rank_frame(frame, codes, group="_g" if group is not None else None)
    R = ranked[codes].to_numpy(dtype=float)
    i = int(hit[0])
    tab = pd.DataFrame(
        {"iCode": codes, "Value": data[codes].to_numpy(dtype=float)[i], "Rank": R[i]}
    ).dropna(subset=["Rank"])
    if min_discard and len(tab):
        col = {c: j for j, c in enumerate(codes)}
        worst_of = {c: np.nanmax(R[:, col[c]]) for c in tab["iCode"]}  # the unit's rank exists
        tab = tab[[r != worst_of[c] for c, r in zip(tab["iCode"], tab["Rank"], strict=True)]]
    tab = tab.iloc[np.argsort(tab["Rank"].to_numpy(), kind="stable")]
    return tab.head(top).reset_index(drop=True), tab.tail(bottom).reset_index(drop=True)


def _signif(x: np.ndarray, digits: int) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = np.where(x == 0, 0, np.floor(np.log10(np.abs(x))))
    factor = 10.0 ** (digits - 1 - mag)
    return np.where(np.isfinite(x), np.round(x * factor) / factor, x)


def unit_strengths(
    coin: Coin,
    data: pd.DataFrame,
    unit: str,
    *,
    top: int = 5,
    bottom: int = 5,
    adjust_direction: bool = True,
    min_discard: bool = True,
    unq_discard: float | None = None,
    group: str | None = None,
    report_level: int = 2,
    sig_figs: int | None = 3,
    time: Any = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Strengths and weaknesses of a unit with names, groups and units (COINr ``get_str_weak``).

    Ties are broken in COINr's indicator order (by parent code, then framework
    order). ``adjust_direction`` should be ``True`` for raw data and ``False`` for
    normalised data (already oriented).

    Returns
    -------
    tuple
        ``(strengths, weaknesses)`` with ``Code, Name, Level_<report_level>, Rank,
        Value`` (and ``Unit`` when the indicator table has one).
    """
    if not 2 <= report_level <= coin.max_level:
        raise PipelineError(f"report_level must be between 2 and {coin.max_level}")
    data = _one_time(data, time).reset_index(drop=True)
    if group is not None:
        data = data.assign(**{group: _attach(coin, data, [group])[group].to_numpy()})
    m = coin.meta[coin.meta["Type"] == "Indicator"].copy()
    m["_pos"] = np.arange(len(m))
    m = m.sort_values(["Parent", "_pos"], kind="stable")
    codes = m["iCode"].astype(str).tolist()
    dirs = dict(zip(codes, m["Direction"].astype(float), strict=True)) if adjust_direction else None
    s, w = strengths_weaknesses(
        data,
        codes,
        unit,
        top=top,
        bottom=bottom,
        directions=dirs,
        min_discard=min_discard,
        unq_discard=unq_discard,
        group=group,
    )
    lin = coin.lineage().set_index("Level_1")[f"Level_{report_level}"]
    meta = coin.meta.set_index("iCode")

    def dress(t: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame(
            {
                "Code": t["iCode"].to_numpy(),
                "Name": [meta["iName"].get(c, c) if "iName" in meta else c for c in t["iCode"]],
                f"Level_{report_level}": [lin[c] for c in t["iCode"]],
                "Rank": t["Rank"].astype("Int64").to_numpy(),
                "Value": _signif(t["Value"].to_numpy(), sig_figs) if sig_figs else t["Value"],
            }
        )
        if "Unit" in meta.columns:
            out["Unit"] = [meta["Unit"].get(c) for c in t["iCode"]]
        return out

    return dress(s), dress(w)


def compare_results(a: pd.DataFrame, b: pd.DataFrame, code: str) -> pd.DataFrame:
    """Compare the ranks of ``code`` in two result sets (COINr ``compare_coins``).

    Returns
    -------
    pandas.DataFrame
        ``uCode, Rank_a, Rank_b, Diff, AbsDiff`` with ``Diff = Rank_b - Rank_a``, sorted
        by ``AbsDiff`` (descending). COINr's ``compare_coins`` reports ``coin.1 - coin.2``,
        the opposite sign; :func:`compare_multi` with ``table="diffs"`` follows COINr.
    """
    ra = pd.DataFrame({"uCode": a["uCode"], "Rank_a": rank_desc(a[code].to_numpy(dtype=float))})
    rb = pd.DataFrame({"uCode": b["uCode"], "Rank_b": rank_desc(b[code].to_numpy(dtype=float))})
    m = ra.merge(rb, on="uCode", how="outer")
    m["Diff"] = m["Rank_b"] - m["Rank_a"]
    m["AbsDiff"] = m["Diff"].abs()
    return m.sort_values("AbsDiff", ascending=False, kind="stable").reset_index(drop=True)


def compare_multi(
    results: Mapping[str, pd.DataFrame],
    code: str,
    *,
    by: Literal["ranks", "scores"] = "ranks",
    table: Literal["values", "diffs", "absdiffs"] = "values",
    base: str | None = None,
    sort: bool = True,
    time: Any = None,
) -> pd.DataFrame:
    """Compare one code across several results (COINr ``compare_coins_multi``).

    Parameters
    ----------
    results
        ``{name: data set}`` (each with ``uCode`` and ``code``), e.g. the
        ``Aggregated`` sets of alternative methodologies.
    code
        The indicator or aggregate to compare (usually the index).
    by
        Compare ``ranks`` (each result ranked on its own units) or ``scores``.
    table
        ``values``, ``diffs`` (each minus the base) or ``absdiffs``.
    base
        Name of the base result (default: the first); its units define the rows.
    sort
        Sort rows by the base column.
    time
        Panels: the year to compare (default the latest).

    Returns
    -------
    pandas.DataFrame
        ``uCode`` and one column per result (base first); units missing from a
        result are missing there.
    """
    if len(results) < 2:
        raise PipelineError("compare at least two results")
    names = list(results)
    base = names[0] if base is None else base
    if base not in results:
        raise PipelineError(f"base {base!r} is not one of {', '.join(names)}")
    order = [base, *[n for n in names if n != base]]
    out: pd.DataFrame | None = None
    for n in order:
        df = _one_time(results[n], time)
        if code not in df.columns:
            raise PipelineError(f"{code!r} is not a column of result {n!r}")
        vals = df[code].to_numpy(dtype=float)
        col = rank_desc(vals) if by == "ranks" else vals
        part = pd.DataFrame({"uCode": df["uCode"].to_numpy(), n: col})
        out = part if out is None else out.merge(part, on="uCode", how="left")
    assert out is not None
    if table in ("diffs", "absdiffs"):
        ref = out[base].to_numpy(dtype=float).copy()
        for n in order:
            out[n] = out[n].to_numpy(dtype=float) - ref
        if table == "absdiffs":
            out[order] = out[order].abs()
    elif table != "values":
        raise PipelineError(f"table must be values, diffs or absdiffs, got {table!r}")
    if sort:
        out = out.iloc[np.argsort(out[base].to_numpy(dtype=float), kind="stable")]
    if by == "ranks":
        for n in order:
            out[n] = pd.array(out[n].to_numpy(dtype=float), dtype="Float64").astype("Int64")
    return out.reset_index(drop=True)
