"""``composite/results.py`` (COINr ``get_results``, ``get_unit_summary``, ``get_str_weak``,
``compare_coins_multi``): group ranks, chosen columns and every error path.

Synthetic coin: indicators a, b -> Index; the "Aggregated" data set is written by hand
(Index = mean of a and b), so every rank below is read off the table:

====  ====  ====  =====  =========
unit  a     b     Index  reg_group
====  ====  ====  =====  =========
U1    10    30    20     x
U2    40    20    30     x
U3    20    20    20     y
U4    0     50    25     y
====  ====  ====  =====  =========

Index ranks (1 = highest, ties share the lower rank as R ``rank(ties = "min")`` on the
negated values): U2 1, U4 2, U1 and U3 3.
"""

from __future__ import annotations

import pandas as pd
import pytest

from citycheckup.composite import Coin
from citycheckup.composite.results import (
    compare_multi,
    rank_frame,
    results_table,
    strengths_weaknesses,
    unit_strengths,
    unit_summary,
)
from citycheckup.errors import PipelineError

META = pd.DataFrame(
    {
        "Level": [1, 1, 2],
        "iCode": ["a", "b", "Index"],
        "iName": ["Air", "Bus", "City index"],
        "Direction": [1, 1, 1],
        "Weight": [1, 1, 1],
        "Parent": ["Index", "Index", None],
        "Type": ["Indicator", "Indicator", "Aggregate"],
    }
)
RAW = pd.DataFrame(
    {
        "uCode": ["U1", "U2", "U3", "U4"],
        "uName": ["One", "Two", "Three", "Four"],
        "reg_group": ["x", "x", "y", "y"],
        "a": [10.0, 40.0, 20.0, 0.0],
        "b": [30.0, 20.0, 20.0, 50.0],
    }
)
AGG = pd.DataFrame(
    {
        "uCode": ["U1", "U2", "U3", "U4"],
        "a": [10.0, 40.0, 20.0, 0.0],
        "b": [30.0, 20.0, 20.0, 50.0],
        "Index": [20.0, 30.0, 20.0, 25.0],
    }
)


@pytest.fixture(scope="module")
def coin() -> Coin:
    return Coin(data=RAW, meta=META)


def test_summary_with_names_and_ties(coin: Coin) -> None:
    tab = results_table(coin, AGG, also=["uName"])
    assert list(tab.columns) == ["uCode", "uName", "Index", "Rank"]
    assert tab["uCode"].tolist() == ["U2", "U4", "U1", "U3"]
    assert tab["uName"].tolist() == ["Two", "Four", "One", "Three"]
    assert tab["Rank"].tolist() == [1, 2, 3, 3]


def test_ranks_within_groups(coin: Coin) -> None:
    """Group x: U2 (30) 1, U1 (20) 2; group y: U4 (25) 1, U3 (20) 2; rows by group."""
    tab = results_table(coin, AGG, use="groupranks", group="reg_group")
    assert list(zip(tab["uCode"], tab["reg_group"], tab["Index"], strict=True)) == [
        ("U2", "x", 1),
        ("U1", "x", 2),
        ("U4", "y", 1),
        ("U3", "y", 2),
    ]


def test_full_table_with_indicators_from_another_data_set(coin: Coin) -> None:
    """indicators_from = Raw shown as given (here Raw a = 2 x Aggregated a); order_by a:
    U2 (80) first, then U3 (40), U1 (20), U4 (0)."""
    raw = AGG.assign(a=AGG["a"] * 2)
    tab = results_table(coin, AGG, kind="full", indicators_from=raw, order_by="a")
    assert list(tab.columns) == ["uCode", "Rank", "Index", "a", "b"]
    assert tab["uCode"].tolist() == ["U2", "U3", "U1", "U4"]
    assert tab["a"].tolist() == [80.0, 40.0, 20.0, 0.0]
    assert tab["Rank"].tolist() == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "all"}, "kind must be summary, aggregates or full, got 'all'"),
        ({"use": "values"}, "use must be scores, ranks or groupranks, got 'values'"),
        ({"use": "groupranks"}, r"^use='groupranks' needs 'group' \(a \*_group column\)$"),
        ({"order_by": "zz"}, "order_by 'zz' is not a column of the data set"),
        (
            {"group": "region"},
            r"^column\(s\) region are not in the coin's data; group columns: reg_group$",
        ),
    ],
)
def test_results_table_errors(coin: Coin, kwargs: dict, message: str) -> None:
    with pytest.raises(PipelineError, match=message):
        results_table(coin, AGG, **kwargs)


def test_results_table_needs_the_aggregated_set_and_an_existing_year(coin: Coin) -> None:
    with pytest.raises(
        PipelineError,
        match="^the data set is not an aggregated data set: Index missing; pass the Aggregated data set$",
    ):
        results_table(coin, AGG.drop(columns="Index"))
    panel = AGG.assign(Time=2020)
    with pytest.raises(PipelineError, match="no rows for Time 2019; the data have \\[2020\\]$"):
        results_table(coin, panel, time=2019)


def test_unit_summary_by_hand_and_errors(coin: Coin) -> None:
    """U4 at levels 2 and 1: Index 25 (rank 2), a 0 (rank 4), b 50 (rank 1)."""
    s = unit_summary(coin, AGG, "U4", levels=[2, 1])
    assert s["Code"].tolist() == ["Index", "a", "b"]
    assert s["Name"].tolist() == ["City index", "Air", "Bus"]
    assert s["Score"].tolist() == [25.0, 0.0, 50.0] and s["Rank"].tolist() == [2, 4, 1]
    with pytest.raises(PipelineError, match="levels must be between 1 and 2, got \\[3\\]"):
        unit_summary(coin, AGG, "U4", levels=[3])
    with pytest.raises(PipelineError, match="unit 'U9' is not in the data set"):
        unit_summary(coin, AGG, "U9")
    with pytest.raises(
        PipelineError, match="^Index are not in the data set; pass the Aggregated data set$"
    ):
        unit_summary(coin, AGG.drop(columns="Index"), "U4")


def test_strengths_drop_near_constant_codes_at_the_boundary() -> None:
    """c is 1, 1, 1, 2: 2 distinct of 4 = 0.5. unq_discard 0.5 drops it (kept only when
    the share is above); 0.49 keeps it. U4 ranks: b 1, c 1 (2 is the highest), a 4."""
    data = AGG.assign(c=[1.0, 1.0, 1.0, 2.0])
    s, _ = strengths_weaknesses(data, ["a", "b", "c"], "U4", unq_discard=0.5, min_discard=False)
    assert s["iCode"].tolist() == ["b", "a"]
    s, _ = strengths_weaknesses(data, ["a", "b", "c"], "U4", unq_discard=0.49, min_discard=False)
    assert s["iCode"].tolist() == ["b", "c", "a"]
    with pytest.raises(PipelineError, match="unq_discard must be between 0 and 1, got 1.5"):
        strengths_weaknesses(data, ["a"], "U4", unq_discard=1.5)
    with pytest.raises(PipelineError, match="unit 'U9' is not in the data set"):
        strengths_weaknesses(data, ["a"], "U9")


def test_unit_strengths_within_the_group(coin: Coin) -> None:
    """U3 within group y (U3, U4): a 20 vs 0 -> rank 1; b 20 vs 50 -> rank 2 (the group's
    worst, so min_discard leaves it out of the weaknesses)."""
    s, w = unit_strengths(coin, AGG, "U3", group="reg_group")
    assert s["Code"].tolist() == ["a"] and s["Rank"].tolist() == [1]
    assert s["Name"].tolist() == ["Air"] and s["Level_2"].tolist() == ["Index"]
    assert w["Code"].tolist() == ["a"]
    with pytest.raises(PipelineError, match="report_level must be between 2 and 2"):
        unit_strengths(coin, AGG, "U3", report_level=1)


def test_rank_frame_needs_its_group_column() -> None:
    with pytest.raises(PipelineError, match="group column 'g' is not in the table"):
        rank_frame(AGG, ["a"], group="g")


def test_compare_multi_absolute_differences_and_errors() -> None:
    """Alternative: Index 20, 10, 30, 25 -> ranks U1 3, U2 4, U3 1, U4 2; base ranks
    3, 1, 3, 2; |differences| 0, 3, 2, 0. As COINr (``R/compare.R``: the sort comes after
    the differences, on the base column, now all 0) the rows keep the base order."""
    alt = AGG.assign(Index=[20.0, 10.0, 30.0, 25.0])
    out = compare_multi({"base": AGG, "alt": alt}, "Index", table="absdiffs")
    assert out["uCode"].tolist() == ["U1", "U2", "U3", "U4"]
    assert out["alt"].tolist() == [0, 3, 2, 0] and out["base"].tolist() == [0, 0, 0, 0]
    scores = compare_multi({"base": AGG, "alt": alt}, "Index", by="scores", table="diffs")
    # scores 20, 30, 20, 25 sorted ascending by the base diff (0): base order; alt - base
    assert scores["alt"].tolist() == [0.0, -20.0, 10.0, 0.0]
    with pytest.raises(PipelineError, match="compare at least two results"):
        compare_multi({"base": AGG}, "Index")
    with pytest.raises(PipelineError, match="base 'zz' is not one of base, alt"):
        compare_multi({"base": AGG, "alt": alt}, "Index", base="zz")
    with pytest.raises(PipelineError, match="'Q' is not a column of result 'base'"):
        compare_multi({"base": AGG, "alt": alt}, "Q")
    with pytest.raises(PipelineError, match="table must be values, diffs or absdiffs, got 'x'"):
        compare_multi({"base": AGG, "alt": alt}, "Index", table="x")  # type: ignore[arg-type]


def test_aggregates_as_ranks(coin: Coin) -> None:
    """use = ranks: the scores become their ranks (U2 1, U4 2, U1 and U3 tied 3); no
    separate Rank column."""
    tab = results_table(coin, AGG, kind="aggregates", use="ranks")
    assert list(tab.columns) == ["uCode", "Index"]
    assert tab["uCode"].tolist() == ["U2", "U4", "U1", "U3"]
    assert tab["Index"].tolist() == [1, 2, 3, 3]
