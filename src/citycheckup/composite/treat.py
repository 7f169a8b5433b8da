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

Every decision is a :class:`Fitted` treatment: a short list of steps with fixed
parameters (winsorising = capping at ``lower``/``upper``; a log with the minimum and
maximum it was fitted on). The treatment table lists them per indicator (columns
``LowerCap``, ``UpperCap``, ``Steps`` (exact, JSON) and ``Formula``) and
:func:`transforms_from_table` turns a table back into step parameters, so a decision
can be replayed on changed data (``treat: {transforms: ...}``).

Panels: by default each year is treated on its own (COINr's purse behaviour). With
``global: true`` the decision is taken once per indicator on the pooled panel and the
same fitted transform is applied to every year, so a value means the same in every
year (needed for trends; compare ``normalise: {global: true}``).

Registry :data:`TRANSFORMS` holds ``winsorise``, ``log_ct``, ``log_ct_plus``,
``log_ct_orig``, ``log_gii``, ``log``, ``boxcox`` and ``none``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from citycheckup.composite._state import State
from citycheckup.composite.transforms import (  # the transforms stay importable from here
    TRANSFORMS,
    DomainError,
    Fitted,
    OutOfRange,
    Params,
    Transform,
    check_skew_kurt,
    minmax_params,
    winsorise,
)
from citycheckup.composite.transforms import boxcox as boxcox
from citycheckup.composite.transforms import log_ct as log_ct
from citycheckup.composite.transforms import log_ct_orig as log_ct_orig
from citycheckup.composite.transforms import log_ct_plus as log_ct_plus
from citycheckup.composite.transforms import log_gii as log_gii
from citycheckup.composite.transforms import log_plain as log_plain
from citycheckup.errors import ComputationError, PipelineError, Problem

__all__ = [
    "TRANSFORMS",
    "Fitted",
    "Transform",
    "TreatSpec",
    "check_skew_kurt",
    "fit_vector",
    "transforms_from_table",
    "treat",
    "treat_vector",
    "winsorise",
]


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


def fit_vector(x: np.ndarray, spec: TreatSpec) -> tuple[Fitted, np.ndarray, dict[str, Any]]:
    """Decide the treatment of one indicator.

    Returns
    -------
    tuple
        ``(fitted transform, point labels, detail row)``. Apply the first to get the
        treated values (:func:`treat_vector` does both).

    Raises
    ------
    DomainError
        A transform cannot be applied (e.g. ``log`` of values <= 0).
    """
    x = np.asarray(x, dtype=float)
    labels = np.full(x.shape, "", dtype=object)
    row: dict[str, Any] = {}
    rng = minmax_params(x)
    if spec.skip:
        row.update(Pass_0=np.nan, Treatment="none (skipped)")
        return Fitted(), labels, row
    p0, s0, k0 = check_skew_kurt(x, spec.skew, spec.kurtosis)
    row.update(Pass_0=p0, Skew_0=s0, Kurt_0=k0)
    kw = spec.transform_kwargs()
    treatment = "none"
    steps: list[tuple[str, Params]] = []
    passing = p0
    x1 = x
    if not passing:
        f1 = TRANSFORMS.get_method(spec.f1)
        par1, lab1, info1 = f1.fit(x, **kw)
        x1 = f1.apply(x, par1)
        steps = [(spec.f1, par1)] if spec.f1 != "none" else []
        if lab1 is not None:
            labels = lab1.copy()
        row.update({f"{spec.f1}_{k}": v for k, v in info1.items()})
        passing, s1, k1 = check_skew_kurt(x1, spec.skew, spec.kurtosis)
        row.update(f1=spec.f1, Pass_1=passing, Skew_1=s1, Kurt_1=k1)
        treatment = spec.f1
    if not passing and spec.f2 != "none":
        f2 = TRANSFORMS.get_method(spec.f2)
        base = x1 if spec.combine else x
        par2, lab2, info2 = f2.fit(base, **kw)
        x2 = f2.apply(base, par2)
        if lab2 is not None:
            if spec.combine:
                labels = np.where(labels == "", lab2, labels + "+" + lab2)
            else:
                labels = lab2.copy()
        steps = [*steps, (spec.f2, par2)] if spec.combine else [(spec.f2, par2)]
        row.update({f"{spec.f2}_{k}": v for k, v in info2.items()})
        p2, s2, k2 = check_skew_kurt(x2, spec.skew, spec.kurtosis)
        row.update(f2=spec.f2, Pass_2=p2, Skew_2=s2, Kurt_2=k2)
        treatment = f"{spec.f1}+{spec.f2}" if spec.combine else spec.f2
    fitted = Fitted(tuple(steps), rng["min"], rng["max"])
    row["Treatment"] = treatment
    _describe(row, fitted)
    labels = np.where(np.isnan(x), "", labels)
    return fitted, labels, row


def _describe(row: dict[str, Any], fitted: Fitted) -> None:
    lo, hi = fitted.caps
    row.update(
        LowerCap=lo,
        UpperCap=hi,
        Formula=fitted.formula(),
        Steps=fitted.steps_json(),
        DataMin=fitted.data_min,
        DataMax=fitted.data_max,
    )


def treat_vector(x: np.ndarray, spec: TreatSpec) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Treat one indicator; returns ``(values, point labels, detail row)``."""
    fitted, labels, row = fit_vector(x, spec)
    return fitted.apply(x), labels, row


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
                    f"{', '.join(sorted({*_METHODS, *TRANSFORMS}))}",
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
                    f"unknown treat parameter {k!r}; known: "
                    f"{', '.join(sorted([*mapping, 'global', 'individual', 'transforms']))}",
                    where,
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


def transforms_from_table(table: pd.DataFrame) -> dict[str, list[list[Any]]]:
    """Step parameters ``{iCode: [[name, {params}], ...]}`` from a treatment table.

    Feed the result to ``treat: {transforms: ...}`` to apply the same decision to
    other data (e.g. "what if this value were higher").

    Raises
    ------
    PipelineError
        The table was made year by year (one decision per year cannot be replayed as
        one transform; decide with ``global: true``), or lacks the ``Steps`` column.
    """
    if table.empty:
        return {}
    if "Steps" not in table.columns:
        raise PipelineError(
            "the treatment table has no 'Steps' column; make it with this version's treat step"
        )
    if table["iCode"].duplicated().any():
        raise PipelineError(
            "the treatment table holds one decision per year; only a single decision per "
            "indicator can be replayed. Decide on the pooled panel with treat: {global: true}"
        )
    return {str(c): json.loads(s) for c, s in zip(table["iCode"], table["Steps"], strict=True)}


def _domain_problem(
    exc: DomainError, code: str, rows: np.ndarray, state: State, year: Any = None
) -> Problem:
    uc = state.ucode[rows[exc.bad]] if exc.bad.any() else np.empty(0, dtype=object)
    t = state.time
    units = [
        f"{u}" + (f" ({t[r]})" if t is not None and year is None else "")
        for u, r in zip(uc, rows[exc.bad], strict=True)
    ]
    shown = ", ".join(units[:5]) + (f" and {len(units) - 5} more" if len(units) > 5 else "")
    where = f"indicator {code}" + (f", year {year}" if year is not None else "")
    msg = str(exc) + (f" (unit(s) {shown})" if shown else "")
    return Problem(
        msg + ". Use a shifted log (log_ct), exclude the indicator from treatment "
        f"(individual: {{{code}: none}}) or fix the data",
        where,
    )


def treat(
    state: State,
    *,
    individual: Mapping[str, Mapping[str, Any] | str] | None = None,
    global_: bool = False,
    transforms: Mapping[str, Any] | None = None,
    out_of_range: OutOfRange = "raise",
    **params: Any,
) -> State:
    """Pipeline step ``treat``: write data set ``Treated`` and the treatment details.

    Parameters
    ----------
    state
        Pipeline state.
    individual
        Per-indicator overrides ``{code: {winmax: 3, ...}}`` or ``{code: "none"}``.
    global_
        Panels: decide once per indicator on the pooled panel and apply the same
        fitted transform (caps, log parameters) to every year. Default ``False``:
        each year is treated on its own (COINr). In YAML the key is ``global``.
    transforms
        Replay fixed decisions instead of deciding: ``{code: [[name, {params}], ...]}``
        (from :func:`transforms_from_table`); indicators not listed are not treated.
    out_of_range
        With ``transforms``: ``"raise"`` (default) when a value lies outside a
        transform's domain, or ``"clip"`` values to the range the decision was
        taken on first.
    **params
        ``method`` (``winsorise_log`` = COINr default, ``winsorise``, a transform name
        such as ``log_ct`` or ``boxcox`` to apply alone to failing indicators, or ``none``),
        ``winmax`` (5), ``skew`` (2), ``kurtosis`` (3.5), ``log`` (second stage,
        ``log_ct``), ``force_win``, ``combine``, ``lambda`` and ``makepos`` (Box-Cox).

    Raises
    ------
    PipelineError
        Invalid parameters (all listed).
    ComputationError
        A transform cannot be applied to the data (e.g. ``log`` of zeros); every
        indicator concerned is named with its units.

    Notes
    -----
    The details ``treatment`` (one row per indicator, and per year unless global)
    give the skew/kurtosis before and after each stage, ``Treatment``, the caps
    ``LowerCap``/``UpperCap``, the ``Formula`` and the exact ``Steps``; ``Scope`` is
    ``panel`` (one decision for all years), ``year`` or ``cross-section``.
    """
    problems: list[Problem] = []
    if out_of_range not in ("raise", "clip"):
        problems.append(
            Problem(f"out_of_range must be 'raise' or 'clip', got {out_of_range!r}", "treat")
        )
    codes = state.coin.indicators
    if transforms is not None:
        if params or individual:
            problems.append(
                Problem(
                    "'transforms' replays fixed decisions; it cannot be combined with "
                    f"{', '.join(sorted([*params, *(['individual'] if individual else [])]))}",
                    "treat",
                )
            )
        return _replay(state, transforms, out_of_range, problems)
    base = _spec_from(params, TreatSpec(), "treat", problems)
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
    points: list[tuple[np.ndarray, str, np.ndarray]] = []
    domain: list[Problem] = []
    t = state.time
    panel = t is not None and len(np.unique(t)) > 1
    scope = "panel" if panel and global_ else ("year" if t is not None else "cross-section")

    def run(X: np.ndarray, pos: np.ndarray) -> np.ndarray:
        out = X.copy()
        year = t[pos[0]] if t is not None and scope == "year" and len(pos) else None
        for j, code in enumerate(codes):
            try:
                fitted, labels, row = fit_vector(X[:, j], specs[j])
                out[:, j] = fitted.apply(X[:, j])
            except DomainError as exc:
                domain.append(_domain_problem(exc, code, pos, state, year))
                continue
            head: dict[str, Any] = {"iCode": code, "Scope": scope}
            if scope == "year":
                head["Time"] = year
            rows_detail.append({**head, **row})
            hit = np.flatnonzero(labels != "")
            if hit.size:
                points.append((pos[hit], code, labels[hit]))
        return out

    whole = np.arange(len(state.rows))
    Xt = state.per_time(run) if scope == "year" else run(state.X, whole)
    if domain:
        raise ComputationError(_domain_message(domain))
    return state.with_dataset(
        "Treated",
        Xt,
        details={"treatment": _detail_frame(rows_detail), "treated_points": _points(state, points)},
    )


def _domain_message(problems: list[Problem]) -> str:
    return "outlier treatment cannot be applied:\n" + "\n".join(f"  - {p}" for p in problems)


def _detail_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    tail = ["Treatment", "LowerCap", "UpperCap", "Formula", "Steps", "DataMin", "DataMax"]
    head = [c for c in ("iCode", "Time", "Scope") if c in df.columns]
    mid = [c for c in df.columns if c not in head and c not in tail]
    return df[head + mid + [c for c in tail if c in df.columns]]


def _points(state: State, points: list[tuple[np.ndarray, str, np.ndarray]]) -> pd.DataFrame:
    """Treated points ``uCode, (Time), iCode, Treatment`` from ``(rows, code, labels)`` chunks."""
    uc = state.ucode
    t = state.time
    empty = np.empty(0, dtype=object)
    pos = np.concatenate([p for p, _, _ in points]) if points else np.empty(0, dtype=int)
    codes: np.ndarray = (
        np.concatenate([np.full(p.size, c, dtype=object) for p, c, _ in points])
        if points
        else empty
    )
    labels: np.ndarray = np.concatenate([lab for _, _, lab in points]) if points else empty
    return pd.DataFrame(
        {
            "uCode": uc[pos],
            **({"Time": t[pos]} if t is not None else {}),
            "iCode": codes,
            "Treatment": labels,
        }
    )


def _replay(
    state: State, transforms: Mapping[str, Any], out_of_range: OutOfRange, problems: list[Problem]
) -> State:
    codes = state.coin.indicators
    if not isinstance(transforms, Mapping):
        problems.append(Problem("give a mapping {code: steps}", "treat.transforms"))
        raise PipelineError("invalid treat step", problems=problems)
    fitted: dict[str, Fitted] = {}
    for code, steps in transforms.items():
        where = f"treat.transforms.{code}"
        if code not in codes:
            problems.append(Problem("not an indicator code", where))
            continue
        fitted[code] = Fitted.from_steps(steps, where, problems)
    if problems:
        raise PipelineError("invalid treat step", problems=problems)
    X = state.X
    t = state.time
    out = X.copy()
    rows: list[dict[str, Any]] = []
    points: list[tuple[np.ndarray, str, np.ndarray]] = []
    domain: list[Problem] = []
    scope = "panel" if t is not None and len(np.unique(t)) > 1 else "cross-section"
    pos = np.arange(len(state.rows))
    for j, code in enumerate(codes):
        f = fitted.get(code)
        row: dict[str, Any] = {"iCode": code, "Scope": scope}
        if f is None or not f.steps:
            rows.append({**row, "Treatment": "none (not in transforms)"})
            continue
        # the caps the replay uses are those of the range the decision was taken on
        lim = {"lower": math.nan, "upper": math.nan}
        for name, p in f.steps:
            if name == "winsorise":
                lim = dict(p)
        if out_of_range == "clip" and (math.isnan(f.data_min) or math.isnan(f.data_max)):
            f = Fitted(f.steps, *_bounds_from_steps(f))
        try:
            y = f.apply(X[:, j], out_of_range=out_of_range)
        except DomainError as exc:
            domain.append(_domain_problem(exc, code, pos, state))
            continue
        out[:, j] = y
        rows.append({**row, "Treatment": "+".join(n for n, _ in f.steps) + " (replayed)"})
        _describe(rows[-1], f)
        lab = _replay_labels(X[:, j], f.steps, lim)
        hit = np.flatnonzero(lab != "")
        if hit.size:
            points.append((pos[hit], code, lab[hit]))
    if domain:
        raise ComputationError(_domain_message(domain))
    return state.with_dataset(
        "Treated",
        out,
        details={"treatment": _detail_frame(rows), "treated_points": _points(state, points)},
    )


def _bounds_from_steps(f: Fitted) -> tuple[float, float]:
    for _name, p in f.steps:
        if "min" in p and "max" in p:
            return p["min"], p["max"]
    return math.nan, math.nan


def _replay_labels(
    x: np.ndarray, steps: tuple[tuple[str, Params], ...], caps: Mapping[str, float]
) -> np.ndarray:
    lab = np.full(x.shape, "", dtype=object)
    names = [n for n, _ in steps]
    lo, hi = caps.get("lower", math.nan), caps.get("upper", math.nan)
    if "winsorise" in names:
        # as in the decision: the points moved to a cap, not the one that set it
        if not math.isnan(hi):
            lab[x > hi] = "winhi"
        if not math.isnan(lo):
            lab[x < lo] = "winlo"
    others = [n for n in names if n != "winsorise"]
    if others:
        lab = np.where(lab == "", others[-1], lab + "+" + others[-1])
    return np.where(np.isnan(x), "", lab)
