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
Indicator codes never appear outside the annex.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from citycheckup.checkup import LOWER_LEVELS, MohurdResult
from citycheckup.diagnosis.applicability import REASONS
from citycheckup.framework.models import Framework, Indicator
from citycheckup.report.document import Bullets, Document, Figure, Para, Section, Table
from citycheckup.report.labels import local_now, size_basis_note, size_label, unit_label, unit_text
from citycheckup.report.messages import t

__all__ = ["AnnualInputs", "annual_report", "inputs_from_chain"]

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


def _name(ind: Indicator, lang: str) -> str:
    return ind.name_zh if lang == "zh" else ind.name_en


def _unit(ind: Indicator, lang: str) -> str:
    return unit_text(ind.unit, lang, unit_en=ind.unit_en)


def _dim_name(fw: Framework, code: str, lang: str) -> str:
    for d in fw.all_dimensions():
        if d.code == code:
            return d.name_zh if lang == "zh" else d.name_en
    task = fw.tasks.get(code)
    if task:
        return task.get(lang, code)
    return code


def _variable_name(fw: Framework, code: str, lang: str) -> str:
    v = fw.variable(code)
    return (v.name_zh if lang == "zh" else v.name_en) if v is not None else ""


def _ref_text(ind: Indicator, k: int, lang: str) -> tuple[str, str]:
    """(rule, basis) of threshold set ``k`` of ``ind``, for the reader."""
    from citycheckup.report.city_report import _rule_text

    g = ind.thresholds[k]
    lab = (g.label_zh if lang == "zh" else g.label_en) or ""
    p = g.provenance
    basis = ""
    if p is not None:
        basis = (
            f"{t(f'tier.{p.tier}', lang)}：" if lang == "zh" else f"{t(f'tier.{p.tier}', lang)}: "
        )
        basis += p.reference if lang == "zh" else (p.reference_en or p.reference)
    rule = _rule_text(ind, g, lang)
    return (
        f"{rule}（{lab}）" if lab and lang == "zh" else f"{rule} ({lab})" if lab else rule
    ), basis


def _target_text(ind: Indicator, k: int, lang: str) -> str:
    """What a value should reach to stop being 不足 under threshold set ``k`` (for recommendations)."""
    g = ind.thresholds[k]
    zh = lang == "zh"
    unit = _unit(ind, lang)
    lab = (g.label_zh if zh else g.label_en) or ""
    tail = (f"（{lab}）" if zh else f" ({lab})") if lab else ""
    if g.pass_line is not None:
        op = "≥" if ind.direction > 0 else "≤"
        return (
            f"达到{op}{g.pass_line:g}{unit}" if zh else f"reach {op} {g.pass_line:g} {unit}"
        ) + tail
    good = [b for b in g.resolved_bands(ind.direction) if b.grade != "poor"]
    if good:
        lo = min((b.lower for b in good if b.lower is not None), default=None)
        hi = max((b.upper for b in good if b.upper is not None), default=None)
        if lo is not None and hi is not None:
            return (
                f"处于{lo:g}–{hi:g}{unit}之间" if zh else f"lie between {lo:g} and {hi:g} {unit}"
            ) + tail
        if lo is not None:
            return (f"达到≥{lo:g}{unit}" if zh else f"reach ≥ {lo:g} {unit}") + tail
        if hi is not None:
            return (f"不高于{hi:g}{unit}" if zh else f"stay below {hi:g} {unit}") + tail
    return _ref_text(ind, k, lang)[0]


def _reason(code: str, year: Any, lang: str) -> str:
    if code == "superseded":
        return (
            "已由前一项适用标准评级"
            if lang == "zh"
            else "graded by an earlier applicable threshold"
        )
    text = REASONS.get(code, {}).get(lang, code)
    return (
        text.format(year=int(year))
        if "{year}" in text and year is not None and not pd.isna(year)
        else text
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
    zh = lang == "zh"
    # MOHURD's convention: the check-up of year y + 1 uses the data of 31 December of year y
    title = f"{city}{y + 1}年城市体检报告" if zh else f"{city} City Health Check-up Report {y + 1}"
    fw_name = fw.name_zh if zh else fw.name_en
    doc = Document(
        title=title,
        lang="zh" if zh else "en",
        subtitle=(f"依据《{fw_name}》" if zh else f"Following: {fw_name}"),
        meta=[
            (f"数据基准日：{y}年12月31日" if zh else f"Data reference date: 31 December {y}"),
            (f"生成时间：{local_now(lang)}" if zh else f"Generated: {local_now(lang)}"),
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


# -- 一、工作概况 ----------------------------------------------------------------------------------------
def _overview(
    inp: AnnualInputs, fw: Framework, city: str, code: str, y: int, vals: pd.DataFrame, lang: str
) -> Section:
    zh = lang == "zh"
    r = inp.result
    s = Section("工作概况" if zh else "Overview of the check-up")
    org = inp.organisation
    if org:
        items = []
        for key, zlab, elab in (
            ("organiser", "组织单位", "Organised by"),
            ("technical", "技术单位", "Technical team"),
            ("period", "工作时间", "Period"),
        ):
            if org.get(key):
                items.append(f"{zlab if zh else elab}：{org[key]}" if zh else f"{elab}: {org[key]}")
        s.add(Bullets(items))
    else:
        s.add(
            Para(
                "本次体检的组织单位、技术单位和工作时间未提供；填写体检任务信息后将在此列出。"
                if zh
                else "The organising body, technical team and period of this check-up were not given; they are "
                "listed here once the check-up's particulars are filled in.",
                "note",
            )
        )
    cov = r.coverage
    n_data = {
        lev: int(((cov["level"] == lev) & (cov["status"] == "data")).sum())
        for lev in (*LOWER_LEVELS, "city")
    }
    n_all = {lev: int((cov["level"] == lev).sum()) for lev in (*LOWER_LEVELS, "city")}
    levels = "、".join if zh else ", ".join
    s.add(
        Para(
            (
                f"本报告依据《{fw.name_zh}》，对{city}住房、小区（社区）、街区、城区（城市）四个层级开展体检，数据基准日为{y}年12月31日。"
                f"四个层级共{sum(n_all.values())}项指标，本次有数据的{sum(n_data.values())}项："
                + levels(
                    [f"{t(f'level.{lev}', lang)}{n_data[lev]}/{n_all[lev]}项" for lev in n_data]
                )
                + "。"
            )
            if zh
            else (
                f"This report applies the {fw.name_en} to {city} at four levels — housing, residential compounds and "
                f"communities, blocks, and the city — with data as of 31 December {y}. Of its {sum(n_all.values())} "
                f"indicators, {sum(n_data.values())} have data: "
                + levels(
                    [f"{t(f'level.{lev}', lang)} {n_data[lev]}/{n_all[lev]}" for lev in n_data]
                )
                + "."
            )
        )
    )
    s.add(
        Para(
            "住房、小区（社区）、街区三个层级只给结果不做评价：逐项列出问题数量及其分母（如存在隐患的住宅栋数/住宅总栋数），"
            "形成问题清单、整治建议清单和城市更新项目库；城区层级逐项对照适用于本市的标准分为很好、较好、一般、不足，"
            "再按维度汇总为优、良、中、差。"
            if zh
            else "Housing, compounds and communities, and blocks are reported as results only, never scored: each "
            "problem count is given with its denominator (e.g. buildings with hazards out of all residential "
            "buildings) and feeds the problem list, the remediation list and the urban-renewal project library. "
            "City indicators are graded very good, good, fair or poor against the standards that apply to this "
            "city, then summarised by aspect as excellent, good, medium or poor."
        )
    )
    size = vals.iloc[0].get("size_class")
    lab = size_label(size, lang)
    if lab:
        s.add(
            Para(
                (f"城市规模等级：{lab}。" if zh else f"City-size class: {lab}. ")
                + size_basis_note(r.size_basis, lang),
                "note",
            )
        )
    src = inp.source.get(lang) or r.dataset.source
    s.add(Para((f"数据来源：{src}" if zh else f"Data: {src}"), "note"))
    return s


# -- 二、指标体系 ----------------------------------------------------------------------------------------
def _system(fw: Framework, r: MohurdResult, lang: str) -> Section:
    zh = lang == "zh"
    s = Section("指标体系" if zh else "Indicator system")
    rows, nums = [], []
    for lev in fw.dimensions:
        for sub in lev.dimensions or [lev]:
            codes = [i.code for i in sub.iter_indicators()]
            cov = r.coverage[r.coverage["indicator"].isin(codes)]
            rows.append(
                [
                    lev.name_zh if zh else lev.name_en,
                    sub.name_zh if zh else sub.name_en,
                    str(len(codes)),
                    str(int((cov["status"] == "data").sum())),
                ]
            )
            nums.append(None)
    s.add(
        Table(
            [
                "层级" if zh else "Level",
                "维度" if zh else "Aspect",
                "指标数" if zh else "Indicators",
                "有数据" if zh else "With data",
            ],
            rows,
            numeric=[False, False, True, True],
            caption="指标体系构成" if zh else "Structure of the indicator system",
        )
    )
    s.add(
        Para(
            "各指标的定义、计算方法、统计范围、数据责任部门和评价标准来源见附件。"
            if zh
            else "Definitions, methods, spatial scopes, data owners and the sources of the thresholds are in the annex.",
            "note",
        )
    )
    return s


# -- 三、城区评价 -----------------------------------------------------------------------------------------
def _city_level(
    inp: AnnualInputs, fw: Framework, code: str, y: int, inds: dict[str, Indicator], lang: str
) -> Section:
    zh = lang == "zh"
    r = inp.result
    s = Section("城区评价" if zh else "City-level assessment")
    ag = r.aspect_grades
    ag = ag[(ag[UNIT].astype(str) == code) & (ag[YEAR] == y)] if not ag.empty else ag
    a = Section("分维度评价结果" if zh else "Grades by aspect")
    if ag.empty:
        a.add(
            Para(
                "城区层级没有可对照适用标准分级的指标数据，因此没有维度评价结果。提供城区指标数据后将在此给出优、良、中、差。"
                if zh
                else "No city-level value could be graded against an applicable standard, so no aspect is graded; "
                "aspect grades appear here once city-level data is given."
            )
        )
    else:
        rows, cls = [], []
        for rec in ag.to_dict("records"):
            rows.append(
                [
                    _dim_name(fw, rec["dimension"], lang),
                    t(f"aspect.{rec['grade']}", lang),
                    str(int(rec["n_graded"])),
                    str(int(rec["n_poor"])),
                    f"{rec['mean_points']:.2f}",
                ]
            )
            cls.append(["", f"a-{rec['grade']}", "", "", ""])
        a.add(
            Table(
                [
                    "维度" if zh else "Aspect",
                    "等级" if zh else "Grade",
                    "已分级指标" if zh else "Graded",
                    "其中不足" if zh else "Of which poor",
                    "平均分值" if zh else "Mean points",
                ],
                rows,
                numeric=[False, False, True, True, True],
                classes=cls,
            )
        )
        a.add(Para(t("r.aspect_rule", lang), "note"))
    s.subsections.append(a)
    tg = r.task_grades
    tg = tg[(tg[UNIT].astype(str) == code) & (tg[YEAR] == y)] if not tg.empty else tg
    b = Section(
        "按中央城市工作会议重点任务" if zh else "By the tasks of the Central Urban Work Conference"
    )
    if tg.empty:
        b.add(
            Para(
                "没有已分级的城区指标，无法按重点任务汇总。"
                if zh
                else "No graded city indicator to read by task."
            )
        )
    else:
        rows = [
            [
                _dim_name(fw, rec["dimension"], lang),
                t(f"aspect.{rec['grade']}", lang),
                str(int(rec["n_graded"])),
            ]
            for rec in tg.to_dict("records")
        ]
        b.add(
            Table(
                [
                    "重点任务" if zh else "Task",
                    "等级" if zh else "Grade",
                    "已分级指标" if zh else "Graded",
                ],
                rows,
                numeric=[False, False, True],
                classes=[["", f"a-{rec['grade']}", ""] for rec in tg.to_dict("records")],
            )
        )
        b.add(
            Para(
                "同一组指标分级按会议提出的七项重点任务重新归组，规则与分维度评价相同。"
                if zh
                else "The same indicator grades regrouped by the conference's seven tasks, with the same rule.",
                "note",
            )
        )
    s.subsections.append(b)
    g = r.grades
    g = g[(g[UNIT].astype(str) == code) & (g[YEAR] == y)] if not g.empty else g
    c = Section("指标评价" if zh else "Indicator grades")
    if g.empty:
        c.add(
            Para(
                "没有可对照适用标准分级的城区指标。" if zh else "No city indicator could be graded."
            )
        )
    else:
        rows, cls = [], []
        for rec in g.to_dict("records"):
            ind = inds[rec["indicator"]]
            rule, basis = _ref_text(ind, int(rec["threshold"]), lang)
            rows.append(
                [
                    _name(ind, lang),
                    _dim_name(fw, ind.aspect or fw.parent_of()[ind.code], lang),
                    _num(rec["value"]),
                    _unit(ind, lang),
                    t(f"grade.{rec['grade']}", lang),
                    rule,
                    basis,
                ]
            )
            cls.append(["", "", "", "", f"g-{rec['grade']}", "", ""])
        c.add(
            Table(
                [
                    "指标" if zh else "Indicator",
                    "维度" if zh else "Aspect",
                    "数值" if zh else "Value",
                    "单位" if zh else "Unit",
                    "等级" if zh else "Grade",
                    "标准" if zh else "Threshold",
                    "依据" if zh else "Basis",
                ],
                rows,
                numeric=[False, False, True, False, False, False, False],
                classes=cls,
            )
        )
    s.subsections.append(c)
    ug = r.ungraded
    ug = ug[(ug[UNIT].astype(str) == code) & (ug[YEAR] == y)] if not ug.empty else ug
    d = Section("无适用标准的指标" if zh else "Values without an applicable threshold")
    if ug.empty:
        d.add(
            Para("有数据的城区指标均已分级。" if zh else "Every city value with data was graded.")
        )
    else:
        refs = r.references
        rows = []
        for rec in ug.to_dict("records"):
            ind = inds[rec["indicator"]]
            why = (
                "国家和部委文件未给出逐城分级标准"
                if zh
                else "no national or ministry threshold for a single city"
            )
            if rec["reason"] == "not_applicable" and not refs.empty:
                rr = refs[
                    (refs[UNIT].astype(str) == code)
                    & (refs[YEAR] == y)
                    & (refs["indicator"] == ind.code)
                ]
                if len(rr):
                    why = (
                        "；".join(
                            dict.fromkeys(
                                _reason(x, yy, lang)
                                for x, yy in zip(rr["reason"], rr["reason_year"], strict=True)
                            )
                        )
                        if zh
                        else "; ".join(
                            dict.fromkeys(
                                _reason(x, yy, lang)
                                for x, yy in zip(rr["reason"], rr["reason_year"], strict=True)
                            )
                        )
                    )
            rows.append([_name(ind, lang), _num(rec["value"]), _unit(ind, lang), why])
        d.add(
            Table(
                [
                    "指标" if zh else "Indicator",
                    "数值" if zh else "Value",
                    "单位" if zh else "Unit",
                    "未分级原因" if zh else "Why not graded",
                ],
                rows,
                numeric=[False, True, False, False],
            )
        )
        d.add(
            Para(
                "这些指标只报告数值，不以自拟标准分级。"
                if zh
                else "These values are reported as they are; no invented threshold grades them.",
                "note",
            )
        )
    s.subsections.append(d)
    if getattr(inp.hotline, "candidates", None) is not None:
        s.subsections.append(_hotline_smart(inp.hotline, fw, lang))
    return s


# -- 四、住房、小区（社区）、街区 ---------------------------------------------------------------------------
def _lower_levels(
    inp: AnnualInputs, fw: Framework, code: str, y: int, inds: dict[str, Indicator], lang: str
) -> Section:
    zh = lang == "zh"
    r = inp.result
    s = Section(
        "住房、小区（社区）、街区体检结果" if zh else "Housing, compounds and communities, blocks"
    )
    inv = r.inventories
    inv = inv[(inv[UNIT].astype(str) == code) & (inv[YEAR] == y)] if not inv.empty else inv
    for lev in LOWER_LEVELS:
        sub = Section(t(f"level.{lev}", lang) if zh else t(f"level.{lev}", lang).capitalize())
        part = inv[inv["level"] == lev] if not inv.empty else inv
        if part.empty:
            sub.add(
                Para(
                    f"本次没有{t(f'level.{lev}', lang)}层级的调查数据；完成逐栋、逐小区或逐街区的实地调查并录入问题后，"
                    "将在此列出各类问题数量及其分母。"
                    if zh
                    else f"No field survey of the {t(f'level.{lev}', lang)} level was supplied; once the buildings, "
                    "compounds or blocks are surveyed and their problems recorded, the counts and their "
                    "denominators are listed here."
                )
            )
        else:
            rows, cov = [], []
            for rec in part.to_dict("records"):
                ind = inds[rec["indicator"]]
                den = _variable_name(fw, rec["denominator"], lang) if rec["denominator"] else ""
                if (
                    ind.unit.strip() == "%"
                ):  # a coverage rate of the level (e.g. B-01), not a problem count
                    cov.append(
                        [
                            _name(ind, lang),
                            "–" if pd.isna(rec["rate"]) else f"{rec['rate']:.2f} %",
                            den or "–",
                            _num(rec["denominator_value"]),
                        ]
                    )
                    continue
                rows.append(
                    [
                        _name(ind, lang),
                        _num(rec["count"]),
                        _unit(ind, lang),
                        den or "–",
                        _num(rec["denominator_value"]),
                        "–" if pd.isna(rec["rate"]) else f"{rec['rate']:.2f} %",
                    ]
                )
            if rows:
                sub.add(
                    Table(
                        [
                            "问题" if zh else "Problem",
                            "数量" if zh else "Count",
                            "单位" if zh else "Unit",
                            "分母" if zh else "Denominator",
                            "分母数量" if zh else "Of",
                            "占比" if zh else "Share",
                        ],
                        rows,
                        numeric=[False, True, False, False, True, True],
                    )
                )
            if cov:
                sub.add(
                    Table(
                        [
                            "覆盖率指标" if zh else "Coverage",
                            "覆盖率" if zh else "Rate",
                            "统计对象" if zh else "Measured over",
                            "数量" if zh else "Amount",
                        ],
                        cov,
                        numeric=[False, True, False, True],
                    )
                )
        _located(sub, inp, lev, lang)
        _hotline_candidates(sub, inp, lev, lang)
        s.subsections.append(sub)
    fig = _problem_map(inp, lang)
    if fig is not None:
        s.add(fig)
    return s


_LOCATED_SHOWN = 12


def _located(sub: Section, inp: AnnualInputs, lev: str, lang: str) -> None:
    """The first located problems of a level (the full list is the annex), with where they are."""
    pl = inp.problems
    if pl is None or pl.empty or "level" not in pl.columns:
        return
    part = pl[pl["level"] == lev]
    if part.empty:
        return
    zh = lang == "zh"
    status = {
        "found": ("发现", "found"),
        "in_progress": ("整治中", "in progress"),
        "closed": ("已销号", "closed"),
        "to_project": ("转入更新项目", "in a renewal project"),
    }
    rows = []
    for rec in part.head(_LOCATED_SHOWN).to_dict("records"):
        where = next(
            (
                str(rec[c])
                for c in ("compound_name", "community_name", "block_name", "place", "district")
                if c in rec and isinstance(rec[c], str) and rec[c]
            ),
            "",
        )
        sub_item = rec.get("sub_item_zh" if zh else "sub_item_en") or ""
        rows.append(
            [
                str(rec["problem_id"]),
                str(rec.get("name_zh" if zh else "name_en", "")),
                str(sub_item),
                where,
                status.get(str(rec.get("status")), (str(rec.get("status")),) * 2)[0 if zh else 1],
                t(f"remediation.{rec.get('remediation', 'best_effort')}", lang),
            ]
        )
    more = len(part) - len(rows)
    sub.add(
        Table(
            [
                "编号" if zh else "ID",
                "问题" if zh else "Problem",
                "细项" if zh else "Sub-item",
                "位置" if zh else "Where",
                "状态" if zh else "Status",
                "整治类型" if zh else "Type",
            ],
            rows,
            caption=(
                f"定位问题（共{len(part)}条）" if zh else f"Located problems ({len(part)} in all)"
            ),
        )
    )
    if more > 0:
        sub.add(
            Para(
                (
                    f"其余{more}条见附件问题清单。"
                    if zh
                    else f"The other {more} are in the annex problem list."
                ),
                "note",
            )
        )


def _problem_map(inp: AnnualInputs, lang: str) -> Figure | None:
    pl = inp.problems
    if pl is None or pl.empty or not {"lon", "lat", "level"} <= set(pl.columns):
        return None
    pts = pl.dropna(subset=["lon", "lat"])
    if pts.empty:
        return None
    from citycheckup.report import charts

    zh = lang == "zh"
    svg = charts.problem_points_svg(
        [
            (float(x), float(y), str(g))
            for x, y, g in zip(pts["lon"], pts["lat"], pts["level"], strict=True)
        ],
        labels={lev: t(f"level.{lev}", lang) for lev in LOWER_LEVELS},
        title="定位问题分布" if zh else "Where the located problems are",
    )
    return Figure(
        caption=(
            "住房、小区（社区）、街区定位问题的位置（经纬度，WGS-84）"
            if zh
            else "Located problems of housing, compounds and communities, and blocks (WGS-84)"
        ),
        svg=svg,
    )


def _hotline_smart(hot: Any, fw: Framework, lang: str) -> Section:
    """智慧高效: what the 12345 tickets of the period tell the check-up (rates, tickets into problems)."""
    from citycheckup.inventory.hotline_link import summary_rows

    zh = lang == "zh"
    aspect = (
        _dim_name(fw, "city_smart", lang)
        if any(d.code == "city_smart" for d in fw.all_dimensions())
        else ""
    )
    s = Section(
        f"{aspect}：12345热线"
        if zh and aspect
        else f"{aspect}: the 12345 hotline"
        if aspect
        else ("12345热线" if zh else "The 12345 hotline")
    )
    a, b = hot.period
    rates = [
        (("响应率" if zh else "Response rate"), hot.rates.get("response_rate")),
        (("解决率" if zh else "Resolution rate"), hot.rates.get("resolution_rate")),
        (("满意率" if zh else "Satisfaction rate"), hot.rates.get("satisfaction_rate")),
    ]
    rows = [[k, "–" if v is None or not math.isfinite(v) else f"{v:.1f} %"] for k, v in rates]
    rows += [[k, v] for k, v in summary_rows(hot, lang)]
    rows.append(["候选问题" if zh else "Candidate problems", f"{len(hot.candidates):,}"])
    period = f"{a:%Y年%m月%d日}至{b:%Y年%m月%d日}" if zh else f"{a:%d %B %Y} to {b:%d %B %Y}"
    s.add(
        Table(
            ["项目" if zh else "Item", "数值" if zh else "Value"],
            rows,
            numeric=[False, True],
            caption=(f"12345热线工单（{period}）" if zh else f"12345 hotline tickets ({period})"),
        )
    )
    m = hot.mapping
    s.add(
        Para(
            f"工单按对照表归入体检问题类型，并按坐标定位到社区（{m.community_distance_m:,.0f}米内最近的社区）或街区"
            f"（{m.block_distance_m:,.0f}米内最近的街区）；同一社区或街区同类问题在期内达到{m.min_tickets}件及以上的，"
            "列为候选问题，待实地核实后再录入问题清单。无法定位或不属体检问题类型的工单逐件列出，不作删除。"
            if zh
            else f"Tickets are classified to a check-up problem type with the mapping table and placed in a community "
            f"(the nearest within {m.community_distance_m:,.0f} m) or a block (the nearest within "
            f"{m.block_distance_m:,.0f} m); a problem type with {m.min_tickets} or more tickets in one community or "
            "block within the period becomes a candidate problem, to be verified on site before it enters the "
            "problem list. Tickets that cannot be placed or are not check-up problems are listed one by one, "
            "never dropped.",
            "note",
        )
    )
    return s


_TICKETS_SHOWN = 8


def _hotline_candidates(sub: Section, inp: AnnualInputs, lev: str, lang: str) -> None:
    """Candidate problems of a level from repeated 12345 tickets, with the ticket IDs as evidence."""
    c = getattr(inp.hotline, "candidates", None)
    if c is None or c.empty:
        return
    part = c[c["level"] == lev]
    if part.empty:
        return
    zh = lang == "zh"
    rows = []
    for rec in part.head(_LOCATED_SHOWN).to_dict("records"):
        sub_item = rec.get("sub_item_zh" if zh else "sub_item_en")
        name = str(rec.get("name_zh" if zh else "name_en") or "")
        what = (
            f"{name}（{sub_item}）"
            if zh and isinstance(sub_item, str) and sub_item
            else f"{name} ({sub_item})"
            if isinstance(sub_item, str) and sub_item
            else name
        )
        ids = str(rec["ticket_ids"]).split(";")
        shown = "、".join(ids[:_TICKETS_SHOWN]) if zh else ", ".join(ids[:_TICKETS_SHOWN])
        if len(ids) > _TICKETS_SHOWN:
            shown += f"等{len(ids)}件" if zh else f" and {len(ids) - _TICKETS_SHOWN} more"
        where = rec.get("place_name")
        if not zh and (
            not isinstance(where, str) or not where.isascii()
        ):  # register names are Chinese
            where = (
                f"{'community' if rec['register'] == 'community' else 'block'} {rec['register_id']}"
            )
        rows.append(
            [
                what,
                str(where) if isinstance(where, str) and where else "–",
                f"{int(rec['n_tickets']):,}",
                shown,
            ]
        )
    sub.add(
        Table(
            [
                "问题" if zh else "Problem",
                "位置" if zh else "Where",
                "工单数" if zh else "Tickets",
                "工单编号" if zh else "Ticket numbers",
            ],
            rows,
            numeric=[False, False, True, False],
            caption=(
                f"12345热线集中反映的候选问题（共{len(part)}条，待实地核实）"
                if zh
                else f"Candidate problems from repeated 12345 tickets ({len(part)} in all, to be verified on site)"
            ),
        )
    )
    if len(part) > len(rows):
        sub.add(
            Para(
                (
                    f"其余{len(part) - len(rows)}条候选问题随体检数据提供。"
                    if zh
                    else f"The other {len(part) - len(rows)} candidates come with the check-up data."
                ),
                "note",
            )
        )


# -- 五、成因分析 ------------------------------------------------------------------------------------------
def _causes(
    inp: AnnualInputs, fw: Framework, code: str, y: int, inds: dict[str, Indicator], lang: str
) -> Section:
    zh = lang == "zh"
    r = inp.result
    s = Section("成因分析" if zh else "Analysis of causes")
    items = []
    ag = r.aspect_grades
    weak = (
        ag[(ag[UNIT].astype(str) == code) & (ag[YEAR] == y) & ag["grade"].isin(["medium", "poor"])]
        if not ag.empty
        else ag
    )
    g = r.grades
    g = g[(g[UNIT].astype(str) == code) & (g[YEAR] == y)] if not g.empty else g
    for rec in weak.to_dict("records"):
        poor = [
            inds[i]
            for i in g.loc[(g["grade"] == "poor"), "indicator"]
            if (inds[i].aspect or fw.parent_of()[i]) == rec["dimension"]
        ]
        names = ("、" if zh else ", ").join(_name(i, lang) for i in poor) or ("—")
        dim, grade = _dim_name(fw, rec["dimension"], lang), t("aspect." + str(rec["grade"]), lang)
        items.append(
            f"{dim}评为“{grade}”，不足的指标：{names}。"
            if zh
            else f"{dim} is graded {grade}; poor indicators: {names}."
        )
    inv = r.inventories
    inv = (
        inv[(inv[UNIT].astype(str) == code) & (inv[YEAR] == y)].dropna(subset=["rate", "count"])
        if not inv.empty
        else inv
    )
    if not inv.empty:
        top = inv.sort_values("rate", ascending=False).head(3)
        items.append(
            ("问题占比最高的是：" if zh else "The highest problem shares are: ")
            + ("；" if zh else "; ").join(
                f"{_name(inds[x], lang)} {rate:.1f} %"
                for x, rate in zip(top["indicator"], top["rate"], strict=True)
            )
            + ("。" if zh else ".")
        )
    if not items:
        s.add(
            Para(
                "没有评为“中”或“差”的维度，也没有带分母的问题数据，本节无可分析的结果。"
                if zh
                else "No aspect is graded medium or poor and no problem counts with denominators were given: nothing to "
                "analyse here."
            )
        )
    else:
        s.add(Bullets(items))
        s.add(
            Para(
                "成因的判断需结合实地调查和部门访谈；上述为数据所显示的集中问题。"
                if zh
                else "Causes need field work and interviews to confirm; the above is where the data concentrates.",
                "note",
            )
        )
    return s


# -- 六、对策建议 ------------------------------------------------------------------------------------------
def _suggestions(
    inp: AnnualInputs, fw: Framework, code: str, y: int, inds: dict[str, Indicator], lang: str
) -> Section:
    zh = lang == "zh"
    s = Section("对策建议" if zh else "Recommendations")
    sg = inp.suggestions
    if sg is not None and not sg.empty:
        cols = [
            c
            for c in (
                ("measure_zh" if zh else "measure_en"),
                "remediation",
                ("department_zh" if zh else "department_en"),
                "n_problems",
            )
            if c in sg.columns
        ]
        rows = [
            [
                str(rec.get(cols[0], "")),
                t(f"remediation.{rec.get('remediation', 'best_effort')}", lang),
                str(rec.get(cols[2], "")) if len(cols) > 2 else "",
                _num(rec.get("n_problems")),
            ]
            for rec in sg.to_dict("records")
        ]
        s.add(
            Table(
                [
                    "整治措施" if zh else "Measure",
                    "整治类型" if zh else "Type",
                    "责任单位" if zh else "Responsible",
                    "问题数" if zh else "Problems",
                ],
                rows,
                numeric=[False, False, False, True],
                classes=[
                    ["", "tl" if rec.get("remediation") == "time_limited" else "", "", ""]
                    for rec in sg.to_dict("records")
                ],
            )
        )
    r = inp.result
    g = r.grades
    g = (
        g[(g[UNIT].astype(str) == code) & (g[YEAR] == y) & (g["grade"] == "poor")]
        if not g.empty
        else g
    )
    if not g.empty:
        s.add(
            Para(
                "城区层级评为“不足”的指标应列入年度整治重点："
                if zh
                else "City indicators graded poor should be priorities of the year:",
                "lead",
            )
        )
        s.add(
            Bullets(
                [
                    (
                        f"{_name(inds[i], lang)}：现状{_num(v)}{_unit(inds[i], lang)}，"
                        f"应{_target_text(inds[i], int(k), lang)}"
                    )
                    if zh
                    else (
                        f"{_name(inds[i], lang)}: now {_num(v)} {_unit(inds[i], lang)}; should "
                        f"{_target_text(inds[i], int(k), lang)}"
                    )
                    for i, v, k in zip(g["indicator"], g["value"], g["threshold"], strict=True)
                ]
            )
        )
    if (sg is None or sg.empty) and g.empty:
        s.add(
            Para(
                "本次没有问题清单和评为“不足”的城区指标，暂无针对性建议；完成住房、小区、街区实地调查后，"
                "整治建议将按问题类型逐项列出。"
                if zh
                else "There is no problem list and no city indicator graded poor, so there is nothing specific to "
                "recommend; after the field surveys of housing, compounds and blocks, the remediation is listed "
                "by problem type."
            )
        )
    return s


# -- 七、社会满意度 ----------------------------------------------------------------------------------------
def _satisfaction(inp: AnnualInputs, lang: str) -> Section:
    zh = lang == "zh"
    s = Section("社会满意度" if zh else "Residents' satisfaction")
    survey = inp.survey
    hot = inp.hotline
    rate = getattr(hot, "satisfaction_rate", None) if hot is not None else None
    if survey is None:
        if rate is None:
            s.add(
                Para(
                    "本次未提供居民满意度调查结果。按问卷开展抽样调查并导入答卷后，将在此报告各维度满意度及其置信区间，"
                    "并与同期12345热线满意率对照。"
                    if zh
                    else "No residents' satisfaction survey was supplied. Once a sample survey is run and its answers "
                    "imported, satisfaction by aspect with confidence intervals is reported here, next to the 12345 "
                    "hotline's satisfaction rate of the same period."
                )
            )
        else:
            s.add(
                Para(
                    f"本次未开展居民满意度调查；同期12345热线满意率为{rate:.1f}%（只反映来电市民对办理结果的评价）。"
                    if zh
                    else f"No residents' survey was run; the 12345 hotline's satisfaction rate of the same period is "
                    f"{rate:.1f} % (callers' views of how their requests were handled only)."
                )
            )
        return s
    if (
        rate is not None
        and getattr(survey, "hotline", None) is None
        and hasattr(survey, "with_hotline")
    ):
        survey = survey.with_hotline(rate, scale="percent", period=getattr(hot, "period", None))
    s.blocks.extend(survey.report_blocks(lang))  # the survey's blocks carry the 12345 comparison
    return s


# -- 八、上年度问题整治成效 ---------------------------------------------------------------------------------
def _followup(inp: AnnualInputs, lang: str, y: int) -> Section:
    zh = lang == "zh"
    s = Section("上年度问题整治成效" if zh else "Follow-up of last year's problems")
    fu = inp.followup
    summ = inp.followup_summary
    if (fu is None or fu.empty) and (summ is None or summ.empty):
        s.add(
            Para(
                f"本次没有{y - 1}年体检问题的跟踪记录；将上年度问题清单及其整治状态（已销号、整治中、转入更新项目）"
                "纳入体检数据后，将在此给出问题整治完成率和逐项成效。"
                if zh
                else f"No record of what became of the {y - 1} problems was supplied; once last year's problem list "
                "and the status of each problem (closed, in progress, moved into a renewal project) are included, "
                "the completion rate and the follow-up table appear here."
            )
        )
        return s
    if inp.completion_rate is not None:
        s.add(
            Para(
                (
                    f"上年度问题整治完成率为{inp.completion_rate:.1f}%（年初尚未销号的问题中，本年内销号的比例）。"
                    if zh
                    else f"Completion rate of last year's problems: {inp.completion_rate:.1f} % (of the problems still open "
                    "at the start of the year, the share closed during the year)."
                ),
                "lead",
            )
        )
    if summ is not None and not summ.empty:
        rows = []
        for rec in summ.to_dict("records"):
            lev = str(rec.get("level", ""))
            name = ("合计" if zh else "All") if lev == "all" else t(f"level.{lev}", lang)
            rate = rec.get("rate")
            rows.append(
                [
                    name,
                    _num(rec.get("denominator")),
                    _num(rec.get("completed")),
                    "–" if rate is None or pd.isna(rate) else f"{float(rate):.1f} %",
                ]
            )
        s.add(
            Table(
                [
                    "层级" if zh else "Level",
                    "年初未销号问题" if zh else "Open at start",
                    "本年销号" if zh else "Closed",
                    "完成率" if zh else "Rate",
                ],
                rows,
                numeric=[False, True, True, True],
            )
        )
    if fu is not None and not fu.empty:
        status = {
            "found": ("发现", "found"),
            "in_progress": ("整治中", "in progress"),
            "closed": ("已销号", "closed"),
            "to_project": ("转入更新项目", "moved to a renewal project"),
        }
        counts = (
            fu["status_end"].value_counts() if "status_end" in fu.columns else pd.Series(dtype=int)
        )
        s.add(
            Bullets(
                [
                    f"{status.get(k, (k, k))[0 if zh else 1]}：{int(v)}"
                    if zh
                    else f"{status.get(k, (k, k))[1]}: {int(v)}"
                    for k, v in counts.items()
                ]
            )
        )
        s.add(
            Para(
                "逐项成效见附件“上年度问题整治成效”。"
                if zh
                else "Each problem's outcome is listed in the annex workbook (follow-up sheet).",
                "note",
            )
        )
    return s


# -- 附件 ---------------------------------------------------------------------------------------------------
def _annex_summary(
    inp: AnnualInputs, fw: Framework, code: str, y: int, inds: dict[str, Indicator], lang: str
) -> Section:
    zh = lang == "zh"
    r = inp.result
    s = Section("指标汇总表" if zh else "Indicator summary")
    vals = r.values[(r.values[UNIT].astype(str) == code) & (r.values[YEAR] == y)]
    v = vals.iloc[0] if len(vals) else pd.Series(dtype=object)
    g = r.grades
    g = (
        g[(g[UNIT].astype(str) == code) & (g[YEAR] == y)].set_index("indicator")
        if not g.empty
        else g
    )
    rows, cls = [], []
    for ind in fw.indicators:
        x = v.get(ind.code) if ind.code in v.index else None
        grade = g.at[ind.code, "grade"] if not g.empty and ind.code in g.index else None
        rows.append(
            [
                ind.mohurd_id or "",
                _name(ind, lang),
                t(f"level.{ind.level}", lang),
                _num(x),
                _unit(ind, lang),
                t(f"grade.{grade}", lang) if isinstance(grade, str) else "",
                (ind.scope or "") if zh else (ind.scope_en or ind.scope or ""),
                (ind.owner or "") if zh else (ind.owner_en or ind.owner or ""),
            ]
        )
        cls.append(["", "", "", "", "", f"g-{grade}" if isinstance(grade, str) else "", "", ""])
    s.add(
        Table(
            [
                "编号" if zh else "ID",
                "指标" if zh else "Indicator",
                "层级" if zh else "Level",
                "数值" if zh else "Value",
                "单位" if zh else "Unit",
                "等级" if zh else "Grade",
                "统计范围" if zh else "Scope",
                "责任部门" if zh else "Data owner",
            ],
            rows,
            numeric=[False, False, False, True, False, False, False, False],
            classes=cls,
        )
    )
    s.add(
        Para(
            "指标代码、计算方法和评价依据见附件工作簿（XLSX）。"
            if zh
            else "Indicator codes, methods and the basis of each grade are in the annex workbook (XLSX).",
            "note",
        )
    )
    return s
