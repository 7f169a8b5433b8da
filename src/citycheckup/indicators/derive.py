"""Compute every derived indicator of a framework from a table of raw variables."""

from __future__ import annotations

import logging

import pandas as pd

from citycheckup.errors import FormulaError, Problem
from citycheckup.framework.models import Framework
from citycheckup.indicators.formula import evaluate_formula, parse_formula

__all__ = ["derive_indicators"]

log = logging.getLogger(__name__)


def derive_indicators(
    data: pd.DataFrame,
    framework: Framework,
    *,
    unit: str = "unit_code",
    year: str = "year",
) -> pd.DataFrame:
    """Add a column for each derived indicator whose variables are present.

    Reported values win over derived ones: where an indicator column is present, only
    its missing cells are filled from the formula (e.g. one city's filled-in template
    merged with other cities' raw variables). Indicators whose variables are missing
    are skipped and logged, so a data set may inform only part of the framework.

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with the derived indicator columns appended.
    """
    out = data.copy()
    problems: list[Problem] = []
    new: dict[str, pd.Series] = {}
    for ind in framework.indicators:
        if not ind.formula or (ind.code in out.columns and out[ind.code].notna().all()):
            continue
        f = parse_formula(ind.formula)
        if not f.names <= set(out.columns) | set(new):
            log.debug(
                "indicator %s not derived: needs %s", ind.code, sorted(f.names - set(out.columns))
            )
            continue
        try:
            new[ind.code] = evaluate_formula(
                f, pd.concat([out, pd.DataFrame(new)], axis=1), unit=unit, year=year
            )
        except FormulaError as exc:
            problems.extend(
                Problem(f"indicator {ind.code}: {p.message}", p.where)
                for p in exc.problems or [Problem(str(exc))]
            )
    if problems:
        raise FormulaError("derived indicators could not be computed", problems=problems)
    fill = {c: v for c, v in new.items() if c in out.columns}
    for c, v in fill.items():
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64").fillna(v)
    add = {c: v for c, v in new.items() if c not in out.columns}
    if add:
        out = pd.concat([out, pd.DataFrame(add, index=out.index)], axis=1)
    return out
