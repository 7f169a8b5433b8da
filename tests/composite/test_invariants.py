"""Invariants of the methods (hypothesis, seeded through the hypothesis database-less profile)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats as sps

from citycheckup.composite import Coin, run_pipeline
from citycheckup.composite._util import rank_min
from citycheckup.composite.aggregate import aggregate_batch
from citycheckup.composite.normalise import normalise_matrix

finite = st.integers(-1000, 1000).map(float)  # distinct values stay distinct after scaling
matrix = arrays(np.float64, st.tuples(st.integers(3, 12), st.integers(1, 5)), elements=finite)


def _nonconstant(X: np.ndarray) -> bool:
    return bool((np.ptp(X, axis=0) > 1e-6 * (1 + np.abs(X).max())).all())


@settings(max_examples=60, deadline=None, derandomize=True)
@given(matrix, st.floats(-100, 100), st.floats(1, 100))
def test_minmax_hits_bounds_and_keeps_order(X: np.ndarray, lo: float, width: float) -> None:
    if not _nonconstant(X):
        return
    Y = normalise_matrix(X, np.ones(X.shape[1]), "minmax", lower=lo, upper=lo + width)
    np.testing.assert_allclose(Y.min(axis=0), lo, atol=1e-6 * width)
    np.testing.assert_allclose(Y.max(axis=0), lo + width, atol=1e-6 * width)
    np.testing.assert_array_equal(rank_min(Y, axis=0), rank_min(X, axis=0))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(matrix)
def test_direction_reverses_ranks(X: np.ndarray) -> None:
    if not _nonconstant(X):
        return
    up = normalise_matrix(X, np.ones(X.shape[1]), "rank")
    down = normalise_matrix(X, -np.ones(X.shape[1]), "rank")
    np.testing.assert_array_equal(up, rank_min(X, axis=0))
    np.testing.assert_array_equal(down, rank_min(-X, axis=0))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(arrays(np.float64, st.integers(1, 30), elements=st.integers(-5, 5).map(float)))
def test_rank_min_matches_scipy(x: np.ndarray) -> None:
    np.testing.assert_array_equal(rank_min(x), sps.rankdata(x, method="min"))


def _coin(n_children: int) -> Coin:
    meta = pd.DataFrame(
        {
            "Level": [1] * n_children + [2],
            "iCode": [f"x{k}" for k in range(n_children)] + ["Index"],
            "Direction": [1] * (n_children + 1),
            "Weight": [1.0] * (n_children + 1),
            "Parent": ["Index"] * n_children + [None],
            "Type": ["Indicator"] * n_children + ["Aggregate"],
        }
    )
    data = pd.DataFrame({"uCode": ["u"], **{f"x{k}": [1.0] for k in range(n_children)}})
    return Coin(data=data, meta=meta)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    arrays(
        np.float64, st.tuples(st.integers(1, 6), st.integers(2, 5)), elements=st.floats(0.1, 100)
    ),
    st.floats(0.1, 10),
    st.sampled_from(["arithmetic", "geometric", "harmonic"]),
)
def test_means_scale_invariant_in_weights_and_bounded(X: np.ndarray, k: float, method: str) -> None:
    coin = _coin(X.shape[1])
    w = np.linspace(1, 2, X.shape[1] + 1)
    a = aggregate_batch(coin, X, w, method=method)[0][:, 0]
    b = aggregate_batch(coin, X, w * k, method=method)[0][:, 0]
    np.testing.assert_allclose(a, b, rtol=1e-9)
    assert (a >= X.min(axis=1) - 1e-9).all() and (a <= X.max(axis=1) + 1e-9).all()


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    arrays(
        np.float64, st.tuples(st.integers(1, 6), st.integers(2, 5)), elements=st.floats(0.1, 100)
    )
)
def test_power_mean_inequality(X: np.ndarray) -> None:
    coin = _coin(X.shape[1])
    w = np.ones(X.shape[1] + 1)
    h, g, a = (
        aggregate_batch(coin, X, w, method=m)[0][:, 0]
        for m in ("harmonic", "geometric", "arithmetic")
    )
    assert (h <= g * (1 + 1e-9)).all() and (g <= a * (1 + 1e-9)).all()


@settings(max_examples=25, deadline=None, derandomize=True)
@given(st.permutations(list(range(8))))
def test_results_do_not_depend_on_row_order(perm: list[int]) -> None:
    rng = np.random.default_rng(1)
    X = rng.lognormal(size=(8, 4))
    meta = _coin(4).meta
    data = pd.DataFrame(X, columns=[f"x{k}" for k in range(4)])
    data.insert(0, "uCode", [f"U{k}" for k in range(8)])
    pipe = [{"treat": {}}, {"normalise": {}}, {"aggregate": {}}]
    a = run_pipeline(Coin(data=data, meta=meta), pipe).ranks.set_index("uCode").sort_index()
    b = (
        run_pipeline(Coin(data=data.iloc[perm], meta=meta), pipe)
        .ranks.set_index("uCode")
        .sort_index()
    )
    pd.testing.assert_frame_equal(a, b)
