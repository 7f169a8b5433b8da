"""Unit screening by data availability and zeros (COINr ``Screen``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from citycheckup.composite._state import State
from citycheckup.errors import PipelineError, Problem

__all__ = ["SCREEN_RULES", "screen", "unit_availability"]

#: Screening rules (COINr ``unit_screen``) and their aliases.
SCREEN_RULES: dict[str, str] = {
    "na": "na",
    "byNA": "na",
    "zeros": "zeros",
    "byzeros": "zeros",
    "na_and_zeros": "na_and_zeros",
    "byNAandzeros": "na_and_zeros",
}


def unit_availability(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Share of available values and share of non-zero values per row.

    Notes
    -----
    ``Dat_Avail = 1 - n_missing / n_indicators``;
    ``Non_Zero = 1 - n_zero / (n_indicators - n_missing)`` (zeros as a share of the
    available values, as COINr).
    """
    n = X.shape[1]
    nas = np.isnan(X).sum(axis=1)
    zeros = (X == 0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1 - nas / n, 1 - zeros / (n - nas)


def screen(
    state: State,
    *,
    by: Literal["na", "zeros", "na_and_zeros", "byNA", "byzeros", "byNAandzeros"] = "na",
    min_availability: float = 2 / 3,
    min_nonzero: float = 0.05,
    force: Mapping[str, Sequence[str]] | Sequence[Mapping[str, Any]] | None = None,
) -> State:
    """Pipeline step ``screen``: keep units with enough data; write data set ``Screened``.

    Parameters
    ----------
    state
        Pipeline state.
    by
        ``"na"`` (data availability), ``"zeros"`` or ``"na_and_zeros"``.
    min_availability
        Keep units whose share of available indicator values is ``>=`` this (COINr
        ``dat_thresh``, default 2/3).
    min_nonzero
        Keep units whose share of non-zero values is ``>=`` this (default 0.05).
    force
        ``{"include": [uCode...], "exclude": [uCode...]}`` or COINr-style rows
        ``[{uCode: X, Include: true}]``; overrides the rules.
    """
    problems: list[Problem] = []
    rule = SCREEN_RULES.get(str(by))
    if rule is None:
        problems.append(
            Problem(f"unknown rule {by!r}; choose one of na, zeros, na_and_zeros", "screen.by")
        )
    for name, v in (("min_availability", min_availability), ("min_nonzero", min_nonzero)):
        if not 0 <= float(v) <= 1:
            problems.append(Problem(f"must be between 0 and 1, got {v}", f"screen.{name}"))
    include: list[str] = []
    exclude: list[str] = []
    if isinstance(force, Mapping):
        include = [str(u) for u in force.get("include", [])]
        exclude = [str(u) for u in force.get("exclude", [])]
    elif force:
        for rec in force:
            (include if rec.get("Include", True) else exclude).append(str(rec["uCode"]))
    uc = state.ucode
    known = set(uc.tolist())
    for u in [*include, *exclude]:
        if u not in known:
            problems.append(Problem(f"unit {u!r} is not in the data", "screen.force"))
    if problems:
        raise PipelineError("invalid screen step", problems=problems)
    avail, nonzero = unit_availability(state.X)
    low_data = avail < float(min_availability)
    low_nz = nonzero < float(min_nonzero)
    if rule == "na":
        keep = ~low_data
    elif rule == "zeros":
        keep = ~low_nz
    else:
        keep = ~(low_data | low_nz)
    keep = keep | np.isin(uc, include)
    keep = keep & ~np.isin(uc, exclude)
    summary = pd.DataFrame(
        {
            "uCode": uc,
            **({"Time": state.time} if state.time is not None else {}),
            "Dat_Avail": avail,
            "Non_Zero": nonzero,
            "LowData": low_data,
            "LowNonZero": low_nz,
            "Included": keep,
        }
    )
    rows = state.rows[keep]
    return state.with_dataset(
        "Screened",
        state.X[keep],
        rows=rows,
        details={"screening": summary, "removed_units": uc[~keep].tolist()},
    )
