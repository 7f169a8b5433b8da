"""The end-to-end check-up: framework + data → indicators → composite scores → diagnosis.

This module is core: it computes results as DataFrames and never renders or stores
them (that is :mod:`citycheckup.report`, :mod:`citycheckup.store` and the CLI).

Missing-data policy
-------------------
1. A data column that fails a check with severity *warning* (e.g. the same value for
   every city — a national total) is excluded; errors stop the run.
2. An indicator is *available* when at least one unit-year has a value; the others are
   reported as "no data" with their reason and never filled in.
3. A dimension without any available indicator is "no data": its score is missing and
   it is left out of the index, whose weights are renormalised over the informed
   dimensions. Coverage figures say which dimensions informed the index.
4. Within a unit-year, missing indicator values are skipped in the (weighted) mean and
   the weights renormalised (COINr's default), but only when at least
   ``min_availability`` of the dimension's available indicators have a value;
   otherwise the dimension score is missing. The same rule applies to the index.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from citycheckup.data.checks import CheckReport, Finding, check_dataset, check_derived
from citycheckup.data.readers import NAME, UNIT, YEAR, Dataset
from citycheckup.diagnosis import (
    city_size_class,
    grade_indicators,
    score_changes,
    strengths_weaknesses,
    target_attainment,
)
from citycheckup.errors import DataError, Problem
from citycheckup.framework.loader import framework_to_coinr_meta
from citycheckup.framework.models import Framework
from citycheckup.indicators.derive import derive_indicators

__all__ = ["CheckupOptions", "CheckupResult", "build_pipeline", "rescore", "run_checkup", "uncertainty_spec"]

log = logging.getLogger(__name__)


@dataclass
class CheckupOptions:
    """Settings of a check-up run.

    Parameters
    ----------
    years
        Years to score (default: every year in the data).
    treatment
        Outlier treatment before normalisation, COINr's default ``"winsorise_log"``
        (per year: an indicator with |skew| ≥ 2 and kurtosis ≥ 3.5 is winsorised up to
        ``winmax`` points, then log-transformed if it still fails) or ``"none"``.
    winmax
        Maximum number of winsorised points per indicator and year.
    normalisation
        ``"minmax"`` (0–100; 1–100 with geometric aggregation, which needs positive
        values) or ``"zscore"`` (mean 0, sd 1; arithmetic aggregation only).
    aggregation
        ``"arithmetic"`` or ``"geometric"``.
    weights
        ``"framework"`` (the framework's weights) or ``"equal"``.
    global_normalisation
        Normalise across all years at once, so that scores of different years are
        comparable (a panel's "global" normalisation). Otherwise each year separately.
    min_availability
        Share of a dimension's available indicators a unit-year needs for a score.
    min_unit_availability
        Share of all used indicators a unit-year needs to be scored at all (COINr's unit
        screening); units below it are listed in ``CheckupResult.flags`` with the reason.
    base_year
        Earlier year for the change table (default: the first scored year).
    size_variable
        Variable with urban resident population (城区常住人口) in 万人 for the city-size
        class of the 2014 standard. When absent, ``size_proxy`` is used instead and the
        result says so (``CheckupResult.size_basis``).
    size_proxy
        Fallback population variable (default: resident population of the whole
        administrative area, which overstates the urban population of most prefectures).
    uncertainty_n
        Monte Carlo replicates for rank intervals (0 to skip). Uncertain factors: the
        weights (uniform ±25 % at every level), the aggregation (arithmetic or geometric
        mean) and, with treatment, ``winmax`` (3–7).
    uncertainty_years
        Rank intervals for the last scored year only (default) or for every year.
    seed
        Seed of the Monte Carlo draws.
    invalid
        Impossible values (negative populations, shares above 100 %): ``"raise"`` stops
        the run listing them all; ``"missing"`` blanks exactly those cells and reports
        each as a warning.
    """

    years: list[int] | None = None
    treatment: Literal["winsorise_log", "none"] = "winsorise_log"
    winmax: int = 5
    normalisation: Literal["minmax", "zscore"] = "minmax"
    aggregation: Literal["arithmetic", "geometric"] = "arithmetic"
    weights: Literal["framework", "equal"] = "framework"
    global_normalisation: bool = True
    min_availability: float = 0.5
    min_unit_availability: float = 0.5
    base_year: int | None = None
    size_variable: str = "pop_urban"
    size_proxy: str = "pop_resident"
    uncertainty_n: int = 0
    uncertainty_years: Literal["last", "all"] = "last"
    seed: int = 1
    invalid: Literal["raise", "missing"] = "raise"

    def validate(self) -> None:
        problems = []
        if self.normalisation not in ("minmax", "zscore"):
            problems.append(Problem(f"normalisation must be minmax or zscore, got {self.normalisation!r}", "options"))
        if self.aggregation not in ("arithmetic", "geometric"):
            problems.append(Problem(f"aggregation must be arithmetic or geometric, got {self.aggregation!r}", "options"))
        if self.aggregation == "geometric" and self.normalisation == "zscore":
            problems.append(Problem("geometric aggregation needs positive values: use --normalisation minmax "
                                    "(scaled to 1–100) with it", "options"))
        if self.weights not in ("framework", "equal"):
            problems.append(Problem(f"weights must be framework or equal, got {self.weights!r}", "options"))
        for name in ("min_availability", "min_unit_availability"):
            v = getattr(self, name)
            if not 0 <= v <= 1:
                problems.append(Problem(f"{name} must lie in [0, 1], got {v}", "options"))
        if self.treatment not in ("winsorise_log", "none"):
            problems.append(Problem(f"treatment must be winsorise_log or none, got {self.treatment!r}", "options"))
        if self.uncertainty_n < 0 or (0 < self.uncertainty_n < 10):
            problems.append(Problem(f"uncertainty_n must be 0 (off) or at least 10, got {self.uncertainty_n}",
                                    "options"))
        if problems:
            raise DataError("invalid check-up options", problems=problems)

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass
class CheckupResult:
    """Everything a check-up computes (tables are pandas DataFrames)."""

    framework: Framework
    dataset: Dataset
    options: CheckupOptions
    checks: CheckReport
    indicators: pd.DataFrame
    """Raw indicator values: unit_code, unit_name, year, group columns, indicator codes."""
    normalised: pd.DataFrame
    """Normalised indicator values (0–100 or z-scores)."""
    scores: pd.DataFrame
    """unit_code, unit_name, year, index, dimensions, rank_index, rank_<dimension>."""
    coverage: pd.DataFrame
    """One row per indicator: dimension, status (used / no data), availability, reason."""
    dimension_coverage: pd.DataFrame
    grades: pd.DataFrame
    attainment: pd.DataFrame
    strengths: pd.DataFrame
    changes: pd.DataFrame
    rank_intervals: pd.DataFrame = field(default_factory=pd.DataFrame)
    """unit_code, year, nominal, mean, median, q5, q95 of the index rank (Monte Carlo)."""
    years: list[int] = field(default_factory=list)
    panel: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Raw indicator values of every year in the data (the normalisation's reference set)."""
    size_basis: str | None = None
    """Population variable used for the city-size class (``pop_urban``, or a proxy)."""
    flags: pd.DataFrame = field(default_factory=pd.DataFrame)
    """unit_code, year, flag (``insufficient_data`` | ``extreme_values``), detail."""
    pipeline: list[dict[str, Any]] = field(default_factory=list)
    """The composite pipeline that produced the scores, as data."""

    @property
    def score_codes(self) -> list[str]:
        return [self.framework.index_code, *self.framework.dimension_codes]

    @property
    def informed_dimensions(self) -> list[str]:
        dc = self.dimension_coverage
        return dc.loc[dc["status"] == "scored", "dimension"].tolist()


def _indicator_table(ds: Dataset, fw: Framework, rep: CheckReport) -> pd.DataFrame:
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


def _coverage(ind: pd.DataFrame, fw: Framework, rep: CheckReport, years: list[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    top = fw.top_dimension_of()
    rows = []
    no_data_reason = {f.column: f.message for f in rep.findings if f.rule == "no-data"}
    sub = ind[ind[YEAR].isin(years)]
    for i in fw.indicators:
        if i.code in sub.columns and sub[i.code].notna().any():
            avail = float(sub[i.code].notna().mean())
            rows.append({"indicator": i.code, "dimension": top[i.code], "status": "used", "availability": avail,
                         "reason": ""})
        else:
            reason = no_data_reason.get(i.code, "no value in the scored years")
            rows.append({"indicator": i.code, "dimension": top[i.code], "status": "no data", "availability": 0.0,
                         "reason": reason})
    cov = pd.DataFrame(rows)
    return cov, _dimension_coverage(cov, fw)


def _dimension_coverage(cov: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    drows = []
    for d in fw.dimensions:
        c = cov[cov["dimension"] == d.code]
        used = int((c["status"] == "used").sum())
        drows.append({"dimension": d.code, "name_zh": d.name_zh, "name_en": d.name_en,
                      "n_indicators": len(c), "n_used": used,
                      "coverage": used / len(c) if len(c) else 0.0,
                      "mean_availability": float(c.loc[c["status"] == "used", "availability"].mean()) if used else 0.0,
                      "status": "scored" if used else "no data"})
    return pd.DataFrame(drows)


def build_pipeline(opts: CheckupOptions) -> list[dict[str, Any]]:
    """The check-up's composite pipeline as data (COINr-style steps)."""
    steps: list[dict[str, Any]] = [{"screen": {"by": "na", "min_availability": opts.min_unit_availability}}]
    if opts.treatment != "none":
        steps.append({"treat": {"method": opts.treatment, "winmax": opts.winmax, "skew": 2, "kurtosis": 3.5,
                                "log": "log_ct"}})
    lower = 1.0 if opts.aggregation == "geometric" else 0.0
    norm: dict[str, Any] = ({"method": "minmax", "lower": lower, "upper": 100.0} if opts.normalisation == "minmax"
                            else {"method": "zscore", "mean": 0.0, "sd": 1.0})
    norm["global"] = bool(opts.global_normalisation)
    # An indicator that treatment made constant (e.g. winsorising a lone low value among a few
    # districts) carries no information: COINr's NaN, then skipped in the means and reported.
    norm["constant"] = "nan"
    steps.append({"normalise": norm})
    steps.append({"aggregate": {"method": opts.aggregation, "min_availability": opts.min_availability}})
    return steps


def _coin(ind: pd.DataFrame, fw: Framework, used: list[str], opts: CheckupOptions) -> Any:
    from citycheckup.composite import Coin

    meta = framework_to_coinr_meta(fw, indicators=used)
    if opts.weights == "equal":
        meta["Weight"] = 1.0
    data = ind[[UNIT, NAME, YEAR, *used]].rename(columns={UNIT: "uCode", NAME: "uName", YEAR: "Time"})
    return Coin(data=data, meta=meta)


def _composite(ind: pd.DataFrame, fw: Framework, used: list[str], opts: CheckupOptions) -> Any:
    """Run the check-up pipeline with the composite engine; return its PipelineResult."""
    from citycheckup.composite import Pipeline, run_pipeline

    return run_pipeline(_coin(ind, fw, used, opts), Pipeline.from_steps(build_pipeline(opts)))


def _frames(res: Any, ind: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    out = []
    for name in ("Normalised", "Aggregated"):
        df = res.datasets[name].rename(columns={"uCode": UNIT, "Time": YEAR})
        if YEAR not in df.columns:  # the engine drops Time for a single year (cross-sectional data)
            df.insert(1, YEAR, int(ind[YEAR].iloc[0]))
        out.append(df)
    return out[0], out[1]


def _score_table(ind: pd.DataFrame, aggregated: pd.DataFrame, score_codes: list[str]) -> pd.DataFrame:
    """unit_code, unit_name, year, the score codes (missing for a dimension with no data) and their ranks."""
    scores = ind[[UNIT, NAME, YEAR]].merge(
        aggregated.drop(columns=[c for c in ("uName", NAME) if c in aggregated.columns]), on=[UNIT, YEAR], how="left")
    for c in score_codes:
        if c not in scores.columns:
            scores[c] = np.nan  # a dimension with no data
    return _ranks(scores[[UNIT, NAME, YEAR, *score_codes]], score_codes)


def _ranks(scores: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    out = scores.copy()
    for c in codes:
        r = out.groupby(YEAR)[c].rank(ascending=False, method="min")
        out[f"rank_{c}"] = r.astype("Int64")
    return out


def run_checkup(ds: Dataset, fw: Framework, options: CheckupOptions | None = None) -> CheckupResult:
    """Run a check-up of every unit and year of ``ds`` against ``fw``.

    Parameters
    ----------
    ds
        The data: raw variables and/or indicator values per unit and year.
    fw
        The framework.
    options
        Settings; see :class:`CheckupOptions`.

    Returns
    -------
    CheckupResult

    Raises
    ------
    DataError
        When a data check finds errors (all listed), no indicator can be computed, or
        a requested year is absent.
    """
    opts = options or CheckupOptions()
    opts.validate()
    rep = check_dataset(ds, fw, invalid=opts.invalid)
    rep.raise_for_errors(ds.source)
    if rep.invalid or rep.fills:
        data = ds.data.copy()
        for col, rows in [*rep.invalid.items(), *rep.fills.items()]:
            data.iloc[rows, data.columns.get_loc(col)] = np.nan
        ds = Dataset(data=data, source=ds.source, units=ds.units, groups=ds.groups, sha256=ds.sha256)
    years_avail = ds.years
    years = sorted(opts.years) if opts.years else years_avail
    missing_years = sorted(set(years) - set(years_avail))
    if missing_years:
        raise DataError(f"{ds.source}: year(s) {', '.join(map(str, missing_years))} are not in the data "
                        f"(it has {years_avail[0]}–{years_avail[-1]}); choose others with --year")
    ind = check_derived(_indicator_table(ds, fw, rep), fw, rep, invalid=opts.invalid)
    rep.raise_for_errors(ds.source)
    coverage, dim_cov = _coverage(ind, fw, rep, years)
    # an indicator with one value for every unit and year cannot discriminate: not scored
    # (judged on the unit-years that pass the unit screening, as the engine sees them)
    cand = coverage.loc[coverage["status"] == "used", "indicator"].tolist()
    kept = ind[ind[cand].notna().sum(axis=1) >= opts.min_unit_availability * len(cand) - 1e-9] if cand else ind
    for code in cand:
        vals = kept[code].dropna()
        if vals.nunique() <= 1 and kept[UNIT].nunique() > 1:
            reason = (f"the same value ({vals.iloc[0]:g}) for every unit and year: it cannot discriminate"
                      if len(vals) else "no value in the unit-years that have enough data")
            coverage.loc[coverage["indicator"] == code, ["status", "reason"]] = ["constant", reason]
            rep.findings.append(Finding("warning", "constant-indicator", f"{code}: {reason}; not scored",
                                        column=code))
    dim_cov = _dimension_coverage(coverage, fw)
    used = coverage.loc[coverage["status"] == "used", "indicator"].tolist()
    if not used:
        raise DataError(
            f"{ds.source}: no indicator of framework {fw.code} can be computed from this data",
            problems=[Problem(f.message, f.column or "") for f in rep.findings if f.rule == "no-data"][:30],
        )
    # Normalise over all years of the data when global (so trends use the same scale), then keep `years`.
    comp = _composite(ind, fw, used, opts)
    normalised, aggregated = _frames(comp, ind)
    for code in used:
        if code in normalised.columns and normalised[code].isna().all() and ind[code].notna().any():
            rep.findings.append(Finding(
                "warning", "constant-after-treatment",
                f"{code} has a single value after outlier treatment, so it cannot discriminate and is "
                "skipped in the means (use --treatment none for small numbers of units)", column=code))
    score_codes = [fw.index_code, *fw.dimension_codes]
    all_scores = _score_table(ind, aggregated, score_codes)  # ranks are within a year
    scores = all_scores[all_scores[YEAR].isin(years)].reset_index(drop=True)
    ind_years = ind[ind[YEAR].isin(years)].reset_index(drop=True)
    normalised = normalised[normalised[YEAR].isin(years)].reset_index(drop=True)

    # -- diagnosis
    grades = grade_indicators(ind_years, fw, id_cols=(UNIT, YEAR))
    attain = target_attainment(ind_years, fw, id_cols=(UNIT, YEAR))
    groups: dict[str, str] = {}
    diag = ind_years.copy()
    if "province" in diag.columns:
        groups["province"] = "province"
    size_basis = None
    for var in (opts.size_variable, opts.size_proxy):
        if var in ds.data.columns and ds.data[var].notna().any():
            size_basis = var
            break
    if size_basis is not None:
        pop = ds.data[[UNIT, YEAR, size_basis]].rename(columns={size_basis: "_size_pop"})
        diag = diag.merge(pop, on=[UNIT, YEAR], how="left")
        diag["size_class"] = city_size_class(diag["_size_pop"])
        diag = diag.drop(columns="_size_pop")
        groups["size_class"] = "size_class"
    directions = {i.code: i.direction for i in fw.indicators if i.code in used}
    strengths = strengths_weaknesses(diag, directions, groups=groups, top=5)
    base = opts.base_year if opts.base_year is not None else years[0]
    if base not in years_avail:
        raise DataError(f"base year {base} is not in the data ({years_avail[0]}–{years_avail[-1]})")
    # the base year may lie outside the scored years: take it from the scores of all years
    changes = (score_changes(all_scores, score_codes, year=years[-1], base_year=base) if years[-1] != base
               else pd.DataFrame())
    if "size_class" in diag.columns:
        ind_years = ind_years.merge(diag[[UNIT, YEAR, "size_class"]], on=[UNIT, YEAR], how="left")

    flags = _flags(ind_years, used, opts, comp)
    result = CheckupResult(
        framework=fw, dataset=ds, options=opts, checks=rep, indicators=ind_years, normalised=normalised,
        scores=scores, coverage=coverage, dimension_coverage=dim_cov, grades=grades, attainment=attain,
        strengths=strengths, changes=changes, years=years, panel=ind, size_basis=size_basis, flags=flags,
        pipeline=build_pipeline(opts),
    )
    if opts.uncertainty_n > 0:
        result.rank_intervals = _rank_intervals(ind, fw, used, opts, years, scores)
    log.info("scored %d units × %d years on %d indicators", scores[UNIT].nunique(), len(years), len(used))
    return result


def _flags(ind_years: pd.DataFrame, used: list[str], opts: CheckupOptions, comp: Any) -> pd.DataFrame:
    """Unit-years screened out for lack of data, and unit-years with treated (extreme) values."""
    rows: list[dict[str, Any]] = []
    avail = ind_years[used].notna().sum(axis=1)
    need = opts.min_unit_availability * len(used)
    for i in np.flatnonzero((avail < need - 1e-9).to_numpy()):
        r = ind_years.iloc[i]
        rows.append({UNIT: r[UNIT], YEAR: int(r[YEAR]), "flag": "insufficient_data",
                     "detail": f"{int(avail.iloc[i])} of {len(used)} indicators have a value; at least "
                               f"{100 * opts.min_unit_availability:.0f} % are needed to be scored"})
    pts = comp.treated_points
    if pts is not None and not pts.empty:
        pts = pts.rename(columns={"uCode": UNIT, "Time": YEAR})
        if YEAR not in pts.columns:  # single-year data: the engine drops Time
            pts = pts.assign(**{YEAR: int(ind_years[YEAR].iloc[0])})
        years = set(ind_years[YEAR].unique())
        pts = pts[pts[YEAR].isin(years)] if YEAR in pts.columns else pts
        # winsorised points are the unit's own extreme values (a log transform touches every unit)
        pts = pts[pts["Treatment"].astype(str).str.contains("win")]
        for (u, y), g in pts.groupby([UNIT, YEAR], sort=True):
            rows.append({UNIT: u, YEAR: int(y), "flag": "extreme_values",
                         "detail": "winsorised: " + ", ".join(g["iCode"].astype(str))})
    return pd.DataFrame(rows, columns=[UNIT, YEAR, "flag", "detail"])


def uncertainty_spec(opts: CheckupOptions, *, year: int, levels: int) -> dict[str, Any]:
    """The uncertain factors of the check-up's rank intervals, as a sensitivity spec."""
    factors: list[dict[str, Any]] = [
        {"name": "weights", "step": "aggregate", "noise": dict.fromkeys(range(1, levels), 0.25)},
        {"name": "aggregation", "step": "aggregate", "parameter": "method", "values": ["arithmetic", "geometric"]},
    ]
    if opts.treatment != "none":
        factors.append({"name": "winmax", "step": "treat", "parameter": "winmax", "values": [3, 4, 5, 6, 7]})
    return {"target": None, "n": opts.uncertainty_n, "seed": opts.seed, "sensitivity": False, "time": year,
            "factors": factors}


def _rank_intervals(ind: pd.DataFrame, fw: Framework, used: list[str], opts: CheckupOptions,
                    years: list[int], scores: pd.DataFrame) -> pd.DataFrame:
    """Rank intervals of the index: Monte Carlo over weights, aggregation and treatment.

    Every replicate re-runs the whole pipeline on the whole panel (so global
    normalisation is the same as in the nominal run); ranks are read in ``year``.
    A geometric mean needs positive values, so replicates use min-max on [1, 100].
    """
    from citycheckup.composite import Pipeline
    from citycheckup.composite.sensitivity import run_sensitivity

    coin = _coin(ind, fw, used, opts)
    steps = build_pipeline(opts)
    for st in steps:
        if "normalise" in st and st["normalise"]["method"] == "minmax":
            st["normalise"]["lower"] = 1.0
        if "aggregate" in st:
            st["aggregate"]["nonpositive"] = "omit"
    pipe = Pipeline.from_steps(steps)
    frames = []
    for y in (years if opts.uncertainty_years == "all" else years[-1:]):
        spec = uncertainty_spec(opts, year=y, levels=coin.max_level)
        spec["target"] = fw.index_code
        res = run_sensitivity(coin, pipe, spec)
        rs = res.rank_stats.rename(columns={"uCode": UNIT}).drop(columns=["nominal"])
        nominal = scores.loc[scores[YEAR] == y, [UNIT, "rank_index"]].rename(columns={"rank_index": "nominal"})
        rs = nominal.merge(rs, on=UNIT, how="inner")
        rs = rs[rs["nominal"].notna()]
        rs.insert(1, YEAR, y)
        frames.append(rs)
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return out[[UNIT, YEAR, "nominal", "mean", "median", "q5", "q95"]] if not out.empty else out


def rescore(result: CheckupResult, indicators: pd.DataFrame) -> pd.DataFrame:
    """Re-run the same composite pipeline on modified indicator values.

    Used for priorities ("which improvement would raise the index most"): change some
    values in a copy of ``result.indicators`` (or of all years' indicator values) and
    compare the returned scores with ``result.scores``.

    Parameters
    ----------
    result
        A finished check-up (its framework, used indicators and options are reused).
    indicators
        Same layout as ``result.panel``: unit_code, unit_name, year, indicator codes. With
        global normalisation pass every year (start from a copy of ``result.panel``) so the
        normalisation bounds are computed on the same reference set as the original run.

    Returns
    -------
    pandas.DataFrame
        Same layout as ``result.scores`` for the rows of ``indicators``.
    """
    fw = result.framework
    used = result.coverage.loc[result.coverage["status"] == "used", "indicator"].tolist()
    _, aggregated = _frames(_composite(indicators, fw, used, result.options), indicators)
    return _score_table(indicators, aggregated, [fw.index_code, *fw.dimension_codes])
