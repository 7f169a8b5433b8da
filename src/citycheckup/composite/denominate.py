"""Denomination: divide indicators by size variables (COINr ``Denominate``).

Denominators come from the coin's data (columns of ``Type`` ``Denominator``) or from
an external table such as COINr's ``WorldDenoms`` (GDP, population, area … per
country), matched to the units by an identifier column.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from citycheckup.composite._state import State
from citycheckup.errors import PipelineError, Problem

__all__ = ["denominate", "denominator_matrix"]


@functools.lru_cache(maxsize=8)
def _read(path: str, mtime: float) -> pd.DataFrame:
    from citycheckup.composite.io import read_table

    return read_table(path, what="denominator table")


def _table(table: pd.DataFrame | str | os.PathLike[str]) -> pd.DataFrame:
    if isinstance(table, pd.DataFrame):
        return table
    p = Path(table)
    if not p.is_file():
        raise PipelineError(f"denominator table {p} not found (denominate.table)")
    return _read(str(p.resolve()), p.stat().st_mtime)


def denominator_matrix(
    state: State,
    table: pd.DataFrame | str | os.PathLike[str],
    columns: list[str],
    *,
    id: str = "uCode",
) -> tuple[dict[str, np.ndarray], list[Problem]]:
    """Values of the denominator ``columns`` of an external ``table`` for the current rows.

    The table is matched on ``id`` (and ``Time`` when both it and the data have
    years; otherwise one value per unit serves every year). Units that the table
    lacks, or whose value is missing, are reported as problems (never a silent NaN).
    """
    df = _table(table)
    problems: list[Problem] = []
    if id not in df.columns:
        problems.append(
            Problem(
                f"the denominator table has no column {id!r}; set 'id' to its unit column",
                "denominate.id",
            )
        )
        return {}, problems
    bad = [c for c in columns if c not in df.columns]
    for c in bad:
        problems.append(
            Problem(
                f"column {c!r} is not in the denominator table; it has "
                f"{', '.join(map(str, df.columns[:12]))}",
                "denominate.by",
            )
        )
    cols = [c for c in columns if c not in bad]
    t = state.time
    key = [id, "Time"] if t is not None and "Time" in df.columns else [id]
    d = df.copy()
    d[id] = d[id].astype(str)
    dup = d.duplicated(key)
    if dup.any():
        problems.append(
            Problem(
                f"the denominator table has {int(dup.sum())} duplicate row(s) for "
                f"{', '.join(key)}, e.g. {d.loc[dup, id].iloc[0]}",
                "denominate.table",
            )
        )
        return {}, problems
    left = pd.DataFrame({id: state.ucode.astype(str)})
    if len(key) == 2:
        left["Time"] = t
    merged = left.merge(d[key + cols], on=key, how="left")
    out: dict[str, np.ndarray] = {}
    for c in cols:
        v = pd.to_numeric(merged[c], errors="coerce").to_numpy(dtype=float)
        gone = np.isnan(v)
        if gone.any():
            who = left.loc[gone].astype(str).agg(" ".join, axis=1).tolist()
            problems.append(
                Problem(
                    f"no value of {c} for {int(gone.sum())} unit(s): {', '.join(who[:8])}"
                    + (f" and {len(who) - 8} more" if len(who) > 8 else "")
                    + "; add them to the table or drop the units",
                    "denominate.table",
                )
            )
        out[c] = v
    return out, problems


def denominate(
    state: State,
    *,
    by: Mapping[str, str | None] | None = None,
    scale: Mapping[str, float] | float = 1.0,
    table: pd.DataFrame | str | os.PathLike[str] | None = None,
    id: str = "uCode",
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
        Scale factor applied after division (one number or ``{indicator: factor}``,
        COINr's ``ScaleFactor``).
    table
        An external denominator table (DataFrame or CSV/XLSX path; in a pipeline file
        a path relative to that file) such as COINr's ``WorldDenoms``. Its columns
        named in ``by`` are used instead of the coin's denominator columns.
    id
        Column of ``table`` holding the unit codes (COINr ``denoms_ID``).

    Notes
    -----
    :math:`x'_{ij} = s_j \\cdot x_{ij} / d_{ij}` with denominator :math:`d` of unit
    :math:`i`. With the coin's own denominators a zero denominator gives a missing
    value; an external table must cover every unit.
    """
    coin = state.coin
    codes = coin.indicators
    if by is None:
        col = coin.meta_column("Denominator")
        by = {c: (d if isinstance(d, str) and d else None) for c, d in zip(codes, col, strict=True)}
    problems: list[Problem] = []
    X = state.X.copy()
    arr = state.arrays
    external: dict[str, np.ndarray] = {}
    if table is not None:
        wanted = sorted({d for d in by.values() if d})
        external, problems = denominator_matrix(state, table, wanted, id=id)
    for code, den in by.items():
        if den is None:
            continue
        if code not in arr.ind_index:
            problems.append(Problem("not an indicator code", f"denominate.by.{code}"))
            continue
        if table is not None:
            if den not in external:
                continue  # reported by denominator_matrix
            d = external[den]
        elif den not in arr.denoms:
            problems.append(
                Problem(
                    f"denominator {den!r} is not a data column of Type Denominator; "
                    f"available: {', '.join(arr.denoms) or 'none'} (or give an external 'table')",
                    f"denominate.by.{code}",
                )
            )
            continue
        else:
            d = arr.denoms[den][state.rows]
        s: Any = scale.get(code, 1.0) if isinstance(scale, Mapping) else float(scale)
        j = arr.ind_index[code]
        with np.errstate(divide="ignore", invalid="ignore"):
            v = X[:, j] / d * float(s)
        v[~np.isfinite(v)] = np.nan
        X[:, j] = v
    if problems:
        raise PipelineError("invalid denominate step", problems=problems)
    return state.with_dataset("Denominated", X)
