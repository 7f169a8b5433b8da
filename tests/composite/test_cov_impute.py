"""``composite/impute.py`` options and error paths, expected values by hand (COINr
``Impute``, bluefoxr/COINr at commit b968203, ``R/impute.R``: ``i_mean``, row-wise
imputation ``impute.data.frame(..., impute_by = "row", normalise_first = )``).

Synthetic coin: a, b, c -> Index. U1 (1, NaN, 3), U2 (2, 4, 6), U3 (NaN, 8, 9).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from citycheckup.composite import Coin, run_pipeline
from citycheckup.composite.impute import i_mean_group, impute_panel_matrix
from citycheckup.errors import PipelineError


def _coin() -> Coin:
    meta = pd.DataFrame(
        {
            "Level": [1, 1, 1, 2],
            "iCode": ["a", "b", "c", "Index"],
            "Direction": [1, 1, 1, 1],
            "Weight": [1, 1, 1, 1],
            "Parent": ["Index"] * 3 + [None],
            "Type": ["Indicator"] * 3 + ["Aggregate"],
        }
    )
    data = pd.DataFrame(
        {
            "uCode": ["U1", "U2", "U3"],
            "reg_group": ["x", "x", "y"],
            "a": [1.0, 2.0, math.nan],
            "b": [math.nan, 4.0, 8.0],
            "c": [3.0, 6.0, 9.0],
        }
    )
    return Coin(data=data, meta=meta)


def _imputed(**params: object) -> pd.DataFrame:
    return run_pipeline(_coin(), [{"impute": params}]).datasets["Imputed"]


def test_row_wise_mean_without_normalising() -> None:
    """normalise_first false: U1's b = mean(1, 3) = 2; U3's a = mean(8, 9) = 8.5."""
    out = _imputed(method="mean", by="row", normalise_first=False)
    assert out["b"].tolist() == [2.0, 4.0, 8.0]
    assert out["a"].tolist() == [1.0, 2.0, 8.5]


def test_none_leaves_the_gaps() -> None:
    out = _imputed(method="none")
    assert math.isnan(out["b"].iloc[0]) and math.isnan(out["a"].iloc[2])
    assert out["c"].tolist() == [3.0, 6.0, 9.0]


def test_row_wise_supports_only_mean_and_median() -> None:
    with pytest.raises(
        PipelineError,
        match=r"^step 0 \(impute\) failed: row-wise imputation supports mean and median, not 'none'$",
    ):
        _imputed(method="none", by="row")


def test_every_problem_of_the_step_at_once() -> None:
    with pytest.raises(PipelineError) as info:
        _imputed(method="nearest", group="zz_group", by="diagonal", group_level=5)
    got = [(p.where, p.message) for p in info.value.problems]
    assert got[0] == (
        "impute.group",
        "group column 'zz_group' not in the data; available: reg_group",
    )
    assert got[1][0] == "impute.method"
    assert got[1][1].startswith("unknown imputation method 'nearest'; choose one of ")
    assert got[2] == ("impute.by", "'by' must be 'column' or 'row', got 'diagonal'")
    assert got[3] == ("impute.group_level", "group_level must be between 2 and 2")


def test_group_and_panel_methods_need_their_inputs() -> None:
    with pytest.raises(PipelineError) as info:
        _imputed(method="mean_group")
    assert [(p.where, p.message) for p in info.value.problems] == [
        ("impute.group", "method 'mean_group' needs 'group' (a *_group column)")
    ]
    with pytest.raises(PipelineError) as info:
        _imputed(method="latest")
    assert [(p.where, p.message) for p in info.value.problems] == [
        ("impute.method", "method 'latest' needs panel data with a Time column")
    ]
    with pytest.raises(
        PipelineError, match=r"^group imputation needs 'group': the name of a \*_group column$"
    ):
        i_mean_group(np.array([[1.0], [np.nan]]))
    with pytest.raises(
        PipelineError,
        match="^unknown panel imputation 'spline'; choose one of latest, constant, linear, linear-constant$",
    ):
        impute_panel_matrix(np.ones((2, 1)), np.array(["A", "A"]), np.array([1, 2]), "spline")


def test_mean_within_groups() -> None:
    """Group x (U1, U2): U1's b = 4 (U2's); group y (U3 alone): a stays missing."""
    out = _imputed(method="mean_group", group="reg_group")
    assert out["b"].tolist() == [4.0, 4.0, 8.0]
    assert math.isnan(out["a"].iloc[2])
