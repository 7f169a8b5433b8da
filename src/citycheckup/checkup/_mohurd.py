"""The check-up as MOHURD runs it: lower levels as inventories, the city level graded.

For a framework with ``method: mohurd`` (built-in ``mohurd-2025``):

* **housing, community, block** (住房、小区（社区）、街区) are *inventories*: each
  indicator is a count of located problems, reported over its denominator (e.g. 42 of
  8,302 residential buildings) — results only, never scored or graded
  (只给结果不做评价). The counts come from the data or are rolled up from the registers
  and field surveys (:mod:`citycheckup.inventory`).
* **city** (城区) indicators are graded 很好/较好/一般/不足 against the first threshold
  set that applies to the city and year (:func:`~citycheckup.diagnosis.assess_thresholds`);
  values without an applicable threshold are listed as such, never given an invented
  one. Aspects (生态宜居 …) are graded 优/良/中/差 by the documented rule of
  :func:`~citycheckup.diagnosis.dimension_grades`, and the same grades are read by
  conference task.
* A cross-city composite of the city-level *rates* is a separate, optional analysis
  (:func:`mohurd_composite`), labelled as such; it is never the check-up itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from citycheckup.checkup._options import CheckupOptions
from citycheckup.checkup._run import _context, _existence, _prepare, _size_classes
from citycheckup.data.checks import CheckReport
from citycheckup.data.readers import NAME, UNIT, YEAR, Dataset
from citycheckup.diagnosis import assess_thresholds, dimension_grades, target_attainment
from citycheckup.errors import DataError, Problem
from citycheckup.framework.models import Framework

__all__ = ["LOWER_LEVELS", "MohurdResult", "mohurd_composite", "run_mohurd"]

log = logging.getLogger(__name__)

LOWER_LEVELS = ("housing", "community", "block")
_COUNT_UNITS = frozenset({"个", "座", "栋", "起", "条", "套", "处", "家", "项", "km"})


@dataclass
class MohurdResult:
    """Everything a MOHURD-method check-up computes."""

    framework: Framework
    dataset: Dataset
    options: CheckupOptions
    checks: CheckReport
    values: pd.DataFrame
    """unit_code, unit_name, year, group columns, size_class, every indicator with data."""
    coverage: pd.DataFrame
    """indicator, level, aspect, task, status (``data`` | ``no data`` | ``context``), reason."""
    inventories: pd.DataFrame
    """Lower levels: unit_code, year, level, aspect, indicator, count, unit, denominator (variable),
    denominator_value, rate (per cent of the denominator; missing without a denominator)."""
    grades: pd.DataFrame
    """City level: the grade of each value against the threshold that applies (see assess_thresholds)."""
    references: pd.DataFrame
    """Threshold sets that did not grade a value, with the reason."""
    ungraded: pd.DataFrame
    """City-level values without any threshold that applies: unit_code, year, indicator, value, reason."""
    aspect_grades: pd.DataFrame
    task_grades: pd.DataFrame
    attainment: pd.DataFrame
    changes: pd.DataFrame
    """unit_code, indicator, base_year, year, base_value, value, change (value − base value)."""
    flags: pd.DataFrame = field(default_factory=pd.DataFrame)
    years: list[int] = field(default_factory=list)
    size_basis: str | None = None

    @property
    def n_units(self) -> int:
        return int(self.values[UNIT].nunique()) if not self.values.empty else 0


def _levels(fw: Framework) -> dict[str, str]:
    """Indicator code → its level."""
    return {i.code: i.level for i in fw.indicators}


def _parents(fw: Framework) -> dict[str, str]:
    """Indicator code → the code of the dimension directly above it (the MOHURD aspect)."""
    par = fw.parent_of()
    return {i.code: par[i.code] for i in fw.indicators}


def _coverage(values: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    aspect = _parents(fw)
    rows = []
    for i in fw.indicators:
        has = i.code in values.columns and bool(values[i.code].notna().any())
        status = "no data" if not has else ("context" if i.kind == "context" else "data")
        reason = "" if has else "not in the data"
        rows.append(
            {
                "indicator": i.code,
                "level": i.level,
                "aspect": i.aspect or aspect[i.code],
                "task": i.task or "",
                "status": status,
                "reason": reason,
                "availability": float(values[i.code].notna().mean()) if has else 0.0,
            }
        )
    return pd.DataFrame(
        rows, columns=["indicator", "level", "aspect", "task", "status", "reason", "availability"]
    )


def _inventories(values: pd.DataFrame, ds: Dataset, fw: Framework) -> pd.DataFrame:
    """Counts of the lower levels over their denominators (never scores)."""
    cols = [
        UNIT,
        YEAR,
        "level",
        "aspect",
        "indicator",
        "count",
        "unit",
        "denominator",
        "denominator_value",
        "rate",
    ]
    aspect = _parents(fw)
    frames = []
    data = ds.data.set_index([UNIT, YEAR]) if not ds.data.empty else ds.data
    for i in fw.indicators:
        if i.level not in LOWER_LEVELS or i.code not in values.columns:
            continue
        v = values[[UNIT, YEAR, i.code]].dropna(subset=[i.code])
        if v.empty:
            continue
        den = np.full(len(v), np.nan)
        den_var = getattr(ds, "denominators", {}).get(i.code) or i.denominator
        if den_var and den_var in ds.data.columns:
            den = (
                data[den_var]
                .reindex(pd.MultiIndex.from_frame(v[[UNIT, YEAR]]))
                .to_numpy(dtype="float64")
            )
        count = v[i.code].to_numpy(dtype="float64")
        if i.unit.strip() == "%":  # a coverage share (B-01, B-04 …) is already a rate, not a count
            rate, count = count, np.full(len(v), np.nan)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                rate = np.where(den > 0, 100.0 * count / den, np.nan)
        frames.append(
            pd.DataFrame(
                {
                    UNIT: v[UNIT].to_numpy(),
                    YEAR: v[YEAR].to_numpy(),
                    "level": i.level,
                    "aspect": i.aspect or aspect[i.code],
                    "indicator": i.code,
                    "count": count,
                    "unit": i.unit,
                    "denominator": den_var or "",
                    "denominator_value": den,
                    "rate": rate,
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=cols)
    return pd.concat(frames, ignore_index=True)[cols]


def _ungraded(values: pd.DataFrame, grades: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """City-level values that no applicable threshold graded (with the reason)."""
    rows = []
    graded = (
        set(
            zip(
                grades[UNIT].astype(str), grades[YEAR].astype(int), grades["indicator"], strict=True
            )
        )
        if not grades.empty
        else set()
    )
    for i in fw.indicators:
        if i.level in LOWER_LEVELS or i.code not in values.columns or i.kind == "context":
            continue
        reason = "no_threshold" if not i.thresholds else "not_applicable"
        for u, y, x in zip(
            values[UNIT].astype(str), values[YEAR].astype(int), values[i.code], strict=True
        ):
            if pd.notna(x) and (u, y, i.code) not in graded:
                rows.append(
                    {UNIT: u, YEAR: y, "indicator": i.code, "value": float(x), "reason": reason}
                )
    return pd.DataFrame(rows, columns=[UNIT, YEAR, "indicator", "value", "reason"])


def _changes(values: pd.DataFrame, codes: list[str], years: list[int], base: int) -> pd.DataFrame:
    cols = [UNIT, "indicator", "base_year", YEAR, "base_value", "value", "change"]
    if len(years) < 2 and base == years[-1]:
        return pd.DataFrame(columns=cols)
    a = values[values[YEAR] == base].set_index(UNIT)
    b = values[values[YEAR] == years[-1]].set_index(UNIT)
    common = b.index.intersection(a.index)
    rows = []
    for c in codes:
        if c not in values.columns:
            continue
        for u in common:
            x0, x1 = a.at[u, c], b.at[u, c]
            if pd.notna(x0) and pd.notna(x1):
                rows.append(
                    {
                        UNIT: u,
                        "indicator": c,
                        "base_year": base,
                        YEAR: years[-1],
                        "base_value": float(x0),
                        "value": float(x1),
                        "change": float(x1) - float(x0),
                    }
                )
    return pd.DataFrame(rows, columns=cols)


def run_mohurd(ds: Dataset, fw: Framework, options: CheckupOptions | None = None) -> MohurdResult:
    """Run a MOHURD-method check-up of every unit and year of ``ds`` against ``fw``.

    Parameters
    ----------
    ds
        Indicator values (lower-level counts and their denominator variables, city-level
        values or the raw variables of their formulas), per unit and year. Roll-ups of
        registers and field surveys (:mod:`citycheckup.inventory`) merge in as data.
    fw
        A framework with ``method: mohurd``.
    options
        Checks (``invalid``), years, base year, selected localities.

    Raises
    ------
    DataError
        For data errors (all listed), a framework of another method, or data that
        informs no indicator.
    """
    if fw.method != "mohurd":
        raise DataError(f"framework {fw.code} uses the {fw.method} method; run it with run_checkup")
    opts = options or CheckupOptions()
    opts.validate()
    rep, ds, ind = _prepare(ds, fw, opts)
    rep.raise_for_errors(ds.source)
    ind, gone = _existence(ind)
    years = sorted(opts.years) if opts.years else ds.years
    codes = [i.code for i in fw.indicators if i.code in ind.columns and ind[i.code].notna().any()]
    if not codes:
        raise DataError(
            f"{ds.source}: no indicator of framework {fw.code} is in this data or can be derived from it",
            problems=[
                Problem(f.message, f.column or "") for f in rep.findings if f.rule == "no-data"
            ][:30],
        )
    size, size_basis = _size_classes(ds, ind, opts)
    ind = ind.assign(size_class=size)
    values = ind[ind[YEAR].isin(years)].reset_index(drop=True)
    coverage = _coverage(values, fw)
    city = [i.code for i in fw.indicators if i.level == "city"]
    city_values = values[
        [c for c in values.columns if c not in set(fw.indicator_codes) - set(city)]
    ]
    grades, references = assess_thresholds(
        city_values,
        fw,
        id_cols=(UNIT, YEAR),
        context=_context(values, ds),
        localities=opts.localities,
    )
    aspect = _parents(fw)
    aspect_grades = dimension_grades(
        grades,
        fw,
        id_cols=(UNIT, YEAR),
        by={i.code: (i.aspect or aspect[i.code]) for i in fw.indicators},
    )
    task_grades = dimension_grades(
        grades, fw, id_cols=(UNIT, YEAR), by={i.code: i.task for i in fw.indicators if i.task}
    )
    base = opts.base_year if opts.base_year is not None else years[0]
    return MohurdResult(
        framework=fw,
        dataset=ds,
        options=opts,
        checks=rep,
        values=values,
        coverage=coverage,
        inventories=_inventories(values, ds, fw),
        grades=grades,
        references=references,
        ungraded=_ungraded(values, grades, fw),
        aspect_grades=aspect_grades,
        task_grades=task_grades,
        attainment=target_attainment(grades, id_cols=(UNIT, YEAR)),
        changes=_changes(values, codes, years, base),
        flags=gone[gone[YEAR].isin(years)].reset_index(drop=True) if not gone.empty else gone,
        years=years,
        size_basis=size_basis,
    )


def mohurd_composite(result: MohurdResult, *, scoring: str = "relative") -> Any:
    """The optional cross-city composite of the city-level *rates* (never the check-up itself).

    Counts (problem numbers, units such as 个/座/栋) and context indicators are left out;
    what remains are shares, densities and per-capita values. Relative scoring ranks the
    cities of the data among themselves; absolute scoring needs goalposts.

    Returns
    -------
    CheckupResult
        Of a framework made of the city level only, with the MOHURD aspects as dimensions.
    """
    from citycheckup.checkup._run import run_checkup
    from citycheckup.framework.models import Dimension

    fw = result.framework
    city = next((d for d in fw.dimensions if d.code == "city"), None)
    if city is None:
        raise DataError(f"framework {fw.code} has no city level to compare")
    dims = []
    for sub in city.dimensions or [city]:
        inds = [
            i
            for i in sub.iter_indicators()
            if i.kind != "context" and i.unit.strip() not in _COUNT_UNITS
        ]
        if inds:
            dims.append(
                Dimension(code=sub.code, name_zh=sub.name_zh, name_en=sub.name_en, indicators=inds)
            )
    if not dims:
        raise DataError(f"framework {fw.code} has no city-level rate to compare across cities")
    rates = Framework(
        code=f"{fw.code}_rates",
        name_zh=f"{fw.name_zh}（城区比率指标横向比较）",
        name_en=f"{fw.name_en} (cross-city comparison of city-level rates)",
        version=fw.version,
        sources=fw.sources,
        variables=fw.variables,
        dimensions=dims,
    )
    keep = [
        UNIT,
        NAME,
        YEAR,
        *[c for c in result.dataset.groups if c in result.dataset.data.columns],
    ]
    data = result.dataset.data[[*keep, *[c for c in result.dataset.data.columns if c not in keep]]]
    ds = Dataset(
        data=data,
        source=result.dataset.source,
        units=result.dataset.units,
        groups=result.dataset.groups,
        sha256=result.dataset.sha256,
    )
    opts = CheckupOptions(**{**result.options.as_dict(), "scoring": scoring})
    return run_checkup(ds, rates, opts)
