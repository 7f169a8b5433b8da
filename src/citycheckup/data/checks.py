"""Checks of a data set against a framework.

Findings have a severity: ``error`` (the run cannot go on: fix the data),
``warning`` (the run goes on; the affected column is excluded or flagged) and
``info`` (coverage notes). Every finding names the column, unit and year.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from citycheckup.data.readers import NAME, UNIT, YEAR, Dataset
from citycheckup.errors import DataError, Problem
from citycheckup.framework.models import Framework
from citycheckup.indicators.formula import parse_formula

__all__ = ["CheckReport", "Finding", "check_dataset", "check_derived", "normalise_unit"]

Severity = Literal["error", "warning", "info"]
MAX_PER_RULE = 200
_STOCK_UNITS = {"km²", "m²", "公顷", "ha", "hectare"}  # areas may legitimately stay constant


@dataclass(frozen=True)
class Finding:
    """One finding of a data check."""

    severity: Severity
    rule: str
    message: str
    column: str | None = None
    unit: str | None = None
    year: int | None = None

    def __str__(self) -> str:
        where = _where(self)
        return f"[{self.severity}] {self.rule}: {self.message}" + (f" ({where})" if where else "")


@dataclass
class CheckReport:
    """All findings, plus the columns excluded from the run and why."""

    findings: list[Finding] = field(default_factory=list)
    excluded: dict[str, str] = field(default_factory=dict)
    invalid: dict[str, list[int]] = field(default_factory=dict)
    """Column → row positions of impossible values to treat as missing (policy ``"missing"``)."""
    fills: dict[str, list[int]] = field(default_factory=dict)
    """Column → row positions of per-unit fills (constant over time) to treat as missing."""

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_for_errors(self, source: str) -> None:
        """Raise one :class:`DataError` listing every error finding."""
        if self.errors:
            raise DataError(
                f"{source}: {len(self.errors)} data error(s); fix them and run again",
                problems=[Problem(f"{f.rule}: {f.message}", _where(f)) for f in self.errors],
            )

    def summary_lines(self, severities: tuple[str, ...] = ("error", "warning")) -> list[str]:
        """One line per severity, rule, column and unit, with the years collapsed into a range."""
        groups: dict[tuple[str, str, str, str], list[Finding]] = {}
        for f in self.findings:
            if f.severity in severities:
                groups.setdefault((f.severity, f.rule, f.column or "", f.unit or ""), []).append(f)
        out = []
        for (sev, rule, col, unit), fs in groups.items():
            years = sorted(f.year for f in fs if f.year is not None)
            span = f"; {len(fs)}× in {years[0]}–{years[-1]}" if len(years) > 1 else (f"; {years[0]}" if years else "")
            where = ", ".join(x for x in (col, unit) if x)
            out.append(f"[{sev}] {rule}: {fs[0].message} ({where}{span})")
        return out

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(f) for f in self.findings],
                            columns=["severity", "rule", "message", "column", "unit", "year"])


def _where(f: Finding) -> str:
    return ", ".join(x for x in (f"column {f.column}" if f.column else "", f"unit {f.unit}" if f.unit else "",
                                 f"year {f.year}" if f.year is not None else "") if x)


_UNIT_ALIASES = {"％": "%", "percent": "%", "pct": "%", "km2": "km²", "平方公里": "km²", "km^2": "km²",
                 "m2": "m²", "平方米": "m²", "km/km2": "km/km²", "m2/人": "m²/人", "万人/km2": "万人/km²",
                 "元": "元", "rmb": "元"}


def normalise_unit(unit: str) -> str:
    """Canonical spelling of a unit of measure (``km2`` → ``km²``, ``％`` → ``%``)."""
    u = re.sub(r"\s+", "", str(unit)).lower()
    for k, v in _UNIT_ALIASES.items():
        u = u.replace(k.lower(), v)
    return u


def _bounds(code: str, fw: Framework) -> tuple[float | None, float | None, str]:
    var = fw.variable(code)
    if var is not None:
        return var.min, var.max, var.unit
    try:
        ind = fw.indicator(code)
    except KeyError:
        return None, None, ""
    lo, hi = ind.min, ind.max
    if lo is None and hi is None and normalise_unit(ind.unit) == "%" and not ind.formula:
        lo, hi = 0.0, 100.0  # a reported share
    return lo, hi, ind.unit


def check_dataset(ds: Dataset, fw: Framework, *, invalid: Literal["raise", "missing"] = "raise") -> CheckReport:
    """Check ``ds`` against ``fw``.

    Parameters
    ----------
    invalid
        Policy for impossible values: ``"raise"`` reports them as errors (the run stops);
        ``"missing"`` reports each as a warning and lists it in ``CheckReport.invalid``
        so that the caller blanks exactly those cells (never a silent change).

    Rules
    -----
    ``unknown-column``
        a column is neither an indicator nor a variable of the framework (warning; ignored).
    ``no-data``
        an indicator is neither given nor derivable from the variables present (info).
    ``unit-mismatch``
        the data states a unit different from the framework's (error).
    ``impossible-value``
        a value lies outside the variable's or indicator's valid range, e.g. a negative
        population or a share above 100 % (error).
    ``constant-across-units``
        in some year every unit has the same value: a national total or a fill, not a
        city statistic (warning; the column is excluded).
    ``all-missing``
        a column has no value at all (warning; excluded).
    ``constant-over-time``
        one unit has the same value of a flow variable (anything not measured in km²/m²)
        in every one of at least 10 years: a fill, not a statistic (warning; those cells
        are treated as missing for that unit).
    ``non-finite``
        infinite values (error).
    """
    rep = CheckReport()
    data = ds.data
    ind_codes = set(fw.indicator_codes)
    var_codes = {v.code for v in fw.variables}
    for col in ds.variables:
        if col not in ind_codes and col not in var_codes:
            rep.findings.append(Finding("warning", "unknown-column",
                                        f"{col!r} is neither an indicator nor a variable of framework {fw.code}; "
                                        "it is ignored (rename it to a framework code to use it)", column=col))
    known = [c for c in ds.variables if c in ind_codes or c in var_codes]
    for col in known:
        s = data[col]
        lo, hi, fw_unit = _bounds(col, fw)
        if col in ds.units and fw_unit and normalise_unit(ds.units[col]) != normalise_unit(fw_unit):
            rep.findings.append(Finding("error", "unit-mismatch",
                                        f"the data gives {col} in {ds.units[col]!r} but the framework expects "
                                        f"{fw_unit!r}; convert the values or fix the header", column=col))
        if s.isna().all():
            rep.findings.append(Finding("warning", "all-missing", f"{col} has no value; it is excluded", column=col))
            rep.excluded[col] = "no value in the data"
            continue
        inf = np.isinf(s.to_numpy(dtype="float64"))
        for i in np.flatnonzero(inf)[:MAX_PER_RULE]:
            rep.findings.append(Finding("error", "non-finite", f"{col} is infinite", column=col,
                                        unit=str(data[UNIT].iloc[i]), year=int(data[YEAR].iloc[i])))
        for bound, op, word in ((lo, np.less, "below the minimum"), (hi, np.greater, "above the maximum")):
            if bound is None:
                continue
            bad = np.flatnonzero(op(s.to_numpy(dtype="float64"), bound) & ~np.isnan(s.to_numpy(dtype="float64")))
            severity: Severity = "error" if invalid == "raise" else "warning"
            if invalid == "missing" and len(bad):
                rep.invalid.setdefault(col, []).extend(int(i) for i in bad)
            for i in bad[:MAX_PER_RULE]:
                rep.findings.append(Finding(
                    severity, "impossible-value",
                    f"{col} = {s.iloc[i]:g} is {word} {bound:g} {fw_unit}".rstrip()
                    + ("; a share must lie in 0–100 %" if fw_unit == "%" else "")
                    + ("; treated as missing" if invalid == "missing" else ""),
                    column=col, unit=f"{data[UNIT].iloc[i]} {data[NAME].iloc[i]}", year=int(data[YEAR].iloc[i])))
            if len(bad) > MAX_PER_RULE:
                rep.findings.append(Finding(severity, "impossible-value",
                                            f"… and {len(bad) - MAX_PER_RULE} more values {word}", column=col))
        # constant across all units within a year (with enough units to tell)
        per_year = data.groupby(YEAR)[col].agg(["nunique", "count"])
        const_years = per_year[(per_year["count"] >= 10) & (per_year["nunique"] == 1)].index.tolist()
        if const_years and len(const_years) >= max(1, math.ceil(0.5 * (per_year["count"] >= 10).sum())):
            rep.findings.append(Finding(
                "warning", "constant-across-units",
                f"{col} has the same value for every unit in {len(const_years)} of {len(per_year)} years "
                f"(e.g. {data.loc[data[YEAR] == const_years[-1], col].iloc[0]:g} in {const_years[-1]}): it looks like "
                "a national total or a fill, not a city statistic; it is excluded", column=col))
            rep.excluded[col] = "same value for every unit in a year (a national total or a fill)"
        # one unit, same value every year: a fill (e.g. 331732.0001 for 25 years)
        if normalise_unit(fw_unit) not in _STOCK_UNITS and data[YEAR].nunique() >= 10:
            g = data.groupby(UNIT)[col].agg(["min", "max", "median", "count"])
            # equal up to a relative 1e-6: fills are sometimes jittered (331732.0001 vs 331732.0)
            spread = (g["max"] - g["min"]) <= 1e-6 * g["median"].abs().clip(lower=1.0)
            fills = g[(g["count"] >= 10) & spread].index.tolist()
            if fills and len(fills) < 0.5 * data[UNIT].nunique():
                for u in fills[:MAX_PER_RULE]:
                    v = data.loc[data[UNIT] == u, col].dropna().iloc[0]
                    rep.findings.append(Finding(
                        "warning", "constant-over-time",
                        f"{col} = {v:g} (±1e-6) in all {int(g.loc[u, 'count'])} years: a fill, not a statistic; "
                        "treated as missing for this unit", column=col, unit=str(u)))
                rows = np.flatnonzero(data[UNIT].isin(fills).to_numpy() & data[col].notna().to_numpy())
                rep.fills.setdefault(col, []).extend(int(i) for i in rows)
    # coverage: which indicators can be computed
    present = set(known) - set(rep.excluded)
    for ind in fw.indicators:
        if ind.code in present:
            continue
        if ind.formula:
            needs = parse_formula(ind.formula).names
            missing = sorted(needs - present)
            if not missing:
                continue
            reason = ", ".join(f"{m} ({rep.excluded[m]})" if m in rep.excluded else m for m in missing)
            rep.findings.append(Finding("info", "no-data", f"{ind.code} cannot be derived: needs {reason}",
                                        column=ind.code))
        else:
            rep.findings.append(Finding("info", "no-data", f"{ind.code} is not in the data", column=ind.code))
    return rep


def check_derived(
    table: pd.DataFrame, fw: Framework, rep: CheckReport, *, invalid: Literal["raise", "missing"] = "raise"
) -> pd.DataFrame:
    """Check derived indicator values against the indicators' ``min``/``max`` bounds.

    A ratio can be impossible although each input looks fine (e.g. more university
    students than residents). Findings are added to ``rep`` (rule
    ``impossible-derived-value``); with ``invalid="missing"`` the returned copy has those
    cells blanked, with ``"raise"`` they are errors.
    """
    out = table
    severity: Severity = "error" if invalid == "raise" else "warning"
    for ind in fw.indicators:
        if not ind.formula or ind.code not in table.columns or (ind.min is None and ind.max is None):
            continue
        v = table[ind.code].to_numpy(dtype="float64")
        bad = np.zeros(len(v), dtype=bool)
        if ind.min is not None:
            bad |= v < ind.min
        if ind.max is not None:
            bad |= v > ind.max
        idx = np.flatnonzero(bad & ~np.isnan(v))
        for i in idx[:MAX_PER_RULE]:
            bound = f"[{'' if ind.min is None else f'{ind.min:g}'}, {'' if ind.max is None else f'{ind.max:g}'}]"
            rep.findings.append(Finding(
                severity, "impossible-derived-value",
                f"{ind.code} = {ind.formula} = {v[i]:g} {ind.unit} lies outside its plausible range {bound}"
                + ("; treated as missing" if invalid == "missing" else "; check the input variables"),
                column=ind.code, unit=f"{table[UNIT].iloc[i]} {table[NAME].iloc[i]}", year=int(table[YEAR].iloc[i])))
        if len(idx) > MAX_PER_RULE:
            rep.findings.append(Finding(severity, "impossible-derived-value",
                                        f"… and {len(idx) - MAX_PER_RULE} more values outside the range",
                                        column=ind.code))
        if len(idx) and invalid == "missing":
            if out is table:
                out = table.copy()
            out.iloc[idx, out.columns.get_loc(ind.code)] = np.nan
    return out
