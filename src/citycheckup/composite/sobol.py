"""Sampling designs and variance-based sensitivity estimators (COINr ``SA_sample``, ``SA_estimate``).

Saltelli's design (matrices A, B and AB_i, ``N (d + 2)`` points), the first-order
estimator of Saltelli et al. (2010) and Jansen's total-effect estimator, with bootstrap
intervals. :mod:`.sensitivity` uses them to analyse whole pipelines; they work on any
model whose output is computed at the design points.

References
----------
Saltelli, A. et al. (2010). Variance based sensitivity analysis of model output.
Design and estimator for the total sensitivity index. *Computer Physics
Communications* 181, 259–270.
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import pandas as pd

from citycheckup.errors import PipelineError

__all__ = ["Sampling", "sample_design", "sensitivity_estimates", "sobol_indices"]

Sampling = Literal["random", "sobol"]


def sobol_indices(
    yA: np.ndarray, yB: np.ndarray, yAB: np.ndarray, *, n_boot: int = 100, seed: int | None = 1
) -> pd.DataFrame:
    """First-order and total Sobol indices from a Saltelli design.

    Parameters
    ----------
    yA, yB
        Outputs of matrices A and B, shape ``(N,)``.
    yAB
        Outputs of the AB_i matrices, shape ``(d, N)``.
    n_boot
        Bootstrap resamples (of the N rows) for 5 %/95 % intervals.
    seed
        Bootstrap seed.

    Notes
    -----
    :math:`V = \\operatorname{var}(y_A \\cup y_B)`,
    :math:`S_i = \\overline{y_B (y_{AB_i} - y_A)} / V` (Saltelli 2010),
    :math:`S_{Ti} = \\overline{(y_A - y_{AB_i})^2} / (2V)` (Jansen). When :math:`V = 0`
    all indices are 0. Rows with a failed run are dropped.

    Returns
    -------
    pandas.DataFrame
        Columns ``Si, Si_q5, Si_q95, STi, STi_q5, STi_q95``, one row per factor.
    """
    ok = ~(np.isnan(yA) | np.isnan(yB) | np.isnan(yAB).any(axis=0))
    yA, yB, yAB = yA[ok], yB[ok], yAB[:, ok]
    N = yA.size

    def est(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b, ab = yA[idx], yB[idx], yAB[:, idx]
        V = np.var(np.concatenate([a, b]), ddof=1) if idx.size > 1 else 0.0
        d = ab - a
        if V == 0 or not np.isfinite(V):
            return np.zeros(ab.shape[0]), np.zeros(ab.shape[0])
        return np.mean(b * d, axis=1) / V, np.mean(d**2, axis=1) / (2 * V)

    si, sti = est(np.arange(N))
    rng = np.random.default_rng(seed)
    boots_s = np.empty((n_boot, si.size))
    boots_t = np.empty((n_boot, si.size))
    for k in range(n_boot):
        idx = rng.integers(0, N, N) if N else np.arange(0)
        boots_s[k], boots_t[k] = est(idx)
    q = (
        (lambda a, p: np.quantile(a, p, axis=0))
        if n_boot
        else (lambda a, p: np.full(si.size, np.nan))
    )
    return pd.DataFrame(
        {
            "Si": si,
            "Si_q5": q(boots_s, 0.05),
            "Si_q95": q(boots_s, 0.95),
            "STi": sti,
            "STi_q5": q(boots_t, 0.05),
            "STi_q95": q(boots_t, 0.95),
        }
    )


def sample_design(
    n: int,
    d: int,
    *,
    seed: int | None = 1,
    sampling: Sampling = "random",
    sensitivity: bool = True,
) -> np.ndarray:
    """Points on the unit hypercube for an uncertainty or sensitivity analysis (COINr ``SA_sample``).

    Parameters
    ----------
    n
        Base sample size ``N``.
    d
        Number of uncertain factors.
    seed
        Seed of the draws.
    sampling
        ``"random"`` (uniform, as COINr) or ``"sobol"`` (scrambled Sobol sequence).
    sensitivity
        ``True``: Saltelli's design, rows ``A`` (``N``), ``B`` (``N``), then
        ``AB_1 … AB_d`` (``N`` each; ``AB_i`` is ``A`` with column ``i`` from ``B``),
        ``N (d + 2)`` rows. ``False``: ``A`` only.

    Returns
    -------
    numpy.ndarray
        Shape ``(N (d + 2), d)`` or ``(N, d)``, values in [0, 1).

    Examples
    --------
    >>> sample_design(4, 3).shape
    (20, 3)
    """
    if (
        not isinstance(n, (int, np.integer))
        or n < 1
        or not isinstance(d, (int, np.integer))
        or d < 1
    ):
        raise PipelineError(f"n and d must be positive integers, got n={n!r}, d={d!r}")
    if sampling == "sobol":
        from scipy.stats import qmc

        eng = qmc.Sobol(d=2 * d, scramble=True, seed=seed)
        with warnings.catch_warnings():
            # non-powers of 2 are allowed; the balance warning is informational
            warnings.simplefilter("ignore", UserWarning)
            base = eng.random(n)
    elif sampling == "random":
        rng = np.random.default_rng(seed)
        base = rng.random((n, 2 * d))
    else:
        raise PipelineError(f"sampling must be 'random' or 'sobol', got {sampling!r}")
    A, B = base[:, :d], base[:, d:]
    if not sensitivity:
        return A
    blocks = [A, B]
    for i in range(d):
        ABi = A.copy()
        ABi[:, i] = B[:, i]
        blocks.append(ABi)
    return np.vstack(blocks)


def sensitivity_estimates(
    y: np.ndarray, n: int, d: int, *, n_boot: int = 100, seed: int | None = 1
) -> pd.DataFrame:
    """Sobol indices from the outputs of a :func:`sample_design` run (COINr ``SA_estimate``).

    Parameters
    ----------
    y
        One output per row of the design, length ``N (d + 2)``.
    n, d
        Base sample size and number of factors.
    n_boot, seed
        Bootstrap resamples and seed.

    Returns
    -------
    pandas.DataFrame
        ``factor`` (``V1 …``), ``Si, Si_q5, Si_q95, STi, STi_q5, STi_q95``.
    """
    y = np.asarray(y, dtype=float)
    if y.shape != (n * (d + 2),):
        raise PipelineError(
            f"y must have N (d + 2) = {n * (d + 2)} values (N={n}, d={d}), got {y.size}"
        )
    out = sobol_indices(y[:n], y[n : 2 * n], y[2 * n :].reshape(d, n), n_boot=n_boot, seed=seed)
    out.insert(0, "factor", [f"V{i + 1}" for i in range(d)])
    return out
