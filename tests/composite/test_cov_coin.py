"""``composite/_coin.py``: validation of the indicator table and the data. Every problem is
reported at once, each naming where (the table row as a spreadsheet shows it: header is
row 1, so the first data row is row 2) and how to fix it. Synthetic tables.

The rules are COINr's ``new_coin`` checks (bluefoxr/COINr at commit b968203,
``R/new_coin.R``): unique codes, Level 1 = indicators, parents one level up, directions
±1, non-negative weights.
"""

from __future__ import annotations

import pandas as pd
import pytest

from citycheckup.composite import Coin
from citycheckup.errors import DataError, FrameworkError, MethodNotFoundError

NAN = float("nan")


def _meta(**override: list) -> pd.DataFrame:
    base = {
        "Level": [1, 1, 2],
        "iCode": ["a", "b", "Index"],
        "Direction": [1, 1, 1],
        "Weight": [1.0, 1.0, 1.0],
        "Parent": ["Index", "Index", None],
        "Type": ["Indicator", "Indicator", "Aggregate"],
    }
    base.update(override)
    return pd.DataFrame(base)


DATA = pd.DataFrame({"uCode": ["X", "Y"], "a": [1.0, 2.0], "b": [3.0, 4.0]})


def _problems(exc_type: type, **kwargs: object) -> list[tuple[str, str]]:
    with pytest.raises(exc_type) as info:
        Coin(**kwargs)  # type: ignore[arg-type]
    return [(p.where, p.message) for p in info.value.problems]


def test_every_row_problem_of_the_table_at_once() -> None:
    meta = pd.DataFrame(
        {
            "Level": [1, 1, 2, 1, 1, 1, 2, 1, 3],
            "iCode": [None, "1bad", "a", "c", "d", "e", "f", "e", "Index"],
            "Direction": [1, 1, 1, 2, 1, 1, 1, 1, 1],
            "Weight": [1, 1, 1, 1, -1, NAN, 1, 1, 1],
            "Parent": ["P"] * 8 + [None],
            "Type": [
                "Indicator",
                "Indicator",
                "Indicator",
                "Indicator",
                "Indicator",
                "Indicator",
                "Pillar",
                "Indicator",
                "Aggregate",
            ],
        }
    )
    got = _problems(FrameworkError, data=DATA, meta=meta)
    assert got == [
        ("meta row 2", "iCode is empty; give every row a code"),
        ("meta row 3 (iCode 1bad)", "iCode must not contain spaces or start with a digit"),
        ("meta row 4 (iCode a)", "indicators must be at Level 1"),
        ("meta row 5 (iCode c)", "Direction must be 1 or -1, got 2"),
        ("meta row 6 (iCode d)", "Weight must be >= 0, got -1.0"),
        ("meta row 7 (iCode e)", "Weight is missing"),
        (
            "meta row 8 (iCode f)",
            "Type 'Pillar' is not one of Indicator, Aggregate, Denominator, Group, Other",
        ),
        ("iCode e", "iCode appears more than once; codes must be unique"),
    ]


def test_aggregate_below_level_two() -> None:
    got = _problems(FrameworkError, data=DATA, meta=_meta(Level=[1, 1, 1]))
    assert got == [("meta row 4 (iCode Index)", "aggregates must be at Level >= 2")]


def test_every_hierarchy_problem_at_once() -> None:
    """Levels 1 and 3 only (gap at 2); the top code has a parent; b has none; c names an
    unknown parent."""
    meta = pd.DataFrame(
        {
            "Level": [1, 1, 1, 3],
            "iCode": ["a", "b", "c", "Index"],
            "Direction": [1, 1, 1, 1],
            "Weight": [1, 1, 1, 1],
            "Parent": ["Index", None, "Nope", "Up"],
            "Type": ["Indicator"] * 3 + ["Aggregate"],
        }
    )
    got = _problems(FrameworkError, data=DATA, meta=meta)
    assert got == [
        ("meta", "level 2 has no entries; levels must have no gaps"),
        ("iCode a", "Parent 'Index' is at level 3, expected level 2"),
        ("iCode b", "Parent is missing"),
        ("iCode c", "Parent 'Nope' is not an aggregate in the table"),
        ("iCode Index", "the top level has no parent, but Parent is 'Up'"),
    ]


def test_aggregate_without_children() -> None:
    """P2 is a pillar of Index but no indicator names it as its parent."""
    meta = pd.DataFrame(
        {
            "Level": [1, 1, 2, 2, 3],
            "iCode": ["a", "b", "P1", "P2", "Index"],
            "Direction": [1] * 5,
            "Weight": [1] * 5,
            "Parent": ["P1", "P1", "Index", "Index", None],
            "Type": ["Indicator"] * 2 + ["Aggregate"] * 3,
        }
    )
    assert _problems(FrameworkError, data=DATA, meta=meta) == [
        ("iCode P2", "aggregate has no children")
    ]


def test_table_of_the_wrong_kind_or_without_columns() -> None:
    with pytest.raises(FrameworkError, match="meta must be a pandas DataFrame .*got dict"):
        Coin(data=DATA, meta={"iCode": ["a"]})  # type: ignore[arg-type]
    got = _problems(FrameworkError, data=DATA, meta=_meta().drop(columns=["Weight", "Type"]))
    need = "an iMeta table needs Level, iCode, Direction, Weight, Parent, Type"
    assert got == [
        ("meta", f"column 'Weight' is missing; {need}"),
        ("meta", f"column 'Type' is missing; {need}"),
    ]


def test_data_problems() -> None:
    with pytest.raises(DataError, match="data must be a pandas DataFrame, got list"):
        Coin(data=[1, 2], meta=_meta())  # type: ignore[arg-type]
    assert _problems(DataError, data=DATA.drop(columns="uCode"), meta=_meta()) == [
        ("data", "add a column 'uCode' with one code per unit")
    ]
    meta = _meta(Denominator=["pop", None, None])
    bad = DATA.assign(Time=["2020", "2021"])
    assert _problems(DataError, data=bad, meta=meta) == [
        ("data column Time", "Time must be numeric (a year)"),
        ("indicator a", "denominator column 'pop' is missing from the data"),
    ]


def test_weight_sets_and_exclusions() -> None:
    got = _problems(FrameworkError, data=DATA, meta=_meta(), weight_sets={"w": [1, 2]})
    assert got == [("weight set w", "a weight set maps codes to weights")]
    got = _problems(FrameworkError, data=DATA, meta=_meta(), exclude=("Index", "zz"))
    assert got == [
        ("exclude Index", "not an indicator code of the table"),
        ("exclude zz", "not an indicator code of the table"),
    ]
    coin = Coin(data=DATA, meta=_meta(), weight_sets={"heavy_a": {"a": 3.0}})
    assert coin.weights("heavy_a") == {"a": 3.0, "b": 1.0, "Index": 1.0}
    with pytest.raises(MethodNotFoundError) as info:
        coin.weights("light")
    assert str(info.value) == (
        "unknown weight set method 'light'; choose one of: Original, heavy_a"
    )
