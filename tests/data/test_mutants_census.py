"""Survivors of mutation testing in :mod:`citycheckup.data.census` (issue 18)."""

from __future__ import annotations

import pandas as pd

from citycheckup.data.census import census_population


def test_drop_keeps_the_columns_and_a_fresh_index() -> None:
    """``missing="drop"`` leaves out the 34 units without a 2020 urban population (see the
    docstring) and renumbers the rows 0 … n-1 without adding the old index as a column."""
    keep = census_population(2020)
    drop = census_population(2020, missing="drop")
    assert (
        list(drop.columns) == list(keep.columns) == ["unit_code", "year", "pop_total", "pop_urban"]
    )
    assert drop.index.equals(pd.RangeIndex(369 - 34))
    expected = keep.dropna(subset=["pop_total", "pop_urban"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(drop, expected)
