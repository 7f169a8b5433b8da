"""Improvement priorities: which indicator, brought to a reference level, raises a city's index most.

The gain of every candidate improvement is *computed by re-running the composite
pipeline* (:func:`citycheckup.checkup.rescore`) on modified indicator values, never
estimated from weights.

Vectorisation and when it is exact
----------------------------------
Re-running the pipeline once per (city, indicator) pair would cost hundreds of runs.
Instead, the modified copies of a city's row are appended to the panel as extra
*pseudo-units* and all are scored in one call. That is exact only when the extra rows
do not change the normalisation reference. With min-max normalisation the reference of
an indicator is its minimum and maximum over the reference set (all years with global
normalisation, the scored year otherwise). For each modification the bounds of its own
exact re-run are computed directly — the extremes of the reference set without the
modified cell, plus the new value — and compared with the bounds of the stacked call
(the reference set plus all new values). Modifications whose bounds agree are scored in
the stacked call; the others (a city holding the unique worst value, a target outside
the observed range that not all modifications share …) get an exact re-run of their
own. With z-score normalisation every added row moves the mean and sd, so every
modification is re-run exactly.

This bound test holds for a pipeline screen (row-wise) → normalise → aggregate
(row-wise), i.e. a check-up run with ``treatment="none"``.

Every other modification — and all of them when the run treats outliers (COINr's default
winsorisation, whose result depends on the whole column) or uses z-scores — is scored by
an exact re-run. Re-runs are *packed*: modifications of distinct indicators **and**
distinct cities share one run, which is then checked: every city not modified in it must
score exactly as in the original run. Every step works column by column (treatment, per
year; normalisation) or row by row (screening, aggregation), so when no modified column
changed its treatment or normalisation for the other cities, each modified city's score in
the packed run equals its score in a run of its own; when the check fails (a city holding a
bound, z-scores, a flipped winsorisation), the run's modifications are re-run one by one.
With 12 indicators a run carries up to 12 modifications. A stacked run is checked the same
way. Tests compare both shortcuts with one run per modification.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd

from citycheckup.diagnosis.peers import PeerSpec, peer_group, peer_medians
from citycheckup.errors import DataError


class CheckupResult(Protocol):
    """What priorities need of a check-up result (:class:`citycheckup.checkup.CheckupResult`)."""

    framework: Any
    options: Any
    coverage: pd.DataFrame
    years: list[int]
    panel: pd.DataFrame
    indicators: pd.DataFrame
    scores: pd.DataFrame

    def rescore(self, indicators: pd.DataFrame) -> pd.DataFrame: ...


__all__ = ["improvement_priorities"]

log = logging.getLogger(__name__)

UNIT, NAME, YEAR = "unit_code", "unit_name", "year"
_SEP = "#prio"

COLUMNS = [
    UNIT,
    YEAR,
    "priority",
    "indicator",
    "dimension",
    "direction",
    "value",
    "reference",
    "reference_kind",
    "peer_group",
    "index",
    "index_new",
    "gain",
    "dimension_score",
    "dimension_score_new",
    "rank",
    "rank_new",
    "method",
]


def _extremes(a: np.ndarray) -> tuple[float, int, float, float, int, float]:
    """min, count of min, second distinct min, max, count of max, second distinct max of ``a`` (NaN-free)."""
    u, cnt = np.unique(a, return_counts=True)
    if u.size == 0:
        return (np.nan, 0, np.nan, np.nan, 0, np.nan)
    lo2 = u[1] if u.size > 1 else np.nan
    hi2 = u[-2] if u.size > 1 else np.nan
    return (float(u[0]), int(cnt[0]), float(lo2), float(u[-1]), int(cnt[-1]), float(hi2))


def _exact_bounds(
    old: np.ndarray, new: np.ndarray, ext: tuple[float, int, float, float, int, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of the reference set with each ``old`` cell replaced by ``new``."""
    mn, cmn, mn2, mx, cmx, mx2 = ext
    lo_wo = np.where((old == mn) & (cmn == 1), mn2, mn)
    hi_wo = np.where((old == mx) & (cmx == 1), mx2, mx)
    lo = np.fmin(lo_wo, new)
    hi = np.fmax(hi_wo, new)
    return lo, hi


def _pack(mods: pd.DataFrame) -> list[list[int]]:
    """Group modifications into runs with pairwise distinct indicators and distinct cities."""
    queues = {c: list(g.index) for c, g in mods.groupby("indicator", sort=False)}
    runs: list[list[int]] = []
    while any(queues.values()):
        used: set[str] = set()
        batch: list[int] = []
        for q in queues.values():
            for k, j in enumerate(q):
                u = str(mods.at[j, UNIT])
                if u not in used:
                    batch.append(j)
                    used.add(u)
                    q.pop(k)
                    break
        runs.append(batch)
    return runs


def improvement_priorities(
    result: CheckupResult,
    *,
    reference: Literal["peer_median", "target"] = "peer_median",
    peer: PeerSpec = "province",
    year: int | None = None,
    units: Sequence[str] | None = None,
    top: int | None = 5,
    min_peers: int = 3,
    strategy: Literal["auto", "exact"] = "auto",
) -> pd.DataFrame:
    """For each city, the indicators whose improvement would raise its index most.

    Every used indicator on which a city is worse than the reference is set to the
    reference value (all else unchanged); the pipeline is re-run and the change of the
    city's index is its *gain*.

    Parameters
    ----------
    result
        A finished check-up.
    reference
        ``"peer_median"``: the median of the city's peer group in that year;
        ``"target"``: the indicator's target in the framework.
    peer
        Peer group for ``"peer_median"``: ``"province"``, ``"size_class"`` or a list of
        unit codes (see :func:`~citycheckup.diagnosis.peers.peer_group`).
    year
        Year (default: the last scored year).
    units
        Cities to compute (default: all).
    top
        Keep the ``top`` largest gains per city (``None``: every improvement).
    min_peers
        A peer group needs this many values of an indicator for a median.
    strategy
        ``"auto"``: stack modified copies as pseudo-units where that is provably exact,
        re-run the rest in packed runs (see the module notes); ``"exact"``: one run per
        modification (the reference the shortcuts are tested against).

    Returns
    -------
    pandas.DataFrame
        ``unit_code, year, priority (1 = largest gain), indicator, dimension, direction,
        value, reference, reference_kind, peer_group, index, index_new, gain,
        dimension_score, dimension_score_new, rank, rank_new, method (stacked|packed|rerun)``.
        Only improvements with a positive gain are listed.

    Raises
    ------
    DataError
        When ``year`` was not scored or the peer grouping cannot be formed.
    """
    fw = result.framework
    used = result.coverage.loc[result.coverage["status"] == "used", "indicator"].tolist()
    y = int(year if year is not None else result.years[-1])
    if y not in result.years:
        raise DataError(
            f"year {y} was not scored (scored: {', '.join(map(str, result.years))}); choose one of those"
        )
    panel = (result.panel if not result.panel.empty else result.indicators).reset_index(drop=True)
    directions = {i.code: int(i.direction) for i in fw.indicators if i.code in used}
    top_dim = fw.top_dimension_of()
    rows_y = panel.index[panel[YEAR] == y].to_numpy()
    cur = panel.loc[rows_y].reset_index(drop=True)
    info = result.indicators[result.indicators[YEAR] == y].drop_duplicates(UNIT).set_index(UNIT)
    group_src = cur[[UNIT, YEAR]].copy()
    for col in ("province", "size_class"):
        if col in info.columns:
            group_src[col] = cur[UNIT].map(info[col]).to_numpy()
    if reference == "peer_median":
        groups = peer_group(group_src, peer)
        ref = peer_medians(cur, used, groups, min_peers=min_peers)
        kind = f"peer_median:{peer}" if isinstance(peer, str) else "peer_median:custom"
    elif reference == "target":
        groups = pd.Series([None] * len(cur), index=cur.index, dtype="object")
        ref = pd.DataFrame(
            {c: fw.indicator(c).target for c in used}, index=cur.index, dtype="float64"
        )
        kind = "target"
    else:
        raise DataError(f"reference must be peer_median or target, got {reference!r}")
    base = result.scores[result.scores[YEAR] == y].drop_duplicates(UNIT).set_index(UNIT)
    wanted = set(map(str, units)) if units is not None else None

    mods = []
    for c in used:
        v = cur[c].to_numpy(dtype="float64")
        ind = fw.indicator(c)
        if ind.kind == "band":
            # the reference of a band indicator is the nearest edge of its band, whatever the peers do
            lo, hi = ind.band
            r = np.clip(v, lo, hi)
            worse = ~np.isnan(v) & (r != v)
        else:
            r = ref[c].to_numpy(dtype="float64") if c in ref.columns else np.full(len(cur), np.nan)
            worse = ~np.isnan(v) & ~np.isnan(r) & ((r - v) * directions[c] > 0)
        for k in np.flatnonzero(worse):
            u = str(cur.at[k, UNIT])
            if wanted is not None and u not in wanted:
                continue
            if u not in base.index or pd.isna(base.at[u, fw.index_code]):
                continue
            mods.append((k, u, c, float(v[k]), float(r[k])))
    if not mods:
        return pd.DataFrame(columns=COLUMNS)
    m = pd.DataFrame(mods, columns=["row", UNIT, "indicator", "value", "reference"])
    if strategy not in ("auto", "exact"):
        raise DataError(f"strategy must be auto or exact, got {strategy!r}")
    opts = result.options
    # normalise → aggregate only, with min-max: stacking is exact wherever the bounds agree
    absolute = getattr(opts, "scoring", "relative") == "absolute"
    provable = (
        not absolute
        and opts.normalisation == "minmax"
        and getattr(opts, "treatment", "none") == "none"
    )
    # absolute scores are row-wise (fixed goalposts): extra rows never change another unit's score
    m["stacked"] = bool(strategy == "auto" and absolute)
    if strategy == "auto" and provable:
        refset = panel if opts.global_normalisation else cur
        for c, idx in m.groupby("indicator").groups.items():
            a = refset[c].to_numpy(dtype="float64")
            ext = _extremes(a[~np.isnan(a)])
            old = m.loc[idx, "value"].to_numpy()
            new = m.loc[idx, "reference"].to_numpy()
            lo_e, hi_e = _exact_bounds(old, new, ext)
            keep = np.ones(len(idx), dtype=bool)
            while keep.any():
                lo_b = min(ext[0], float(new[keep].min()))
                hi_b = max(ext[3], float(new[keep].max()))
                ok = keep & (lo_e == lo_b) & (hi_e == hi_b)
                if (ok == keep).all():
                    break
                keep = ok
            m.loc[idx, "stacked"] = keep

    m["index_new"] = np.nan
    m["dimension_score_new"] = np.nan
    idx_code = fw.index_code
    st = m[m["stacked"]]
    if not st.empty:
        pseudo = cur.loc[st["row"].to_numpy()].copy()
        pseudo[UNIT] = [f"{u}{_SEP}{i}" for u, i in zip(st[UNIT], range(len(st)), strict=True)]
        for j, (c, val) in enumerate(zip(st["indicator"], st["reference"], strict=True)):
            pseudo.iat[j, pseudo.columns.get_loc(c)] = val
        stacked = pd.concat([panel, pseudo], ignore_index=True)
        sc = result.rescore(stacked)
        sc = sc[sc[YEAR] == y].set_index(UNIT)
        keys = pseudo[UNIT].to_numpy()
        m.loc[st.index, "index_new"] = sc.loc[keys, idx_code].to_numpy()
        dims = [top_dim[c] for c in st["indicator"]]
        m.loc[st.index, "dimension_score_new"] = [
            sc.at[k, d] for k, d in zip(keys, dims, strict=True)
        ]
        # guard: the extra rows must not have changed how the real cities score
        orig = sc.reindex(base.index)[idx_code].to_numpy(dtype="float64")
        ref_idx = base[idx_code].to_numpy(dtype="float64")
        moved = np.nanmax(np.abs(orig - ref_idx)) if np.isfinite(orig - ref_idx).any() else 0.0
        if moved > 1e-9:
            log.warning(
                "priorities: stacked rows moved the scores of real cities by %.3g; re-running "
                "every modification exactly",
                moved,
            )
            m["stacked"] = False
        log.debug("priorities: %d modifications scored in one stacked run", len(st))
    rr = m[~m["stacked"]]
    # one run per modification ("exact"), or packed: modifications of distinct indicators and
    # distinct cities share a run (see the module notes)
    runs = _pack(rr) if strategy == "auto" else [[j] for j in rr.index]
    score_cols = [c for c in [idx_code, *fw.dimension_codes] if c in base.columns]
    base_scores = base[score_cols].to_numpy(dtype="float64")
    n_fallback = 0
    queue = list(runs)
    packed: set[int] = set()
    while queue:
        batch = queue.pop(0)
        mod = panel.copy()
        for j in batch:
            r_, c_ = int(rows_y[m.at[j, "row"]]), mod.columns.get_loc(m.at[j, "indicator"])
            mod.iat[r_, c_] = m.at[j, "reference"]
        sc = result.rescore(mod)
        sc = sc[sc[YEAR] == y]
        sc = sc.set_index(sc[UNIT].astype(str))
        if len(batch) > 1:
            # verify: every city not modified in this run must score exactly as in the run itself,
            # i.e. no modified column changed its treatment or normalisation for the others
            mine = {str(m.at[j, UNIT]) for j in batch}
            keep = ~base.index.astype(str).isin(mine)
            now = sc.reindex(base.index.astype(str))[score_cols].to_numpy(dtype="float64")
            diff = np.abs(now[keep] - base_scores[keep])
            same_nan = np.isnan(now[keep]) == np.isnan(base_scores[keep])
            if not same_nan.all() or (np.nan_to_num(diff) > 1e-9).any():
                queue.extend([[j] for j in batch])  # not separable: one run each
                n_fallback += len(batch)
                continue
            packed.update(batch)
        for j in batch:
            u = str(m.at[j, UNIT])
            m.at[j, "index_new"] = sc.at[u, idx_code]
            m.at[j, "dimension_score_new"] = sc.at[u, top_dim[m.at[j, "indicator"]]]
    if len(rr):
        log.debug(
            "priorities: %d modifications re-run exactly (%d packed, %d one by one)",
            len(rr),
            len(packed),
            len(rr) - len(packed),
        )
    m["method"] = [
        "stacked" if st_ else ("packed" if j in packed else "rerun")
        for j, st_ in zip(m.index, m["stacked"], strict=True)
    ]

    m[YEAR] = y
    m["dimension"] = m["indicator"].map(top_dim)
    m["direction"] = m["indicator"].map(directions)
    # a band indicator's reference is the nearest end of its band, whatever the reference mode
    m["reference_kind"] = [
        ("band" if fw.indicator(c).kind == "band" else kind) for c in m["indicator"]
    ]
    m["peer_group"] = groups.to_numpy()[m["row"].to_numpy()]
    m["index"] = m[UNIT].map(base[idx_code]).astype("float64")
    m["dimension_score"] = [base.at[u, d] for u, d in zip(m[UNIT], m["dimension"], strict=True)]
    m["gain"] = m["index_new"] - m["index"]
    m["rank"] = m[UNIT].map(base[f"rank_{idx_code}"]).astype("Int64")
    b_idx = base[idx_code].to_numpy(dtype="float64")
    b_codes = base.index.astype(str).to_numpy()[~np.isnan(b_idx)]
    b_idx = b_idx[~np.isnan(b_idx)]
    # new rank among the other cities' unchanged indices (the city's own old score excluded)
    m["rank_new"] = [
        int(np.sum((b_idx > s) & (b_codes != u))) + 1
        for u, s in zip(m[UNIT], m["index_new"], strict=True)
    ]
    m = m[m["gain"] > 1e-12]
    m = m.sort_values([UNIT, "gain"], ascending=[True, False])
    m["priority"] = m.groupby(UNIT, sort=False).cumcount() + 1
    if top is not None:
        m = m[m["priority"] <= top]
    m["rank_new"] = m["rank_new"].astype("Int64")
    return m[COLUMNS].reset_index(drop=True)
