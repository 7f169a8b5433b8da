"""Thematic check-ups (专项体检: parking, old blocks, complete communities) from the same data.

A theme (``report/data/themes.yaml``, editable) names the MOHURD indicators it covers; its
report gathers their lower-level counts over denominators, the city-level grades, the
located problems of those types, and the remediation and renewal projects that address
them.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from citycheckup.errors import DataError
from citycheckup.report._annual_common import (
    UNIT,
    YEAR,
    AnnualInputs,
    _name,
    _num,
    _pick,
    _ref_text,
    _unit,
    _variable_name,
)
from citycheckup.report.document import Document, Para, Section, Table
from citycheckup.report.labels import local_now, unit_label
from citycheckup.report.messages import t

__all__ = ["load_themes", "thematic_report"]


@lru_cache(maxsize=4)
def _read(path: str | None) -> dict[str, Any]:
    text = (
        Path(path).read_text(encoding="utf-8")
        if path
        else (resources.files("citycheckup.report") / "data" / "themes.yaml").read_text(
            encoding="utf-8"
        )
    )
    data = yaml.safe_load(text) or {}
    themes = data.get("themes")
    if not isinstance(themes, dict) or not themes:
        raise DataError(
            f"{path or 'themes.yaml'}: no themes; write `themes:` with name_zh, name_en, intro_zh, "
            "intro_en and indicators (MOHURD IDs) for each"
        )
    problems = []
    for key, th in themes.items():
        for field in ("name_zh", "name_en", "intro_zh", "intro_en", "indicators"):
            if not th.get(field):
                problems.append(f"theme {key!r} lacks {field}")
    if problems:
        raise DataError(f"{path or 'themes.yaml'}: " + "; ".join(problems))
    return themes


def load_themes(path: str | Path | None = None) -> dict[str, Any]:
    """The thematic check-ups: key → name_zh, name_en, intro_zh, intro_en, indicators (MOHURD IDs)."""
    return _read(str(path) if path else None)


def thematic_report(
    inp: AnnualInputs,
    unit_code: str,
    theme: str,
    *,
    year: int | None = None,
    lang: str = "zh",
    themes: str | Path | None = None,
) -> Document:
    """The thematic check-up ``theme`` of ``unit_code`` as a :class:`Document`."""
    all_themes = load_themes(themes)
    if theme not in all_themes:
        raise DataError(f"unknown theme {theme!r}; choose one of {', '.join(all_themes)}")
    th = all_themes[theme]
    r = inp.result
    fw = r.framework
    zh = lang == "zh"
    y = int(year if year is not None else r.years[-1])
    code = str(unit_code)
    vals = r.values[(r.values[UNIT].astype(str) == code) & (r.values[YEAR] == y)]
    if vals.empty:
        raise DataError(f"unit {code} has no values in {y} in this check-up")
    city = unit_label(code, vals.iloc[0].get("unit_name"), lang)
    ids = set(th["indicators"])
    inds = [i for i in fw.indicators if i.mohurd_id in ids]
    codes = {i.code for i in inds}
    name = th[_pick("name_zh", "name_en", lang)]
    doc = Document(
        title=t("th.title", lang, city=city, year=y, name=name),
        lang="zh" if zh else "en",
        subtitle=t("a.subtitle", lang, framework=_pick(fw.name_zh, fw.name_en, lang)),
        meta=[
            t("a.reference_date", lang, year=y),
            t("a.generated", lang, time=local_now(lang)),
        ],
        running=name,
        footer=t("footer", lang),
    )
    doc.sections.append(
        Section(t("th.about", lang)).add(Para(th[_pick("intro_zh", "intro_en", lang)]))
    )
    # results of the theme's indicators
    res = Section(t("th.results", lang))
    inv = r.inventories
    inv = (
        inv[(inv[UNIT].astype(str) == code) & (inv[YEAR] == y) & inv["indicator"].isin(codes)]
        if not inv.empty
        else inv
    )
    g = r.grades
    g = (
        g[(g[UNIT].astype(str) == code) & (g[YEAR] == y)].set_index("indicator")
        if not g.empty
        else g
    )
    v = vals.iloc[0]
    rows, cls, missing = [], [], []
    by_code = {i.code: i for i in inds}
    for ind in inds:
        x = v.get(ind.code) if ind.code in v.index else None
        if x is None or pd.isna(x):
            missing.append(_name(ind, lang))
            continue
        rec = inv[inv["indicator"] == ind.code] if not inv.empty else inv
        if len(rec):
            rr = rec.iloc[0]
            den = _variable_name(fw, rr["denominator"], lang) if rr["denominator"] else ""
            detail = (
                t(
                    "th.share_of",
                    lang,
                    den=den,
                    n=_num(rr["denominator_value"]),
                    rate=f"{rr['rate']:.2f}",
                )
                if den and pd.notna(rr["rate"]) and ind.unit.strip() != "%"
                else ""
            )
            rows.append([_name(ind, lang), _num(x), _unit(ind, lang), detail, ""])
            cls.append(["", "", "", "", ""])
        else:
            grade = g.at[ind.code, "grade"] if not g.empty and ind.code in g.index else None
            rule = (
                _ref_text(ind, int(g.at[ind.code, "threshold"]), lang)[0]
                if isinstance(grade, str)
                else ""
            )
            rows.append(
                [
                    _name(ind, lang),
                    _num(x),
                    _unit(ind, lang),
                    rule,
                    t(f"grade.{grade}", lang) if isinstance(grade, str) else "",
                ]
            )
            cls.append(["", "", "", "", f"g-{grade}" if isinstance(grade, str) else ""])
    if rows:
        res.add(
            Table(
                [
                    t("a.col.indicator", lang),
                    t("a.col.value", lang),
                    t("a.col.unit", lang),
                    t("th.col.denominator_or_threshold", lang),
                    t("a.col.grade", lang),
                ],
                rows,
                numeric=[False, True, False, False, False],
                classes=cls,
            )
        )
    else:
        res.add(Para(t("th.no_data", lang)))
    if missing:
        res.add(Para(t("th.without_data", lang, names=t("sep.list", lang).join(missing)), "note"))
    doc.sections.append(res)
    # problems and projects of the theme
    prob = Section(t("th.problems", lang))
    pl = inp.problems
    pl = (
        pl[pl["indicator"].isin(codes)]
        if pl is not None and not pl.empty and "indicator" in pl.columns
        else None
    )
    if pl is None or pl.empty:
        prob.add(Para(t("th.no_problems", lang)))
    else:
        cols = [
            c
            for c in ("problem_id", "indicator", "location", "district", "status")
            if c in pl.columns
        ]
        prob.add(
            Table(
                [t(f"th.col.{c}", lang) for c in cols],
                [
                    [
                        _name(by_code[rec[c]], lang)
                        if c == "indicator" and rec[c] in by_code
                        else str(rec[c])
                        for c in cols
                    ]
                    for rec in pl.to_dict("records")
                ],
            )
        )
    doc.sections.append(prob)
    proj = Section(t("th.projects", lang))
    pj = inp.projects
    if (
        pj is not None
        and not pj.empty
        and pl is not None
        and not pl.empty
        and "problem_ids" in pj.columns
    ):
        mine = set(pl["problem_id"].astype(str)) if "problem_id" in pl.columns else set()
        keep = pj[
            pj["problem_ids"]
            .astype(str)
            .apply(lambda s: bool(mine & {x.strip() for x in s.split(",")}))
        ]
        name_col = (
            "name_zh"
            if zh and "name_zh" in keep.columns
            else ("name_en" if "name_en" in keep.columns else None)
        )
        if len(keep) and name_col:
            proj.add(
                Table(
                    [t("th.col.project", lang), t("a.col.problems", lang)],
                    [
                        [str(x[name_col]), _num(x.get("n_problems"))]
                        for x in keep.to_dict("records")
                    ],
                    numeric=[False, True],
                )
            )
    if not proj.blocks:
        proj.add(Para(t("th.no_projects", lang)))
    doc.sections.append(proj)
    return doc
