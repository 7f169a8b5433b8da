"""Satisfaction indices with confidence intervals, low-satisfaction items, 12345 comparison.

Index
-----
Answers are scored 非常满意 100, 满意 75, 一般 50, 不满意 25, 非常不满意 0 (the scale of
the questionnaire); 不清楚 and 不适用 and blank answers are not scored and are counted
(``n_dk``, ``n_na``, ``n_missing``). The index of a question is the weighted mean score of
its valid answers. The index of an aspect, a level or the whole survey is the weighted
mean over respondents of each respondent's mean score on the questions of that group
that he or she answered validly (every resident counts once, however many of the
questions applied to him or her).

Confidence interval
-------------------
Each index is a ratio ``R = Σ wᵢ yᵢ dᵢ / Σ wᵢ dᵢ`` (``dᵢ`` = 1 when respondent ``i`` has a
valid answer). Its variance is estimated by Taylor linearisation (Woodruff 1971; Wolter
2007, *Introduction to Variance Estimation*, 2nd ed., ch. 6) with the linearised variable
``zᵢ = dᵢ (yᵢ − R) / Σ wᵢ dᵢ``, treating the sample as drawn with replacement::

    v(R) = n / (n − 1) · Σᵢ (wᵢ eᵢ − ē)²            ē = mean of wᵢ eᵢ

For raked weights ``eᵢ`` is the residual of ``zᵢ`` from its weighted least-squares fit on
the raking categories (the calibration estimator's variance, Deville & Särndal 1992,
*JASA* 87:376–382; Lumley 2010, *Complex Surveys*, §7.3); for other weights ``eᵢ = zᵢ``.
The interval is ``R ± z₀.₉₇₅ √v`` clipped to [0, 100]; with fewer than two valid answers no
interval is given (``ci_note = "n<2"``). Kish's effective sample size ``(Σw)²/Σw²`` of the
valid answers is reported beside it.

Low satisfaction
----------------
A question is a candidate problem of its level when its index is **below 60** (and it has
at least ``min_valid`` valid answers). 60 is the pass mark (及格线) of the 0–100 scale
that Chinese evaluations use, and on this scale it lies between 一般 (50) and 满意 (75): an
item below 60 has more residents leaning to dissatisfied than to satisfied. An absolute
mark was preferred over "CI entirely below the city mean" because the latter always
flags the bottom of the list even in a city where every item is satisfactory, and
because a fixed mark makes years and cities comparable. Both facts are still reported
per item: ``clearly_below`` (the whole CI is below 60) and ``below_city_mean`` (the whole
CI is below the overall index). The comparison is made on the index rounded to 6
decimals, so float noise of weighted sums cannot decide a case at exactly 60.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.stats import norm

from citycheckup.survey._errors import WeightingError
from citycheckup.survey.questionnaire import Questionnaire
from citycheckup.survey.responses import ResponseSet
from citycheckup.survey.weighting import RakingResult, kish_effective_n

__all__ = [
    "LOW_THRESHOLD",
    "HotlineComparison",
    "IndexTables",
    "compare_hotline",
    "low_satisfaction",
    "satisfaction_indices",
]

LOW_THRESHOLD = 60.0
#: Answers counted as satisfied for a satisfaction *rate* (as the 12345 rate counts 满意 + 基本满意).
SATISFIED_MIN_SCORE = 75.0


@dataclass
class IndexTables:
    """Indices by question, aspect, level and overall (each a DataFrame)."""

    questions: pd.DataFrame
    aspects: pd.DataFrame
    levels: pd.DataFrame
    overall: pd.DataFrame
    satisfied_rate: pd.DataFrame
    """One row: weighted share (%) of all valid answers that are 满意 or 非常满意, with CI."""
    confidence: float
    weighted: bool


def _weights(
    responses: ResponseSet, weights: RakingResult | pd.Series | Sequence[float] | None
) -> tuple[np.ndarray, np.ndarray | None, bool]:
    n = responses.n
    if weights is None:
        return np.ones(n), None, False
    if isinstance(weights, RakingResult):
        w = weights.weights.to_numpy(dtype=float)
        x: np.ndarray | None = weights.design
    else:
        w = np.asarray(pd.Series(weights).to_numpy(dtype=float))
        x = None
    if len(w) != n:
        raise WeightingError(f"{len(w)} weights for {n} respondents; weight the same response set")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise WeightingError("weights must be finite numbers ≥ 0")
    return w, x, True


def _ratio(
    num: np.ndarray, den: np.ndarray, w: np.ndarray, x: np.ndarray | None, z: float
) -> dict[str, np.ndarray]:
    """Ratio estimates ``Σ w num / Σ w den`` per column with linearisation standard errors."""
    n = len(w)
    wn = w @ num
    wd = w @ den
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(wd > 0, wn / np.where(wd > 0, wd, 1.0), np.nan)
        lin = (num - den * np.nan_to_num(r)) / np.where(wd > 0, wd, 1.0)
    if x is not None:
        # weighted least squares by the normal equations; the raking dummies are collinear
        # (each variable's sum to 1), so the pseudo-inverse: the fitted values are unique
        xw = x * w[:, None]
        beta = np.linalg.pinv(xw.T @ x) @ (xw.T @ lin)
        lin = lin - x @ beta
    u = w[:, None] * lin
    u = u - u.mean(axis=0)
    var = (n / (n - 1)) * (u * u).sum(axis=0) if n > 1 else np.full(num.shape[1], np.nan)
    se = np.sqrt(np.maximum(var, 0.0))
    n_valid = (den > 0).sum(axis=0)
    se = np.where(n_valid >= 2, se, np.nan)
    n_eff = np.array([kish_effective_n(w[den[:, j] > 0]) for j in range(num.shape[1])])
    lo = np.clip(r - z * se, 0.0, 100.0)
    hi = np.clip(r + z * se, 0.0, 100.0)
    return {"index": r, "se": se, "ci_low": lo, "ci_high": hi, "n_valid": n_valid, "n_eff": n_eff}


def _scores(q: Questionnaire, responses: ResponseSet) -> tuple[np.ndarray, pd.DataFrame]:
    """Score matrix (respondents × questions, NaN where not scored) and answer counts."""
    arr = responses.data[q.question_ids].to_numpy(dtype=object)
    codes = [o.code for o in q.scale]
    k = pd.Categorical(pd.Series(arr.ravel(), dtype=object), categories=codes).codes.reshape(
        arr.shape
    )
    lut = np.array([np.nan if o.score is None else o.score for o in q.scale] + [np.nan])
    mat = lut[k]  # code -1 (no answer) picks the trailing NaN
    pos = {c: n for n, c in enumerate(codes)}
    counts = pd.DataFrame(
        {
            "n_dk": (k == pos.get("dk", -2)).sum(axis=0),
            "n_na": (k == pos.get("na", -2)).sum(axis=0),
            "n_missing": (k == -1).sum(axis=0),
            "n_other_unscored": np.isin(
                k, [pos[c] for c in q.unscored if c not in ("dk", "na")]
            ).sum(axis=0),
        }
    )
    return mat, counts


def _group_scores(mat: np.ndarray, cols: list[int]) -> np.ndarray:
    sub = mat[:, cols]
    valid = ~np.isnan(sub)
    with np.errstate(invalid="ignore"):
        return np.where(
            valid.any(axis=1), np.nansum(sub, axis=1) / np.maximum(valid.sum(axis=1), 1), np.nan
        )


def _estimate(
    values: np.ndarray, w: np.ndarray, x: np.ndarray | None, z: float
) -> dict[str, np.ndarray]:
    den = (~np.isnan(values)).astype(float)
    num = np.nan_to_num(values) * den
    return _ratio(num, den, w, x, z)


def satisfaction_indices(
    responses: ResponseSet,
    weights: RakingResult | pd.Series | Sequence[float] | None = None,
    *,
    confidence: float = 0.95,
) -> IndexTables:
    """Satisfaction indices (0–100) per question, aspect, level and overall, with CIs.

    Parameters
    ----------
    responses
        Validated responses.
    weights
        A :class:`~citycheckup.survey.weighting.RakingResult` (calibration-aware variance),
        other weights aligned to the responses, or ``None`` for unweighted indices.
    confidence
        Confidence level of the intervals.

    Returns
    -------
    IndexTables
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie between 0 and 1, got {confidence}")
    q = responses.questionnaire
    w, x, weighted = _weights(responses, weights)
    z = float(norm.ppf(1 - (1 - confidence) / 2))
    mat, counts = _scores(q, responses)
    unw = np.ones(len(w))
    est = _estimate(mat, w, x, z)
    raw = _estimate(mat, unw, None, z)
    qrows = pd.DataFrame(
        {
            "question": q.question_ids,
            "level": [qq.level for qq in q.questions],
            "aspect": [qq.aspect for qq in q.questions],
            "label_zh": [qq.label_zh for qq in q.questions],
            "label_en": [qq.label_en for qq in q.questions],
            "indicator": [qq.indicator for qq in q.questions],
            "mohurd_id": [qq.mohurd_id for qq in q.questions],
            **est,
            "unweighted_index": raw["index"],
        }
    )
    sat = np.where(np.isnan(mat), np.nan, (mat >= SATISFIED_MIN_SCORE) * 100.0)
    srate = _estimate(sat, w, x, z)
    qrows["satisfied_share"] = srate["index"]
    qrows["satisfied_ci_low"] = srate["ci_low"]
    qrows["satisfied_ci_high"] = srate["ci_high"]
    qrows = pd.concat([qrows, counts], axis=1)
    qrows["ci_note"] = np.where(qrows["n_valid"] < 2, "n<2", "")

    groups: list[tuple[str, str | None, list[int]]] = []
    for lev in q.levels:
        for a in lev.aspects:
            groups.append(
                (
                    lev.code,
                    a.code,
                    [
                        j
                        for j, qq in enumerate(q.questions)
                        if qq.level == lev.code and qq.aspect == a.code
                    ],
                )
            )
    level_groups = [
        (lev.code, None, [j for j, qq in enumerate(q.questions) if qq.level == lev.code])
        for lev in q.levels
    ]

    def table(gs: Sequence[tuple[str, str | None, list[int]]]) -> pd.DataFrame:
        vals = np.column_stack([_group_scores(mat, cols) for _, _, cols in gs])
        e = _estimate(vals, w, x, z)
        u = _estimate(vals, unw, None, z)
        t = pd.DataFrame(
            {
                "level": [g[0] for g in gs],
                "aspect": [g[1] for g in gs],
                "n_questions": [len(g[2]) for g in gs],
                **e,
                "unweighted_index": u["index"],
            }
        )
        t["ci_note"] = np.where(t["n_valid"] < 2, "n<2", "")
        return t

    aspects = table(groups)
    levels = table(level_groups).drop(columns=["aspect"])
    overall = table([("all", None, list(range(len(q.questions))))]).drop(
        columns=["level", "aspect"]
    )
    # pooled satisfied share of all valid answers (comparable with the 12345 rate's share of rated requests)
    valid = ~np.isnan(mat)
    num = ((mat >= SATISFIED_MIN_SCORE) & valid).sum(axis=1).astype(float)[:, None] * 100.0
    den = valid.sum(axis=1).astype(float)[:, None]
    pooled = _ratio(num, den, w, x, z)
    pooled_u = _ratio(num, den, unw, None, z)
    satisfied = pd.DataFrame(
        {
            **{k: v for k, v in pooled.items() if k not in ("n_valid", "n_eff")},
            "n_answers": [int(den.sum())],
            "n_respondents": [int((den > 0).sum())],
            "unweighted_index": pooled_u["index"],
        }
    )
    return IndexTables(qrows, aspects, levels, overall, satisfied, confidence, weighted)


def low_satisfaction(
    tables: IndexTables,
    *,
    threshold: float = LOW_THRESHOLD,
    min_valid: int = 30,
    lang: Literal["zh", "en"] | None = None,
) -> pd.DataFrame:
    """Questions whose index is below ``threshold``: candidate problems of their level.

    Parameters
    ----------
    tables
        From :func:`satisfaction_indices`.
    threshold
        Flag when ``round(index, 6) < threshold`` (60 by default; see the module notes).
    min_valid
        Fewest valid answers for an item to be flagged (fewer: too uncertain to list).
    lang
        Add a ``label`` column in this language.

    Returns
    -------
    pandas.DataFrame
        ``level, aspect, question, label_zh, label_en, indicator, mohurd_id, index,
        ci_low, ci_high, n_valid, clearly_below, below_city_mean``, lowest first.
    """
    t = tables.questions
    city = float(tables.overall["index"].iloc[0])
    flag = (t["index"].round(6) < threshold) & (t["n_valid"] >= min_valid)
    out = t.loc[
        flag,
        [
            "level",
            "aspect",
            "question",
            "label_zh",
            "label_en",
            "indicator",
            "mohurd_id",
            "index",
            "ci_low",
            "ci_high",
            "n_valid",
        ],
    ].copy()
    out["clearly_below"] = out["ci_high"] < threshold
    out["below_city_mean"] = out["ci_high"] < city
    if lang is not None:
        out["label"] = out[f"label_{lang}"]
    return out.sort_values(["index", "question"]).reset_index(drop=True)


@dataclass
class HotlineComparison:
    """The survey's satisfaction rate next to the 12345 hotline's of the same period."""

    hotline_rate: float
    """12345 satisfaction rate in percent ((满意 + 基本满意) ÷ rated requests)."""
    survey_rate: float
    survey_ci: tuple[float, float]
    hotline_question_rate: float | None
    """Share (%) satisfied with the hotline question of the survey (linked to the 12345 rate), if any."""
    hotline_question_ci: tuple[float, float] | None
    period: str | None = None

    @property
    def difference(self) -> float:
        """Hotline rate minus survey rate, in percentage points."""
        return self.hotline_rate - self.survey_rate

    @property
    def within_ci(self) -> bool:
        """Whether the hotline rate lies inside the survey rate's confidence interval."""
        return self.survey_ci[0] <= self.hotline_rate <= self.survey_ci[1]


def compare_hotline(
    tables: IndexTables,
    hotline_rate: float,
    *,
    scale: Literal["percent", "share"],
    period: str | None = None,
) -> HotlineComparison:
    """Compare the survey with the 12345 satisfaction rate of the same period.

    Parameters
    ----------
    tables
        From :func:`satisfaction_indices`.
    hotline_rate
        ``satisfaction_rate`` of :func:`citycheckup.hotline.metrics.rates` for the survey's period.
    scale
        ``"percent"`` (0–100, ``rates(..., percent=True)``) or ``"share"`` (0–1, the default
        of ``rates``). Required, so a share is never read as a percent.
    period
        The period both refer to: ``"2025"``, ``"2025-06"`` or ``"2025-06-01/2025-06-30"``
        (language-neutral; the report writes it in its language).

    Notes
    -----
    The survey rate is the weighted share of valid answers that are 满意 or 非常满意 over
    all questions; the hotline counts 满意 and 基本满意 of callers who rated a request.
    They measure different people (a sample of residents vs. callers) and slightly
    different answers, so the comparison is a cross-check, not a test.
    """
    if scale not in ("percent", "share"):
        raise ValueError(f"scale must be 'percent' or 'share', got {scale!r}")
    x = float(hotline_rate)
    upper = 100.0 if scale == "percent" else 1.0
    if not math.isfinite(x) or not 0 <= x <= upper:
        raise ValueError(
            f"the hotline satisfaction rate must lie between 0 and {upper:g} ({scale}), got {hotline_rate}"
        )
    if period is not None and not re.fullmatch(
        r"\d{4}(-\d{2})?|\d{4}-\d{2}-\d{2}/\d{4}-\d{2}-\d{2}", period
    ):
        raise ValueError(
            f"period must be 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD/YYYY-MM-DD', got {period!r}"
        )
    pct = x if scale == "percent" else x * 100
    s = tables.satisfied_rate.iloc[0]
    qt = tables.questions
    linked = qt[(qt["indicator"] == "hotline_satisfaction_rate") | (qt["mohurd_id"] == "G-03")]
    hq = hq_ci = None
    if len(linked) and not math.isnan(float(linked["satisfied_share"].iloc[0])):
        hq = float(linked["satisfied_share"].iloc[0])
        hq_ci = (
            float(linked["satisfied_ci_low"].iloc[0]),
            float(linked["satisfied_ci_high"].iloc[0]),
        )
    return HotlineComparison(
        pct, float(s["index"]), (float(s["ci_low"]), float(s["ci_high"])), hq, hq_ci, period
    )
