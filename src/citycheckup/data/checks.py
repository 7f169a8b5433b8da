"""Checks of a data set against a framework.

Findings have a severity: ``error`` (the run cannot go on: fix the data),
``warning`` (the run goes on; the affected column is excluded or flagged) and
``info`` (coverage notes). Every finding names the column, unit and year.

:func:`check_all` runs every check that a check-up run runs (the raw columns, then
the derived indicators), so that ``validate`` and ``run`` report the same findings.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from citycheckup.data.headers import HeaderIndex
from citycheckup.data.readers import NAME, UNIT, YEAR, Dataset
from citycheckup.data.scale import ScaleGuess, describe_scale, guess_scale, input_suspects
from citycheckup.data.units import conversion_factor, format_factor, parse_unit, same_unit
from citycheckup.errors import DataError, Problem
from citycheckup.framework.models import Framework
from citycheckup.indicators.derive import derive_indicators
from citycheckup.indicators.formula import parse_formula

__all__ = [
    "CheckReport",
    "DataCheck",
    "Finding",
    "check_all",
    "check_dataset",
    "check_derived",
    "indicator_table",
    "normalise_unit",
]

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
    error_cells: dict[str, list[int]] = field(default_factory=dict)
    """Column → row positions of impossible values reported as errors (policy ``"raise"``)."""
    scale_errors: dict[str, ScaleGuess] = field(default_factory=dict)
    """Column → the power of ten it is probably off by (rules ``unit-scale``, ``unit-scale-derived``)."""

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
            span = (
                f"; {len(fs)}× in {years[0]}–{years[-1]}"
                if len(years) > 1
                else (f"; {years[0]}" if years else "")
            )
            where = ", ".join(x for x in (col, unit) if x)
            out.append(f"[{sev}] {rule}: {fs[0].message} ({where}{span})")
        return out

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            [asdict(f) for f in self.findings],
            columns=["severity", "rule", "message", "column", "unit", "year"],
        )


def _where(f: Finding) -> str:
    return ", ".join(
        x
        for x in (
            f"column {f.column}" if f.column else "",
            f"unit {f.unit}" if f.unit else "",
            f"year {f.year}" if f.year is not None else "",
        )
        if x
    )


def normalise_unit(unit: str) -> str:
    """Canonical spelling of a unit of measure (``km2`` → ``km²``, ``％`` → ``%``, ``平方公里`` → ``km²``).

    Units the registry of :mod:`citycheckup.data.units` does not know are returned
    without spaces and in lower case.
    """
    u = parse_unit(unit)
    if u is not None:
        return u.symbol
    return "".join(str(unit).split()).lower()


def _bounds(
    code: str, fw: Framework
) -> tuple[float | None, float | None, str, list[float] | None, str]:
    """min, max, unit, plausible range and Chinese name of a variable or indicator."""
    var = fw.variable(code)
    if var is not None:
        return var.min, var.max, var.unit, var.plausible, var.name_zh
    try:
        ind = fw.indicator(code)
    except KeyError:
        return None, None, "", None, code
    lo, hi = ind.min, ind.max
    if hi is None and normalise_unit(ind.unit) == "%" and not ind.formula:
        hi = 100.0  # a reported share; its minimum only when stated (a change such as a rent increase may be negative)
    return lo, hi, ind.unit, ind.plausible, ind.name_zh


def _fmt(x: float) -> str:
    """A number as a reader writes it: 3,760 / 37,600,000 / 3.76 / 0.0042."""
    if not math.isfinite(x):
        return str(x)
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def _cut_findings(found: list[Finding], total: int, template: Finding, what: str) -> list[Finding]:
    """At most ``MAX_PER_RULE`` findings, then one that says how many more there are."""
    out = found[:MAX_PER_RULE]
    if total > MAX_PER_RULE:
        out.append(
            Finding(
                template.severity,
                template.rule,
                f"… and {total - MAX_PER_RULE} more {what}",
                column=template.column,
            )
        )
    return out


def check_dataset(
    ds: Dataset, fw: Framework, *, invalid: Literal["raise", "missing"] = "raise"
) -> CheckReport:
    """Check ``ds`` against ``fw``.

    Parameters
    ----------
    invalid
        Policy for impossible values and columns in a wrong unit: ``"raise"`` reports
        them as errors (the run stops); ``"missing"`` reports each as a warning and lists
        impossible cells in ``CheckReport.invalid`` and wrongly scaled columns in
        ``CheckReport.excluded`` so that the caller blanks exactly those (never a
        silent change).

    Rules
    -----
    ``unknown-column``
        a column is neither an indicator nor a variable of the framework (warning;
        ignored); the message names the closest framework codes to rename it to.
    ``no-data``
        an indicator is neither given nor derivable from the variables present (info).
    ``unit-mismatch``
        the data states a unit different from the framework's (error).
    ``unit-scale``
        most values lie outside the variable's ``plausible`` range and a power of ten
        brings them inside: the column is in another unit (亿元 for 万元, 人 for 万人,
        % for a fraction); the message names the probable unit (error).
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
    hidx: HeaderIndex | None = None
    for col in ds.variables:
        if col not in ind_codes and col not in var_codes:
            hidx = hidx or HeaderIndex.of(fw)
            rep.findings.append(
                Finding("warning", "unknown-column", _unknown_message(col, fw, hidx), column=col)
            )
    severity: Severity = "error" if invalid == "raise" else "warning"
    known = [c for c in ds.variables if c in ind_codes or c in var_codes]
    for col in known:
        s = data[col]
        lo, hi, fw_unit, plausible, name_zh = _bounds(col, fw)
        if col in ds.units and fw_unit and not same_unit(ds.units[col], fw_unit):
            rep.findings.append(
                Finding(
                    "error",
                    "unit-mismatch",
                    _mismatch_message(col, ds.units[col], fw_unit),
                    column=col,
                )
            )
        if s.isna().all():
            rep.findings.append(
                Finding("warning", "all-missing", f"{col} has no value; it is excluded", column=col)
            )
            rep.excluded[col] = "no value in the data"
            continue
        values = s.to_numpy(dtype="float64")
        inf = np.flatnonzero(np.isinf(values))
        rep.findings += _cut_findings(
            [
                Finding(
                    "error",
                    "non-finite",
                    f"{col} is infinite",
                    column=col,
                    unit=str(data[UNIT].iloc[i]),
                    year=int(data[YEAR].iloc[i]),
                )
                for i in inf[:MAX_PER_RULE]
            ],
            len(inf),
            Finding("error", "non-finite", "", column=col),
            "infinite values",
        )
        # constant across all units within a year (with enough units to tell)
        per_year = data.groupby(YEAR)[col].agg(["nunique", "count"])
        const_years = per_year[
            (per_year["count"] >= 10) & (per_year["nunique"] == 1)
        ].index.tolist()
        if const_years and len(const_years) >= max(
            1, math.ceil(0.5 * (per_year["count"] >= 10).sum())
        ):
            rep.findings.append(
                Finding(
                    "warning",
                    "constant-across-units",
                    f"{col} has the same value for every unit in {len(const_years)} of {len(per_year)} years "
                    f"(e.g. {data.loc[data[YEAR] == const_years[-1], col].iloc[0]:g} in {const_years[-1]}): it looks like "
                    "a national total or a fill, not a city statistic; it is excluded",
                    column=col,
                )
            )
            rep.excluded[col] = "same value for every unit in a year (a national total or a fill)"
            continue
        # a unit off by a power of ten (亿元 for 万元, 人 for 万人, % for a fraction)
        guess = guess_scale(values, plausible, fw_unit) if plausible is not None else None
        if guess is not None:
            stated = _stated_unit(ds, col)
            rep.findings.append(
                Finding(
                    severity,
                    "unit-scale",
                    describe_scale(col, name_zh, fw_unit, guess, stated=stated)
                    + ("; the column is excluded" if invalid == "missing" else ""),
                    column=col,
                )
            )
            rep.scale_errors[col] = guess
            if invalid == "missing":
                rep.excluded[col] = (
                    f"values look like {guess.unit or 'another unit'}, not {fw_unit}"
                )
            continue  # its values are not judged one by one: the unit is the problem
        for bound, op, word in (
            (lo, np.less, "below the minimum"),
            (hi, np.greater, "above the maximum"),
        ):
            if bound is None:
                continue
            bad = np.flatnonzero(op(values, bound) & ~np.isnan(values))
            if invalid == "missing" and len(bad):
                rep.invalid.setdefault(col, []).extend(int(i) for i in bad)
            elif len(bad):
                rep.error_cells.setdefault(col, []).extend(int(i) for i in bad)
            hint = ""
            if (
                normalise_unit(fw_unit) == "fraction (0–1)"
                and word.startswith("above")
                and len(bad)
            ):
                hint = (
                    f"; if {col} is given in %, write the header as {name_zh}(%) or divide by 100"
                )
            rep.findings += _cut_findings(
                [
                    Finding(
                        severity,
                        "impossible-value",
                        f"{col} = {s.iloc[i]:g} is {word} {bound:g} {fw_unit}".rstrip()
                        + ("; a share must lie in 0–100 %" if fw_unit == "%" else "")
                        + hint
                        + ("; treated as missing" if invalid == "missing" else ""),
                        column=col,
                        unit=f"{data[UNIT].iloc[i]} {data[NAME].iloc[i]}",
                        year=int(data[YEAR].iloc[i]),
                    )
                    for i in bad[:MAX_PER_RULE]
                ],
                len(bad),
                Finding(severity, "impossible-value", "", column=col),
                f"values {word}",
            )
        # one unit, same value every year: a fill (e.g. 331732.0001 for 25 years)
        if normalise_unit(fw_unit) not in _STOCK_UNITS and data[YEAR].nunique() >= 10:
            g = data.groupby(UNIT)[col].agg(["min", "max", "median", "count"])
            # equal up to a relative 1e-6: fills are sometimes jittered (331732.0001 vs 331732.0)
            spread = (g["max"] - g["min"]) <= 1e-6 * g["median"].abs().clip(lower=1.0)
            fills = g[(g["count"] >= 10) & spread].index.tolist()
            if fills and len(fills) < 0.5 * data[UNIT].nunique():
                found = []
                for u in fills[:MAX_PER_RULE]:
                    v = data.loc[data[UNIT] == u, col].dropna().iloc[0]
                    found.append(
                        Finding(
                            "warning",
                            "constant-over-time",
                            f"{col} = {v:g} (±1e-6) in all {int(g.loc[u, 'count'])} years: a fill, not a statistic; "
                            "treated as missing for this unit",
                            column=col,
                            unit=str(u),
                        )
                    )
                rep.findings += _cut_findings(
                    found,
                    len(fills),
                    Finding("warning", "constant-over-time", "", column=col),
                    "units with a fill",
                )
                rows = np.flatnonzero(
                    data[UNIT].isin(fills).to_numpy() & data[col].notna().to_numpy()
                )
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
            reason = ", ".join(
                f"{m} ({rep.excluded[m]})" if m in rep.excluded else m for m in missing
            )
            rep.findings.append(
                Finding(
                    "info",
                    "no-data",
                    f"{ind.code} cannot be derived: needs {reason}",
                    column=ind.code,
                )
            )
        else:
            rep.findings.append(
                Finding("info", "no-data", f"{ind.code} is not in the data", column=ind.code)
            )
    return rep


def _stated_unit(ds: Dataset, col: str) -> str | None:
    for rec in ds.conversions:
        if rec.get("code") == col and rec.get("from_unit"):
            return str(rec["from_unit"])
    return None


def _unknown_message(col: str, fw: Framework, hidx: HeaderIndex) -> str:
    codes = hidx.resolve(col)
    if len(codes) == 1:
        return (
            f"column {col!r} is not a code of framework {fw.code}, but it means {hidx.label(codes[0])}: "
            f"rename it to {codes[0]}, or read the file with the framework (which recognises it)"
        )
    near = hidx.suggest(col)
    head = f"column {col!r} is not a variable of {fw.code}; it is ignored"
    if not near:
        return head + " (rename it to a framework code to use it)"
    labels = [hidx.label(c) for c in near]
    options = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]
    return f"column {col!r} is not a variable of {fw.code}; did you mean {options}? (it is ignored until renamed)"


def _mismatch_message(col: str, given: str, expected: str) -> str:
    base = f"the data gives {col} in {given!r} but the framework expects {expected!r}"
    try:
        factor = conversion_factor(given, expected)
    except DataError:
        return base + "; convert the values or fix the header"
    return (
        base + f" (×{_fmt(float(factor))}); read the file with the framework, which converts it, "
        "or convert the values"
    )


@dataclass
class DataCheck:
    """Everything :func:`check_all` found and the data as the run goes on with it.

    Attributes
    ----------
    report
        All findings (raw columns and derived indicators).
    dataset
        The data with impossible cells (policy ``"missing"``) and per-unit fills blanked.
    indicators
        The indicator table: reported and derived indicators per unit and year, with
        derived values outside their bounds blanked under policy ``"missing"``.
    """

    report: CheckReport
    dataset: Dataset
    indicators: pd.DataFrame


def indicator_table(ds: Dataset, fw: Framework, rep: CheckReport) -> pd.DataFrame:
    """Reported and derived indicator values per unit and year (excluded columns left out)."""
    data = ds.data.drop(columns=[c for c in rep.excluded if c in ds.data.columns])
    derived = derive_indicators(data, fw, unit=UNIT, year=YEAR)
    codes = [c for c in fw.indicator_codes if c in derived.columns]
    keep = [UNIT, NAME, YEAR, *[g for g in ds.groups if g in derived.columns]]
    if ds.groups == [] and "province" in derived.columns:
        keep.append("province")
    out = derived[keep + codes].copy()
    for c in codes:
        out[c] = out[c].astype("float64")
    return out


def check_all(
    ds: Dataset, fw: Framework, *, invalid: Literal["raise", "missing"] = "raise"
) -> DataCheck:
    """Run every data check of a check-up: the raw columns, then the derived indicators.

    ``validate`` and ``run`` both call this, so they report the same findings; the
    caller decides whether to stop (``result.report.raise_for_errors(source)``).

    Columns with a unit error and cells with impossible values are left out of the
    derivation (under either policy), so a derived indicator is judged only on inputs
    that passed, and one wrong column is not reported again through every indicator
    built from it.
    """
    rep = check_dataset(ds, fw, invalid=invalid)
    data = ds.data
    if rep.invalid or rep.fills:
        data = data.copy()
        for col, rows in [*rep.invalid.items(), *rep.fills.items()]:
            data.iloc[rows, data.columns.get_loc(col)] = np.nan
    clean = dataclasses.replace(ds, data=data)  # keeps units, conversions, denominators …
    basis = clean
    if rep.error_cells or rep.scale_errors:
        bdata = data.copy()
        for col, rows in rep.error_cells.items():
            bdata.iloc[rows, bdata.columns.get_loc(col)] = np.nan
        for col in rep.scale_errors:
            if col in bdata.columns:
                bdata[col] = np.nan
        basis = Dataset(data=bdata, source=ds.source, units=ds.units, groups=ds.groups)
    table = indicator_table(basis, fw, rep)
    ind = check_derived(table, fw, rep, invalid=invalid, variables=basis.data)
    return DataCheck(report=rep, dataset=clean, indicators=ind)


def check_derived(
    table: pd.DataFrame,
    fw: Framework,
    rep: CheckReport,
    *,
    invalid: Literal["raise", "missing"] = "raise",
    variables: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Check derived indicator values against the indicators' ``plausible`` range and ``min``/``max``.

    A ratio can be wrong although each input looks fine on its own: more university
    students than residents, or a GDP per head of 3.76 元 because GDP was given in 亿元
    where the framework expects 万元. Findings are added to ``rep``:

    ``unit-scale-derived``
        most values lie outside the indicator's ``plausible`` range and a power of ten
        brings them inside; the message names the input variables that are probably in
        the wrong unit (checked against their own plausible ranges when ``variables``,
        the raw data, is given). The whole column is an error, or excluded under
        ``invalid="missing"``.
    ``impossible-derived-value``
        single values outside ``min``/``max``.

    With ``invalid="missing"`` the returned copy has those cells blanked; with
    ``"raise"`` they are errors.
    """
    out = table
    severity: Severity = "error" if invalid == "raise" else "warning"
    for ind in fw.indicators:
        if not ind.formula or ind.code not in table.columns:
            continue
        v = table[ind.code].to_numpy(dtype="float64")
        guess = guess_scale(v, ind.plausible, ind.unit) if ind.plausible is not None else None
        if guess is not None:
            suspects = input_suspects(ind.formula, guess.k, fw, variables)
            lo, hi = ind.plausible  # type: ignore[misc]
            direction = "small" if guess.k > 0 else "large"
            text = (
                f"{ind.code} = {ind.formula} has median {_fmt(guess.median)} {ind.unit}, "
                f"×{format_factor(abs(guess.k))} too {direction} for its plausible range {_fmt(lo)}–{_fmt(hi)}"
            )
            if suspects:
                text += (
                    "; probably "
                    + " or ".join(suspects)
                    + ": fix that column's header or convert it"
                )
            else:
                text += "; check the units of its inputs"
            rep.findings.append(
                Finding(
                    severity,
                    "unit-scale-derived",
                    text + ("; the indicator is excluded" if invalid == "missing" else ""),
                    column=ind.code,
                )
            )
            rep.scale_errors[ind.code] = guess
            if invalid == "missing":
                if out is table:
                    out = table.copy()
                out[ind.code] = np.nan
                rep.excluded[ind.code] = f"values ×{format_factor(abs(guess.k))} too {direction}"
            continue
        if ind.min is None and ind.max is None:
            continue
        bad = np.zeros(len(v), dtype=bool)
        if ind.min is not None:
            bad |= v < ind.min
        if ind.max is not None:
            bad |= v > ind.max
        idx = np.flatnonzero(bad & ~np.isnan(v))
        bound = f"[{'' if ind.min is None else f'{ind.min:g}'}, {'' if ind.max is None else f'{ind.max:g}'}]"
        rep.findings += _cut_findings(
            [
                Finding(
                    severity,
                    "impossible-derived-value",
                    f"{ind.code} = {ind.formula} = {v[i]:g} {ind.unit} lies outside its plausible range {bound}"
                    + (
                        "; treated as missing"
                        if invalid == "missing"
                        else "; check the input variables"
                    ),
                    column=ind.code,
                    unit=f"{table[UNIT].iloc[i]} {table[NAME].iloc[i]}",
                    year=int(table[YEAR].iloc[i]),
                )
                for i in idx[:MAX_PER_RULE]
            ],
            len(idx),
            Finding(severity, "impossible-derived-value", "", column=ind.code),
            "values outside the range",
        )
        if len(idx) and invalid == "missing":
            if out is table:
                out = table.copy()
            out.iloc[idx, out.columns.get_loc(ind.code)] = np.nan
    return out
