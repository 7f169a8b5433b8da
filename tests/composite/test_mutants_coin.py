"""Where the coin's data checks point (``composite/_coin.py``), read off the input by hand.

Issue 18 (mutation testing): a duplicated unit must be named with its code, and with its
year in a panel, so that the user can find the row; a check that reports the problem
without its place is useless for a table of hundreds of rows.
"""

from __future__ import annotations

import pandas as pd
import pytest

from citycheckup.composite import Coin
from citycheckup.errors import DataError, FrameworkError

META = pd.DataFrame(
    {
        "Level": [1, 2],
        "iCode": ["a", "Index"],
        "Direction": [1, 1],
        "Weight": [1, 1],
        "Parent": ["Index", None],
        "Type": ["Indicator", "Aggregate"],
    }
)
DUP = "duplicate row; each unit (and year) must appear once"


def _problems(data: pd.DataFrame) -> list[tuple[str, str]]:
    with pytest.raises(DataError) as info:
        Coin(data=data, meta=META)
    return [(p.where, p.message) for p in info.value.problems]


def test_a_duplicated_unit_is_named_once() -> None:
    """Cross-section: A appears twice (rows 1, 2), B once -> one problem at "data uCode A"."""
    data = pd.DataFrame({"uCode": ["A", "A", "B"], "a": [1.0, 2.0, 3.0]})
    assert _problems(data) == [("data uCode A", DUP)]


def test_a_duplicated_unit_year_is_named_with_its_year() -> None:
    """Panel: (A, 2020) twice, (A, 2021) and (B, 2020) once -> only "A, Time 2020"."""
    data = pd.DataFrame(
        {"uCode": ["A", "A", "A", "B"], "Time": [2020, 2020, 2021, 2020], "a": [1.0, 2, 3, 4]}
    )
    assert _problems(data) == [("data uCode A, Time 2020", DUP)]


def test_missing_table_columns_are_all_named_under_one_headline() -> None:
    """Weight and Type dropped: the error says what is wrong and lists both columns."""
    needs = "an iMeta table needs Level, iCode, Direction, Weight, Parent, Type"
    with pytest.raises(FrameworkError) as info:
        Coin(
            data=pd.DataFrame({"uCode": ["A"], "a": [1.0]}),
            meta=META.drop(columns=["Weight", "Type"]),
        )
    assert info.value.headline == "indicator table lacks required column(s)"
    assert [(p.where, p.message) for p in info.value.problems] == [
        ("meta", f"column 'Weight' is missing; {needs}"),
        ("meta", f"column 'Type' is missing; {needs}"),
    ]
