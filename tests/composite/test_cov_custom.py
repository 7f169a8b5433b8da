"""``composite/custom.py`` (COINr ``Custom``): results and every error path, synthetic data.

COINr 1.1.14 (bluefoxr/COINr at commit b968203, ``R/custom.R``) applies a user function to a
data set and writes the result as a new one; here the function gets ``uCode`` (and
``Time``) plus the indicator columns and must return the same layout.
"""

from __future__ import annotations

import pandas as pd
import pytest

from citycheckup.composite import Coin
from citycheckup.composite._state import State
from citycheckup.composite.custom import custom, resolve_function
from citycheckup.errors import PipelineError

NAN = float("nan")


def _coin(panel: bool = False) -> Coin:
    """Synthetic: units A, B, C with a = 1, 2, 3 and b = 10, 20, 30."""
    meta = pd.DataFrame(
        {
            "Level": [1, 1, 2],
            "iCode": ["a", "b", "Index"],
            "Direction": [1, 1, 1],
            "Weight": [1, 1, 1],
            "Parent": ["Index", "Index", None],
            "Type": ["Indicator", "Indicator", "Aggregate"],
        }
    )
    data = pd.DataFrame({"uCode": ["A", "B", "C"], "a": [1.0, 2.0, 3.0], "b": [10.0, 20.0, 30.0]})
    if panel:
        data = pd.concat(
            [data.assign(Time=2020), data.assign(Time=2021, a=[4.0, 5.0, 6.0])], ignore_index=True
        )
    return Coin(data=data, meta=meta)


def test_reordered_and_dropped_rows_follow_their_units() -> None:
    """The function reverses the rows, drops B and doubles b: C (3, 60), A (1, 20) come
    back in the original order A, C."""

    def f(df: pd.DataFrame, *, k: float) -> pd.DataFrame:
        out = df.iloc[::-1]
        out = out[out["uCode"] != "B"].copy()
        out["b"] = out["b"] * k
        return out

    st = custom(State.initial(_coin()), function=f, params={"k": 2}, name="Doubled")
    frame = st.frame("Doubled")
    assert frame["uCode"].tolist() == ["A", "C"]
    assert frame["a"].tolist() == [1.0, 3.0] and frame["b"].tolist() == [20.0, 60.0]


def test_panel_rows_are_matched_on_unit_and_year() -> None:
    """The function sees Time and sets a to missing for (B, 2021) only."""

    def f(df: pd.DataFrame) -> pd.DataFrame:
        assert list(df.columns) == ["uCode", "Time", "a", "b"]
        df.loc[(df["uCode"] == "B") & (df["Time"] == 2021), "a"] = NAN
        return df.iloc[::-1]

    frame = custom(State.initial(_coin(panel=True)), function=f).frame("Custom")
    assert frame["Time"].tolist() == [2020, 2020, 2020, 2021, 2021, 2021]
    assert frame["a"].tolist()[:4] == [1.0, 2.0, 3.0, 4.0]
    assert pd.isna(frame["a"].iloc[4]) and frame["a"].iloc[5] == 6.0


def test_resolve_function_by_import_path() -> None:
    assert resolve_function("tests.composite.helpers:keep_first").__name__ == "keep_first"
    assert resolve_function("os.path:join") is __import__("os").path.join


@pytest.mark.parametrize(
    ("function", "message"),
    [
        (
            "no_colon_here",
            "^custom step: 'function' must be a callable or 'module:name', got 'no_colon_here'$",
        ),
        (42, "^custom step: 'function' must be a callable or 'module:name', got 42$"),
        (
            "citycheckup.nope:f",
            r"^custom step: cannot import 'citycheckup\.nope:f': No module named 'citycheckup\.nope'$",
        ),
        (
            "os.path:not_there",
            r"^custom step: cannot import 'os\.path:not_there': module 'posixpath' has no attribute 'not_there'$",
        ),
        ("os:sep", "^custom step: 'os:sep' is not callable$"),
    ],
)
def test_bad_function_names(function: object, message: str) -> None:
    with pytest.raises(PipelineError, match=message):
        resolve_function(function)  # type: ignore[arg-type]


def test_the_users_exception_is_reported_with_the_step() -> None:
    def boom(df: pd.DataFrame) -> pd.DataFrame:
        raise ZeroDivisionError("division by zero in my code")

    with pytest.raises(PipelineError) as info:
        custom(State.initial(_coin()), function=boom, name="Fix")
    assert str(info.value) == (
        "custom step 'Fix': the function raised ZeroDivisionError: division by zero in my code"
    )
    assert isinstance(info.value.__cause__, ZeroDivisionError)


def test_a_result_that_is_not_a_table() -> None:
    with pytest.raises(
        PipelineError,
        match="^custom step 'Custom': the function must return a DataFrame, got list$",
    ):
        custom(State.initial(_coin()), function=lambda df: [1, 2])


def test_missing_columns_are_listed() -> None:
    with pytest.raises(PipelineError) as info:
        custom(State.initial(_coin()), function=lambda df: df.drop(columns=["uCode", "b"]))
    (p,) = info.value.problems
    assert p.message == "the returned table lacks column(s) uCode, b"
    assert p.where == "custom step 'Custom'"


def test_non_numeric_columns_and_duplicates_reported_together() -> None:
    def bad(df: pd.DataFrame) -> pd.DataFrame:
        df["a"] = ["x", "y", "z"]
        return pd.concat([df, df.iloc[:1]], ignore_index=True)

    with pytest.raises(PipelineError) as info:
        custom(State.initial(_coin()), function=bad)
    got = [(p.where, p.message) for p in info.value.problems]
    assert got == [
        ("custom step 'Custom', column a", "values must be numeric"),
        ("custom step 'Custom'", "the returned table has duplicate units"),
    ]


def test_added_units_are_rejected_by_name() -> None:
    def add(df: pd.DataFrame) -> pd.DataFrame:
        return pd.concat([df, pd.DataFrame({"uCode": ["Q"], "a": [1.0], "b": [2.0]})])

    with pytest.raises(
        PipelineError, match=r"^custom step 'Custom': the returned table has unknown unit\(s\) Q$"
    ):
        custom(State.initial(_coin()), function=add)
