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
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd

from citycheckup.composite._coin import Coin
from citycheckup.composite._state import State, arrays_of
from citycheckup.composite.dropped import dropped_codes
from citycheckup.errors import ComputationError, PipelineError, Problem

from ._util import Registry

__all__ = [
    "AGGREGATORS",
    "NonPositivePolicy",
    "OutrankResult",
    "aggregate",
    "aggregate_batch",
    "dropped_codes",
    "outrank_matrix",
    "resolve_weights",
    "structure_codes",
]

NonPositivePolicy = Literal["raise", "omit", "shift"]
CopelandNA = Literal["pairwise", "coinr"]

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


class OutrankResult(NamedTuple):
    """Outranking matrix with its robustness summary (COINr ``outrankMatrix``)."""

    matrix: np.ndarray
    n_dominant: int
    frac_dominant: float


def _outrank(X: np.ndarray, w: np.ndarray, na: str) -> np.ndarray:
    w = w / np.nansum(w)
    gt = (X[:, None, :] > X[None, :, :]).astype(float)
    eq = (X[:, None, :] == X[None, :, :]).astype(float)
    orm = gt @ w + 0.5 * (eq @ w)
    if na == "coinr":
        # COINr computes the upper triangle and sets the lower one to 1 - upper
        low = np.tril_indices(orm.shape[0], -1)
        orm[low] = 1.0 - orm.T[low]
    np.fill_diagonal(orm, 0.0)
    return orm


def outrank_matrix(
    X: np.ndarray | pd.DataFrame,
    w: Sequence[float] | np.ndarray | None = None,
    *,
    na: CopelandNA = "pairwise",
) -> OutrankResult:
    """Weighted outranking matrix of the rows of ``X`` (units × indicators).

    Parameters
    ----------
    X
        Indicator values (oriented so that higher is better), NaN = missing.
    w
        Weights per column (relative; default equal).
    na
        ``"pairwise"`` computes every entry from the pair's own comparisons (a
        comparison with a missing value counts for neither unit); ``"coinr"`` computes
        the upper triangle that way and sets :math:`O_{ji} = 1 - O_{ij}`, as COINr does.
        Without missing values both give the same matrix.

    Notes
    -----
    With weights normalised to sum 1,
    :math:`O_{ij} = \\sum_k w_k [x_{ik} > x_{jk}] + \\tfrac12 \\sum_k w_k [x_{ik} = x_{jk}]`,
    :math:`O_{ii} = 0`. ``n_dominant`` counts the ordered pairs with :math:`O_{ij} = 1`
    (unit i is at least as good in every indicator, better in one), ``frac_dominant``
    divides by the number of unordered pairs :math:`n(n-1)/2`.

    Examples
    --------
    >>> X = np.array([[1, 3, 2], [2, 2, 3], [3, 1, 1], [4, 5, 4.0]])  # COINr's test case
    >>> r = outrank_matrix(X)
    >>> float(r.matrix[1, 0]), float(r.matrix[3, 0]), r.n_dominant
    (0.6666666666666666, 1.0, 3)
    """
    if na not in ("pairwise", "coinr"):
        raise PipelineError(f"copeland na must be 'pairwise' or 'coinr', got {na!r}")
    A = np.asarray(X, dtype=float)
    if A.ndim != 2:
        raise PipelineError(f"X must be a units × indicators matrix, got shape {A.shape}")
    wv = np.ones(A.shape[1]) if w is None else np.asarray(w, dtype=float)
    if wv.shape != (A.shape[1],):
        raise PipelineError(f"give one weight per column ({A.shape[1]}), got {wv.size}")
    orm = _outrank(A, wv, na)
    n = A.shape[0]
    ndom = int(np.isclose(orm, 1.0, rtol=0, atol=1e-12).sum())
    return OutrankResult(orm, ndom, ndom / ((n * n - n) / 2) if n > 1 else float("nan"))


def _copeland_na(copeland: Mapping[str, Any] | None) -> str:
    if copeland is None:
        return "pairwise"
    if not isinstance(copeland, Mapping) or set(copeland) - {"na"}:
        raise PipelineError(
            "aggregate.copeland takes {na: pairwise} or {na: coinr}, got " + repr(copeland)
        )
    na = str(copeland.get("na", "pairwise"))
    if na not in ("pairwise", "coinr"):
        raise PipelineError(f"aggregate.copeland.na must be 'pairwise' or 'coinr', got {na!r}")
    return na


@AGGREGATORS.register("copeland")
def a_copeland(
    C: np.ndarray,
    W: np.ndarray,
    G: np.ndarray,
    *,
    copeland: Mapping[str, Any] | None = None,
    **_: Any,
) -> np.ndarray:
    """Copeland scores from the weighted outranking matrix within each group.

    Notes
    -----
    The score of unit i is :math:`\\sum_{j \\ne i} \\operatorname{sign}(O_{ij} - \\tfrac12)`
    with the outranking matrix :math:`O` of :func:`outrank_matrix` (entries within
    1e-12 of 1/2 count as ties). ``copeland: {na: coinr}`` uses COINr's rule for
    missing values (lower triangle = 1 − upper), whose scores depend on the order of
    the units; the default (``pairwise``) treats both units of a pair alike.
    """
    na = _copeland_na(copeland)
    R, n, _c = C.shape
    out = np.empty((R, n, G.shape[1]))
    for j in range(G.shape[1]):
        cols = np.flatnonzero(G[:, j])
        for r in range(R):
            orm = _outrank(C[r][:, cols], W[r, cols], na)
            S = np.sign(np.round(orm - 0.5, 12))
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


ZeroWeights = Literal["raise", "nan"]


def aggregate_batch(
    coin: Coin,
    X: np.ndarray,
    W: np.ndarray,
    *,
    method: Any = "arithmetic",
    min_availability: Any = None,
    p: Any = None,
    nonpositive: NonPositivePolicy = "raise",
    copeland: Mapping[str, Any] | None = None,
    zero_weights: ZeroWeights = "raise",
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
    copeland
        ``{na: pairwise}`` (default) or ``{na: coinr}``: how the Copeland method treats
        missing values (see :func:`outrank_matrix`).
    zero_weights
        When the weights of all children of an aggregate sum to 0: ``"raise"``
        (default) or ``"nan"`` (the aggregate is missing, as COINr; used when
        removing elements one at a time).

    Returns
    -------
    numpy.ndarray
        Aggregate scores, shape ``(R, n, len(coin.aggregates))``.

    Raises
    ------
    ComputationError
        The weights of an aggregate's children sum to 0 (``zero_weights="raise"``).
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
    if zero_weights not in ("raise", "nan"):
        problems.append(Problem("zero_weights must be 'raise' or 'nan'", "aggregate.zero_weights"))
    # checked here, not only when a value <= 0 meets it, so that a typo never goes unseen
    if nonpositive not in ("raise", "omit", "shift"):
        problems.append(
            Problem(
                f"unknown policy {nonpositive!r}; choose raise, omit or shift",
                "aggregate.nonpositive",
            )
        )
    if copeland is not None:
        try:
            _copeland_na(copeland)
        except PipelineError as exc:
            problems.append(Problem(exc.headline, "aggregate.copeland"))
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
        sums = Wl @ lv.membership
        if zero_weights == "raise" and (sums == 0).any():
            r, j = np.argwhere(sums == 0)[0]
            kids = [c for c, k in zip(lv.children, lv.child_parent, strict=True) if k == j]
            raise ComputationError(
                f"the weights of the children of {lv.parents[j]} ({', '.join(kids)}) sum to 0"
                + (f" in weight set {r + 1} of {R}" if R > 1 else "")
                + f", so {lv.parents[j]} would be missing for every unit. Give at least one of "
                "them a non-zero weight, or leave the aggregate out of the framework."
            )
        func = AGGREGATORS[methods[lv.level]]
        Y = func(
            C,
            Wl,
            lv.membership,
            p=ps[lv.level],
            nonpositive=nonpositive,
            copeland=copeland,
            where=f"level {lv.level} ({', '.join(lv.parents[:3])}{'…' if len(lv.parents) > 3 else ''})",
        )
        if zero_weights == "nan" and (sums == 0).any():
            Y = np.where((sums == 0)[:, None, :], np.nan, Y)
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
    copeland: Mapping[str, Any] | None = None,
    empty: Literal["report", "raise"] = "report",
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
    copeland
        ``{na: coinr}`` for COINr's treatment of missing values in the Copeland method.
    empty
        An indicator or aggregate without any value (in a year) is left out of its
        parent and listed in the details ``dropped`` (``"report"``, default), or
        stops the run (``"raise"``).
    """
    if empty not in ("report", "raise"):
        raise PipelineError(f"aggregate.empty must be 'report' or 'raise', got {empty!r}")
    W = resolve_weights(state.coin, weights)
    scores = aggregate_batch(
        state.coin,
        state.X,
        W,
        method=method,
        min_availability=min_availability,
        p=p,
        nonpositive=nonpositive,
        copeland=copeland,
    )[0]
    dropped = dropped_codes(state, scores)
    if empty == "raise" and len(dropped):
        lines = [
            f"{r.iCode}" + (f" ({r.Time})" if "Time" in dropped.columns else "") + f": {r.Reason}"
            for r in dropped.itertuples()
        ]
        raise ComputationError(
            f"{len(dropped)} indicator(s)/aggregate(s) have no value:\n  - "
            + "\n  - ".join(lines[:20])
            + (f"\n  and {len(lines) - 20} more" if len(lines) > 20 else "")
            + "\nFix the data or set empty: report to leave them out of their parents."
        )
    return state.with_dataset("Aggregated", state.X, scores=scores, details={"dropped": dropped})
