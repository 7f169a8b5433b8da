"""Peer groups: same province, same city-size class, or a user-given list.

City-size classes follow the State Council's 2014 notice on adjusting the criteria
for city size (国发〔2014〕51号), by urban resident population (城区常住人口):
超大城市 ≥ 10 million; 特大城市 5–10 million; I型大城市 3–5 million; II型大城市 1–3
million; 中等城市 0.5–1 million; I型小城市 0.2–0.5 million; II型小城市 < 0.2 million
(lower bounds inclusive).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, overload

import numpy as np
import pandas as pd

from citycheckup.errors import DataError

__all__ = ["SIZE_CLASSES", "PeerSpec", "city_size_class", "peer_group", "peer_medians"]

#: (code, zh, en, lower bound in 万人) — largest first.
SIZE_CLASSES: list[tuple[str, str, str, float]] = [
    ("megacity", "超大城市", "megacity", 1000.0),
    ("supercity", "特大城市", "super-large city", 500.0),
    ("large_1", "I型大城市", "large city (type I)", 300.0),
    ("large_2", "II型大城市", "large city (type II)", 100.0),
    ("medium", "中等城市", "medium city", 50.0),
    ("small_1", "I型小城市", "small city (type I)", 20.0),
    ("small_2", "II型小城市", "small city (type II)", 0.0),
]


@overload
def city_size_class(population_10k: pd.Series) -> pd.Series: ...


@overload
def city_size_class(population_10k: float) -> str | None: ...


def city_size_class(population_10k: pd.Series | float) -> pd.Series | str | None:
    """Size class code for an urban resident population given in 万人 (10,000 persons).

    Examples
    --------
    >>> city_size_class(1200.0), city_size_class(300.0), city_size_class(99.9)
    ('megacity', 'large_1', 'medium')
    """

    def one(p: float) -> str | None:
        if p is None or (isinstance(p, float) and np.isnan(p)) or p < 0:
            return None
        for code, _, _, lo in SIZE_CLASSES:
            if p >= lo:
                return code
        return None

    if isinstance(population_10k, pd.Series):
        return population_10k.map(one)
    return one(float(population_10k))


PeerSpec = Literal["province", "size_class"] | Sequence[str]


def peer_group(
    values: pd.DataFrame,
    by: PeerSpec,
    *,
    unit: str = "unit_code",
    name: str = "custom",
) -> pd.Series:
    """The peer group of every row of ``values``.

    Parameters
    ----------
    values
        Table with ``unit`` and, for ``by="province"`` / ``"size_class"``, that column.
    by
        ``"province"`` (same province), ``"size_class"`` (same city-size class, see
        :data:`SIZE_CLASSES`) or a user-given list of unit codes: those units form one
        group called ``name``; every other row gets no group (missing).

    Returns
    -------
    pandas.Series
        Group label per row (aligned to ``values.index``), missing where a unit has none.

    Raises
    ------
    DataError
        When the grouping column is absent, or a user list names no unit of ``values``.

    Examples
    --------
    >>> v = pd.DataFrame({"unit_code": ["a", "b", "c"], "province": ["P", "P", "Q"]})
    >>> peer_group(v, "province").tolist()
    ['P', 'P', 'Q']
    >>> peer_group(v, ["a", "c"]).tolist()
    ['custom', nan, 'custom']
    """
    if isinstance(by, str):
        if by not in values.columns:
            raise DataError(
                f"peer grouping {by!r} needs a column {by!r}; the table has "
                f"{', '.join(map(str, values.columns[:12]))}; use province, size_class or a list "
                "of unit codes"
            )
        return values[by].astype("object").where(values[by].notna())
    members = {str(u) for u in by}
    present = members & set(values[unit].astype(str))
    if not present:
        raise DataError(
            f"none of the {len(members)} peer units ({', '.join(sorted(members)[:8])}) is in the "
            "data; give unit codes as in the unit_code column"
        )
    inside = values[unit].astype(str).isin(members).to_numpy()
    return pd.Series([name if x else None for x in inside], index=values.index, dtype="object")


def peer_medians(
    values: pd.DataFrame,
    codes: Sequence[str],
    groups: pd.Series,
    *,
    year: str = "year",
    min_peers: int = 3,
) -> pd.DataFrame:
    """Median of each indicator within each peer group and year, aligned to ``values``' rows.

    Groups with fewer than ``min_peers`` values of an indicator get no median (missing).
    The unit itself is part of its group (the median of the group the unit belongs to).
    """
    cols = [c for c in codes if c in values.columns]
    frame = values[[year, *cols]].assign(_g=groups.to_numpy())
    g = frame.groupby([year, "_g"], sort=False, dropna=True)[cols]
    med = g.transform("median")
    cnt = g.transform("count")
    return med.where(cnt >= min_peers)
