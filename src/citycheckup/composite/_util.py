"""Shared helpers: method registries, Excel-type statistics, ranking."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import numpy as np

from citycheckup.errors import MethodNotFoundError

__all__ = ["Registry", "kurt", "rank_desc", "rank_min", "skew", "skew_kurt"]

F = TypeVar("F", bound=Callable[..., Any])


class Registry(dict[str, F], Generic[F]):
    """Methods chosen by name (name → function).

    Parameters
    ----------
    kind
        What the methods are ("normalisation", "aggregation" …), used in errors.
    """

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind

    def register(self, *names: str) -> Callable[[F], F]:
        """Decorator adding a function under one or more names."""

        def deco(func: F) -> F:
            for n in names:
                self[n] = func
            return func

        return deco

    def get_method(self, name: str) -> F:
        """The method called ``name``; :class:`MethodNotFoundError` lists the choices."""
        try:
            return self[name]
        except (KeyError, TypeError):
            raise MethodNotFoundError(self.kind, str(name), self.keys()) from None


def skew(x: np.ndarray) -> float:
    """Sample skewness of the non-missing values, "type 2" (Excel ``SKEW``, e1071 type 2).

    Notes
    -----
    :math:`G_1 = \\frac{\\sqrt{n(n-1)}}{n-2} \\cdot \\frac{m_3}{m_2^{3/2}}` with central
    moments :math:`m_k`. NaN when fewer than 3 values or zero variance.
    """
    v = x[~np.isnan(x)]
    n = v.size
    if n < 3:
        return float("nan")
    d = v - v.mean()
    s2 = float(np.dot(d, d))
    if s2 == 0:
        return float("nan")
    y = np.sqrt(n) * float(np.sum(d**3)) / s2**1.5
    return float(y * np.sqrt(n * (n - 1)) / (n - 2))


def kurt(x: np.ndarray) -> float:
    """Sample excess kurtosis of the non-missing values, "type 2" (Excel ``KURT``).

    Notes
    -----
    :math:`G_2 = \\frac{(n-1)((n+1) g_2 + 6)}{(n-2)(n-3)}` with
    :math:`g_2 = m_4 / m_2^2 - 3`. NaN when fewer than 4 values or zero variance.
    """
    v = x[~np.isnan(x)]
    n = v.size
    if n < 4:
        return float("nan")
    d = v - v.mean()
    s2 = float(np.dot(d, d))
    if s2 == 0:
        return float("nan")
    r = n * float(np.sum(d**4)) / s2**2
    return float(((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3)))


def skew_kurt(x: np.ndarray) -> tuple[float, float]:
    """:func:`skew` and :func:`kurt` together (one pass over the deviations)."""
    v = x[~np.isnan(x)]
    n = v.size
    if n < 4:
        return (skew(x), float("nan"))
    d = v - v.mean()
    d2 = d * d
    s2 = float(d2.sum())
    if s2 == 0:
        return float("nan"), float("nan")
    s3 = float(np.dot(d2, d))
    s4 = float(np.dot(d2, d2))
    sk = np.sqrt(n) * s3 / s2**1.5 * np.sqrt(n * (n - 1)) / (n - 2)
    r = n * s4 / s2**2
    kt = ((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
    return float(sk), float(kt)


def rank_min(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Ascending ranks with ties given the minimum rank (R ``rank(ties="min")``); NaN kept."""
    x = np.asarray(x, dtype=float)
    xm = np.moveaxis(x, axis, -1)
    nan = np.isnan(xm)
    filled = np.where(nan, np.inf, xm)
    order = np.argsort(filled, axis=-1, kind="stable")
    sorted_vals = np.take_along_axis(filled, order, axis=-1)
    n = xm.shape[-1]
    pos = np.broadcast_to(np.arange(n), xm.shape)
    # first position of each tied block
    new_block = np.ones(xm.shape, dtype=bool)
    new_block[..., 1:] = sorted_vals[..., 1:] != sorted_vals[..., :-1]
    start = np.where(new_block, pos, 0)
    start = np.maximum.accumulate(start, axis=-1)
    ranks_sorted = start + 1.0
    ranks = np.empty(xm.shape, dtype=float)
    np.put_along_axis(ranks, order, ranks_sorted, axis=-1)
    ranks[nan] = np.nan
    return np.moveaxis(ranks, -1, axis)


def rank_desc(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Ranks with 1 = highest value, ties take the minimum rank, NaN kept (COINr ``rank_df``)."""
    return rank_min(-np.asarray(x, dtype=float), axis=axis)
