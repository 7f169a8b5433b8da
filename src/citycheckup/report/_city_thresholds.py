"""City reports, part 2: the reader's words for thresholds, grading rules and why a value is not graded."""

from __future__ import annotations

import logging
from typing import Any

from citycheckup.framework.models import Indicator
from citycheckup.report._city_context import UNIT, YEAR, ReportContext, _isnan
from citycheckup.report.messages import t

log = logging.getLogger(__name__)


def threshold_text(ind: Indicator, lang: str) -> str:
    """Grading thresholds and target of an indicator as one short line."""
    parts = []
    if ind.grading is not None:
        parts.append(_rule_text(ind, ind.grading, lang))
    if ind.target is not None:
        parts.append(f"{t('r.target', lang)} {'≥' if ind.direction > 0 else '≤'}{ind.target:g}")
    return "; ".join(parts) or t("r.no_threshold", lang)


def _applied_threshold(ind: Indicator, k: int, lang: str) -> str:
    """The threshold set that graded a value: its rule and label (never a web address)."""
    sets = ind.thresholds
    if not 0 <= k < len(sets):
        return threshold_text(ind, lang)
    g = sets[k]
    rule = _rule_text(ind, g, lang)
    lab = (g.label_zh if lang == "zh" else g.label_en) or ""
    return t("a.labelled", lang, text=rule, label=lab) if lab else rule


def _not_graded_text(ctx: ReportContext, ind: Indicator, code: str, lang: str) -> str:
    """Why a value has no grade: no threshold at all, or none that applies to this city and year."""
    if not ind.thresholds:
        return t("r.no_threshold", lang)
    from citycheckup.diagnosis.applicability import REASONS

    refs = ctx.run.table("references")
    if not refs.empty:
        rr = refs[
            (refs[UNIT].astype(str) == code)
            & (refs[YEAR] == ctx.year)
            & (refs["indicator"] == ind.code)
        ]
        reasons = []
        for rc, ry in zip(rr["reason"], rr["reason_year"], strict=True):
            text = REASONS.get(str(rc), {}).get(lang, "")
            if text:
                reasons.append(
                    text.format(year=int(ry)) if "{year}" in text and not _isnan(ry) else text
                )
        if reasons:
            return t(
                "r.not_graded",
                lang,
                reason=t("sep.semi", lang).join(dict.fromkeys(reasons)),
            )
    return t("r.no_threshold", lang)


def _tier_text(ind: Indicator, grade: Any, lang: str) -> str:
    """Tier and reference of the threshold that graded the value, for the source column."""
    for g in ind.thresholds:
        p = g.provenance
        if p is not None and grade is not None and not _isnan(grade):
            ref = p.reference if lang == "zh" else (p.reference_en or p.reference)
            return f"{t(f'tier.{p.tier}', lang)}: {ref}"
    return ""


def _rule_text(ind: Indicator, g: Any, lang: str) -> str:
    if g.pass_line is not None:
        op = "≥" if ind.direction > 0 else "≤"
        return f"{t('grade.good', lang)} {op}{g.pass_line:g}"
    if g.cutoffs is not None:
        op = "≥" if ind.direction > 0 else "≤"
        return " · ".join(
            f"{t(f'grade.{k}', lang)} {op}{c:g}"
            for k, c in zip(("very_good", "good", "fair"), g.cutoffs, strict=True)
        )
    segs = []
    for b in g.bands or []:
        lo = "" if b.lower is None else f"{b.lower:g}"
        hi = "" if b.upper is None else f"{b.upper:g}"
        rng = f"{lo}–{hi}" if lo and hi else (f"≥{lo}" if lo else f"<{hi}")
        segs.append(f"{t(f'grade.{b.grade}', lang)} {rng}")
    return " · ".join(segs)
