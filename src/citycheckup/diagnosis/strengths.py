"""Strengths and weak points (短板) of each unit by rank within its peer groups."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

__all__ = ["peer_ranks", "strengths_weaknesses", "weak_points_by_target"]


def peer_ranks(
    values: pd.DataFrame,
    directions: Mapping[str, int],
    *,
    group: str,
    unit: str = "unit_code",
    year: str = "year",
) -> pd.DataFrame:
    """Rank of every unit on every indicator within its peer group and year.

    Rank 1 is best (highest value for direction +1, lowest for −1); ties take the
    minimum rank; missing values are not ranked.

    Returns
    -------
    pandas.DataFrame
        Long: ``unit, year, group, indicator, value, peer_rank, peer_n, peer_percentile``
        where ``peer_percentile`` is 1 for the best and 0 for the worst unit of the group.
    """
    codes = [c for c in directions if c in values.columns]
    long = (
        values[[unit, year, group, *codes]]
        .melt(id_vars=[unit, year, group], var_name="indicator", value_name="value")
        .dropna(subset=["value", group])
    )
    long["signed"] = long["value"] * long["indicator"].map(directions)
    g = long.groupby([year, group, "indicator"], sort=False)["signed"]
    long["peer_rank"] = g.rank(ascending=False, method="min")
    long["peer_n"] = g.transform("count")
    denom = (long["peer_n"] - 1).where(long["peer_n"] > 1)
    long["peer_percentile"] = 1.0 - (long["peer_rank"] - 1) / denom
    return long.drop(columns="signed").reset_index(drop=True)


def strengths_weaknesses(
    values: pd.DataFrame,
    directions: Mapping[str, int],
    *,
    groups: dict[str, str],
    top: int = 5,
    min_peers: int = 3,
    unit: str = "unit_code",
    year: str = "year",
) -> pd.DataFrame:
    """Top-``top`` strengths and weak points of every unit-year within each peer grouping.

    Parameters
    ----------
    values
        Wide table of raw indicator values with the grouping columns.
    directions
        Indicator code → +1 / −1.
    groups
        Peer grouping name → column in ``values`` (e.g. ``{"province": "province",
        "size_class": "size_class"}``).
    min_peers
        Groups with fewer units with a value are skipped (a rank among 2 says little).

    Returns
    -------
    pandas.DataFrame
        ``unit, year, peer_type, peer_group, kind (strength|weakness), position, indicator,
        value, peer_rank, peer_n``. Strengths are the indicators with the best peer
        percentile; weak points the worst. Ties are broken by the indicator order.
    """
    out = []
    for peer_type, col in groups.items():
        if col not in values.columns:
            continue
        r = peer_ranks(values, directions, group=col, unit=unit, year=year)
        r = r[r["peer_n"] >= min_peers]
        if r.empty:
            continue
        order = {c: i for i, c in enumerate(directions)}
        r = r.assign(_o=r["indicator"].map(order))
        best = r.sort_values(
            [unit, year, "peer_percentile", "_o"], ascending=[True, True, False, True]
        )
        worst = r.sort_values(
            [unit, year, "peer_percentile", "_o"], ascending=[True, True, True, True]
        )
        for kind, frame in (("strength", best), ("weakness", worst)):
            top_rows = frame.groupby([unit, year], sort=False).head(top).copy()
            top_rows["position"] = top_rows.groupby([unit, year], sort=False).cumcount() + 1
            top_rows["kind"] = kind
            top_rows["peer_type"] = peer_type
            top_rows = top_rows.rename(columns={col: "peer_group"})
            out.append(
                top_rows[
                    [
                        unit,
                        year,
                        "peer_type",
                        "peer_group",
                        "kind",
                        "position",
                        "indicator",
                        "value",
                        "peer_rank",
                        "peer_n",
                    ]
                ]
            )
    if not out:
        return pd.DataFrame(
            columns=[
                unit,
                year,
                "peer_type",
                "peer_group",
                "kind",
                "position",
                "indicator",
                "value",
                "peer_rank",
                "peer_n",
            ]
        )
    res = pd.concat(out, ignore_index=True)
    res["peer_rank"] = res["peer_rank"].astype("int64")
    res["peer_n"] = res["peer_n"].astype("int64")
    res["peer_group"] = res["peer_group"].astype(str)
    return res.sort_values([unit, year, "peer_type", "kind", "position"]).reset_index(drop=True)


def weak_points_by_target(
    gaps: pd.DataFrame, *, top: int = 5, unit: str = "unit_code", year: str = "year"
) -> pd.DataFrame:
    """The ``top`` indicators of each unit-year farthest from their targets (短板 by distance to target).

    Parameters
    ----------
    gaps
        Output of :func:`citycheckup.diagnosis.target_gaps`.

    Returns
    -------
    pandas.DataFrame
        The rows of ``gaps`` that miss their target, largest ``shortfall_pct`` first, with
        ``position`` (1 = farthest).
    """
    miss = gaps[~gaps["attained"].astype(bool)]
    miss = miss.sort_values(
        [unit, year, "shortfall_pct"], ascending=[True, True, False], kind="stable"
    )
    out = miss.groupby([unit, year], sort=False).head(top).copy()
    out["position"] = out.groupby([unit, year], sort=False).cumcount() + 1
    return out.reset_index(drop=True)
