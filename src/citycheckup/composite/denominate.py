"""Denomination: divide indicators by size variables (COINr ``Denominate``)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from citycheckup.composite._state import State
from citycheckup.errors import PipelineError, Problem

__all__ = ["denominate"]


def denominate(
    state: State,
    *,
    by: Mapping[str, str | None] | None = None,
    scale: Mapping[str, float] | float = 1.0,
) -> State:
    """Pipeline step ``denominate``: write data set ``Denominated``.

    Parameters
    ----------
    state
        Pipeline state.
    by
        ``{indicator: denominator column}``; default the iMeta ``Denominator`` column.
        Indicators without a denominator are copied unchanged.
    scale
        Scale factor applied after division (one number or ``{indicator: factor}``).

    Notes
    -----
    :math:`x'_{ij} = s_j \\cdot x_{ij} / d_{ij}` with denominator :math:`d` of unit
    :math:`i`. A zero denominator gives a missing value.
    """
    coin = state.coin
    codes = coin.indicators
    if by is None:
        col = coin.meta_column("Denominator")
        by = {c: (d if isinstance(d, str) and d else None) for c, d in zip(codes, col, strict=True)}
    problems: list[Problem] = []
    X = state.X.copy()
    arr = state.arrays
    for code, den in by.items():
        if den is None:
            continue
        if code not in arr.ind_index:
            problems.append(Problem("not an indicator code", f"denominate.by.{code}"))
            continue
        if den not in arr.denoms:
            problems.append(
                Problem(
                    f"denominator {den!r} is not a data column of Type Denominator; "
                    f"available: {', '.join(arr.denoms) or 'none'}",
                    f"denominate.by.{code}",
                )
            )
            continue
        d = arr.denoms[den][state.rows]
        s = scale.get(code, 1.0) if isinstance(scale, Mapping) else float(scale)
        j = arr.ind_index[code]
        with np.errstate(divide="ignore", invalid="ignore"):
            v = X[:, j] / d * s
        v[~np.isfinite(v)] = np.nan
        X[:, j] = v
    if problems:
        raise PipelineError("invalid denominate step", problems=problems)
    return state.with_dataset("Denominated", X)
