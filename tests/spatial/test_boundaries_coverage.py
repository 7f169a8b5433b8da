"""Coverage distance boundary (issue 18): a home exactly at the threshold is covered.

``coverage = 100 * sum(w_i [d_i <= r]) / sum(w_i)`` (GB 50180 life circles: "within" 300/500/
1000 m includes the limit). One home per case, weight 1, threshold r = 500 m:
at 500 m -> covered -> 100 %; just below (499.999 m) -> 100 %; just above (500.001 m) -> 0 %.
"""

from __future__ import annotations

import numpy as np
import pytest

from citycheckup.spatial._indicators import coverage_share


@pytest.mark.parametrize(
    ("distance", "expected"),
    [(500.0, 100.0), (499.999, 100.0), (500.001, 0.0)],
    ids=["at", "just-below", "just-above"],
)
def test_one_home_at_the_threshold(distance: float, expected: float) -> None:
    share = coverage_share([distance], [1.0], ["A"], ["A"], threshold_m=500.0)
    assert share["A"] == expected
    assert share["ALL"] == expected


def test_mixed_homes_weighted() -> None:
    # weights 2 (at 500 m, covered), 1 (500.001 m, not covered), 1 (NaN: not evaluable,
    # left out of both sums) -> 100 * 2 / (2 + 1) = 66.666...
    share = coverage_share([500.0, 500.001, np.nan], [2.0, 1.0, 1.0], ["A"] * 3, ["A"],
                           threshold_m=500.0)  # fmt: skip
    assert share["A"] == pytest.approx(200.0 / 3.0)
