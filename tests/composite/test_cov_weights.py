"""``composite/weights.py``: optimised weights (COINr ``get_opt_weights``), PCA weights and
the error paths, against values derived by hand on synthetic data.

Optimised weights, closed form. Two indicators with *orthogonal* centred values and
standard deviations ``s1 = 2 s2`` (synthetic: x1 = 70, 30, 70, 30 and x2 = 60, 60, 40, 40;
deviations ±20 and ±10, dot product 0). The arithmetic index with weights ``w1 + w2 = 1``
is ``w1 x1 + w2 x2``, so its Pearson correlation with ``x_k`` is
``c_k = w_k s_k / sqrt(w1² s1² + w2² s2²)``.

* ``balance`` (COINr ``optype = "balance"``): shares ``c1 / (c1 + c2) = w1 s1 / (w1 s1 + w2 s2)``
  equal the targets ``t`` when ``w1 / w2 = (t1 / t2)(s2 / s1)``: equal targets give
  ``w = (1/3, 2/3)``; targets (2, 1) give ``w = (1/2, 1/2)``.
* ``infomax``: ``c1 + c2 = (a + b) / sqrt(a² + b²)`` with ``a = w1 s1``, ``b = w2 s2`` is
  largest (``sqrt 2``) at ``a = b``: again ``w = (1/3, 2/3)``, each ``c_k = 1/sqrt 2``.

COINr (bluefoxr/COINr at commit b968203, ``R/weights.R``) optimises the same objective
with Nelder-Mead and normalises the weights to sum 1.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.linalg import hadamard

from citycheckup.composite import Coin
from citycheckup.composite.weights import (
    ahp_weights,
    entropy_weights,
    equal_weights,
    optimise_weights,
    pca_weights,
)
from citycheckup.errors import ComputationError, PipelineError


def _coin(weights: tuple[float, float] = (1.0, 1.0)) -> Coin:
    """Synthetic two-indicator coin (see the module docstring)."""
    meta = pd.DataFrame(
        {
            "Level": [1, 1, 2],
            "iCode": ["x1", "x2", "Index"],
            "Direction": [1, 1, 1],
            "Weight": [weights[0], weights[1], 1.0],
            "Parent": ["Index", "Index", None],
            "Type": ["Indicator", "Indicator", "Aggregate"],
        }
    )
    data = pd.DataFrame(
        {"uCode": list("ABCD"), "x1": [70.0, 30.0, 70.0, 30.0], "x2": [60.0, 60.0, 40.0, 40.0]}
    )
    return Coin(data=data, meta=meta)


# ------------------------------------------------------------------ optimise_weights
def test_balance_with_equal_targets_gives_the_closed_form_weights() -> None:
    coin = _coin()
    w, tab = optimise_weights(coin, coin.data, level=1, tol=1e-10)
    assert w["x1"] == pytest.approx(1 / 3, abs=1e-6)
    assert w["x2"] == pytest.approx(2 / 3, abs=1e-6)
    assert w["Index"] == 1.0  # codes of other levels keep their iMeta weight
    assert tab["iCode"].tolist() == ["x1", "x2"]
    assert tab["target"].tolist() == [0.5, 0.5]
    assert tab["achieved"].tolist() == pytest.approx([0.5, 0.5], abs=1e-6)
    assert tab["weight"].sum() == pytest.approx(1.0, abs=1e-15)
    assert tab.attrs["converged"] is True and 0 < tab.attrs["iterations"] < 500


def test_too_few_iterations_are_reported_not_hidden() -> None:
    """With maxiter = 2 Nelder-Mead cannot meet tol = 1e-10: ``converged`` says so
    (before the fix the result came back with no sign that the search had stopped)."""
    coin = _coin()
    _, tab = optimise_weights(coin, coin.data, level=1, tol=1e-10, maxiter=2)
    assert tab.attrs == {"converged": False, "iterations": 2}


def test_default_tolerance_lands_near_the_optimum() -> None:
    """COINr's own tolerance is loose; ours (1e-4) still gets within 1e-3 of 1/3."""
    coin = _coin()
    w, _ = optimise_weights(coin, coin.data, level=1)
    assert w["x1"] == pytest.approx(1 / 3, abs=1e-3)


def test_balance_with_given_targets() -> None:
    """Targets (2, 1) -> shares (2/3, 1/3) -> w1/w2 = 2 * 1/2 = 1 -> w = (1/2, 1/2)."""
    coin = _coin()
    w, tab = optimise_weights(coin, coin.data, level=1, targets=[2, 1], tol=1e-10)
    assert (w["x1"], w["x2"]) == pytest.approx((0.5, 0.5), abs=1e-6)
    assert tab["target"].tolist() == pytest.approx([2 / 3, 1 / 3])
    assert tab["achieved"].tolist() == pytest.approx([2 / 3, 1 / 3], abs=1e-6)


def test_infomax_maximises_the_sum_of_correlations() -> None:
    coin = _coin()
    w, tab = optimise_weights(coin, coin.data, level=1, optype="infomax", tol=1e-10)
    assert (w["x1"], w["x2"]) == pytest.approx((1 / 3, 2 / 3), abs=1e-6)
    assert tab["target"].isna().all()  # infomax has no targets
    assert tab["achieved"].tolist() == pytest.approx([1 / math.sqrt(2)] * 2, abs=1e-6)


def test_infomax_from_all_zero_weights_still_finds_the_optimum() -> None:
    """iMeta weights 0 and 0 (allowed): the start gives no index (objective +inf), the
    optimiser moves away from it and finds the same w = (1/3, 2/3)."""
    coin = _coin(weights=(0.0, 0.0))
    w, _ = optimise_weights(coin, coin.data, level=1, optype="infomax", tol=1e-10)
    assert (w["x1"], w["x2"]) == pytest.approx((1 / 3, 2 / 3), abs=1e-6)


@pytest.mark.parametrize("level", [0, 2])  # just below 1; at the top level (max_level = 2)
def test_level_outside_the_optimisable_range(level: int) -> None:
    coin = _coin()
    with pytest.raises(PipelineError, match=f"level must be between 1 and 1, got {level}"):
        optimise_weights(coin, coin.data, level=level)


def test_bad_optype_and_targets_are_named() -> None:
    coin = _coin()
    with pytest.raises(PipelineError, match="optype must be 'balance' or 'infomax', got 'max'"):
        optimise_weights(coin, coin.data, level=1, optype="max")  # type: ignore[arg-type]
    with pytest.raises(PipelineError, match="targets must be 'equal' or one number per code"):
        optimise_weights(coin, coin.data, level=1, targets="unequal")  # type: ignore[arg-type]
    with pytest.raises(PipelineError, match=r"give 2 targets \(codes x1, x2\), got 3"):
        optimise_weights(coin, coin.data, level=1, targets=[1, 1, 1])


# ------------------------------------------------------------------ other weights
def test_equal_weights_are_one_for_every_code() -> None:
    assert equal_weights(_coin(weights=(3.0, 0.0))) == {"x1": 1.0, "x2": 1.0, "Index": 1.0}


def test_pca_weights_of_three_equally_correlated_indicators() -> None:
    """Synthetic: f, e1, e2, e3 are rows 1-4 of the 8 x 8 Hadamard matrix (centred,
    orthogonal, equal variance); a = f + e1, b = f + e2, c = f + e3 have pairwise
    correlation var(f) / (2 var(f)) = 1/2. The correlation matrix J/2 + I/2 has the
    largest eigenvalue 2 with eigenvector (1, 1, 1)/sqrt(3), signed to a positive sum.
    A ninth row with a missing value is left out (complete cases)."""
    H = hadamard(8).astype(float)
    X = pd.DataFrame({"a": H[1] + H[2], "b": H[1] + H[3], "c": H[1] + H[4]})
    X.loc[8] = [1.0, np.nan, 2.0]
    w = pca_weights(X)
    assert list(w) == ["a", "b", "c"]
    assert list(w.values()) == pytest.approx([1 / math.sqrt(3)] * 3, rel=1e-12)


def test_pca_weights_sign_does_not_depend_on_the_eigen_solver(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An eigenvector is only defined up to its sign; with a solver that returns the
    negated vectors the weights are still (1, 1, 1)/sqrt(3) (same data as above)."""
    eigh = np.linalg.eigh

    def negated(C: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        vals, vecs = eigh(C)
        return vals, -vecs

    H = hadamard(8).astype(float)
    X = pd.DataFrame({"a": H[1] + H[2], "b": H[1] + H[3], "c": H[1] + H[4]})
    monkeypatch.setattr(np.linalg, "eigh", negated)
    assert list(pca_weights(X).values()) == pytest.approx([1 / math.sqrt(3)] * 3, rel=1e-12)


def test_pca_weights_of_two_indicators() -> None:
    """Two positively correlated columns: eigenvector (1, 1)/sqrt(2), whatever r is."""
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [1.0, 3.0, 2.0, 4.0]})
    assert list(pca_weights(X).values()) == pytest.approx([1 / math.sqrt(2)] * 2, rel=1e-12)


def test_pca_weights_need_two_complete_units() -> None:
    X = pd.DataFrame({"a": [1.0, 2.0, np.nan], "b": [np.nan, 1.0, 3.0]})  # one complete row
    with pytest.raises(
        ComputationError, match="^PCA weights need at least 2 units with complete data$"
    ):
        pca_weights(X)


def test_entropy_weights_reject_negative_values_and_say_how_to_fix() -> None:
    with pytest.raises(
        ComputationError,
        match="^entropy weights need non-negative values; normalise with minmax first$",
    ):
        entropy_weights(pd.DataFrame({"a": [1.0, -0.5], "b": [1.0, 2.0]}))


def test_entropy_weights_by_hand() -> None:
    """Synthetic a = (1, 1): p = (1/2, 1/2), E = ln 2 / ln 2 = 1, d = 0.
    b = (1, 3): p = (1/4, 3/4), E = -(1/4 ln 1/4 + 3/4 ln 3/4)/ln 2 = 0.811278, d = 0.188722.
    Weights d / sum(d) = (0, 1)."""
    w = entropy_weights(pd.DataFrame({"a": [1.0, 1.0], "b": [1.0, 3.0]}))
    assert w == pytest.approx({"a": 0.0, "b": 1.0}, abs=1e-15)


def test_ahp_matrix_must_be_square() -> None:
    with pytest.raises(PipelineError, match=r"^the AHP matrix must be square, got shape \(2, 3\)$"):
        ahp_weights(np.ones((2, 3)))


def test_ahp_codes_from_a_dataframe_and_the_random_index_beyond_15() -> None:
    """A consistent matrix a_ij = v_i / v_j has weights v / sum(v) and CR = 0 (lambda = n).
    With n = 16 (beyond Saaty's table) the random index 1.59 is used; CR is still 0."""
    v = np.array([4.0, 2.0, 1.0])
    M = pd.DataFrame(np.outer(v, 1 / v), index=["p", "q", "r"], columns=["p", "q", "r"])
    w, cr = ahp_weights(M)
    assert w == pytest.approx({"p": 4 / 7, "q": 2 / 7, "r": 1 / 7})
    assert cr == pytest.approx(0.0, abs=1e-12)
    v16 = np.arange(1.0, 17.0)
    w16, cr16 = ahp_weights(np.outer(v16, 1 / v16))
    assert list(w16) == [str(i) for i in range(16)]
    assert list(w16.values()) == pytest.approx((v16 / v16.sum()).tolist(), rel=1e-9)
    assert cr16 == pytest.approx(0.0, abs=1e-9)
