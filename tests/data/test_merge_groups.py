"""Group columns (province, size class, …) when data sets are merged (found by issue 18's
mutation work: a later set's group values were dropped, and a group of one set that is a
variable of another came out as ``province_x``/``province_y``). Synthetic data sets."""

from __future__ import annotations

import pandas as pd
import pytest

from citycheckup.data import Dataset
from citycheckup.data.merge import merge_datasets
from citycheckup.errors import DataError


def _ds(
    source: str, rows: list[tuple[str, int, object]], var: str, *, group: bool = True
) -> Dataset:
    df = pd.DataFrame(rows, columns=["unit_code", "year", "province"])
    df.insert(1, "unit_name", df["unit_code"].str.upper())
    df[var] = 1.0
    return Dataset(data=df, source=source, groups=["province"] if group else [])


def test_group_values_of_every_set_are_kept() -> None:
    """x: a/2020 in P, c/2021 in R. y: c/2020 in R, a/2020 in P (the same as x). The join has
    (a, 2020) from both sets, (c, 2020) only from y and (c, 2021) only from x: each row keeps
    the province of the set it came from, and the shared row agrees, so nothing is lost."""
    x = _ds("x.csv", [("a", 2020, "P"), ("c", 2021, "R")], "gdp")
    y = _ds("y.csv", [("c", 2020, "R"), ("a", 2020, "P")], "pop")
    d = merge_datasets([x, y]).data
    assert list(zip(d["unit_code"], d["year"], d["province"], strict=True)) == [
        ("a", 2020, "P"), ("c", 2020, "R"), ("c", 2021, "R")
    ]  # fmt: skip
    assert list(d.columns) == ["unit_code", "unit_name", "year", "province", "gdp", "pop"]
    three = _ds("z.csv", [("d", 2020, "S")], "area")  # a third set fills its own row too
    d3 = merge_datasets([x, y, three]).data
    assert d3.set_index(["unit_code", "year"])["province"].to_dict() == {
        ("a", 2020): "P", ("c", 2020): "R", ("c", 2021): "R", ("d", 2020): "S"
    }  # fmt: skip


def test_sets_that_disagree_on_a_group_are_an_error() -> None:
    x = _ds("x.csv", [("a", 2020, "P"), ("b", 2020, "P")], "gdp")
    y = _ds("y.csv", [("a", 2020, "Q"), ("b", 2020, "P"), ("c", 2020, "R")], "pop")
    with pytest.raises(DataError) as err:
        merge_datasets([x, y])
    assert str(err.value).startswith("data sets disagree on group columns")
    assert [(p.message, p.where) for p in err.value.problems] == [
        ("province of a in 2020 is 'P' in an earlier file but 'Q' in y.csv; correct one of them",
         "y.csv")
    ]  # fmt: skip


def test_a_group_that_is_a_variable_elsewhere_is_an_error() -> None:
    x = _ds("x.csv", [("a", 2020, "P")], "gdp")
    y = _ds("y.csv", [("c", 2020, 5.0)], "pop", group=False)  # here province is a variable
    for order, where in (([x, y], "x.csv"), ([y, x], "x.csv")):
        with pytest.raises(DataError) as err:
            merge_datasets(order)
        assert [(p.message, p.where) for p in err.value.problems] == [
            ("'province' is a variable in y.csv but a group column in x.csv; rename one of them",
             where)
        ]  # fmt: skip


def test_every_disagreement_is_reported_and_the_messages_are_whole() -> None:
    """Two group columns: province disagrees for a/2020 (P vs Q), size class agrees (I).
    The error still lists the province problem after the size column was compared."""

    def two_groups(source: str, province: str, var: str) -> Dataset:
        df = pd.DataFrame({"unit_code": ["a"], "unit_name": ["A"], "year": [2020],
                           "province": [province], "size": ["I"], var: [1.0]})  # fmt: skip
        return Dataset(data=df, source=source, groups=["province", "size"])

    with pytest.raises(DataError) as err:
        merge_datasets([two_groups("x.csv", "P", "gdp"), two_groups("y.csv", "Q", "pop")])
    assert str(err.value).splitlines()[0] == "data sets disagree on group columns:"
    assert [p.message for p in err.value.problems] == [
        "province of a in 2020 is 'P' in an earlier file but 'Q' in y.csv; correct one of them"
    ]
    with pytest.raises(DataError) as err:
        merge_datasets(
            [_ds("x.csv", [("a", 2020, "P")], "gdp"), _ds("y.csv", [("a", 2020, "P")], "gdp")]
        )
    assert str(err.value).splitlines()[0] == "data sets overlap:"
    with pytest.raises(DataError) as err:
        merge_datasets([])
    assert str(err.value) == "no data set to merge"


def test_a_row_of_a_later_set_takes_the_first_name_given_for_its_unit() -> None:
    """a is called 'A' in x (2020) and 'A city' in y (2021): the (a, 2021) row comes only from
    y, whose name column the join drops, so its name is filled per unit, the first given."""
    x = _ds("x.csv", [("a", 2020, "P")], "gdp")
    y = _ds("y.csv", [("a", 2021, "P")], "pop")
    y.data["unit_name"] = ["A city"]
    d = merge_datasets([x, y]).data
    assert d["unit_name"].tolist() == ["A", "A"]
