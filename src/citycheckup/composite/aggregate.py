"""Aggregation up the hierarchy (COINr ``Aggregate``), vectorised over weight sets.

Level 1 (indicators) → level 2 → … → the index. Each level may use its own method,
weights, minimum data availability and parameters. All methods are computed for a
stack of ``R`` weight vectors at once, which the sensitivity analysis uses to
rebuild an index for hundreds of weight sets in one call.

Registry :data:`AGGREGATORS`: ``arithmetic``, ``geometric``, ``harmonic``,
``power`` (general power mean) and ``copeland`` (outranking).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import numpy as np

from citycheckup.composite._coin import Coin
from citycheckup.composite._state import State, arrays_of
from citycheckup.errors import ComputationError, PipelineError, Problem

from ._util import Registry

__all__ = [
    "AGGREGATORS",
    "NonPositivePolicy",
    "aggregate",
    "aggregate_batch",
    "resolve_weights",
    "structure_codes",
]

NonPositivePolicy = Literal["raise", "omit", "shift"]

#: f(C (R,n,c), W (R,c), G (c,p), *, p, nonpositive, where) -> (R,n,p)
Aggregator = Callable[..., np.ndarray]
AGGREGATORS: Registry[Aggregator] = Registry("aggregation")


def structure_codes(coin: Coin) -> tuple[str, ...]:
    """Indicator then aggregate codes: the order of full weight vectors."""
    return coin.indicators + coin.aggregates


def _map(C: np.ndarray, f: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Apply ``f`` once when ``C`` is one matrix broadcast over the weight sets."""
    if C.strides[0] == 0:
        r = f(C[0])
        return np.broadcast_to(r, (C.shape[0], *r.shape))
    return f(C)


def _wsum(V: np.ndarray, W: np.ndarray, G: np.ndarray) -> np.ndarray:
    """Weighted sums per group: ``out[r, i, p] = sum_c V[r, i, c] W[r, c] G[c, p]``."""
    WG = W[:, :, None] * G[None, :, :]
    if V.strides[0] == 0:
        return np.matmul(V[0], WG)
    return np.matmul(V, WG)


def _avail(C: np.ndarray) -> np.ndarray:
    return _map(C, lambda c: (~np.isnan(c)).astype(float))


def _filled(C: np.ndarray, f: Callable[[np.ndarray], np.ndarray], fill: float = 0.0) -> np.ndarray:
    """``f`` of the available values, ``fill`` where missing."""

    def g(c: np.ndarray) -> np.ndarray:
        ok = ~np.isnan(c)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(ok, f(np.where(ok, c, 1.0)), fill)

    return _map(C, g)


def _nonpositive(c: np.ndarray) -> np.ndarray:
    return (c <= 0) & ~np.isnan(c)


def _policy(
    C: np.ndarray, bad_of: Callable[[np.ndarray], np.ndarray], policy: str, what: str, where: str
) -> np.ndarray:
    """Apply the ``nonpositive`` policy to the values flagged by ``bad_of``."""
    shared = C.strides[0] == 0
    base = C[0] if shared else C
    bad = bad_of(base)
    if not bad.any():
        return C
    if policy == "raise":
        raise ComputationError(
            f"{what} needs positive values but {int(bad.sum())} value(s) of the input to {where} are <= 0. "
            "Normalise to a positive range (e.g. minmax with lower: 1), or set "
            "nonpositive: omit (skip those values) or nonpositive: shift (add 1 - min) in the aggregate step."
        )
    if policy == "omit":
        out = np.where(bad, np.nan, base)
    elif policy == "shift":
        out = base - np.nanmin(base) + 1.0
    else:
        raise PipelineError(f"unknown nonpositive policy {policy!r}; choose raise, omit or shift")
    return np.broadcast_to(out, C.shape) if shared else out


@AGGREGATORS.register("arithmetic")
def a_amean(C: np.ndarray, W: np.ndarray, G: np.ndarray, **_: Any) -> np.ndarray:
    """Weighted arithmetic mean; missing values and their weights are skipped.

    Notes
    -----
    :math:`y = \\sum_{k \\in A} w_k x_k / \\sum_{k \\in A} w_k`, :math:`A` the available children.
    """
    den = _wsum(_avail(C), W, G)
    num = _wsum(_filled(C, lambda c: c), W, G)
    with np.errstate(invalid="ignore", divide="ignore"):
        return num / den


@AGGREGATORS.register("geometric")
def a_gmean(
    C: np.ndarray,
    W: np.ndarray,
    G: np.ndarray,
    *,
    nonpositive: str = "raise",
    where: str = "",
    **_: Any,
) -> np.ndarray:
    """Weighted geometric mean :math:`\\exp(\\sum w \\log x / \\sum w)` over available values."""
    C = _policy(C, _nonpositive, nonpositive, "the geometric mean", where)
    den = _wsum(_avail(C), W, G)
    num = _wsum(_filled(C, np.log), W, G)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.exp(num / den)


@AGGREGATORS.register("harmonic")
def a_hmean(
    C: np.ndarray,
    W: np.ndarray,
    G: np.ndarray,
    *,
    nonpositive: str = "raise",
    where: str = "",
    **_: Any,
) -> np.ndarray:
    """Weighted harmonic mean :math:`\\sum w / \\sum (w / x)` over available values."""
    C = _policy(C, _nonpositive, nonpositive, "the harmonic mean", where)
    den = _wsum(_avail(C), W, G)
    inv = _wsum(_filled(C, lambda c: 1.0 / c), W, G)
    with np.errstate(invalid="ignore", divide="ignore"):
        return den / inv


@AGGREGATORS.register("power")
def a_genmean(
    C: np.ndarray,
    W: np.ndarray,
    G: np.ndarray,
    *,
    p: float | None = None,
    nonpositive: str = "raise",
    where: str = "",
    **_: Any,
) -> np.ndarray:
    """General (power) mean :math:`(\\sum w x^p / \\sum w)^{1/p}`; ``p = 0`` is the geometric mean."""
    if p is None:
        raise PipelineError("aggregation 'power' needs the exponent p (e.g. p: 2)")
    p = float(p)
    if p == 0:
        return a_gmean(C, W, G, nonpositive=nonpositive, where=where)
    C = _policy(
        C,
        _nonpositive if (p < 0 or p != int(p)) else (lambda c: np.zeros(c.shape, bool)),
        nonpositive,
        f"the power mean with p = {p}",
        where,
    )
    den = _wsum(_avail(C), W, G)
    exponent = p
    num = _wsum(_filled(C, lambda c: c**exponent), W, G)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (num / den) ** (1.0 / p)


@AGGREGATORS.register("copeland")
def a_copeland(C: np.ndarray, W: np.ndarray, G: np.ndarray, **_: Any) -> np.ndarray:
    """Copeland scores from the weighted outranking matrix within each group.

    Notes
    -----
    With weights normalised to sum 1 in the group,
    :math:`O_{ij} = \\sum_k w_k [x_{ik} > x_{jk}] + \\tfrac12 \\sum_k w_k [x_{ik} = x_{jk}]`
    (missing comparisons count 0); the score is
    :math:`\\sum_{j \\ne i} \\operatorname{sign}(O_{ij} - \\tfrac12)`.
    """
    R, n, _c = C.shape
    out = np.empty((R, n, G.shape[1]))
    for j in range(G.shape[1]):
        cols = np.flatnonzero(G[:, j])
        for r in range(R):
            X = C[r][:, cols]
            w = W[r, cols] / W[r, cols].sum()
            gt = (X[:, None, :] > X[None, :, :]).astype(float)
            eq = (X[:, None, :] == X[None, :, :]).astype(float)
            outrank = gt @ w + 0.5 * (eq @ w)
            S = np.sign(np.round(outrank - 0.5, 12))
            np.fill_diagonal(S, 0.0)
            out[r, :, j] = S.sum(axis=1)
    return out


def _per_level(
    value: Any, levels: Sequence[int], name: str, problems: list[Problem]
) -> dict[int, Any]:
    """Expand a scalar, a list (one per aggregation level) or a {level: value} map."""
    if isinstance(value, Mapping):
        out = {}
        for lev in levels:
            if lev in value:
                out[lev] = value[lev]
            elif str(lev) in value:
                out[lev] = value[str(lev)]
            else:
                problems.append(
                    Problem(
                        f"no value for level {lev}; give one for each of {list(levels)}",
                        f"aggregate.{name}",
                    )
                )
        return out
    if isinstance(value, (list, tuple)):
        if len(value) != len(levels):
            problems.append(
                Problem(
                    f"give {len(levels)} values (levels {list(levels)}), got {len(value)}",
                    f"aggregate.{name}",
                )
            )
            return {}
        return dict(zip(levels, value, strict=True))
    return dict.fromkeys(levels, value)


def resolve_weights(coin: Coin, weights: Any = None) -> np.ndarray:
    """Full weight vector over :func:`structure_codes` from a weights argument.

    Parameters
    ----------
    coin
        The coin.
    weights
        ``None`` (iMeta ``Weight``), ``"equal"``, the name of a weight set, or a
        mapping ``{code: weight}`` overriding iMeta weights.
    """
    codes = structure_codes(coin)
    if weights is None or weights == "Original":
        w = coin.weights()
    elif isinstance(weights, str) and weights == "equal":
        w = dict.fromkeys(codes, 1.0)
    elif isinstance(weights, str):
        w = coin.weights(weights)
    elif isinstance(weights, Mapping):
        w = coin.weights()
        unknown = [k for k in weights if k not in w]
        if unknown:
            raise PipelineError(
                "unknown code(s) in aggregate weights",
                problems=[
                    Problem("not an indicator or aggregate code", f"aggregate.weights.{k}")
                    for k in unknown
                ],
            )
        w.update({str(k): float(v) for k, v in weights.items()})
    else:
        raise PipelineError(
            f"weights must be None, 'equal', a weight-set name or a mapping, got {weights!r}"
        )
    return np.array([w[c] for c in codes], dtype=float)


def aggregate_batch(
    coin: Coin,
    X: np.ndarray,
    W: np.ndarray,
    *,
    method: Any = "arithmetic",
    min_availability: Any = None,
    p: Any = None,
    nonpositive: NonPositivePolicy = "raise",
) -> np.ndarray:
    """Aggregate indicator values ``X`` (n × indicators) for ``R`` weight vectors.

    Parameters
    ----------
    coin
        Supplies the hierarchy.
    X
        Normalised indicator values, units × indicators.
    W
        Weights, shape ``(R, len(structure_codes(coin)))`` (or 1-D for one set).
    method, min_availability, p
        One value, a list with one value per aggregation level (2 … top), or a
        ``{level: value}`` mapping.
    nonpositive
        Policy when a geometric/harmonic/power mean meets values ``<= 0``:
        ``"raise"`` (default), ``"omit"`` (treat as missing) or ``"shift"``
        (add ``1 - min`` to the level's input).

    Returns
    -------
    numpy.ndarray
        Aggregate scores, shape ``(R, n, len(coin.aggregates))``.
    """
    arr = arrays_of(coin)
    levels = arr.levels
    levs = [lv.level for lv in levels]
    problems: list[Problem] = []
    methods = _per_level(method, levs, "method", problems)
    thresh = _per_level(min_availability, levs, "min_availability", problems)
    ps = _per_level(p, levs, "p", problems)
    for lev, m in methods.items():
        if m not in AGGREGATORS:
            problems.append(
                Problem(
                    f"unknown aggregation {m!r}; choose one of {', '.join(sorted(AGGREGATORS))}",
                    f"aggregate.method (level {lev})",
                )
            )
    if problems:
        raise PipelineError("invalid aggregate step", problems=problems)
    W = np.atleast_2d(np.asarray(W, dtype=float))
    R = W.shape[0]
    codes = structure_codes(coin)
    pos = {c: i for i, c in enumerate(codes)}
    n = X.shape[0]
    out = np.empty((R, n, len(coin.aggregates)))
    C = np.broadcast_to(X, (R, *X.shape))
    agg_pos = {c: i for i, c in enumerate(coin.aggregates)}
    for lv in levels:
        widx = np.array([pos[c] for c in lv.children])
        Wl = W[:, widx]
        func = AGGREGATORS[methods[lv.level]]
        Y = func(
            C,
            Wl,
            lv.membership,
            p=ps[lv.level],
            nonpositive=nonpositive,
            where=f"level {lv.level} ({', '.join(lv.parents[:3])}{'…' if len(lv.parents) > 3 else ''})",
        )
        th = thresh[lv.level]
        if th is not None:
            avail = (~np.isnan(C)).astype(float) @ lv.membership / lv.membership.sum(axis=0)
            Y = np.where(avail < float(th), np.nan, Y)
        for j, par in enumerate(lv.parents):
            out[:, :, agg_pos[par]] = Y[:, :, j]
        C = Y
    return out


def aggregate(
    state: State,
    *,
    method: Any = "arithmetic",
    weights: Any = None,
    min_availability: Any = None,
    p: Any = None,
    nonpositive: NonPositivePolicy = "raise",
) -> State:
    """Pipeline step ``aggregate``: write data set ``Aggregated`` (indicators + aggregates).

    Parameters
    ----------
    state
        Pipeline state (normally after ``normalise``).
    method
        Name in :data:`AGGREGATORS`, or one per level (list or ``{level: name}``).
    weights
        ``None`` (iMeta ``Weight``), ``"equal"``, a weight-set name, or ``{code: weight}``.
        Weights are relative within each parent.
    min_availability
        Minimum share of available children (COINr ``dat_thresh``); below it the
        aggregate is missing. One value, a list or ``{level: value}``.
    p
        Exponent of the ``power`` mean.
    nonpositive
        Policy for non-positive inputs to geometric/harmonic means: ``"raise"``,
        ``"omit"`` or ``"shift"``.
    """
    W = resolve_weights(state.coin, weights)
    scores = aggregate_batch(
        state.coin,
        state.X,
        W,
        method=method,
        min_availability=min_availability,
        p=p,
        nonpositive=nonpositive,
    )[0]
    return state.with_dataset("Aggregated", state.X, scores=scores)
