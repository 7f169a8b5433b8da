"""Annual report, part 1: its inputs and the helpers every section shares (numbers, names, thresholds)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from citycheckup.checkup import MohurdResult
from citycheckup.diagnosis.applicability import REASONS
from citycheckup.framework.models import Framework, Indicator
from citycheckup.report.labels import unit_text
from citycheckup.report.messages import t

UNIT, YEAR = "unit_code", "year"


@dataclass
class AnnualInputs:
    """What the annual report draws on besides the check-up result (each optional)."""

    result: MohurdResult
    organisation: Mapping[str, str] = field(default_factory=dict)
    """Keys ``organiser``, ``technical``, ``period`` (free text in the report language)."""
    problems: pd.DataFrame | None = None
    """Located problems (问题清单) of the city and year."""
    suggestions: pd.DataFrame | None = None
    projects: pd.DataFrame | None = None
    followup: pd.DataFrame | None = None
    """Last year's problems and what became of them (上年度问题整治成效)."""
    followup_summary: pd.DataFrame | None = None
    """Per level (and ``all``): problems open at the start of the year, closed, completion rate."""
    completion_rate: float | None = None
    survey: Any = None
    """Residents' satisfaction survey results (:mod:`citycheckup.survey`)."""
    hotline: Any = None
    """12345 figures of the same period (satisfaction rate, candidate problems)."""
    source: Mapping[str, str] = field(default_factory=dict)
    """Where the data come from, in ``zh`` and ``en`` (default: the data set's own description)."""


def _num(v: Any, nd: int | None = None) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return "–"
    x = float(v)
    if nd is not None:
        return f"{x:,.{nd}f}"
    a = abs(x)
    if a >= 1000 or x == int(x):
        return f"{x:,.0f}"
    return f"{x:,.1f}" if a >= 100 else f"{x:.2f}"


def _pick(zh_value: Any, en_value: Any, lang: str) -> Any:
    """The Chinese or the English field of a record (a data field, not a message)."""
    return zh_value if lang == "zh" else en_value


def _name(ind: Indicator, lang: str) -> str:
    return str(_pick(ind.name_zh, ind.name_en, lang))


def _unit(ind: Indicator, lang: str) -> str:
    return unit_text(ind.unit, lang, unit_en=ind.unit_en)


def _dim_name(fw: Framework, code: str, lang: str) -> str:
    for d in fw.all_dimensions():
        if d.code == code:
            return str(_pick(d.name_zh, d.name_en, lang))
    task = fw.tasks.get(code)
    if task:
        return str(task.get(lang, code))
    return code


def _variable_name(fw: Framework, code: str, lang: str) -> str:
    v = fw.variable(code)
    return str(_pick(v.name_zh, v.name_en, lang)) if v is not None else ""


def _labelled(text: str, label: str, lang: str) -> str:
    """``text`` followed by ``label`` in brackets, or ``text`` alone when there is no label."""
    return t("a.labelled", lang, text=text, label=label) if label else text


def _ref_text(ind: Indicator, k: int, lang: str) -> tuple[str, str]:
    """(rule, basis) of threshold set ``k`` of ``ind``, for the reader."""
    from citycheckup.report.city_report import _rule_text

    g = ind.thresholds[k]
    lab = _pick(g.label_zh, g.label_en, lang) or ""
    p = g.provenance
    basis = ""
    if p is not None:
        basis = t(
            "a.basis",
            lang,
            tier=t(f"tier.{p.tier}", lang),
            reference=_pick(p.reference, p.reference_en or p.reference, lang),
        )
    return _labelled(_rule_text(ind, g, lang), lab, lang), basis


def _target_text(ind: Indicator, k: int, lang: str) -> str:
    """What a value should reach to stop being 不足 under threshold set ``k`` (for recommendations)."""
    g = ind.thresholds[k]
    unit = _unit(ind, lang)
    lab = _pick(g.label_zh, g.label_en, lang) or ""
    if g.pass_line is not None:
        op = "≥" if ind.direction > 0 else "≤"
        return _labelled(
            t("a.target_reach", lang, op=op, x=f"{g.pass_line:g}", unit=unit), lab, lang
        )
    good = [b for b in g.resolved_bands(ind.direction) if b.grade != "poor"]
    if good:
        lo = min((b.lower for b in good if b.lower is not None), default=None)
        hi = max((b.upper for b in good if b.upper is not None), default=None)
        if lo is not None and hi is not None:
            text = t("a.target_between", lang, lo=f"{lo:g}", hi=f"{hi:g}", unit=unit)
            return _labelled(text, lab, lang)
        if lo is not None:
            return _labelled(t("a.target_reach", lang, op="≥", x=f"{lo:g}", unit=unit), lab, lang)
        if hi is not None:
            return _labelled(t("a.target_below", lang, x=f"{hi:g}", unit=unit), lab, lang)
    return _ref_text(ind, k, lang)[0]


def _reason(code: str, year: Any, lang: str) -> str:
    if code == "superseded":
        return t("a.superseded", lang)
    text = REASONS.get(code, {}).get(lang, code)
    return (
        text.format(year=int(year))
        if "{year}" in text and year is not None and not pd.isna(year)
        else text
    )
