"""Group and name columns of a panel's results are taken from the same year
(``composite/results.py``, ``_attach``; issue 18, mutation testing).

Synthetic panel: units U1..U3 in 2020 and 2021; U1 and U3 change region between the
years (2020: x, x, y; 2021: y, x, x). The "Aggregated" data set is written by hand with
Index 10, 30, 20 in both years, so the order is U2, U3, U1 and the ranks 1, 2, 3. Matched
by unit alone, every row would get the group of one year for both years.
"""

from __future__ import annotations

import pandas as pd

from citycheckup.composite import Coin
from citycheckup.composite.results import results_table

META = pd.DataFrame(
    {
        "Level": [1, 1, 2],
        "iCode": ["a", "b", "Index"],
        "Direction": [1, 1, 1],
        "Weight": [1, 1, 1],
        "Parent": ["Index", "Index", None],
        "Type": ["Indicator", "Indicator", "Aggregate"],
    }
)
RAW = pd.DataFrame(
    {
        "uCode": ["U1", "U2", "U3"] * 2,
        "uName": ["One", "Two", "Three"] * 2,
        "Time": [2020] * 3 + [2021] * 3,
        "reg_group": ["x", "x", "y", "y", "x", "x"],
        "a": [1.0, 2, 3, 4, 5, 6],
        "b": [1.0, 2, 3, 4, 5, 6],
    }
)
AGG = pd.DataFrame(
    {
        "uCode": ["U1", "U2", "U3"] * 2,
        "Time": [2020] * 3 + [2021] * 3,
        "a": [1.0, 2, 3, 4, 5, 6],
        "b": [1.0, 2, 3, 4, 5, 6],
        "Index": [10.0, 30, 20, 10, 30, 20],
    }
)


def test_groups_of_the_tabulated_year() -> None:
    coin = Coin(data=RAW, meta=META)
    old = results_table(coin, AGG, group="reg_group", also=["uName"], time=2020)
    assert old["uCode"].tolist() == ["U2", "U3", "U1"]
    assert old["reg_group"].tolist() == ["x", "y", "x"]  # 2020: U2 x, U3 y, U1 x
    assert old["uName"].tolist() == ["Two", "Three", "One"]
    new = results_table(coin, AGG, group="reg_group")  # default: the latest year, 2021
    assert new["reg_group"].tolist() == ["x", "x", "y"]  # 2021: U2 x, U3 x, U1 y
    assert new["Rank"].tolist() == [1, 2, 3]


def test_group_ranks_use_the_groups_of_that_year() -> None:
    """2021: group x = U2 (30), U3 (20) -> 1, 2; group y = U1 (10) -> 1."""
    coin = Coin(data=RAW, meta=META)
    tab = results_table(coin, AGG, group="reg_group", use="groupranks")
    assert tab["uCode"].tolist() == ["U2", "U3", "U1"]
    assert tab["Index"].tolist() == [1, 2, 1]
