"""Outlier treatment (COINr ``Treat``): skew/kurtosis check → winsorise → log.

COINr's default, per indicator:

1. The indicator *fails* when :math:`|skew| \\ge 2` **and** :math:`kurtosis \\ge 3.5`
   (type-2 skew and excess kurtosis, as Excel ``SKEW``/``KURT``).
2. If it fails, winsorise (``f1``): while it fails and fewer than ``winmax`` points
   are winsorised, replace the whole tied block of maximum values (skew ≥ 0) by the
   largest remaining value, or the minimum block (skew < 0) by the smallest
   remaining value. The count is the size of the current top block plus the current
   bottom block (so it accumulates while the skew keeps its sign, COINr's rule).
3. If it still fails, apply ``f2`` (default ``log_ct``: :math:`\\log(x - \\min x +
   0.01(\\max x - \\min x))`) to the *original* values (or to the winsorised values
   with ``combine=True``); its result is kept even if it still fails.

Registry :data:`TRANSFORMS` holds ``winsorise``, ``log_ct``, ``log_ct_plus``,
``log_ct_orig``, ``log_gii``, ``log``, ``boxcox`` and ``none``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from citycheckup.composite._state import State
from citycheckup.composite._util import Registry, skew, skew_kurt
from citycheckup.errors import PipelineError, Problem

__all__ = ["TRANSFORMS", "TreatSpec", "check_skew_kurt", "treat", "treat_vector", "winsorise"]

Transform = Callable[..., tuple[np.ndarray, np.ndarray | None, dict[str, Any]]]
TRANSFORMS: Registry[Transform] = Registry("outlier treatment")


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


@TRANSFORMS.register("winsorise")
def winsorise(
    x: np.ndarray,
    *,
    winmax: int | None = 5,
    skew_thresh: float = 2.0,
    kurt_thresh: float = 3.5,
    force_win: bool = False,
    **_: Any,
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Winsorise tied extreme blocks one at a time until the skew/kurtosis check passes.

    Returns
    -------
    tuple
        ``(values, labels, info)``: labels are ``"winhi"``/``"winlo"``/``""`` per point,
        ``info = {"nwin": count}``.
    """
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
            if np.isnan(sk) or sk >= 0:
                mx = np.nanmax(x)
                imax = np.flatnonzero(x == mx)
                rest = np.delete(x, imax)
                if np.isnan(rest).all():
                    break
                x[imax] = np.nanmax(rest)
            else:
                mn = np.nanmin(x)
                imin = np.flatnonzero(x == mn)
                rest = np.delete(x, imin)
                if np.isnan(rest).all():
                    break
                x[imin] = np.nanmin(rest)
            nwin = int(imax.size + imin.size)
            below = winmax is None or nwin < winmax
            passing, sk, _kt = check_skew_kurt(x, skew_thresh, kurt_thresh)
    labels = np.full(x.shape, "", dtype=object)
    labels[imax] = "winhi"
    labels[imin] = "winlo"
    return x, labels, {"nwin": nwin}


@TRANSFORMS.register("log_ct")
def log_ct(x: np.ndarray, **_: Any) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """COIN Tool log: :math:`\\log(x - \\min x + 0.01(\\max x - \\min x))`."""
    mn, mx = np.nanmin(x), np.nanmax(x)
    with np.errstate(all="ignore"):
        y = np.log(x - mn + 0.01 * (mx - mn))
    return y, np.full(x.shape, "log_ct", dtype=object), {}


@TRANSFORMS.register("log_ct_plus")
def log_ct_plus(x: np.ndarray, **_: Any) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """``log_ct`` for positive skew; mirrored :math:`-\\log(\\max x + a - x)` for negative skew."""
    mn, mx = np.nanmin(x), np.nanmax(x)
    a = 0.01 * (mx - mn)
    with np.errstate(all="ignore"):
        y = np.log(x - mn + a) if not skew(x) < 0 else -np.log(mx + a - x)
    return y, np.full(x.shape, "log_ct_plus", dtype=object), {}


@TRANSFORMS.register("log_ct_orig")
def log_ct_orig(x: np.ndarray, **_: Any) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Original COIN Tool log: :math:`\\log(x - \\min x + 1)`."""
    with np.errstate(all="ignore"):
        y = np.log(x - np.nanmin(x) + 1)
    return y, np.full(x.shape, "log_ct_orig", dtype=object), {}


@TRANSFORMS.register("log_gii")
def log_gii(x: np.ndarray, **_: Any) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """GII log :math:`\\log((\\max x - 1)(x - \\min x)/(\\max x - \\min x) + 1)` (not recommended)."""
    mn, mx = np.nanmin(x), np.nanmax(x)
    with np.errstate(all="ignore"):
        y = np.log((mx - 1) * (x - mn) / (mx - mn) + 1)
    return y, np.full(x.shape, "log_gii", dtype=object), {}


@TRANSFORMS.register("log")
def log_plain(x: np.ndarray, **_: Any) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Natural logarithm without shift (needs positive values)."""
    with np.errstate(all="ignore"):
        y = np.log(x)
    return y, np.full(x.shape, "log", dtype=object), {}


@TRANSFORMS.register("boxcox")
def boxcox(
    x: np.ndarray, *, lambda_: float = 0.0, makepos: bool = True, **_: Any
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Box-Cox with fixed :math:`\\lambda` (after :math:`x - \\min x + 1` when ``makepos``)."""
    if makepos:
        x = x - np.nanmin(x) + 1
    with np.errstate(all="ignore"):
        y = np.log(x) if lambda_ == 0 else (x**lambda_ - 1) / lambda_
    return y, np.full(x.shape, "boxcox", dtype=object), {"lambda": lambda_}


@TRANSFORMS.register("none")
def no_transform(x: np.ndarray, **_: Any) -> tuple[np.ndarray, np.ndarray | None, dict[str, Any]]:
    """Leave the values as they are."""
    return x, None, {}


@dataclass(frozen=True)
class TreatSpec:
    """Treatment of one indicator (COINr ``global_specs``)."""

    f1: str = "winsorise"
    f2: str = "log_ct"
    winmax: int | None = 5
    skew: float = 2.0
    kurtosis: float = 3.5
    force_win: bool = False
    combine: bool = False
    lambda_: float = 0.0
    makepos: bool = True
    skip: bool = False

    def transform_kwargs(self) -> dict[str, Any]:
        return {
            "winmax": self.winmax,
            "skew_thresh": self.skew,
            "kurt_thresh": self.kurtosis,
            "force_win": self.force_win,
            "lambda_": self.lambda_,
            "makepos": self.makepos,
        }


def treat_vector(x: np.ndarray, spec: TreatSpec) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Treat one indicator; returns ``(values, point labels, detail row)``."""
    labels = np.full(x.shape, "", dtype=object)
    row: dict[str, Any] = {}
    if spec.skip:
        row.update(Pass_0=np.nan, Treatment="none (skipped)")
        return x, labels, row
    p0, s0, k0 = check_skew_kurt(x, spec.skew, spec.kurtosis)
    row.update(Pass_0=p0, Skew_0=s0, Kurt_0=k0)
    kw = spec.transform_kwargs()
    treatment = "none"
    x1 = x
    passing = p0
    if not passing:
        f1 = TRANSFORMS.get_method(spec.f1)
        x1, lab1, info1 = f1(x, **kw)
        if lab1 is not None:
            labels = lab1.copy()
        row.update({f"{spec.f1}_{k}": v for k, v in info1.items()})
        passing, s1, k1 = check_skew_kurt(x1, spec.skew, spec.kurtosis)
        row.update(f1=spec.f1, Pass_1=passing, Skew_1=s1, Kurt_1=k1)
        treatment = spec.f1
    x2 = x1
    if not passing and spec.f2 != "none":
        f2 = TRANSFORMS.get_method(spec.f2)
        base = x1 if spec.combine else x
        x2, lab2, info2 = f2(base, **kw)
        if lab2 is not None:
            if spec.combine:
                labels = np.where(labels == "", lab2, labels + "+" + lab2)
            else:
                labels = lab2.copy()
        row.update({f"{spec.f2}_{k}": v for k, v in info2.items()})
        p2, s2, k2 = check_skew_kurt(x2, spec.skew, spec.kurtosis)
        row.update(f2=spec.f2, Pass_2=p2, Skew_2=s2, Kurt_2=k2)
        treatment = f"{spec.f1}+{spec.f2}" if spec.combine else spec.f2
    row["Treatment"] = treatment
    labels = np.where(np.isnan(x), "", labels)
    return x2, labels, row


_METHODS = {
    "winsorise_log": {},
    "default": {},
    "winsorise": {"f2": "none"},
}


def _spec_from(
    params: Mapping[str, Any], base: TreatSpec, where: str, problems: list[Problem]
) -> TreatSpec:
    p = dict(params)
    method = p.pop("method", None)
    kw: dict[str, Any] = {}
    if method is not None:
        if method == "none":
            return TreatSpec(skip=True)
        if method in _METHODS:
            kw.update(_METHODS[method])
        elif method in TRANSFORMS:
            kw.update(f1=method, f2="none")
        else:
            problems.append(
                Problem(
                    f"unknown treatment method {method!r}; choose one of "
                    f"{', '.join(sorted([*_METHODS, *TRANSFORMS]))}",
                    where,
                )
            )
    mapping = {
        "winmax": "winmax",
        "skew": "skew",
        "kurtosis": "kurtosis",
        "kurt": "kurtosis",
        "log": "f2",
        "f1": "f1",
        "f2": "f2",
        "force_win": "force_win",
        "combine": "combine",
        "lambda": "lambda_",
        "lambda_": "lambda_",
        "makepos": "makepos",
    }
    for k, v in p.items():
        if k not in mapping:
            problems.append(
                Problem(
                    f"unknown treat parameter {k!r}; known: {', '.join(sorted(mapping))}", where
                )
            )
            continue
        kw[mapping[k]] = v
    for f in ("f1", "f2"):
        if f in kw and kw[f] not in TRANSFORMS:
            problems.append(
                Problem(
                    f"unknown transform {kw[f]!r}; choose one of {', '.join(sorted(TRANSFORMS))}",
                    where,
                )
            )
    if "winmax" in kw and kw["winmax"] is not None:
        kw["winmax"] = int(round(float(kw["winmax"])))
    fields = {**base.__dict__, **kw}
    return TreatSpec(**fields)


def treat(
    state: State,
    *,
    individual: Mapping[str, Mapping[str, Any] | str] | None = None,
    **params: Any,
) -> State:
    """Pipeline step ``treat``: write data set ``Treated`` and the treatment details.

    Parameters
    ----------
    state
        Pipeline state.
    individual
        Per-indicator overrides ``{code: {winmax: 3, ...}}`` or ``{code: "none"}``.
    **params
        ``method`` (``winsorise_log`` = COINr default, ``winsorise``, a transform name
        such as ``log_ct`` or ``boxcox`` to apply alone to failing indicators, or ``none``),
        ``winmax`` (5), ``skew`` (2), ``kurtosis`` (3.5), ``log`` (second stage,
        ``log_ct``), ``force_win``, ``combine``, ``lambda`` and ``makepos`` (Box-Cox).
    """
    problems: list[Problem] = []
    base = _spec_from(params, TreatSpec(), "treat", problems)
    codes = state.coin.indicators
    specs = [base] * len(codes)
    for code, sp in (individual or {}).items():
        if code not in codes:
            problems.append(Problem("not an indicator code", f"treat.individual.{code}"))
            continue
        j = codes.index(code)
        if isinstance(sp, str):
            if sp != "none":
                problems.append(
                    Problem("give a mapping of parameters or 'none'", f"treat.individual.{code}")
                )
            specs[j] = TreatSpec(skip=True)
        else:
            specs[j] = _spec_from(sp, base, f"treat.individual.{code}", problems)
    if problems:
        raise PipelineError("invalid treat step", problems=problems)
    if base.skip and not individual:
        return state.with_dataset(
            "Treated",
            state.X,
            details={"treatment": pd.DataFrame(), "treated_points": pd.DataFrame()},
        )

    rows_detail: list[dict[str, Any]] = []
    points: list[tuple[int, str, str]] = []
    t = state.time

    def run(X: np.ndarray, pos: np.ndarray) -> np.ndarray:
        out = X.copy()
        for j, code in enumerate(codes):
            y, labels, row = treat_vector(X[:, j], specs[j])
            out[:, j] = y
            head: dict[str, Any] = {"iCode": code}
            if t is not None:
                head["Time"] = t[pos[0]] if len(pos) else np.nan
            rows_detail.append({**head, **row})
            for i in np.flatnonzero(labels != ""):
                points.append((int(pos[i]), code, str(labels[i])))
        return out

    Xt = state.per_time(run)
    details = pd.DataFrame(rows_detail)
    uc = state.ucode
    pts = pd.DataFrame(
        {
            "uCode": [uc[i] for i, _, _ in points],
            **({"Time": [t[i] for i, _, _ in points]} if t is not None else {}),
            "iCode": [c for _, c, _ in points],
            "Treatment": [lab for _, _, lab in points],
        }
    )
    return state.with_dataset("Treated", Xt, details={"treatment": details, "treated_points": pts})
