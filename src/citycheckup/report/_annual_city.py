"""Annual report, part 2: 一 工作概况, 二 指标体系 and 三 城区评价 (grades by aspect, task and indicator)."""

from __future__ import annotations

import pandas as pd

from citycheckup.checkup import LOWER_LEVELS, MohurdResult
from citycheckup.framework.models import Framework, Indicator
from citycheckup.report._annual_common import (
    UNIT,
    YEAR,
    AnnualInputs,
    _dim_name,
    _name,
    _num,
    _pick,
    _reason,
    _ref_text,
    _unit,
)
from citycheckup.report._annual_lower import _hotline_smart
from citycheckup.report.document import Bullets, Para, Section, Table
from citycheckup.report.labels import size_basis_note, size_label
from citycheckup.report.messages import t


def _overview(
    inp: AnnualInputs, fw: Framework, city: str, code: str, y: int, vals: pd.DataFrame, lang: str
) -> Section:
    r = inp.result
    s = Section(t("a.overview", lang))
    org = inp.organisation
    if org:
        items = [
            t("a.org_item", lang, label=t(f"a.org.{key}", lang), value=org[key])
            for key in ("organiser", "technical", "period")
            if org.get(key)
        ]
        s.add(Bullets(items))
    else:
        s.add(Para(t("a.org_missing", lang), "note"))
    cov = r.coverage
    n_data = {
        lev: int(((cov["level"] == lev) & (cov["status"] == "data")).sum())
        for lev in (*LOWER_LEVELS, "city")
    }
    n_all = {lev: int((cov["level"] == lev).sum()) for lev in (*LOWER_LEVELS, "city")}
    levels = t("sep.list", lang).join(
        t("a.level_count", lang, level=t(f"level.{lev}", lang), n=n_data[lev], of=n_all[lev])
        for lev in n_data
    )
    s.add(
        Para(
            t(
                "a.scope",
                lang,
                framework=_pick(fw.name_zh, fw.name_en, lang),
                city=city,
                year=y,
                n_all=sum(n_all.values()),
                n_data=sum(n_data.values()),
                levels=levels,
            )
        )
    )
    s.add(Para(t("a.levels_rule", lang)))
    size = vals.iloc[0].get("size_class")
    lab = size_label(size, lang)
    if lab:
        s.add(
            Para(t("a.size_class", lang, label=lab) + size_basis_note(r.size_basis, lang), "note")
        )
    src = inp.source.get(lang) or _source_text(r.dataset.source, lang)
    s.add(Para(t("a.data_source", lang, source=src), "note"))
    return s


def _system(fw: Framework, r: MohurdResult, lang: str) -> Section:
    s = Section(t("a.system", lang))
    rows = []
    for lev in fw.dimensions:
        for sub in lev.dimensions or [lev]:
            codes = [i.code for i in sub.iter_indicators()]
            cov = r.coverage[r.coverage["indicator"].isin(codes)]
            rows.append(
                [
                    _pick(lev.name_zh, lev.name_en, lang),
                    _pick(sub.name_zh, sub.name_en, lang),
                    str(len(codes)),
                    str(int((cov["status"] == "data").sum())),
                ]
            )
    s.add(
        Table(
            [t(f"a.col.{c}", lang) for c in ("level", "aspect", "n_indicators", "with_data")],
            rows,
            numeric=[False, False, True, True],
            caption=t("a.system_caption", lang),
        )
    )
    s.add(Para(t("a.system_note", lang), "note"))
    return s


def _city_level(
    inp: AnnualInputs, fw: Framework, code: str, y: int, inds: dict[str, Indicator], lang: str
) -> Section:
    r = inp.result
    s = Section(t("a.city_level", lang))
    ag = r.aspect_grades
    ag = ag[(ag[UNIT].astype(str) == code) & (ag[YEAR] == y)] if not ag.empty else ag
    a = Section(t("a.by_aspect", lang))
    if ag.empty:
        a.add(Para(t("a.no_aspect_grades", lang)))
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
                    t(f"a.col.{c}", lang)
                    for c in ("aspect", "grade", "graded", "of_which_poor", "mean_points")
                ],
                rows,
                numeric=[False, False, True, True, True],
                classes=cls,
            )
        )
        a.add(Para(t("r.aspect_rule", lang), "note"))
    s.subsections.append(a)
    s.subsections.append(_by_task(r, fw, code, y, lang))
    s.subsections.append(_indicator_grades(r, fw, code, y, inds, lang))
    s.subsections.append(_ungraded(r, code, y, inds, lang))
    if getattr(inp.hotline, "candidates", None) is not None:
        s.subsections.append(_hotline_smart(inp.hotline, fw, lang))
    return s


def _by_task(r: MohurdResult, fw: Framework, code: str, y: int, lang: str) -> Section:
    tg = r.task_grades
    tg = tg[(tg[UNIT].astype(str) == code) & (tg[YEAR] == y)] if not tg.empty else tg
    b = Section(t("a.by_task", lang))
    if tg.empty:
        b.add(Para(t("a.no_task_grades", lang)))
        return b
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
            [t(f"a.col.{c}", lang) for c in ("task", "grade", "graded")],
            rows,
            numeric=[False, False, True],
            classes=[["", f"a-{rec['grade']}", ""] for rec in tg.to_dict("records")],
        )
    )
    b.add(Para(t("a.by_task_note", lang), "note"))
    return b


def _indicator_grades(
    r: MohurdResult, fw: Framework, code: str, y: int, inds: dict[str, Indicator], lang: str
) -> Section:
    g = r.grades
    g = g[(g[UNIT].astype(str) == code) & (g[YEAR] == y)] if not g.empty else g
    c = Section(t("a.indicator_grades", lang))
    if g.empty:
        c.add(Para(t("a.no_indicator_grades", lang)))
        return c
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
                t(f"a.col.{k}", lang)
                for k in ("indicator", "aspect", "value", "unit", "grade", "threshold", "basis")
            ],
            rows,
            numeric=[False, False, True, False, False, False, False],
            classes=cls,
        )
    )
    return c


def _ungraded(r: MohurdResult, code: str, y: int, inds: dict[str, Indicator], lang: str) -> Section:
    ug = r.ungraded
    ug = ug[(ug[UNIT].astype(str) == code) & (ug[YEAR] == y)] if not ug.empty else ug
    d = Section(t("a.ungraded", lang))
    if ug.empty:
        d.add(Para(t("a.all_graded", lang)))
        return d
    refs = r.references
    rows = []
    for rec in ug.to_dict("records"):
        ind = inds[rec["indicator"]]
        why = t("a.no_national_threshold", lang)
        if rec["reason"] == "not_applicable" and not refs.empty:
            rr = refs[
                (refs[UNIT].astype(str) == code)
                & (refs[YEAR] == y)
                & (refs["indicator"] == ind.code)
            ]
            if len(rr):
                why = t("sep.semi", lang).join(
                    dict.fromkeys(
                        _reason(x, yy, lang)
                        for x, yy in zip(rr["reason"], rr["reason_year"], strict=True)
                    )
                )
        rows.append([_name(ind, lang), _num(rec["value"]), _unit(ind, lang), why])
    d.add(
        Table(
            [t(f"a.col.{k}", lang) for k in ("indicator", "value", "unit", "why_not_graded")],
            rows,
            numeric=[False, True, False, False],
        )
    )
    d.add(Para(t("a.ungraded_note", lang), "note"))
    return d


def _source_text(source: str, lang: str) -> str:
    """The data set's source line, with the store roll-up named in the reader's language."""
    from citycheckup.inventory import STORE_SOURCE

    parts = [p.strip() for p in source.split(" + ")]
    return " + ".join(t("a.store_source", lang) if p == STORE_SOURCE else p for p in parts)
