"""Survey results in one object: weights, indices, low-satisfaction items, 12345 comparison."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from citycheckup.survey.indices import (
    LOW_THRESHOLD,
    HotlineComparison,
    IndexTables,
    compare_hotline,
    low_satisfaction,
    satisfaction_indices,
)
from citycheckup.survey.questionnaire import Questionnaire
from citycheckup.survey.responses import ResponseSet
from citycheckup.survey.weighting import RakingResult, rake

__all__ = ["SurveyResults", "survey_results"]

Lang = Literal["zh", "en"]


@dataclass
class SurveyResults:
    """Everything the survey reports.

    ``report_blocks(lang)`` gives the blocks of the report section 社会满意度 (method,
    indices by aspect with CIs, lowest items, comparison with 12345); the annual report
    calls it as ``inp.survey.report_blocks(lang)``.
    """

    questionnaire: Questionnaire
    indices: IndexTables
    low: pd.DataFrame
    """Candidate problems: questions with an index below ``threshold`` (see :func:`low_satisfaction`)."""
    n_responses: int
    n_invited: int | None
    n_duplicates: int
    period: tuple[str, str] | None
    weighting: RakingResult | None
    threshold: float = LOW_THRESHOLD
    min_valid: int = 30
    hotline: HotlineComparison | None = None

    @property
    def response_rate(self) -> float | None:
        """Responses ÷ invitations in percent (``None`` without the number invited)."""
        if not self.n_invited:
            return None
        return self.n_responses / self.n_invited * 100

    @property
    def overall(self) -> pd.Series:
        return self.indices.overall.iloc[0]

    def with_hotline(
        self, rate: float, *, scale: Literal["percent", "share"], period: str | None = None
    ) -> SurveyResults:
        """A copy with the comparison to the 12345 satisfaction rate (see :func:`compare_hotline`)."""
        return replace(
            self, hotline=compare_hotline(self.indices, rate, scale=scale, period=period)
        )

    def indicator_values(self) -> dict[str, float]:
        """Values for the framework: ``checkup_satisfaction`` (城市体检社会满意度, overall index 0–100)."""
        return {"checkup_satisfaction": float(self.overall["index"])}

    def problems(self, lang: Lang = "zh") -> pd.DataFrame:
        """Candidate problems as rows for the problem list: level, aspect, what, index, CI, n, indicator."""
        q = self.questionnaire
        rows = []
        for r in self.low.itertuples(index=False):
            rows.append(
                {
                    "level": r.level,
                    "aspect": r.aspect,
                    "question": r.question,
                    "indicator": r.indicator,
                    "mohurd_id": r.mohurd_id,
                    "level_label": q.level(r.level).label(lang),
                    "aspect_label": q.aspect(r.level, r.aspect).label(lang),
                    "item": r.label_zh if lang == "zh" else r.label_en,
                    "index": r.index,
                    "ci_low": r.ci_low,
                    "ci_high": r.ci_high,
                    "n": r.n_valid,
                    "source": "satisfaction_survey",
                }
            )
        return pd.DataFrame(
            rows,
            columns=[
                "level",
                "aspect",
                "question",
                "indicator",
                "mohurd_id",
                "level_label",
                "aspect_label",
                "item",
                "index",
                "ci_low",
                "ci_high",
                "n",
                "source",
            ],
        )

    def report_blocks(self, lang: Lang = "zh") -> list[Any]:
        """Blocks (:mod:`citycheckup.report.document`) of the report section 社会满意度."""
        from citycheckup.survey._report import report_blocks

        return report_blocks(self, lang)

    def tables(self, lang: Lang = "zh") -> dict[str, pd.DataFrame]:
        """Result tables with headers and labels in ``lang`` (for XLSX and the CLI)."""
        from citycheckup.survey._report import result_tables

        return result_tables(self, lang)

    def to_xlsx(self, path: str | Path, lang: Lang = "zh") -> Path:
        """Write the result tables to one XLSX workbook (atomically)."""
        from citycheckup._io import atomic_file

        target = Path(path)
        with atomic_file(target, "wb") as fh, pd.ExcelWriter(fh, engine="xlsxwriter") as xw:
            for name, t in self.tables(lang).items():
                t.to_excel(xw, sheet_name=name[:31], index=False)
                xw.sheets[name[:31]].set_column(0, max(0, len(t.columns) - 1), 16)
        return target


def survey_results(
    responses: ResponseSet,
    *,
    margins: Mapping[str, Any] | None = None,
    weights: RakingResult | pd.Series | Sequence[float] | None = None,
    base_weights: Sequence[float] | pd.Series | None = None,
    invited: int | None = None,
    trim: tuple[float | None, float | None] | None = None,
    margin_totals: Literal["raise", "rescale"] = "raise",
    threshold: float = LOW_THRESHOLD,
    min_valid: int = 30,
    confidence: float = 0.95,
    hotline_rate: float | None = None,
    hotline_scale: Literal["percent", "share"] | None = None,
    hotline_period: str | None = None,
) -> SurveyResults:
    """Weight (when ``margins`` are given), compute indices and low items, compare with 12345.

    Parameters
    ----------
    responses
        Validated responses (:func:`~citycheckup.survey.read_responses`).
    margins
        Population margins ``{variable: {category: population}}`` for raking; or pass
        ready ``weights``; with neither the indices are unweighted (and the report says so).
    invited
        Invitations sent (tokens issued), for the response rate.
    hotline_rate, hotline_scale, hotline_period
        The 12345 satisfaction rate of the same period; ``hotline_scale`` is required with it.
    """
    if margins is not None and weights is not None:
        raise ValueError("give margins (to rake) or weights, not both")
    if invited is not None and (not isinstance(invited, int) or invited < responses.n):
        raise ValueError(
            f"invited ({invited}) must be a whole number ≥ the number of responses ({responses.n})"
        )
    rk: RakingResult | None = None
    if margins is not None:
        rk = rake(
            responses.data,
            margins,
            base_weights=base_weights,
            trim=trim,
            margin_totals=margin_totals,
        )
        weights = rk
    elif isinstance(weights, RakingResult):
        rk = weights
    tables = satisfaction_indices(responses, weights, confidence=confidence)
    low = low_satisfaction(tables, threshold=threshold, min_valid=min_valid)
    res = SurveyResults(
        responses.questionnaire,
        tables,
        low,
        responses.n,
        invited,
        len(responses.duplicates),
        responses.period,
        rk,
        threshold,
        min_valid,
    )
    if hotline_rate is not None:
        if hotline_scale is None:
            raise ValueError("give hotline_scale ('percent' or 'share') with hotline_rate")
        res = res.with_hotline(hotline_rate, scale=hotline_scale, period=hotline_period)
    return res
