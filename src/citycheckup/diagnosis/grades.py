"""Grades of indicators against their threshold intervals, and target attainment (达标率)."""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd

from citycheckup.diagnosis.applicability import UnitContext, applicability
from citycheckup.framework.models import Framework, Grading

__all__ = [
    "ASPECT_GRADES",
    "ASPECT_GRADE_LABELS",
    "GRADE_POINTS",
    "aspect_grade",
    "assess_thresholds",
    "dimension_grades",
    "grade_indicators",
    "grade_value",
    "target_attainment",
    "target_gaps",
]


def grade_value(value: float, bands: list) -> str | None:  # type: ignore[type-arg]
    """The grade of the band containing ``value``; ``None`` for a missing value or no band."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    for b in bands:
        if b.contains(float(value)):
            return str(b.grade)
    return None


def _contexts(
    values: pd.DataFrame, id_cols: tuple[str, ...], context: pd.DataFrame | None
) -> list[UnitContext]:
    """One :class:`UnitContext` per row of ``values``."""
    unit_col = id_cols[0]
    year_col = "year" if "year" in id_cols else None
    n = len(values)
    cols: dict[str, list[object]] = {
        "province_code": [None] * n,
        "size_class": [None] * n,
        "water_scarce": [None] * n,
    }
    if context is not None and not context.empty:
        keys = [c for c in id_cols if c in context.columns]
        ctx = values[list(id_cols)].merge(context.drop_duplicates(keys), on=keys, how="left")
        for c in cols:
            if c in ctx.columns:
                cols[c] = [None if pd.isna(v) else v for v in ctx[c].tolist()]
    for c in ("province_code", "size_class", "water_scarce"):
        if c in values.columns and all(v is None for v in cols[c]):
            cols[c] = [None if pd.isna(v) else v for v in values[c].tolist()]
    units = values[unit_col].astype(str).tolist()
    years = values[year_col].astype("int64").tolist() if year_col else [0] * n
    return [
        UnitContext(
            u,
            int(y),
            None if p is None else str(p),
            None if sc is None else str(sc),
            None if ws is None else bool(ws),
        )
        for u, y, p, sc, ws in zip(
            units,
            years,
            cols["province_code"],
            cols["size_class"],
            cols["water_scarce"],
            strict=True,
        )
    ]


def _threshold_label(g: Grading, lang: str) -> str:
    lab = g.label_zh if lang == "zh" else g.label_en
    if lab:
        return lab
    p = g.provenance
    return (
        (p.reference if lang == "zh" else (p.reference_en or p.reference))
        if p is not None
        else g.source
    )


def assess_thresholds(
    values: pd.DataFrame,
    fw: Framework,
    *,
    id_cols: tuple[str, ...] = ("unit_code", "year"),
    context: pd.DataFrame | None = None,
    localities: Collection[str] = (),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Grade every value against the first threshold set that applies; list the others.

    Parameters
    ----------
    values
        Wide table: ``id_cols`` plus one column per indicator code (raw values).
    fw
        The framework: each indicator's threshold sets (:attr:`Indicator.thresholds`),
        in order; the first that applies to the unit-year grades it.
    context
        Per unit(-year) attributes for applicability: ``province_code``, ``size_class``,
        ``water_scarce`` (missing = unknown). Columns of ``values`` with these names are
        used when ``context`` lacks them.
    localities
        Codes of the units whose local standards were selected.

    Returns
    -------
    tuple of pandas.DataFrame
        ``grades``: ``id_cols``, ``indicator``, ``value``, ``grade``, ``threshold``
        (index of the set in :attr:`Indicator.thresholds`), ``tier``, ``reference``,
        ``threshold_source`` — one row per graded value (a missing value has no grade).
        ``references``: every threshold set that did not grade a value: ``id_cols``,
        ``indicator``, ``value``, ``threshold``, ``tier``, ``reference``, ``reason``
        (a code of :data:`~citycheckup.diagnosis.applicability.REASONS`), ``reason_year``
        and ``grade_if_applied`` (what the value would be graded under it).
    """
    gcols = [
        *id_cols,
        "indicator",
        "value",
        "grade",
        "threshold",
        "tier",
        "reference",
        "threshold_source",
    ]
    rcols = [
        *id_cols,
        "indicator",
        "value",
        "threshold",
        "tier",
        "reference",
        "reason",
        "reason_year",
        "grade_if_applied",
    ]
    inds = [i for i in fw.indicators if i.thresholds and i.code in values.columns]
    if not inds or values.empty:
        return pd.DataFrame(columns=gcols), pd.DataFrame(columns=rcols)
    ctxs = _contexts(values, id_cols, context)
    ids = {c: values[c].to_numpy() for c in id_cols}
    grows: list[dict[str, object]] = []
    rrows: list[dict[str, object]] = []
    cache: dict[tuple[int, UnitContext], tuple[bool, str | None, int | None]] = {}
    for ind in inds:
        sets = ind.thresholds
        bands = [g.resolved_bands(ind.direction) for g in sets]
        v = values[ind.code].astype("float64").to_numpy()
        for r, x in enumerate(v):
            if np.isnan(x):
                continue
            ctx = ctxs[r]
            graded = False
            for k, g in enumerate(sets):
                key = (id(g), ctx)
                if key not in cache:
                    cache[key] = applicability(g, ctx, localities=localities)
                ok, reason, ryear = cache[key]
                p = g.provenance
                tier = p.tier if p is not None else ""
                ref = p.reference if p is not None else g.source
                grade = grade_value(float(x), bands[k])
                base = {
                    **{c: ids[c][r] for c in id_cols},
                    "indicator": ind.code,
                    "value": float(x),
                    "threshold": k,
                    "tier": tier,
                    "reference": ref,
                }
                if ok and not graded:
                    graded = True
                    grows.append({**base, "grade": grade, "threshold_source": g.source})
                else:
                    rrows.append(
                        {
                            **base,
                            "reason": reason if not ok else "superseded",
                            "reason_year": ryear,
                            "grade_if_applied": grade,
                        }
                    )
    return pd.DataFrame(grows, columns=gcols), pd.DataFrame(rrows, columns=rcols)


def grade_indicators(
    values: pd.DataFrame,
    fw: Framework,
    *,
    id_cols: tuple[str, ...] = ("unit_code", "year"),
    context: pd.DataFrame | None = None,
    localities: Collection[str] = (),
) -> pd.DataFrame:
    """Grade every value against the first threshold set that applies to its unit-year.

    The ``grades`` table of :func:`assess_thresholds` (which see for the parameters).
    Values whose indicator has no applicable threshold get no row.
    """
    return assess_thresholds(values, fw, id_cols=id_cols, context=context, localities=localities)[0]


def target_attainment(
    grades: pd.DataFrame, *, id_cols: tuple[str, ...] = ("unit_code", "year")
) -> pd.DataFrame:
    """Attainment (达标) per unit-year, counted over the thresholds that apply only.

    A graded value *attains* when its grade is not 不足 (``poor``): it meets the pass
    line of the threshold that applies to it. The rate (达标率) is attained / graded.

    Parameters
    ----------
    grades
        The ``grades`` table of :func:`assess_thresholds` / :func:`grade_indicators`.

    Returns
    -------
    pandas.DataFrame
        ``id_cols``, ``n_with_target`` (graded values), ``n_attained``,
        ``attainment_rate`` (0–100).
    """
    cols = [*id_cols, "n_with_target", "n_attained", "attainment_rate"]
    g = grades.dropna(subset=["grade"]) if not grades.empty else grades
    if g.empty:
        return pd.DataFrame(columns=cols)
    g = g.assign(ok=(g["grade"] != "poor").astype("int64"))
    h = g.groupby(list(id_cols), sort=False).agg(
        n_with_target=("ok", "size"), n_attained=("ok", "sum")
    )
    h["attainment_rate"] = 100.0 * h["n_attained"] / h["n_with_target"]
    return h.reset_index()[cols]


#: Aspect (dimension) grades, best first (MOHURD 城区 aspects: 优 / 良 / 中 / 差).
ASPECT_GRADES: tuple[str, ...] = ("excellent", "good", "medium", "poor")
ASPECT_GRADE_LABELS: dict[str, dict[str, str]] = {
    "excellent": {"zh": "优", "en": "excellent"},
    "good": {"zh": "良", "en": "good"},
    "medium": {"zh": "中", "en": "medium"},
    "poor": {"zh": "差", "en": "poor"},
}
#: Points of each indicator grade in the aspect rule.
GRADE_POINTS: dict[str, int] = {"very_good": 4, "good": 3, "fair": 2, "poor": 1}
#: Lower bounds of the mean points for 优 / 良 / 中 (below the last: 差).
ASPECT_CUTOFFS: tuple[float, float, float] = (3.5, 2.5, 1.5)


def aspect_grade(mean_points: float, n_poor: int = 0, n_graded: int = 0) -> str | None:
    """The aspect grade (优/良/中/差 as ``excellent``…``poor``) for a mean of grade points.

    See :func:`dimension_grades` for the rule. ``None`` when ``mean_points`` is missing.

    Examples
    --------
    >>> aspect_grade(3.5), aspect_grade(3.49), aspect_grade(1.5), aspect_grade(1.0)
    ('excellent', 'good', 'medium', 'poor')
    >>> aspect_grade(3.75, n_poor=1, n_graded=4)  # a 不足 indicator caps the aspect at 良
    'good'
    """
    if mean_points is None or (isinstance(mean_points, float) and np.isnan(mean_points)):
        return None
    hi, mid, lo = ASPECT_CUTOFFS
    grade = (
        "excellent"
        if mean_points >= hi
        else "good"
        if mean_points >= mid
        else ("medium" if mean_points >= lo else "poor")
    )
    if n_poor > 0 and grade == "excellent":
        grade = "good"
    if n_graded > 0 and n_poor * 2 > n_graded:
        grade = "poor"
    return grade


def dimension_grades(
    grades: pd.DataFrame,
    fw: Framework,
    *,
    id_cols: tuple[str, ...] = ("unit_code", "year"),
    weighted: bool = True,
    by: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Grade each dimension (aspect) of each unit-year from its graded indicators.

    Parameters
    ----------
    grades
        Output of :func:`grade_indicators` (long: ``id_cols``, ``indicator``, ``grade``).
    fw
        The framework: gives each indicator's top-level dimension and weight.
    weighted
        Weight the grade points with the indicators' framework weights (else equal).
    by
        Indicator code → group (e.g. the conference task of each MOHURD indicator);
        default: each indicator's top-level dimension.

    Returns
    -------
    pandas.DataFrame
        ``id_cols``, ``dimension``, ``n_graded``, ``n_poor``, ``mean_points``, ``grade``
        (``excellent``/``good``/``medium``/``poor`` = 优/良/中/差). Dimensions without a
        graded value are left out (no grade is invented).

    Notes
    -----
    The rule (our reading of the MOHURD 城区 practice, where indicators graded
    很好/较好/一般/不足 are "combined into" aspects graded 优/良/中/差; the official
    combination rule is not published):

    1. points: 很好 = 4, 较好 = 3, 一般 = 2, 不足 = 1;
    2. the (weighted) mean of the points of the dimension's graded indicators;
    3. 优 when the mean ≥ 3.5, 良 when ≥ 2.5, 中 when ≥ 1.5, else 差;
    4. an aspect with any 不足 indicator is at best 良; one where more than half of the
       graded indicators are 不足 is 差.
    """
    cols = [*id_cols, "dimension", "n_graded", "n_poor", "mean_points", "grade"]
    if grades.empty:
        return pd.DataFrame(columns=cols)
    g = grades.dropna(subset=["grade"]).copy()
    if g.empty:
        return pd.DataFrame(columns=cols)
    top = dict(by) if by is not None else fw.top_dimension_of()
    weight = {i.code: (i.weight if weighted else 1.0) for i in fw.indicators}
    g["dimension"] = g["indicator"].map(top)
    g = g.dropna(subset=["dimension"])
    g["points"] = g["grade"].map(GRADE_POINTS).astype("float64")
    g["w"] = g["indicator"].map(weight).astype("float64")
    g.loc[g["w"] <= 0, "w"] = np.nan
    g = g.dropna(subset=["w"])
    g["wp"] = g["points"] * g["w"]
    g["is_poor"] = (g["grade"] == "poor").astype("int64")
    agg = g.groupby([*id_cols, "dimension"], sort=False).agg(
        n_graded=("points", "size"), n_poor=("is_poor", "sum"), wp=("wp", "sum"), w=("w", "sum")
    )
    agg["mean_points"] = agg["wp"] / agg["w"]
    agg["grade"] = [
        aspect_grade(m, int(p), int(n))
        for m, p, n in zip(agg["mean_points"], agg["n_poor"], agg["n_graded"], strict=True)
    ]
    return agg.reset_index()[cols]


def target_gaps(
    values: pd.DataFrame,
    fw: Framework,
    *,
    id_cols: tuple[str, ...] = ("unit_code", "year"),
) -> pd.DataFrame:
    """Distance of every value to its indicator's target (long table).

    Returns
    -------
    pandas.DataFrame
        ``id_cols``, ``indicator``, ``value``, ``target``, ``attained`` (bool),
        ``shortfall`` (how far the value is from the target in the bad direction, ≥ 0;
        0 when attained) and ``shortfall_pct`` (shortfall as % of ``|target|``; for a
        target of 0 — problem counts — the shortfall itself).
    """
    frames = []
    for ind in fw.indicators:
        if ind.target is None or ind.code not in values.columns:
            continue
        v = values[ind.code].astype("float64").to_numpy()
        short = np.maximum(0.0, (ind.target - v) * ind.direction)
        pct = short / abs(ind.target) * 100.0 if ind.target != 0 else short
        frames.append(
            pd.DataFrame(
                {
                    **{c: values[c].to_numpy() for c in id_cols},
                    "indicator": ind.code,
                    "value": v,
                    "target": float(ind.target),
                    "attained": short <= 0,
                    "shortfall": short,
                    "shortfall_pct": pct,
                }
            )
        )
    cols = [*id_cols, "indicator", "value", "target", "attained", "shortfall", "shortfall_pct"]
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True)
    return out.dropna(subset=["value"]).reset_index(drop=True)[cols]
