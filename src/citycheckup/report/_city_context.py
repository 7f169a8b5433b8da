"""City reports, part 1: the report context (run data, grades, peers, priorities, problems).

Built once per run by :func:`build_context` and shared by every city and language.
"""

from __future__ import annotations

import base64
import logging
import math
import multiprocessing
import os
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

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
)
from citycheckup.errors import DataError
from citycheckup.report.run import RunData, load_run

log = logging.getLogger(__name__)

Lang = Literal["zh", "en"]
Format = Literal["html", "pdf", "docx"]
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
