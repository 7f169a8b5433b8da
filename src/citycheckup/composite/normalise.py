"""Normalisation: bring indicators onto a common scale (COINr ``Normalise``).

Every method works on a whole matrix (units × indicators) at once. Directions are
applied first (``x * direction``), as COINr does, except for ``goalposts`` and
``dist2targ`` whose posts/targets are given in the indicator's own units and
which take the direction as an argument.

Registry :data:`NORMALISERS` (name → function). Methods: ``minmax``, ``zscore``,
``scaled``, ``goalposts``, ``dist2targ``, ``dist2ref``, ``dist2max``, ``fracmax``,
``rank``, ``prank``, ``borda``, ``none``.
"""

from __future__ import annotations

import inspect
import logging
import warnings
from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np

from citycheckup.composite._state import State
from citycheckup.composite._util import Registry, rank_min
from citycheckup.errors import ComputationError, PipelineError, Problem

__all__ = ["NORMALISERS", "normalise", "normalise_matrix"]

log = logging.getLogger(__name__)

Normaliser = Callable[..., np.ndarray]
NORMALISERS: Registry[Normaliser] = Registry("normalisation")

ConstantPolicy = Literal["raise", "nan", "midpoint"]

#: Methods that receive the unflipped data and the directions.
_DIRECTION_AWARE = frozenset({"goalposts", "dist2targ"})

#: iMeta columns read with ``use_meta=True``: method -> {parameter: column}.
META_PARAMETERS: dict[str, dict[str, str]] = {
    "minmax": {"lower": "minmax_lower", "upper": "minmax_upper"},
    "zscore": {"mean": "zscore_mean", "sd": "zscore_sd"},
    "scaled": {
        "lower": "scaled_lower",
        "upper": "scaled_upper",
        "scale_factor": "scaled_scale_factor",
    },
    "dist2targ": {"target": "Target", "cap": "dist2targ_cap_max"},
    "goalposts": {
        "lower": "goalpost_lower",
        "upper": "goalpost_upper",
        "scale": "goalpost_scale",
        "trunc": "goalpost_trunc2posts",
    },
}


def _degenerate(
    bad: np.ndarray, what: str, policy: ConstantPolicy, codes: tuple[str, ...] | None
) -> None:
    if not bad.any() or policy != "raise":
        if bad.any():
            log.warning("%s is zero for %d indicator(s); policy %r", what, int(bad.sum()), policy)
        return
    names = (
        [codes[i] for i in np.flatnonzero(bad)] if codes else [str(i) for i in np.flatnonzero(bad)]
    )
    raise ComputationError(
        f"{what} is zero for indicator(s) {', '.join(names)}: the normalised values are undefined. "
        "Drop the constant indicator(s), or set constant='nan' (COINr's behaviour) or "
        "constant='midpoint' in the normalise step."
    )


@NORMALISERS.register("minmax")
def n_minmax(
    X: np.ndarray,
    *,
    lower: Any = 0.0,
    upper: Any = 100.0,
    constant: ConstantPolicy = "raise",
    codes: tuple[str, ...] | None = None,
) -> np.ndarray:
    """Min-max: :math:`(x - \\min x)/(\\max x - \\min x)(u - l) + l` per column."""
    with np.errstate(all="ignore"):
        mn = np.nanmin(X, axis=0) if X.size else np.zeros(X.shape[1])
        mx = np.nanmax(X, axis=0) if X.size else np.zeros(X.shape[1])
        rng = mx - mn
        bad = rng == 0
        _degenerate(bad, "the range (max - min)", constant, codes)
        out = (X - mn) / rng * (np.asarray(upper, float) - np.asarray(lower, float)) + lower
    if constant == "midpoint" and bad.any():
        mid = (
            np.broadcast_to(np.asarray(lower, float), mn.shape)
            + np.broadcast_to(np.asarray(upper, float), mn.shape)
        ) / 2
        out[:, bad] = np.where(np.isnan(X[:, bad]), np.nan, mid[bad])
    return out


@NORMALISERS.register("zscore")
def n_zscore(
    X: np.ndarray,
    *,
    mean: Any = 0.0,
    sd: Any = 1.0,
    constant: ConstantPolicy = "raise",
    codes: tuple[str, ...] | None = None,
) -> np.ndarray:
    """Z-score: :math:`(x - \\bar x)/s \\cdot sd + mean`, with the sample sd (n - 1)."""
    with np.errstate(all="ignore"):
        m = np.nanmean(X, axis=0)
        s = np.nanstd(X, axis=0, ddof=1)
        bad = s == 0
        _degenerate(bad, "the standard deviation", constant, codes)
        out = (X - m) / s * sd + mean
    if constant == "midpoint" and bad.any():
        tgt = np.broadcast_to(np.asarray(mean, float), m.shape)
        out[:, bad] = np.where(np.isnan(X[:, bad]), np.nan, tgt[bad])
    return out


@NORMALISERS.register("scaled")
def n_scaled(
    X: np.ndarray, *, lower: Any = 0.0, upper: Any = 100.0, scale_factor: Any = 100.0
) -> np.ndarray:
    """Fixed-bounds scaling: :math:`(x - l)/(u - l) \\cdot f` (GII style, not min-max)."""
    return (X - lower) / (np.asarray(upper, float) - lower) * scale_factor


@NORMALISERS.register("goalposts")
def n_goalposts(
    X: np.ndarray,
    *,
    directions: np.ndarray,
    lower: Any,
    upper: Any,
    scale: Any = 1.0,
    trunc: Any = True,
) -> np.ndarray:
    """Goalposts in the indicator's units: :math:`(x - l)/(u - l)` (or :math:`(u - x)/(u - l)`
    for direction -1), truncated to [0, 1] when ``trunc``, times ``scale``."""
    lo = np.broadcast_to(np.asarray(lower, float), X.shape[1:])
    up = np.broadcast_to(np.asarray(upper, float), X.shape[1:])
    y = np.where(directions == -1, (up - X) / (up - lo), (X - lo) / (up - lo))
    tr = np.broadcast_to(np.asarray(trunc, bool), X.shape[1:])
    y = np.where(tr & (y > 1), 1.0, y)
    y = np.where(tr & (y < 0), 0.0, y)
    return y * scale


@NORMALISERS.register("dist2targ")
def n_dist2targ(
    X: np.ndarray, *, directions: np.ndarray, target: Any, cap: Any = False
) -> np.ndarray:
    """Distance to target: :math:`(x - \\min x)/(t - \\min x)`, or for direction -1
    :math:`(\\max x - x)/(\\max x - t)`; capped at 1 when ``cap``."""
    t = np.broadcast_to(np.asarray(target, float), X.shape[1:])
    if np.isnan(t).any():
        raise PipelineError(
            "dist2targ needs a target for every indicator: give 'target' or a Target column "
            "in the indicator table (use_meta: true)"
        )
    mn = np.nanmin(X, axis=0)
    mx = np.nanmax(X, axis=0)
    y = np.where(directions == -1, (mx - X) / (mx - t), (X - mn) / (t - mn))
    cp = np.broadcast_to(np.asarray(cap, bool), X.shape[1:])
    return np.where(cp & (y > 1), 1.0, y)


@NORMALISERS.register("dist2ref")
def n_dist2ref(X: np.ndarray, *, ref: int, cap: Any = False) -> np.ndarray:
    """Distance to a reference unit (row ``ref``): :math:`1 - (x_{ref} - x)/(x_{ref} - \\min x)`."""
    mn = np.nanmin(X, axis=0)
    xr = X[ref]
    with np.errstate(all="ignore"):
        y = 1 - (xr - X) / (xr - mn)
    cp = np.broadcast_to(np.asarray(cap, bool), X.shape[1:])
    return np.where(cp & (y > 1), 1.0, y)


@NORMALISERS.register("dist2max")
def n_dist2max(
    X: np.ndarray, *, constant: ConstantPolicy = "raise", codes: tuple[str, ...] | None = None
) -> np.ndarray:
    """Distance to the maximum: :math:`1 - (\\max x - x)/(\\max x - \\min x)` (0 … 1)."""
    mn = np.nanmin(X, axis=0)
    mx = np.nanmax(X, axis=0)
    _degenerate(mx == mn, "the range (max - min)", constant, codes)
    with np.errstate(all="ignore"):
        return 1 - (mx - X) / (mx - mn)


@NORMALISERS.register("fracmax")
def n_fracmax(X: np.ndarray) -> np.ndarray:
    """Fraction of the maximum: :math:`x / \\max x`."""
    return X / np.nanmax(X, axis=0)


@NORMALISERS.register("rank")
def n_rank(X: np.ndarray) -> np.ndarray:
    """Ascending ranks, ties take the minimum rank (higher value → higher rank)."""
    return rank_min(X, axis=0)


@NORMALISERS.register("prank")
def n_prank(X: np.ndarray) -> np.ndarray:
    """Percentile ranks :math:`(r - 1)/(n - 1)`, ``n`` the number of non-missing values."""
    n = np.sum(~np.isnan(X), axis=0)
    return (rank_min(X, axis=0) - 1) / (n - 1)


@NORMALISERS.register("borda")
def n_borda(X: np.ndarray) -> np.ndarray:
    """Borda scores :math:`r - 1`."""
    return rank_min(X, axis=0) - 1


@NORMALISERS.register("none")
def n_none(X: np.ndarray) -> np.ndarray:
    """No normalisation (directions are still applied)."""
    return X.copy()


def _accepted(func: Normaliser) -> set[str]:
    return {
        p.name
        for p in inspect.signature(func).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }


def normalise_matrix(
    X: np.ndarray,
    directions: np.ndarray,
    method: str = "minmax",
    *,
    codes: tuple[str, ...] | None = None,
    **params: Any,
) -> np.ndarray:
    """Normalise the columns of ``X`` with one method.

    Parameters
    ----------
    X
        Values, units × indicators (NaN = missing).
    directions
        +1/-1 per column.
    method
        Name in :data:`NORMALISERS`.
    codes
        Column names (for error messages).
    **params
        Method parameters; scalars or one value per column.

    Returns
    -------
    numpy.ndarray
        Normalised values, same shape as ``X``.
    """
    func = NORMALISERS.get_method(method)
    accepted = _accepted(func)
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise PipelineError(
            f"normalisation {method!r} does not take parameter(s) {', '.join(unknown)}; "
            f"it takes: {', '.join(sorted(accepted - {'directions', 'codes'})) or 'none'}"
        )
    kwargs = dict(params)
    if "codes" in accepted:
        kwargs["codes"] = codes
    if method in _DIRECTION_AWARE:
        kwargs["directions"] = directions
    else:
        X = X * directions
    with warnings.catch_warnings():
        # an indicator with no value (e.g. in one year) stays missing; numpy warns "All-NaN slice"
        warnings.simplefilter("ignore", RuntimeWarning)
        return func(X, **kwargs)


def normalise(
    state: State,
    *,
    method: str = "minmax",
    individual: Mapping[str, Mapping[str, Any]] | None = None,
    use_meta: bool = False,
    directions: bool = True,
    constant: ConstantPolicy = "raise",
    global_: bool = True,
    **params: Any,
) -> State:
    """Pipeline step ``normalise``: write data set ``Normalised``.

    Parameters
    ----------
    state
        Pipeline state.
    method
        Name in :data:`NORMALISERS` (default ``"minmax"`` with 0–100).
    individual
        Per-indicator overrides ``{code: {method: ..., <params>}}`` (``{method: none}``
        leaves an indicator as it is, after direction).
    use_meta
        Take per-indicator parameters from iMeta columns (``minmax_lower``,
        ``minmax_upper``, ``zscore_mean``, ``zscore_sd``, ``Target``, ``goalpost_*`` …);
        missing cells fall back to the step parameters.
    directions
        Apply the iMeta ``Direction`` (default). ``False`` treats all as +1.
    constant
        Policy for a constant indicator (zero range or sd): ``"raise"`` (default),
        ``"nan"`` (COINr) or ``"midpoint"``.
    global_
        Panels: normalise all years together (COINr ``global = TRUE``, the
        default) so scores are comparable over time; ``False`` normalises each
        year separately. In YAML the key is ``global``.
    **params
        Method parameters (``lower``, ``upper``, ``mean``, ``sd``, ``target``, ``ref`` …).
        For ``dist2ref``, ``ref`` may be a unit code.
    """
    coin = state.coin
    codes = coin.indicators
    dirs = state.arrays.directions if directions else np.ones(len(codes))
    specs: dict[int, tuple[str, dict[str, Any]]] = {}
    problems: list[Problem] = []
    individual = dict(individual or {})
    for code in individual:
        if code not in codes:
            problems.append(Problem("not an indicator code", f"normalise.individual.{code}"))
    if problems:
        raise PipelineError("invalid normalise step", problems=problems)
    for j, code in enumerate(codes):
        if code in individual:
            spec = dict(individual[code])
            m = str(spec.pop("method", method))
            specs[j] = (m, spec)
        else:
            specs[j] = (method, dict(params))
    # group columns by (method, params) so each group is one vectorised call
    groups: dict[str, list[int]] = {}
    for j, (m, p) in specs.items():
        groups.setdefault(repr((m, sorted(p.items(), key=lambda kv: kv[0]))), []).append(j)

    def run(X: np.ndarray, pos: np.ndarray) -> np.ndarray:
        out = np.empty_like(X)
        for cols in groups.values():
            m, p = specs[cols[0]]
            p = dict(p)
            if m == "minmax":
                p.setdefault("lower", 0.0)
                p.setdefault("upper", 100.0)
            if use_meta and m in META_PARAMETERS:
                for par, col in META_PARAMETERS[m].items():
                    vals = coin.meta_column(col, [codes[c] for c in cols]).astype(float)
                    if not np.isnan(vals).all():
                        default = p.get(par, np.nan)
                        p[par] = np.where(np.isnan(vals), default, vals)
            if m == "dist2targ" and "target" not in p:
                p["target"] = coin.meta_column("Target", [codes[c] for c in cols]).astype(float)
            if m == "dist2ref" and "ref" in p and not isinstance(p["ref"], (int, np.integer)):
                uc = state.ucode[pos]
                hit = np.flatnonzero(uc == str(p["ref"]))
                if hit.size != 1:
                    raise PipelineError(
                        f"dist2ref reference unit {p['ref']!r} not found among the units; "
                        "give a uCode present in the data"
                    )
                p["ref"] = int(hit[0])
            if m in ("minmax", "zscore", "dist2max"):
                p["constant"] = constant
            ccols = np.asarray(cols)
            out[:, ccols] = normalise_matrix(
                X[:, ccols], dirs[ccols], m, codes=tuple(codes[c] for c in cols), **p
            )
        return out

    t = state.time
    Xn = run(state.X, np.arange(len(state.rows))) if global_ or t is None else state.per_time(run)
    return state.with_dataset("Normalised", Xn)
