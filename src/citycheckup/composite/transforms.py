"""Outlier-treatment transforms with fitted, replayable parameters (used by :mod:`.treat`).

Each :class:`Transform` has a ``fit`` (parameters from the data: winsorising caps,
the minimum and maximum a log is shifted by …) and an ``apply`` with fixed
parameters; :class:`Fitted` chains them for one indicator, so that a treatment
decision can be written down (``Steps``, ``Formula``) and applied again to other data.

Registry :data:`TRANSFORMS`: ``winsorise``, ``log_ct``, ``log_ct_plus``, ``log_ct_orig``,
``log_gii``, ``log``, ``boxcox`` and ``none``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from citycheckup.composite._util import Registry, skew, skew_kurt
from citycheckup.errors import Problem

__all__ = [
    "TRANSFORMS",
    "DomainError",
    "Fitted",
    "OutOfRange",
    "Params",
    "Transform",
    "check_skew_kurt",
    "minmax_params",
    "winsorise",
]

Params = dict[str, float]
OutOfRange = Literal["raise", "clip"]


class DomainError(ValueError):
    """A transform met values outside its domain (internal; the step names the culprit)."""

    def __init__(self, message: str, bad: np.ndarray):
        super().__init__(message)
        self.bad = bad


def check_skew_kurt(
    x: np.ndarray, skew_thresh: float = 2.0, kurt_thresh: float = 3.5
) -> tuple[bool, float, float]:
    """Pass/fail check of COINr: pass when ``|skew| < skew_thresh`` or ``kurt < kurt_thresh``.

    Returns
    -------
    tuple
        ``(passes, skew, kurtosis)``; a vector whose skew is undefined (constant,
        fewer than 4 values) passes.
    """
    sk, kt = skew_kurt(x)
    if np.isnan(sk) or np.isnan(kt):
        return True, sk, kt
    return bool(abs(sk) < skew_thresh or kt < kurt_thresh), sk, kt


# ---------------------------------------------------------------------------- transforms
class Transform:
    """One treatment method: ``fit`` finds its parameters, ``apply`` uses them.

    Calling the object fits and applies in one go and returns ``(values, point
    labels, info)`` where ``info`` holds the fitted parameters and diagnostics.
    """

    def __init__(
        self,
        name: str,
        fit: Callable[..., tuple[Params, np.ndarray | None, dict[str, Any]]],
        apply: Callable[[np.ndarray, Mapping[str, float]], np.ndarray],
        formula: Callable[[str, Mapping[str, float]], str],
    ):
        self.name = name
        self.fit = fit
        self._apply = apply
        self._formula = formula

    def apply(self, x: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
        """Apply with fixed ``params``; :class:`DomainError` if a value has no image."""
        x = np.asarray(x, dtype=float)
        with np.errstate(all="ignore"):
            y = self._apply(x, params)
        bad = ~np.isnan(x) & ~np.isfinite(y)
        if bad.any():
            raise DomainError(f"{self.name} is undefined for {int(bad.sum())} value(s)", bad)
        return y

    def formula(self, arg: str, params: Mapping[str, float]) -> str:
        """The transform as text, applied to the expression ``arg``."""
        return self._formula(arg, params)

    def __call__(
        self, x: np.ndarray, **kwargs: Any
    ) -> tuple[np.ndarray, np.ndarray | None, dict[str, Any]]:
        x = np.array(x, dtype=float)
        params, labels, info = self.fit(x, **kwargs)
        return self.apply(x, params), labels, {**info, **params}

    def __repr__(self) -> str:
        return f"Transform({self.name!r})"


TRANSFORMS: Registry[Transform] = Registry("outlier treatment")


def _register(t: Transform) -> Transform:
    TRANSFORMS[t.name] = t
    return t


def _num(v: float) -> str:
    return f"{v:.6g}"


def _shift(arg: str, c: float) -> str:
    return f"{arg} {'+' if c >= 0 else '-'} {_num(abs(c))}"


def _fit_winsorise(
    x: np.ndarray,
    *,
    winmax: int | None = 5,
    skew_thresh: float = 2.0,
    kurt_thresh: float = 3.5,
    force_win: bool = False,
    **_: Any,
) -> tuple[Params, np.ndarray, dict[str, Any]]:
    x = np.array(x, dtype=float)
    passing, sk, _kt = check_skew_kurt(x, skew_thresh, kurt_thresh)
    nwin = 0
    imax = np.empty(0, dtype=int)
    imin = np.empty(0, dtype=int)
    if not passing or force_win:
        below = winmax is None or nwin < winmax
        while (not passing or force_win) and below:
            ok = ~np.isnan(x)
            if ok.sum() < 2:
                break
            # the block is kept (and labelled) only once it has been moved to a cap
            if np.isnan(sk) or sk >= 0:
                block = np.flatnonzero(x == np.nanmax(x))
                rest = np.delete(x, block)
                if np.isnan(rest).all():
                    break
                imax = block
                x[imax] = np.nanmax(rest)
            else:
                block = np.flatnonzero(x == np.nanmin(x))
                rest = np.delete(x, block)
                if np.isnan(rest).all():
                    break
                imin = block
                x[imin] = np.nanmin(rest)
            nwin = int(imax.size + imin.size)
            below = winmax is None or nwin < winmax
            passing, sk, _kt = check_skew_kurt(x, skew_thresh, kurt_thresh)
    labels = np.full(x.shape, "", dtype=object)
    labels[imax] = "winhi"
    labels[imin] = "winlo"
    # every winsorised point took the value of the cap it was moved to: a clip
    lower = float(np.nanmin(x)) if imin.size else math.nan
    upper = float(np.nanmax(x)) if imax.size else math.nan
    return {"lower": lower, "upper": upper}, labels, {"nwin": nwin}


def _apply_clip(x: np.ndarray, p: Mapping[str, float]) -> np.ndarray:
    lo, hi = p.get("lower", math.nan), p.get("upper", math.nan)
    y = x
    if not math.isnan(lo):
        y = np.where(y < lo, lo, y)
    if not math.isnan(hi):
        y = np.where(y > hi, hi, y)
    return np.array(y, dtype=float)


def _formula_clip(arg: str, p: Mapping[str, float]) -> str:
    lo, hi = p.get("lower", math.nan), p.get("upper", math.nan)
    if not math.isnan(hi):
        arg = f"min({arg}, {_num(hi)})"
    if not math.isnan(lo):
        arg = f"max({arg}, {_num(lo)})"
    return arg


#: Winsorise tied extreme blocks one at a time until the skew/kurtosis check passes
#: (labels ``winhi``/``winlo``; parameters: the caps ``lower``/``upper``).
winsorise = _register(Transform("winsorise", _fit_winsorise, _apply_clip, _formula_clip))


def minmax_params(x: np.ndarray) -> Params:
    """``{min, max}`` of the non-missing values (NaN when there are none)."""
    v = x[~np.isnan(x)]
    if not v.size:
        return {"min": math.nan, "max": math.nan}
    return {"min": float(v.min()), "max": float(v.max())}


def _labelled(name: str) -> Callable[..., tuple[Params, np.ndarray, dict[str, Any]]]:
    def fit(x: np.ndarray, **_: Any) -> tuple[Params, np.ndarray, dict[str, Any]]:
        return minmax_params(x), np.full(x.shape, name, dtype=object), {}

    return fit


#: COIN Tool log: :math:`\\log(x - \\min x + 0.01(\\max x - \\min x))`.
log_ct = _register(
    Transform(
        "log_ct",
        _labelled("log_ct"),
        lambda x, p: np.log(x - p["min"] + 0.01 * (p["max"] - p["min"])),
        lambda a, p: f"log({_shift(a, -p['min'] + 0.01 * (p['max'] - p['min']))})",
    )
)


def _fit_log_ct_plus(x: np.ndarray, **_: Any) -> tuple[Params, np.ndarray, dict[str, Any]]:
    p = minmax_params(x)
    p["mirror"] = 1.0 if skew(x) < 0 else 0.0
    return p, np.full(x.shape, "log_ct_plus", dtype=object), {}


def _apply_log_ct_plus(x: np.ndarray, p: Mapping[str, float]) -> np.ndarray:
    a = 0.01 * (p["max"] - p["min"])
    if p.get("mirror", 0.0):
        return -np.log(p["max"] + a - x)
    return np.log(x - p["min"] + a)


def _formula_log_ct_plus(arg: str, p: Mapping[str, float]) -> str:
    a = 0.01 * (p["max"] - p["min"])
    if p.get("mirror", 0.0):
        return f"-log({_num(p['max'] + a)} - {arg})"
    return f"log({_shift(arg, a - p['min'])})"


#: ``log_ct`` for positive skew; mirrored :math:`-\\log(\\max x + a - x)` for negative skew.
log_ct_plus = _register(
    Transform("log_ct_plus", _fit_log_ct_plus, _apply_log_ct_plus, _formula_log_ct_plus)
)

#: Original COIN Tool log: :math:`\\log(x - \\min x + 1)`.
log_ct_orig = _register(
    Transform(
        "log_ct_orig",
        _labelled("log_ct_orig"),
        lambda x, p: np.log(x - p["min"] + 1),
        lambda a, p: f"log({_shift(a, 1 - p['min'])})",
    )
)


def _fit_log_gii(x: np.ndarray, **_: Any) -> tuple[Params, np.ndarray, dict[str, Any]]:
    p = minmax_params(x)
    if not p["max"] > 1:
        raise DomainError(
            f"log_gii needs a maximum above 1 (it is {p['max']:.6g}); below that it would "
            "reverse the order of the values. Use log_ct instead",
            np.zeros(x.shape, bool),
        )
    return p, np.full(x.shape, "log_gii", dtype=object), {}


#: GII log :math:`\\log((\\max x - 1)(x - \\min x)/(\\max x - \\min x) + 1)` (not recommended).
log_gii = _register(
    Transform(
        "log_gii",
        _fit_log_gii,
        lambda x, p: np.log((p["max"] - 1) * (x - p["min"]) / (p["max"] - p["min"]) + 1),
        lambda a, p: (
            f"log({_num((p['max'] - 1) / (p['max'] - p['min']))} * ({_shift(a, -p['min'])}) + 1)"
        ),
    )
)

#: Natural logarithm without shift (needs positive values).
log_plain = _register(
    Transform(
        "log",
        lambda x, **_: ({}, np.full(x.shape, "log", dtype=object), {}),
        lambda x, p: np.log(np.where(x > 0, x, np.nan)),
        lambda a, p: f"log({a})",
    )
)


def _fit_boxcox(
    x: np.ndarray, *, lambda_: float = 0.0, makepos: bool = True, **_: Any
) -> tuple[Params, np.ndarray, dict[str, Any]]:
    shift = 1 - float(np.nanmin(x)) if makepos and not np.isnan(x).all() else 0.0
    return (
        {"lambda": float(lambda_), "shift": shift},
        np.full(x.shape, "boxcox", dtype=object),
        {},
    )


def _apply_boxcox(x: np.ndarray, p: Mapping[str, float]) -> np.ndarray:
    z = x + p["shift"]
    z = np.where(z > 0, z, np.nan)
    lam = p["lambda"]
    return np.log(z) if lam == 0 else (z**lam - 1) / lam


def _formula_boxcox(arg: str, p: Mapping[str, float]) -> str:
    z = _shift(arg, p["shift"]) if p["shift"] else arg
    lam = p["lambda"]
    return f"log({z})" if lam == 0 else f"(({z})^{_num(lam)} - 1) / {_num(lam)}"


#: Box-Cox with fixed :math:`\\lambda` (after :math:`x - \\min x + 1` when ``makepos``).
boxcox = _register(Transform("boxcox", _fit_boxcox, _apply_boxcox, _formula_boxcox))

#: Leave the values as they are.
no_transform = _register(
    Transform("none", lambda x, **_: ({}, None, {}), lambda x, p: x.copy(), lambda a, p: a)
)


# ---------------------------------------------------------------------------- fitted
@dataclass(frozen=True)
class Fitted:
    """A fitted treatment of one indicator: transforms with fixed parameters, in order.

    Attributes
    ----------
    steps
        ``((name, params), ...)``; empty for "no treatment".
    data_min, data_max
        Range of the values the decision was taken on (used by ``out_of_range: clip``).
    """

    steps: tuple[tuple[str, Params], ...] = ()
    data_min: float = math.nan
    data_max: float = math.nan

    def apply(self, x: np.ndarray, *, out_of_range: OutOfRange = "raise") -> np.ndarray:
        """Apply every step to ``x`` (:class:`DomainError` when a value has no image)."""
        y = np.asarray(x, dtype=float)
        if out_of_range == "clip" and self.steps:
            y = _apply_clip(y, {"lower": self.data_min, "upper": self.data_max})
        for name, params in self.steps:
            y = TRANSFORMS.get_method(name).apply(y, params)
        return y

    @property
    def caps(self) -> tuple[float, float]:
        """``(lower, upper)`` winsorising caps (NaN when that side is not capped)."""
        for name, p in self.steps:
            if name == "winsorise":
                return p.get("lower", math.nan), p.get("upper", math.nan)
        return math.nan, math.nan

    def formula(self) -> str:
        """The whole treatment as text, e.g. ``log(min(x, 30) - 0.7)``."""
        arg = "x"
        for name, params in self.steps:
            arg = TRANSFORMS.get_method(name).formula(arg, params)
        return arg

    def steps_json(self) -> str:
        """The steps as exact JSON (floats round-trip; NaN written as null)."""
        clean = [
            [n, {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in p.items()}]
            for n, p in self.steps
        ]
        return json.dumps(clean)

    @classmethod
    def from_steps(cls, steps: Any, where: str, problems: list[Problem]) -> Fitted:
        """Build from ``[[name, {params}], ...]`` (JSON text or a list), collecting problems."""
        if isinstance(steps, str):
            try:
                steps = json.loads(steps) if steps.strip() else []
            except json.JSONDecodeError as exc:
                problems.append(Problem(f"steps are not valid JSON: {exc}", where))
                return cls()
        out: list[tuple[str, Params]] = []
        if not isinstance(steps, Sequence):
            problems.append(Problem("give a list of [transform, {parameters}] steps", where))
            return cls()
        for i, st in enumerate(steps):
            if not (isinstance(st, Sequence) and len(st) == 2 and isinstance(st[1], Mapping)):
                problems.append(Problem("each step is [transform name, {parameters}]", where))
                continue
            name = str(st[0])
            if name not in TRANSFORMS:
                problems.append(
                    Problem(
                        f"step {i}: unknown transform {name!r}; choose one of "
                        f"{', '.join(sorted(TRANSFORMS))}",
                        where,
                    )
                )
                continue
            params = {str(k): (math.nan if v is None else float(v)) for k, v in st[1].items()}
            out.append((name, params))
        return cls(tuple(out))
