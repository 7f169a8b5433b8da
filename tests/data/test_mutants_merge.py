"""Survivors of mutation testing in :mod:`citycheckup.data.merge` (issue 18)."""

from __future__ import annotations

import pandas as pd
import pytest

from citycheckup.data import Dataset
from citycheckup.data.merge import merge_datasets
from citycheckup.errors import DataError


def _ds(source: str, col: str) -> Dataset:
    df = pd.DataFrame({"unit_code": ["a"], "unit_name": ["a"], "year": [2020], col: [1.0]})
    return Dataset(data=df, source=source)


def test_variable_in_two_files_names_both() -> None:
    with pytest.raises(DataError) as e:
        merge_datasets([_ds("x.csv", "gdp"), _ds("y.csv", "gdp")])
    assert [(p.message, p.where) for p in e.value.problems] == [
        ("variable 'gdp' is in both x.csv and y.csv; keep it in one file", "y.csv")
    ]
