"""The annual city check-up report in the outline check-up teams use (MOHURD method).

Outline (一 … 八, then annexes)::

    一、工作概况          organisation, scope, data reference date, data sources
    二、指标体系          levels, aspects, indicators; how each level is assessed
    三、城区评价          aspect grades (优/良/中/差), the same by conference task, every graded
                         indicator with its threshold and basis, values without a threshold
    四、住房、小区（社区）、街区体检结果   problem counts over their denominators, by level
    五、成因分析          what the weak aspects and the most frequent problems have in common
    六、对策建议          remediation by problem type (限时解决 first), the 不足 indicators
    七、社会满意度        residents' survey and the 12345 satisfaction rate
    八、上年度问题整治成效  the follow-up of last year's problems and the completion rate
    附件                 indicator summary with codes (codes appear only here)

Sections whose data is absent say, in words for the reader, what data would fill them.
Indicator codes never appear outside the annex. Every reader-facing text comes from the message
catalogue (:mod:`citycheckup.report._messages_annual`, looked up with
:func:`citycheckup.report.messages.t`). The sections live in ``_annual_city`` (一–三),
``_annual_lower`` (四 and the 12345 hotline) and ``_annual_closing`` (五–八, annex).
"""

from __future__ import annotations

from typing import Any

from citycheckup.checkup import MohurdResult
from citycheckup.report._annual_city import _city_level, _overview, _system
from citycheckup.report._annual_closing import (
    _annex_summary,
    _causes,
    _followup,
    _satisfaction,
    _suggestions,
)
from citycheckup.report._annual_common import (  # noqa: F401 - helpers the API and themes take from here
    UNIT,
    YEAR,
    AnnualInputs,
    _dim_name,
    _name,
    _num,
    _pick,
    _reason,
    _ref_text,
    _target_text,
    _unit,
    _variable_name,
)
from citycheckup.report._annual_lower import _lower_levels
from citycheckup.report.document import Document
from citycheckup.report.labels import local_now, unit_label
from citycheckup.report.messages import t

__all__ = ["AnnualInputs", "annual_report", "inputs_from_chain"]


def inputs_from_chain(result: MohurdResult, chain: Any = None, **kw: Any) -> AnnualInputs:
    """:class:`AnnualInputs` from a check-up and its problem chain (:class:`citycheckup.inventory.ChainTables`)."""
    if chain is None:
        return AnnualInputs(result=result, **kw)
    return AnnualInputs(
        result=result,
        problems=chain.problems,
        suggestions=chain.suggestions,
        projects=chain.projects,
        followup=chain.followup,
        followup_summary=chain.followup_summary,
        completion_rate=chain.completion_rate,
        **kw,
    )


def annual_report(
    inp: AnnualInputs, unit_code: str, *, year: int | None = None, lang: str = "zh"
) -> Document:
    """The annual check-up report of ``unit_code`` as a :class:`Document`."""
    r = inp.result
    fw = r.framework
    y = int(year if year is not None else r.years[-1])
    code = str(unit_code)
    vals = r.values[(r.values[UNIT].astype(str) == code) & (r.values[YEAR] == y)]
    if vals.empty:
        from citycheckup.errors import DataError

        raise DataError(
            f"unit {code} has no values in {y} in this check-up; units: "
            + ", ".join(sorted(r.values[UNIT].astype(str).unique())[:20])
        )
    row = vals.iloc[0]
    city = unit_label(code, row.get("unit_name"), lang)
    # MOHURD's convention: the check-up of year y + 1 uses the data of 31 December of year y
    title = t("a.title", lang, city=city, year=y + 1)
    doc = Document(
        title=title,
        lang="zh" if lang == "zh" else "en",
        subtitle=t("a.subtitle", lang, framework=_pick(fw.name_zh, fw.name_en, lang)),
        meta=[
            t("a.reference_date", lang, year=y),
            t("a.generated", lang, time=local_now(lang)),
        ],
        running=title,
        footer=t("footer", lang),
    )
    inds = {i.code: i for i in fw.indicators}
    doc.sections.append(_overview(inp, fw, city, code, y, vals, lang))
    doc.sections.append(_system(fw, r, lang))
    doc.sections.append(_city_level(inp, fw, code, y, inds, lang))
    doc.sections.append(_lower_levels(inp, fw, code, y, inds, lang))
    doc.sections.append(_causes(inp, fw, code, y, inds, lang))
    doc.sections.append(_suggestions(inp, fw, code, y, inds, lang))
    doc.sections.append(_satisfaction(inp, lang))
    doc.sections.append(_followup(inp, lang, y))
    doc.annexes.append(_annex_summary(inp, fw, code, y, inds, lang))
    return doc
