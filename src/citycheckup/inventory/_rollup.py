"""Roll-ups: located problems → each lower-level indicator per city and year, with its denominator.

The result is a wide table ``unit_code, year, <indicator code> …, <denominator variable> …``
that merges into a check-up's data: every count comes with the register total it is a
count *of* (hazardous buildings over all residential buildings), so no raw count is
ever compared across cities without its denominator.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

import numpy as np
import pandas as pd

from citycheckup.errors import DataError, Problem
from citycheckup.framework.models import Framework, Indicator
from citycheckup.inventory._lifecycle import status_at
from citycheckup.inventory._model import Inventory
from citycheckup.inventory._read import problem_indicators
from citycheckup.inventory._schema import DENOMINATOR_SOURCES, LOCATED_IN_REGISTER, REGISTER_COLUMNS

__all__ = ["DENOMINATOR_SOURCES", "denominator_source", "rollup"]


def denominator_source(
    ind: Indicator, extra: Mapping[str, tuple[str, str | None]] | None = None
) -> tuple[str, str | None] | None:
    """Where the denominator of ``ind`` comes from: ``(register, column or None)``.

    Looked up by the denominator's variable name in ``extra``, then in
    :data:`~citycheckup.inventory.DENOMINATOR_SOURCES`; any other name is the column
    of that name on the register the indicator is located in (summed). ``None`` when
    the indicator has no denominator.

    Examples
    --------
    ``residential_buildings`` → ``("building", None)`` (number of buildings);
    ``dwellings`` → ``("building", "dwellings")``; ``parking_spaces_required`` of an
    indicator located in compounds → ``("compound", "parking_spaces_required")``.
    """
    if not ind.denominator:
        return None
    table = {**DENOMINATOR_SOURCES, **(extra or {})}
    if ind.denominator in table:
        return table[ind.denominator]
    return LOCATED_IN_REGISTER[str(ind.located_in)], ind.denominator


def _record_counts(sub: pd.DataFrame) -> float:
    """Value of one indicator for one city: Σ over located records of (Σ quantity, or 1 when none is given)."""
    if sub.empty:
        return 0.0
    key = sub["register_id"].astype(str) + "\x00" + sub["road"].fillna("").astype(str)
    q = sub["quantity"].astype("float64")
    per = (
        pd.DataFrame({"k": key, "q": q, "has": q.notna()})
        .groupby("k")
        .agg(q=("q", "sum"), has=("has", "any"))
    )
    return float(np.where(per["has"], per["q"], 1.0).sum())


def rollup(
    inv: Inventory,
    fw: Framework,
    *,
    years: Iterable[int] | None = None,
    unit_code: str | None = None,
    basis: Literal["observed", "open"] = "observed",
    denominators: Mapping[str, tuple[str, str | None]] | None = None,
) -> pd.DataFrame:
    """Each located-problem indicator of ``fw`` per city and year, with its denominator.

    Parameters
    ----------
    inv
        Registers, problems, observations and surveys.
    fw
        The framework: its lower-level indicators with ``located_in`` are rolled up;
        their ``denominator`` names the variable written next to them.
    years
        Check-up years (default: every surveyed year).
    unit_code
        One city (default: all).
    basis
        ``"observed"`` (default): the problems seen in that year's field survey;
        ``"open"``: the problems open on 31 December of that year, seen or not.
    denominators
        Sources of denominator variables not in :data:`DENOMINATOR_SOURCES`.

    Returns
    -------
    pandas.DataFrame
        ``unit_code, year`` and one column per indicator code and per denominator
        variable. An indicator's value is the number of located records (buildings,
        compounds, communities, blocks, roads) with at least one of its problems; when
        problems carry a ``quantity`` (dwellings affected, a shortfall of places, km of
        footpath) the record counts its quantity instead. A level that was not surveyed
        in a city and year leaves its indicators missing; a surveyed level without
        problems gives 0.

    Raises
    ------
    DataError
        When a surveyed city and year has no register to count a denominator from, or
        the register lacks the column a denominator is summed from (all listed).
    """
    inds = problem_indicators(fw)
    sv = inv.surveys
    if unit_code is not None:
        sv = sv[sv["unit_code"].astype(str) == str(unit_code)]
    if years is not None:
        sv = sv[pd.to_numeric(sv["year"]).isin(list(years))]
    keys = sorted(
        set(zip(sv["unit_code"].astype(str), pd.to_numeric(sv["year"]).astype(int), strict=True))
    )
    problems: list[Problem] = []
    sources: dict[str, tuple[str, str | None]] = {}
    for ind in inds:
        src = denominator_source(ind, denominators)
        if src is None or ind.denominator is None:
            continue
        if ind.denominator in sources and sources[ind.denominator] != src:
            problems.append(
                Problem(
                    f"denominator {ind.denominator!r} is counted two ways: {sources[ind.denominator]}"
                    f" and {src}",
                    f"indicator {ind.code}",
                )
            )
        sources[ind.denominator] = src
    if problems:
        raise DataError("denominators cannot be counted from the registers", problems=problems)
    p = inv.problems.set_index("problem_id")
    rows = []
    for unit, year in keys:
        surveyed = set(
            sv.loc[
                (sv["unit_code"].astype(str) == unit) & (pd.to_numeric(sv["year"]) == year), "level"
            ]
        )
        active = _active(inv, p, unit, year, basis)
        row: dict[str, object] = {"unit_code": unit, "year": year}
        for ind in inds:
            if ind.level not in surveyed:
                row[ind.code] = np.nan
                continue
            row[ind.code] = _record_counts(active[active["indicator"] == ind.code])
        for var, (kind, column) in sources.items():
            users = [i for i in inds if i.denominator == var and i.level in surveyed]
            if not users:
                continue
            reg = inv.register(kind, unit_code=unit, year=year)
            if reg.empty:
                problems.append(
                    Problem(
                        f"no {kind} register for {year}: cannot count {var!r} (the denominator of "
                        f"{', '.join(i.code for i in users)}); import the register of that year",
                        f"city {unit} year {year}",
                    )
                )
                continue
            if column is None:
                row[var] = float(len(reg))
            elif column not in reg.columns:
                builtin = {c.name for c in REGISTER_COLUMNS[kind]}
                how = (
                    ""
                    if column in builtin
                    else f" (a register column the framework adds: see register_extras; import the {kind} register "
                    f"with a column {column!r})"
                )
                problems.append(
                    Problem(
                        f"the {kind} register has no column {column!r} to count {var!r}, the denominator of "
                        f"{', '.join(i.code for i in users)}{how}",
                        f"city {unit} year {year}",
                    )
                )
                continue
            else:
                vals = pd.to_numeric(reg[column], errors="coerce")
                if vals.isna().any():
                    ids = reg.loc[vals.isna(), f"{kind}_id"].astype(str).tolist()
                    problems.append(
                        Problem(
                            f"{var!r} is the sum of column {column!r} of the {kind} register, which is empty for "
                            f"{len(ids)} record(s) ({', '.join(ids[:5])}{' …' if len(ids) > 5 else ''}); fill it in",
                            f"city {unit} year {year}",
                        )
                    )
                    continue
                row[var] = float(vals.sum())
        rows.append(row)
    if problems:
        raise DataError("the roll-up cannot count every denominator", problems=problems)
    cols = ["unit_code", "year", *(i.code for i in inds), *sources]
    out = pd.DataFrame(rows, columns=cols)
    out["year"] = out["year"].astype(int) if not out.empty else out["year"]
    return out


def _active(inv: Inventory, p: pd.DataFrame, unit: str, year: int, basis: str) -> pd.DataFrame:
    """Problems counted for ``unit`` in ``year``: indicator, register_id, road, quantity."""
    cols = ["indicator", "register_id", "road", "quantity"]
    if basis == "observed":
        ob = inv.observations
        ob = ob[(ob["unit_code"].astype(str) == unit) & (pd.to_numeric(ob["year"]) == year)]
        if ob.empty:
            return pd.DataFrame(columns=cols)
        meta = p.reindex(ob["problem_id"].astype(str))
        return pd.DataFrame(
            {
                "indicator": meta["indicator"].to_numpy(),
                "register_id": meta["register_id"].to_numpy(),
                "road": meta["road"].to_numpy(),
                "quantity": pd.to_numeric(ob["quantity"], errors="coerce").to_numpy(),
            }
        )
    if basis != "open":
        raise DataError(f"basis must be 'observed' or 'open', got {basis!r}")
    st = status_at(inv.events, pd.Timestamp(year=year, month=12, day=31))
    mine = p[(p["unit_code"].astype(str) == unit)]
    open_ids = [
        pid for pid in mine.index if st["status"].get(pid) in ("found", "in_progress", "to_project")
    ]
    if not open_ids:
        return pd.DataFrame(columns=cols)
    ob = inv.observations
    ob = ob[ob["problem_id"].isin(open_ids)].assign(_y=lambda d: pd.to_numeric(d["year"]))
    ob = (
        ob[ob["_y"] <= year].sort_values("_y").groupby("problem_id").tail(1).set_index("problem_id")
    )
    meta = mine.loc[open_ids]
    return pd.DataFrame(
        {
            "indicator": meta["indicator"].to_numpy(),
            "register_id": meta["register_id"].to_numpy(),
            "road": meta["road"].to_numpy(),
            "quantity": pd.to_numeric(ob["quantity"].reindex(open_ids), errors="coerce").to_numpy(),
        }
    )
