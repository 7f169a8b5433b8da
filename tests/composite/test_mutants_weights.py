"""Where ``optimise_weights`` starts its search (``composite/weights.py``; issue 18).

Synthetic data: x1 = 70, 30, 70, 30 and x2 = 70, 70, 30, 30 for units A..D. The two
columns are uncorrelated with the same spread (sd 20 each), so the index
w1 x1 + w2 x2 has corr(index, xk) = wk * 20 / sd(index), and the shares of the two
correlations are exactly w1 / (w1 + w2) and w2 / (w1 + w2). With equal targets the
optimum is every w1 = w2, which is the start of a ``balance`` search (the targets,
(1/2, 1/2)): the search stays there, even when it is stopped after two iterations.
Started from the iMeta weights (1, 3) instead, two iterations leave it far away.
"""

from __future__ import annotations

import pandas as pd
import pytest

from citycheckup.composite import Coin
from citycheckup.composite.weights import optimise_weights


def _coin(w1: float, w2: float) -> Coin:
    meta = pd.DataFrame(
        {
            "Level": [1, 1, 2],
            "iCode": ["x1", "x2", "Index"],
            "Direction": [1, 1, 1],
            "Weight": [w1, w2, 1.0],
            "Parent": ["Index", "Index", None],
            "Type": ["Indicator", "Indicator", "Aggregate"],
        }
    )
    data = pd.DataFrame(
        {"uCode": list("ABCD"), "x1": [70.0, 30.0, 70.0, 30.0], "x2": [70.0, 70.0, 30.0, 30.0]}
    )
    return Coin(data=data, meta=meta)


@pytest.mark.parametrize("maxiter", [1, 2])
def test_balance_starts_at_the_targets(maxiter: int) -> None:
    coin = _coin(1.0, 3.0)
    w, tab = optimise_weights(coin, coin.data, level=1, maxiter=maxiter)
    assert (w["x1"], w["x2"]) == pytest.approx((0.5, 0.5), abs=1e-12)
    assert tab["achieved"].tolist() == pytest.approx([0.5, 0.5], abs=1e-12)
    assert tab.attrs["converged"] is False  # stopped by maxiter, and says so


def test_balance_with_unequal_targets_reaches_them() -> None:
    """Targets (1, 3): shares = weights, so the optimum is w = (1/4, 3/4) exactly the
    normalised targets, again the start of the search."""
    coin = _coin(1.0, 1.0)
    w, tab = optimise_weights(coin, coin.data, level=1, targets=[1, 3], maxiter=2)
    assert (w["x1"], w["x2"]) == pytest.approx((0.25, 0.75), abs=1e-12)
    assert tab["target"].tolist() == pytest.approx([0.25, 0.75], abs=1e-15)
