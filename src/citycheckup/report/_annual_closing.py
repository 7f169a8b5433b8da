"""Annual report, part 4: 五 成因分析, 六 对策建议, 七 社会满意度, 八 上年度问题整治成效 and the annex."""

from __future__ import annotations

import pandas as pd

from citycheckup.framework.models import Framework, Indicator
from citycheckup.report._annual_common import (
    UNIT,
    YEAR,
    AnnualInputs,
    _dim_name,
    _name,
    _num,
    _pick,
    _target_text,
    _unit,
)
from citycheckup.report.document import Bullets, Para, Section, Table
from citycheckup.report.messages import t


def _causes(
    inp: AnnualInputs, fw: Framework, code: str, y: int, inds: dict[str, Indicator], lang: str
) -> Section:
    r = inp.result
    s = Section(t("a.causes", lang))
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
        names = t("sep.list", lang).join(_name(i, lang) for i in poor) or "—"
        items.append(
            t(
                "a.weak_aspect",
                lang,
                aspect=_dim_name(fw, rec["dimension"], lang),
                grade=t("aspect." + str(rec["grade"]), lang),
                names=names,
            )
        )
    inv = r.inventories
    inv = (
        inv[(inv[UNIT].astype(str) == code) & (inv[YEAR] == y)].dropna(subset=["rate", "count"])
        if not inv.empty
        else inv
    )
    if not inv.empty:
        top = inv.sort_values("rate", ascending=False).head(3)
        shares = t("sep.semi", lang).join(
            f"{_name(inds[x], lang)} {rate:.1f} %"
            for x, rate in zip(top["indicator"], top["rate"], strict=True)
        )
        items.append(t("a.top_shares", lang, shares=shares))
    if not items:
        s.add(Para(t("a.nothing_to_analyse", lang)))
    else:
        s.add(Bullets(items))
        s.add(Para(t("a.causes_note", lang), "note"))
    return s


def _suggestions(
    inp: AnnualInputs, fw: Framework, code: str, y: int, inds: dict[str, Indicator], lang: str
) -> Section:
    s = Section(t("a.suggestions", lang))
    sg = inp.suggestions
    if sg is not None and not sg.empty:
        cols = [
            c
            for c in (
                _pick("measure_zh", "measure_en", lang),
                "remediation",
                _pick("department_zh", "department_en", lang),
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
                [t(f"a.col.{k}", lang) for k in ("measure", "type", "responsible", "problems")],
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
        s.add(Para(t("a.poor_priorities", lang), "lead"))
        s.add(
            Bullets(
                [
                    t(
                        "a.poor_item",
                        lang,
                        name=_name(inds[i], lang),
                        value=_num(v),
                        unit=_unit(inds[i], lang),
                        target=_target_text(inds[i], int(k), lang),
                    )
                    for i, v, k in zip(g["indicator"], g["value"], g["threshold"], strict=True)
                ]
            )
        )
    if (sg is None or sg.empty) and g.empty:
        s.add(Para(t("a.nothing_to_recommend", lang)))
    return s


def _satisfaction(inp: AnnualInputs, lang: str) -> Section:
    s = Section(t("a.satisfaction", lang))
    survey = inp.survey
    hot = inp.hotline
    rate = getattr(hot, "satisfaction_rate", None) if hot is not None else None
    if survey is None:
        if rate is None:
            s.add(Para(t("a.no_survey", lang)))
        else:
            s.add(Para(t("a.no_survey_hotline", lang, rate=f"{rate:.1f}")))
        return s
    if (
        rate is not None
        and getattr(survey, "hotline", None) is None
        and hasattr(survey, "with_hotline")
    ):
        survey = survey.with_hotline(rate, scale="percent", period=getattr(hot, "period", None))
    s.blocks.extend(survey.report_blocks(lang))  # the survey's blocks carry the 12345 comparison
    return s


def _followup(inp: AnnualInputs, lang: str, y: int) -> Section:
    s = Section(t("a.followup", lang))
    fu = inp.followup
    summ = inp.followup_summary
    if (fu is None or fu.empty) and (summ is None or summ.empty):
        s.add(Para(t("a.no_followup", lang, year=y - 1)))
        return s
    if inp.completion_rate is not None:
        s.add(Para(t("a.completion_rate", lang, rate=f"{inp.completion_rate:.1f}"), "lead"))
    if summ is not None and not summ.empty:
        rows = []
        for rec in summ.to_dict("records"):
            lev = str(rec.get("level", ""))
            name = t("a.all_levels", lang) if lev == "all" else t(f"level.{lev}", lang)
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
                [t(f"a.col.{k}", lang) for k in ("level", "open_at_start", "closed", "completion")],
                rows,
                numeric=[False, True, True, True],
            )
        )
    if fu is not None and not fu.empty:
        counts = (
            fu["status_end"].value_counts() if "status_end" in fu.columns else pd.Series(dtype=int)
        )
        s.add(
            Bullets(
                [
                    t(
                        "a.status_count",
                        lang,
                        status=t(f"a.followup_status.{k}", lang) if k in _FOLLOWUP_STATUSES else k,
                        n=int(v),
                    )
                    for k, v in counts.items()
                ]
            )
        )
        s.add(Para(t("a.followup_note", lang), "note"))
    return s


_FOLLOWUP_STATUSES = ("found", "in_progress", "closed", "to_project")


def _annex_summary(
    inp: AnnualInputs, fw: Framework, code: str, y: int, inds: dict[str, Indicator], lang: str
) -> Section:
    r = inp.result
    s = Section(t("a.annex_summary", lang))
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
                _pick(ind.scope or "", ind.scope_en or ind.scope or "", lang),
                _pick(ind.owner or "", ind.owner_en or ind.owner or "", lang),
            ]
        )
        cls.append(["", "", "", "", "", f"g-{grade}" if isinstance(grade, str) else "", "", ""])
    s.add(
        Table(
            [
                t(f"a.col.{k}", lang)
                for k in ("id", "indicator", "level", "value", "unit", "grade", "scope", "owner")
            ],
            rows,
            numeric=[False, False, False, True, False, False, False, False],
            classes=cls,
        )
    )
    s.add(Para(t("a.annex_note", lang), "note"))
    return s
