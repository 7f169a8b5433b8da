"""Min-max normalisation of a constant indicator with ``constant="midpoint"`` (issue 18).

A constant column has no range, so min-max is undefined; the "midpoint" policy puts every
present value at the middle of the target interval, (lower + upper) / 2, and keeps missing
values missing.
"""

from __future__ import annotations

import numpy as np
import pytest

from citycheckup.composite.normalise import n_minmax
from citycheckup.errors import ComputationError


def test_constant_column_goes_to_the_midpoint_of_0_100() -> None:
    # column 0 varies (1, 2, 3): (x - 1) / 2 * 100 -> 0, 50, 100
    # column 1 is constant (7, 7, NaN): midpoint (0 + 100) / 2 = 50 for present values
    X = np.array([[1.0, 7.0], [2.0, 7.0], [3.0, np.nan]])
    out = n_minmax(X, constant="midpoint")
    np.testing.assert_array_equal(out[:, 0], [0.0, 50.0, 100.0])
    np.testing.assert_array_equal(out[:2, 1], [50.0, 50.0])
    assert np.isnan(out[2, 1])


def test_midpoint_follows_the_target_interval() -> None:
    # target [20, 60]: midpoint (20 + 60) / 2 = 40, not 80 (sum), 20 (lower) or 60 (upper)
    X = np.array([[5.0], [5.0]])
    out = n_minmax(X, lower=20.0, upper=60.0, constant="midpoint")
    np.testing.assert_array_equal(out[:, 0], [40.0, 40.0])


def test_constant_column_raises_by_default() -> None:
    with pytest.raises(ComputationError, match="range"):
        n_minmax(np.array([[5.0], [5.0]]))
