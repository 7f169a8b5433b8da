"""The end-to-end check-up: framework + data → indicators → scores → grades and diagnosis.

This module is core: it computes results as DataFrames and never renders or stores
them (that is :mod:`citycheckup.report`, :mod:`citycheckup.store` and the CLI).

Scores
------
By default (``scoring="absolute"``) every scored indicator is scored 0–100 against
fixed, cited goalposts (:mod:`citycheckup.checkup._scores`); ``context`` indicators are
shown, never scored; ``band`` indicators score 100 inside their band. The scores are
then aggregated with the composite engine (weighted means up the hierarchy, unit
screening, availability rules). A city's scores therefore depend on its own values
only. ``scoring="relative"`` runs COINr's default build across the units of the file
instead (treatment decided once per indicator for the whole panel, min-max across all
units and years) and is labelled as a relative comparison wherever it is shown.

Missing-data policy
-------------------
1. A data column that fails a check with severity *warning* (e.g. the same value for
   every city — a national total) is excluded; errors stop the run.
2. An indicator is *used* when at least one unit-year has a value (and, for absolute
   scoring, it has goalposts); the others are reported with their reason and never
   filled in.
3. A dimension without any used indicator is "no data": its score is missing and it is
   left out of the index, whose weights are renormalised over the informed dimensions.
4. Within a unit-year, missing indicator values are skipped in the (weighted) mean and
   the weights renormalised (COINr's default), but only when at least
   ``min_availability`` of the dimension's used indicators have a value; otherwise the
   dimension score is missing. The same rule applies to the index.
5. A unit-year in which the unit did not exist (the gazetteer knows when prefecture-
   level units were created, merged or abolished) is not scored and is flagged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from citycheckup.checkup._options import CheckupOptions
from citycheckup.checkup._scores import band_distance, goalposts_of, indicator_scores
from citycheckup.data.checks import CheckReport, Finding, check_all
from citycheckup.data.readers import NAME, UNIT, YEAR, Dataset
from citycheckup.diagnosis import (
    assess_thresholds,
    city_size_class,
    score_changes,
    strengths_weaknesses,
    target_attainment,
)
from citycheckup.errors import DataError, Problem
from citycheckup.framework.loader import framework_to_coinr_meta
from citycheckup.framework.models import Framework

__all__ = ["CheckupResult", "build_pipeline", "check_data", "rescore", "run_checkup"]

log = logging.getLogger(__name__)

#: Units of counts: a count is graded against its target (zero problems), never scored.
COUNT_UNITS = frozenset({"个", "座", "栋", "起", "条", "套", "处", "家", "项"})


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
    """Indicator scores: 0–100 against goalposts (absolute) or normalised values (relative)."""
    scores: pd.DataFrame
    """unit_code, unit_name, year, index, dimensions, rank_index, rank_<dimension>."""
    coverage: pd.DataFrame
    """One row per indicator: dimension, status, availability, reason."""
    dimension_coverage: pd.DataFrame
    grades: pd.DataFrame
    attainment: pd.DataFrame
    strengths: pd.DataFrame
    changes: pd.DataFrame
    rank_intervals: pd.DataFrame = field(default_factory=pd.DataFrame)
    """unit_code, year, nominal, mean, median, q5, q95 of the index rank (Monte Carlo)."""
    years: list[int] = field(default_factory=list)
    panel: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Raw indicator values of every year in the data (the reference set of relative scoring)."""
    size_basis: str | None = None
    """What the city-size class is based on: ``pop_urban``, ``census``, or ``None`` (unknown)."""
    flags: pd.DataFrame = field(default_factory=pd.DataFrame)
    """unit_code, year, flag (``insufficient_data`` | ``extreme_values`` | ``not_existing``), detail."""
    pipeline: list[dict[str, Any]] = field(default_factory=list)
    """The composite pipeline that produced the scores, as data."""
    goalposts: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Absolute scoring: the goalposts of every scored indicator and their provenance."""
    references: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Threshold sets that did not grade a value (reference, not applicable), with the reason."""

    @property
    def score_codes(self) -> list[str]:
        return [self.framework.index_code, *self.framework.dimension_codes]

    @property
    def informed_dimensions(self) -> list[str]:
        dc = self.dimension_coverage
        return dc.loc[dc["status"] == "scored", "dimension"].tolist()

    @property
    def used_indicators(self) -> list[str]:
        return self.coverage.loc[self.coverage["status"] == "used", "indicator"].tolist()

    @property
    def n_units(self) -> int:
        return int(self.scores[UNIT].nunique()) if not self.scores.empty else 0

    def rescore(self, indicators: pd.DataFrame) -> pd.DataFrame:
        """Scores of modified indicator values, by the same method (see :func:`rescore`)."""
        return rescore(self, indicators)


# -- data → indicator table -----------------------------------------------------------------
def _existence(ind: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drop unit-years in which a known prefecture-level unit did not exist; flag them."""
    from citycheckup.data.identity import default_gazetteer

    g = default_gazetteer()
    existed = getattr(g, "existed", None)
    if existed is None:  # pragma: no cover - gazetteer without history
        return ind, pd.DataFrame(columns=[UNIT, YEAR, "flag", "detail"])
    keep = np.ones(len(ind), dtype=bool)
    rows: list[dict[str, Any]] = []
    pairs = ind[[UNIT, YEAR]].astype({YEAR: "int64"}).itertuples(index=False)
    verdict: dict[tuple[str, int], bool] = {}
    for i, (u, y) in enumerate(pairs):
        key = (str(u), int(y))
        if key not in verdict:
            verdict[key] = (str(u) not in g) or bool(existed(str(u), int(y)))
        if not verdict[key]:
            keep[i] = False
    if keep.all():
        return ind, pd.DataFrame(columns=[UNIT, YEAR, "flag", "detail"])
    gone = ind.loc[~keep, [UNIT, YEAR]]
    for u, grp in gone.groupby(UNIT, sort=True):
        text = str(g.history(str(u), lang="en")) if hasattr(g, "history") else ""
        for y in sorted(grp[YEAR].astype(int)):
            rows.append(
                {
                    UNIT: u,
                    YEAR: y,
                    "flag": "not_existing",
                    "detail": text
                    or "the unit did not exist as a prefecture-level unit in this year",
                }
            )
    return ind.loc[keep].reset_index(drop=True), pd.DataFrame(
        rows, columns=[UNIT, YEAR, "flag", "detail"]
    )


def _prepare(
    ds: Dataset, fw: Framework, opts: CheckupOptions
) -> tuple[CheckReport, Dataset, pd.DataFrame]:
    """Every data check of a run (the same for ``validate``), the cleaned data and its indicators."""
    checked = check_all(ds, fw, invalid=opts.invalid)
    rep, ds, ind = checked.report, checked.dataset, checked.indicators
    years_avail = ds.years
    if opts.years:
        missing_years = sorted(set(opts.years) - set(years_avail))
        if missing_years:
            rep.findings.append(
                Finding(
                    "error",
                    "missing-year",
                    f"year(s) {', '.join(map(str, missing_years))} are not in the data (it has "
                    f"{years_avail[0]}–{years_avail[-1]}); choose others with --year",
                )
            )
    if opts.base_year is not None and opts.base_year not in years_avail:
        rep.findings.append(
            Finding(
                "error",
                "missing-year",
                f"base year {opts.base_year} is not in the data "
                f"({years_avail[0]}–{years_avail[-1]})",
            )
        )
    return rep, ds, ind


def check_data(ds: Dataset, fw: Framework, options: CheckupOptions | None = None) -> CheckReport:
    """Run exactly the checks a check-up runs, without scoring; never raises for data errors.

    ``citycheckup validate`` calls this, so it reports the same errors as ``run`` would.
    Also notes the indicators that cannot be scored (no goalposts, context).
    """
    opts = options or CheckupOptions()
    opts.validate()
    rep, _, ind = _prepare(ds, fw, opts)
    if not rep.errors:
        years = sorted(opts.years) if opts.years else ds.years
        cov = _coverage(ind, fw, rep, years, opts)
        if not (cov["status"] == "used").any():
            rep.findings.append(
                Finding(
                    "error",
                    "nothing-to-score",
                    f"no indicator of framework {fw.code} can be scored from this data"
                    + (
                        "; with relative scoring indicators without goalposts can be used"
                        if opts.scoring == "absolute" and (cov["status"] == "no goalposts").any()
                        else ""
                    ),
                )
            )
    return rep


# -- coverage ----------------------------------------------------------------------------------
def _coverage(
    ind: pd.DataFrame, fw: Framework, rep: CheckReport, years: list[int], opts: CheckupOptions
) -> pd.DataFrame:
    top = fw.top_dimension_of()
    rows = []
    no_data_reason = {f.column: f.message for f in rep.findings if f.rule == "no-data"}
    sub = ind[ind[YEAR].isin(years)] if not ind.empty else ind
    for i in fw.indicators:
        has = i.code in sub.columns and bool(sub[i.code].notna().any())
        avail = float(sub[i.code].notna().mean()) if has else 0.0
        if not has:
            status, reason = "no data", no_data_reason.get(i.code, "no value in the scored years")
        elif i.kind == "context":
            status, reason = "context", "shown for context, never scored"
        elif opts.scoring == "absolute" and goalposts_of(i) is None:
            if i.unit.strip() in COUNT_UNITS:
                status, reason = (
                    "not scored",
                    (
                        "a count depends on the size of the city: graded against its "
                        "target where one applies, never scored"
                    ),
                )
            else:
                status, reason = (
                    "no goalposts",
                    "no goalposts to score it against (the framework gives none)",
                )
        else:
            status, reason = "used", ""
        rows.append(
            {
                "indicator": i.code,
                "dimension": top[i.code],
                "status": status,
                "availability": avail,
                "reason": reason,
            }
        )
    return pd.DataFrame(
        rows, columns=["indicator", "dimension", "status", "availability", "reason"]
    )


def _dimension_coverage(cov: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    drows = []
    for d in fw.dimensions:
        c = cov[cov["dimension"] == d.code]
        scorable = c[c["status"] != "context"]
        used = int((c["status"] == "used").sum())
        drows.append(
            {
                "dimension": d.code,
                "name_zh": d.name_zh,
                "name_en": d.name_en,
                "n_indicators": len(scorable),
                "n_used": used,
                "coverage": used / len(scorable) if len(scorable) else 0.0,
                "mean_availability": float(c.loc[c["status"] == "used", "availability"].mean())
                if used
                else 0.0,
                "status": "scored" if used else "no data",
            }
        )
    return pd.DataFrame(drows)


# -- composite pipeline ----------------------------------------------------------------------------
def build_pipeline(opts: CheckupOptions) -> list[dict[str, Any]]:
    """The check-up's composite pipeline as data (COINr-style steps)."""
    steps: list[dict[str, Any]] = [
        {"screen": {"by": "na", "min_availability": opts.min_unit_availability}}
    ]
    if opts.scoring == "absolute":
        # indicator values are already scores 0–100 against fixed goalposts
        steps.append({"normalise": {"method": "none"}})
    else:
        if opts.treatment != "none":
            steps.append(
                {
                    "treat": {
                        "method": opts.treatment,
                        "winmax": opts.winmax,
                        "skew": 2,
                        "kurtosis": 3.5,
                        "log": "log_ct",
                        "global": opts.treatment_scope == "panel",
                    }
                }
            )
        lower = 1.0 if opts.aggregation == "geometric" else 0.0
        norm: dict[str, Any] = (
            {"method": "minmax", "lower": lower, "upper": 100.0}
            if opts.normalisation == "minmax"
            else {"method": "zscore", "mean": 0.0, "sd": 1.0}
        )
        norm["global"] = bool(opts.global_normalisation)
        # an indicator that treatment made constant carries no information: COINr's NaN,
        # then skipped in the means and reported
        norm["constant"] = "nan"
        steps.append({"normalise": norm})
    steps.append(
        {
            "aggregate": {
                "method": opts.aggregation,
                "min_availability": opts.min_availability,
                "nonpositive": "omit",
            }
            if opts.scoring == "absolute" and opts.aggregation == "geometric"
            else {"method": opts.aggregation, "min_availability": opts.min_availability}
        }
    )
    return steps


def _engine_input(
    ind: pd.DataFrame, fw: Framework, used: list[str], opts: CheckupOptions
) -> pd.DataFrame:
    """What enters the composite engine: scores (absolute) or oriented raw values (relative)."""
    if opts.scoring == "absolute":
        return indicator_scores(ind, fw, used)[0]
    out = ind.copy()
    for code in used:
        i = fw.indicator(code)
        if i.kind == "band":
            assert i.band is not None
            out[code] = band_distance(out[code].to_numpy(dtype="float64"), i.band)
    return out


def _coin(ind: pd.DataFrame, fw: Framework, used: list[str], opts: CheckupOptions) -> Any:
    from citycheckup.composite import Coin

    meta = framework_to_coinr_meta(fw, indicators=used)
    # indicator values are already rates (their formulas divide by the denominator): no COINr denomination
    meta = meta.drop(columns=[c for c in ("Denominator",) if c in meta.columns])
    if opts.weights == "equal":
        meta["Weight"] = 1.0
    # absolute scores and band distances are already "higher is better"
    oriented = {c for c in used if opts.scoring == "absolute" or fw.indicator(c).kind == "band"}
    is_ind = meta["iCode"].isin(list(oriented))
    meta.loc[is_ind, "Direction"] = 1
    data = _engine_input(ind, fw, used, opts)
    data = data[[UNIT, NAME, YEAR, *used]].rename(
        columns={UNIT: "uCode", NAME: "uName", YEAR: "Time"}
    )
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


def _score_table(
    ind: pd.DataFrame, aggregated: pd.DataFrame, score_codes: list[str]
) -> pd.DataFrame:
    """unit_code, unit_name, year, the score codes (missing for a dimension with no data) and their ranks."""
    scores = ind[[UNIT, NAME, YEAR]].merge(
        aggregated.drop(columns=[c for c in ("uName", NAME) if c in aggregated.columns]),
        on=[UNIT, YEAR],
        how="left",
    )
    for c in score_codes:
        if c not in scores.columns:
            scores[c] = np.nan  # a dimension with no data
    return _ranks(scores[[UNIT, NAME, YEAR, *score_codes]], score_codes)


def _ranks(scores: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    """Ranks within each year (ties share the best rank); missing where a year has one unit only."""
    out = scores.copy()
    n_per_year = out.groupby(YEAR)[UNIT].transform("nunique")
    for c in codes:
        r = out.groupby(YEAR)[c].rank(ascending=False, method="min")
        out[f"rank_{c}"] = r.where(n_per_year > 1).astype("Int64")
    return out


# -- diagnosis helpers ------------------------------------------------------------------------------
def _size_classes(
    ds: Dataset, ind: pd.DataFrame, opts: CheckupOptions
) -> tuple[pd.Series, str | None]:
    """City-size class per row of ``ind`` and its basis (``pop_urban``, ``census`` or None)."""
    var = opts.size_variable
    if var in ds.data.columns and ds.data[var].notna().any():
        pop = ind[[UNIT, YEAR]].merge(ds.data[[UNIT, YEAR, var]], on=[UNIT, YEAR], how="left")[var]
        return city_size_class(pop.astype("float64")).set_axis(ind.index), var
    try:
        from citycheckup.data.census import census_population
    except ImportError:  # pragma: no cover - older installs
        return pd.Series([None] * len(ind), index=ind.index, dtype="object"), None
    cen = pd.concat([census_population(2010), census_population(2020)], ignore_index=True)
    if cen.empty or not ind[UNIT].astype(str).isin(cen[UNIT].astype(str)).any():
        return pd.Series([None] * len(ind), index=ind.index, dtype="object"), None
    # the nearer census: 2010 for years up to 2014, 2020 from 2015
    census_year = np.where(ind[YEAR].to_numpy() <= 2014, 2010, 2020)
    key = pd.DataFrame({UNIT: ind[UNIT].astype(str).to_numpy(), "_cy": census_year})
    c = cen.rename(columns={YEAR: "_cy"})[[UNIT, "_cy", "pop_urban"]]
    c[UNIT] = c[UNIT].astype(str)
    pop = key.merge(c, on=[UNIT, "_cy"], how="left")["pop_urban"]
    return city_size_class(pop.astype("float64")).set_axis(ind.index), "census"


def _context(ind: pd.DataFrame, ds: Dataset) -> pd.DataFrame:
    """Unit-year attributes for threshold applicability."""
    ctx = ind[[UNIT, YEAR]].copy()
    if "province_code" in ind.columns:
        ctx["province_code"] = ind["province_code"].astype("string")
    if "size_class" in ind.columns:
        ctx["size_class"] = ind["size_class"]
    if "water_scarce" in ds.data.columns:
        ws = ind[[UNIT, YEAR]].merge(
            ds.data[[UNIT, YEAR, "water_scarce"]], on=[UNIT, YEAR], how="left"
        )
        ctx["water_scarce"] = ws["water_scarce"].map(_truthy).to_numpy()
    return ctx


def _truthy(v: object) -> bool | None:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return None
    s = str(v).strip().lower()
    if s in ("1", "1.0", "true", "yes", "y", "是", "缺水"):
        return True
    if s in ("0", "0.0", "false", "no", "n", "否", "不缺水"):
        return False
    return None


def _oriented(values: pd.DataFrame, fw: Framework, used: list[str]) -> pd.DataFrame:
    """Values to compare among peers: band indicators as minus their distance to the band."""
    out = values.copy()
    for code in used:
        i = fw.indicator(code)
        if i.kind == "band" and code in out.columns:
            assert i.band is not None
            out[code] = band_distance(out[code].to_numpy(dtype="float64"), i.band)
    return out


# -- the run --------------------------------------------------------------------------------
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
        When a data check finds errors (all listed), no indicator can be scored, or a
        requested year is absent.
    """
    if fw.method == "mohurd":
        raise DataError(
            f"framework {fw.code} follows MOHURD's method (lower levels are inventories, the city "
            "level is graded): run it with run_mohurd; `citycheckup run` chooses by itself"
        )
    opts = options or CheckupOptions()
    opts.validate()
    rep, ds, ind = _prepare(ds, fw, opts)
    rep.raise_for_errors(ds.source)
    years_avail = ds.years
    years = sorted(opts.years) if opts.years else years_avail
    ind, gone = _existence(ind)
    if ind.empty:
        raise DataError(
            f"{ds.source}: no unit in the data existed in the years it covers",
            problems=[
                Problem(str(r["detail"]), f"unit {r[UNIT]} year {r[YEAR]}")
                for _, r in gone.head(30).iterrows()
            ],
        )
    coverage = _coverage(ind, fw, rep, years, opts)
    if opts.scoring == "relative":
        _mark_constant(ind, coverage, rep, opts)
    for _, row in coverage[coverage["status"] == "no goalposts"].iterrows():
        rep.findings.append(
            Finding(
                "warning",
                "no-goalposts",
                f"{row['indicator']} has values but no goalposts in framework {fw.code}; it is "
                "graded where a threshold applies but not scored",
                column=row["indicator"],
            )
        )
    dim_cov = _dimension_coverage(coverage, fw)
    used = coverage.loc[coverage["status"] == "used", "indicator"].tolist()
    if not used:
        hint = (
            " (indicators without goalposts can be compared across cities with relative scoring)"
            if (coverage["status"] == "no goalposts").any()
            else ""
        )
        raise DataError(
            f"{ds.source}: no indicator of framework {fw.code} can be scored from this data{hint}",
            problems=[
                Problem(f.message, f.column or "") for f in rep.findings if f.rule == "no-data"
            ][:30],
        )
    comp = _composite(ind, fw, used, opts)
    normalised, aggregated = _frames(comp, ind)
    if opts.scoring == "relative":
        for code in used:
            if (
                code in normalised.columns
                and normalised[code].isna().all()
                and ind[code].notna().any()
            ):
                rep.findings.append(
                    Finding(
                        "warning",
                        "constant-after-treatment",
                        f"{code} has a single value after outlier treatment, so it cannot discriminate and is "
                        "skipped in the means (use --treatment none for small numbers of units)",
                        column=code,
                    )
                )
    score_codes = [fw.index_code, *fw.dimension_codes]
    all_scores = _score_table(ind, aggregated, score_codes)  # ranks are within a year
    scores = all_scores[all_scores[YEAR].isin(years)].reset_index(drop=True)
    normalised = normalised[normalised[YEAR].isin(years)].reset_index(drop=True)

    # -- diagnosis
    size, size_basis = _size_classes(ds, ind, opts)
    ind = ind.assign(size_class=size)
    ind_years = ind[ind[YEAR].isin(years)].reset_index(drop=True)
    grades, references = assess_thresholds(
        ind_years,
        fw,
        id_cols=(UNIT, YEAR),
        context=_context(ind_years, ds),
        localities=opts.localities,
    )
    attain = target_attainment(grades, id_cols=(UNIT, YEAR))
    groups: dict[str, str] = {}
    if "province" in ind_years.columns:
        groups["province"] = "province"
    if ind_years["size_class"].notna().any():
        groups["size_class"] = "size_class"
    directions = {i.code: i.direction for i in fw.indicators if i.code in used}
    strengths = strengths_weaknesses(
        _oriented(ind_years, fw, used), directions, groups=groups, top=5
    )
    base = opts.base_year if opts.base_year is not None else years[0]
    # the base year may lie outside the scored years: take it from the scores of all years
    changes = (
        score_changes(all_scores, score_codes, year=years[-1], base_year=base)
        if years[-1] != base
        else pd.DataFrame()
    )
    goalposts = (
        indicator_scores(ind.head(0), fw, used)[1] if opts.scoring == "absolute" else pd.DataFrame()
    )
    flags = (
        pd.concat(
            [
                f
                for f in (_flags(ind_years, used, opts, comp), gone[gone[YEAR].isin(years)])
                if not f.empty
            ],
            ignore_index=True,
        )
        if not gone.empty
        else _flags(ind_years, used, opts, comp)
    )
    result = CheckupResult(
        framework=fw,
        dataset=ds,
        options=opts,
        checks=rep,
        indicators=ind_years,
        normalised=normalised,
        scores=scores,
        coverage=coverage,
        dimension_coverage=dim_cov,
        grades=grades,
        attainment=attain,
        strengths=strengths,
        changes=changes,
        years=years,
        panel=ind,
        size_basis=size_basis,
        flags=flags,
        pipeline=build_pipeline(opts),
        goalposts=goalposts,
        references=references,
    )
    if opts.uncertainty_n > 0 and scores[UNIT].nunique() > 1:
        from citycheckup.checkup._uncertainty import rank_intervals

        result.rank_intervals = rank_intervals(_coin(ind, fw, used, opts), fw, opts, years, scores)
    log.info(
        "scored %d units × %d years on %d indicators", scores[UNIT].nunique(), len(years), len(used)
    )
    return result


def _mark_constant(
    ind: pd.DataFrame, coverage: pd.DataFrame, rep: CheckReport, opts: CheckupOptions
) -> None:
    """Relative scoring: an indicator with one value for every unit and year cannot discriminate."""
    cand = coverage.loc[coverage["status"] == "used", "indicator"].tolist()
    if not cand:
        return
    kept = ind[ind[cand].notna().sum(axis=1) >= opts.min_unit_availability * len(cand) - 1e-9]
    for code in cand:
        vals = kept[code].dropna()
        if vals.nunique() <= 1 and kept[UNIT].nunique() > 1:
            reason = (
                f"the same value ({vals.iloc[0]:g}) for every unit and year: it cannot discriminate"
                if len(vals)
                else "no value in the unit-years that have enough data"
            )
            coverage.loc[coverage["indicator"] == code, ["status", "reason"]] = ["constant", reason]
            rep.findings.append(
                Finding(
                    "warning", "constant-indicator", f"{code}: {reason}; not scored", column=code
                )
            )


def _flags(
    ind_years: pd.DataFrame, used: list[str], opts: CheckupOptions, comp: Any
) -> pd.DataFrame:
    """Unit-years screened out for lack of data, and unit-years with treated (extreme) values."""
    rows: list[dict[str, Any]] = []
    avail = ind_years[used].notna().sum(axis=1)
    need = opts.min_unit_availability * len(used)
    for i in np.flatnonzero((avail < need - 1e-9).to_numpy()):
        r = ind_years.iloc[i]
        rows.append(
            {
                UNIT: r[UNIT],
                YEAR: int(r[YEAR]),
                "flag": "insufficient_data",
                "detail": f"{int(avail.iloc[i])} of {len(used)} indicators have a value; at least "
                f"{100 * opts.min_unit_availability:.0f} % are needed to be scored",
            }
        )
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
            rows.append(
                {
                    UNIT: u,
                    YEAR: int(y),
                    "flag": "extreme_values",
                    "detail": "winsorised: " + ", ".join(g["iCode"].astype(str)),
                }
            )
    return pd.DataFrame(rows, columns=[UNIT, YEAR, "flag", "detail"])


def rescore(result: CheckupResult, indicators: pd.DataFrame) -> pd.DataFrame:
    """Re-run the same scoring on modified indicator values.

    Used for priorities ("which improvement would raise the index most"): change some
    values in a copy of ``result.indicators`` (or of all years' indicator values) and
    compare the returned scores with ``result.scores``.

    Parameters
    ----------
    result
        A finished check-up (its framework, used indicators and options are reused).
    indicators
        Same layout as ``result.panel``: unit_code, unit_name, year, indicator codes. With
        relative scoring and global normalisation pass every year (start from a copy of
        ``result.panel``) so the reference set is the same as in the original run.

    Returns
    -------
    pandas.DataFrame
        Same layout as ``result.scores`` for the rows of ``indicators``.
    """
    fw = result.framework
    used = result.used_indicators
    _, aggregated = _frames(_composite(indicators, fw, used, result.options), indicators)
    return _score_table(indicators, aggregated, [fw.index_code, *fw.dimension_codes])
