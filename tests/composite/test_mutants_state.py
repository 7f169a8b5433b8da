"""``State.per_time`` (``composite/_state.py``): per-year steps on a panel with fewer than
two years left (issue 18, mutation testing).

A panel keeps its ``Time`` after screening, so a per-year step (here ``normalise`` with
``global: false``) may see one year or none:

- one year left: the step runs once on all the rows, exactly as a cross-section;
- no unit left: the step still runs (once, on the empty block) and refuses the empty
  data with its own error, instead of handing back an empty data set as if all were well.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from citycheckup.composite import Coin, run_pipeline
from citycheckup.errors import ComputationError

META = pd.DataFrame(
    {
        "Level": [1, 1, 2],
        "iCode": ["a", "b", "Index"],
        "Direction": [1, 1, 1],
        "Weight": [1.0, 1.0, 1.0],
        "Parent": ["Index", "Index", None],
        "Type": ["Indicator", "Indicator", "Aggregate"],
    }
)
# U0, U1 in 2020, 2021 and 2022; U2 only in 2022 (its other years are missing entirely)
DATA = pd.DataFrame(
    {
        "uCode": ["U0", "U1", "U0", "U1", "U0", "U1", "U2"],
        "Time": [2020, 2020, 2021, 2021, 2022, 2022, 2022],
        "a": [1.0, 3, 2, 4, 0, 10, 5],
        "b": [6.0, 2, 5, 1, 4, 0, 2],
    }
)


def test_a_panel_with_no_unit_left_is_refused_by_a_per_year_step() -> None:
    coin = Coin(data=DATA, meta=META)
    with pytest.raises(ComputationError, match="indicator"):
        run_pipeline(
            coin,
            [
                {"screen": {"force": {"exclude": ["U0", "U1", "U2"]}}},
                {"normalise": {"global": False}},
            ],
        )


def test_one_year_left_is_normalised_like_a_cross_section() -> None:
    """Only 2022 kept (U0, U1, U2): a = 0, 10, 5 -> 0, 100, 50; b = 4, 0, 2 -> 100, 0, 50."""
    coin = Coin(data=DATA, meta=META)
    res = run_pipeline(
        coin,
        [{"custom": {"function": _only_2022}}, {"normalise": {"global": False}}],
    )
    out = res.datasets["Normalised"]
    assert out["Time"].tolist() == [2022, 2022, 2022]
    np.testing.assert_array_equal(out["a"], [0.0, 100.0, 50.0])
    np.testing.assert_array_equal(out["b"], [100.0, 0.0, 50.0])


def _only_2022(data: pd.DataFrame) -> pd.DataFrame:
    return data[data["Time"] == 2022]
