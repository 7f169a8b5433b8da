"""Grades of indicators against their threshold intervals, and target attainment (达标率)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from citycheckup.framework.models import Framework

__all__ = [
    "ASPECT_GRADES",
    "ASPECT_GRADE_LABELS",
    "GRADE_POINTS",
    "aspect_grade",
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


def grade_indicators(values: pd.DataFrame, fw: Framework, *, id_cols: tuple[str, ...] = ("unit_code", "year")) -> pd.DataFrame:
    """Grade every value of every graded indicator.

    Parameters
    ----------
    values
        Wide table: ``id_cols`` plus one column per indicator code (raw values, not normalised).
    fw
        The framework; indicators without ``grading`` are skipped.

    Returns
    -------
    pandas.DataFrame
        Long table: ``id_cols``, ``indicator``, ``value``, ``grade`` (very_good/good/fair/poor,
        missing where the value is missing), ``threshold_source``.
    """
    frames = []
    for ind in fw.indicators:
        if ind.grading is None or ind.code not in values.columns:
            continue
        bands = ind.grading.resolved_bands(ind.direction)
        v = values[ind.code].astype("float64")
        grades = [grade_value(x, bands) for x in v.to_numpy()]
        frames.append(pd.DataFrame({
            **{c: values[c].to_numpy() for c in id_cols},
            "indicator": ind.code, "value": v.to_numpy(), "grade": grades,
            "threshold_source": ind.grading.source,
        }))
    if not frames:
        return pd.DataFrame(columns=[*id_cols, "indicator", "value", "grade", "threshold_source"])
    return pd.concat(frames, ignore_index=True)


def target_attainment(values: pd.DataFrame, fw: Framework, *, id_cols: tuple[str, ...] = ("unit_code", "year")) -> pd.DataFrame:
    """Whether each value meets its indicator's target, and the attainment rate per unit-year.

    A value attains its target when ``value ≥ target`` (direction +1) or ``value ≤ target``
    (direction −1). The rate (达标率) is attained / indicators with a target and a value.

    Returns
    -------
    pandas.DataFrame
        ``id_cols``, ``n_with_target``, ``n_attained``, ``attainment_rate`` (0–100, missing when
        no indicator with a target has a value).
    """
    hits = []
    for ind in fw.indicators:
        if ind.target is None or ind.code not in values.columns:
            continue
        v = values[ind.code].astype("float64").to_numpy()
        ok = (v >= ind.target) if ind.direction > 0 else (v <= ind.target)
        hits.append(pd.DataFrame({**{c: values[c].to_numpy() for c in id_cols},
                                  "has": ~np.isnan(v), "ok": ok & ~np.isnan(v)}))
    if not hits:
        out = values[list(id_cols)].copy()
        out["n_with_target"] = 0
        out["n_attained"] = 0
        out["attainment_rate"] = np.nan
        return out
    h = pd.concat(hits).groupby(list(id_cols), sort=False).agg(n_with_target=("has", "sum"), n_attained=("ok", "sum"))
    h["attainment_rate"] = np.where(h["n_with_target"] > 0, 100.0 * h["n_attained"] / h["n_with_target"].where(h["n_with_target"] > 0), np.nan)
    return h.reset_index()


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
    grade = "excellent" if mean_points >= hi else "good" if mean_points >= mid else (
        "medium" if mean_points >= lo else "poor")
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
    top = fw.top_dimension_of()
    weight = {i.code: (i.weight if weighted else 1.0) for i in fw.indicators}
    g["dimension"] = g["indicator"].map(top)
    g["points"] = g["grade"].map(GRADE_POINTS).astype("float64")
    g["w"] = g["indicator"].map(weight).astype("float64")
    g.loc[g["w"] <= 0, "w"] = np.nan
    g = g.dropna(subset=["w"])
    g["wp"] = g["points"] * g["w"]
    g["is_poor"] = (g["grade"] == "poor").astype("int64")
    agg = g.groupby([*id_cols, "dimension"], sort=False).agg(
        n_graded=("points", "size"), n_poor=("is_poor", "sum"), wp=("wp", "sum"), w=("w", "sum"))
    agg["mean_points"] = agg["wp"] / agg["w"]
    agg["grade"] = [aspect_grade(m, int(p), int(n)) for m, p, n in
                    zip(agg["mean_points"], agg["n_poor"], agg["n_graded"], strict=True)]
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
        frames.append(pd.DataFrame({**{c: values[c].to_numpy() for c in id_cols}, "indicator": ind.code,
                                    "value": v, "target": float(ind.target), "attained": short <= 0,
                                    "shortfall": short, "shortfall_pct": pct}))
    cols = [*id_cols, "indicator", "value", "target", "attained", "shortfall", "shortfall_pct"]
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True)
    return out.dropna(subset=["value"]).reset_index(drop=True)[cols]
