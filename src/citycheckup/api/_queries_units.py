"""Read models of the API, part 2: a unit's profile, indicator tables and distributions,
time series and comparisons of units."""

from __future__ import annotations

import functools
import re
from typing import Any

import numpy as np

from citycheckup.api._queries_base import (
    NO_DATA,
    NotFound,
    RunData,
    _year_cond,
    check_score,
    clean,
    dimensions,
    framework_indicators,
    frameworks,
    pick_year,
    records,
    years,
)
from citycheckup.store import Store


def unit_row(st: Store, run_id: str, unit_code: str) -> dict[str, Any]:
    df = st.query(
        "SELECT unit_code, unit_name, province, province_code, size_class FROM units "
        "WHERE run_id = ? AND unit_code = ?",
        [run_id, unit_code],
    )
    if df.empty:
        raise NotFound(
            f"run {run_id} has no unit {unit_code!r}; list them at /api/v1/runs/{run_id}/units"
        )
    return records(df)[0]


def _indicator_meta(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return _meta_for(run.get("framework_code") or "")


@functools.cache
def _meta_for(code: str) -> dict[str, dict[str, Any]]:
    fw = frameworks().get(code) if code else None
    return {x["code"]: x for x in framework_indicators(fw)} if fw is not None else {}


def profile(st: Store, data: RunData, unit_code: str, *, year: int | None) -> dict[str, Any]:
    """A unit's profile: scores with ranks, intervals and peer means; trends; grades; strengths,
    weak points and priorities; report downloads."""
    run = data.run
    rid = run["run_id"]
    unit = data.units.get(unit_code)
    if unit is None:
        raise NotFound(
            f"run {rid} has no unit {unit_code!r}; list them at /api/v1/runs/{rid}/units"
        )
    if year is None:
        year = data.years[-1] if data.years else None
    elif year not in data.years:
        raise NotFound(
            f"run {rid} has no year {year}; its years: {', '.join(map(str, data.years)) or 'none'}"
        )
    peers = data.peers(year)
    cell = data.cells.get((year, unit_code), {})
    scores = []
    for d in data.dimensions:
        value, rank = cell.get(d["code"], (None, None))
        p = peers.get(d["code"], {})
        iv = data.intervals.get((year, d["code"], unit_code), (None, None, None))
        status = d["status"] if value is not None or d["status"] == NO_DATA else "missing"
        scores.append(
            {
                **d,
                "value": value,
                "rank": rank,
                "n": p.get("n"),
                "status": status,
                "national_mean": p.get("national_mean"),
                "province_mean": p.get("province", {}).get(unit["province"]),
                "size_class_mean": p.get("size_class", {}).get(unit["size_class"]),
                "q5": iv[0],
                "q95": iv[1],
                "median_rank": iv[2],
            }
        )
    # trends: one value and one rank per year of ``data.years`` (None where missing)
    pos = {y: i for i, y in enumerate(data.years)}
    series: dict[str, dict[str, list[Any]]] = {}
    changes = {}
    for score, pts in data.by_unit.get(unit_code, {}).items():
        vals: list[Any] = [None] * len(pos)
        ranks: list[Any] = [None] * len(pos)
        for y, v, r in pts:
            if y in pos:
                vals[pos[y]] = None if v is None else round(v, 4)
                ranks[pos[y]] = r
        series[score] = {"value": vals, "rank": ranks}
        have = [(y, v, r) for y, v, r in pts if y is not None and v is not None]
        if len(have) >= 2:
            (y0, v0, r0), (y1, v1, r1) = have[0], have[-1]
            changes[score] = clean(
                {
                    "base_year": y0,
                    "year": y1,
                    "change": v1 - v0,
                    "rank_change": None if r0 is None or r1 is None else r0 - r1,
                }
            )
    trends = {"years": data.years, "series": series}
    meta = _indicator_meta(run)
    sw, gr = data.diagnosis(year)
    strengths: list[dict[str, Any]] = []
    weaknesses: list[dict[str, Any]] = []
    for x in sw.get(unit_code, []):
        m = meta.get(x["indicator"], {})
        r = {
            **x,
            "name_zh": m.get("name_zh", x["indicator"]),
            "name_en": m.get("name_en", x["indicator"]),
            "unit": m.get("unit"),
            "dimension": m.get("dimension"),
        }
        (strengths if r["kind"] == "strength" else weaknesses).append(r)
    grades = [dict(g) for g in gr.get(unit_code, [])]
    return {
        "run_id": rid,
        "unit": unit,
        "year": year,
        "years": data.years,
        "scores": clean(scores),
        "trends": trends,
        "changes": changes,
        "strengths": strengths,
        "weaknesses": weaknesses,
        "priorities": priorities(weaknesses, grades, meta),
        "grades": grades,
        "reports": report_links(run, unit_code),
    }


_REPORT = re.compile(
    r"^(?:reports/)?(city_(?P<unit>[^/_]+)|overview|report)(?:_(?P<lang>[a-z]{2}))?\.(?P<fmt>html|pdf)$"
)


def report_links(run: dict[str, Any], unit_code: str) -> list[dict[str, Any]]:
    """Stored reports for a unit: its own city report (``reports/city_<code>_<lang>.html|pdf``)
    first, then the run's reports (``report.html``, ``report_en.html``, ``reports/overview_*``)."""
    out = []
    for f in run["files"]:
        m = _REPORT.match(f["name"])
        if m is None or (m.group("unit") is not None and m.group("unit") != unit_code):
            continue
        out.append(
            {
                "name": f["name"],
                "scope": "unit" if m.group("unit") else "run",
                "lang": m.group("lang") or (run.get("manifest") or {}).get("lang") or "zh",
                "format": m.group("fmt"),
                "url": f"/api/v1/runs/{run['run_id']}/files/{f['name']}",
            }
        )
    out.sort(key=lambda r: (r["scope"] != "unit", r["format"] != "html", r["lang"], r["name"]))
    return out


def priorities(
    weaknesses: list[dict[str, Any]],
    grades: list[dict[str, Any]],
    meta: dict[str, dict[str, Any]],
    n: int = 5,
) -> list[dict[str, Any]]:
    """Indicators to work on first: weak points against peers and poorly graded indicators.

    Score = how far down the peer ranking the unit is (peer_rank / peer_n, worst of the
    peer groups), plus 1 for a ``poor`` grade and 0.5 for ``fair``, times the indicator's
    weight. Highest first.
    """
    by: dict[str, dict[str, Any]] = {}
    for w in weaknesses:
        if w["peer_rank"] is None or not w["peer_n"]:
            continue
        share = float(w["peer_rank"]) / float(w["peer_n"])
        cur = by.setdefault(
            w["indicator"],
            {"indicator": w["indicator"], "peer_position": 0.0, "grade": None, "peers": []},
        )
        cur["peer_position"] = max(cur["peer_position"], share)
        cur["peers"].append({k: w[k] for k in ("peer_type", "peer_group", "peer_rank", "peer_n")})
    for g in grades:
        if g["grade"] in ("poor", "fair"):
            cur = by.setdefault(
                g["indicator"],
                {"indicator": g["indicator"], "peer_position": 0.0, "grade": None, "peers": []},
            )
            cur["grade"] = g["grade"]
    out = []
    for code, x in by.items():
        m = meta.get(code, {})
        bonus = {"poor": 1.0, "fair": 0.5}.get(x["grade"] or "", 0.0)
        x.update(
            {
                "name_zh": m.get("name_zh", code),
                "name_en": m.get("name_en", code),
                "dimension": m.get("dimension"),
                "score": round((x["peer_position"] + bonus) * float(m.get("weight") or 1.0), 4),
            }
        )
        out.append(x)
    out.sort(key=lambda x: (-x["score"], x["indicator"]))
    return out[:n]


def unit_indicators(
    st: Store, run: dict[str, Any], unit_code: str, *, year: int | None
) -> dict[str, Any]:
    """Indicator table of a unit: raw and normalised values, grade, thresholds, target, peer position."""
    rid = run["run_id"]
    unit = unit_row(st, rid, unit_code)
    year = pick_year(st, run, year)
    yc, yp = _year_cond(year)
    vals = st.query(
        f"SELECT stage, indicator, value FROM indicator_values WHERE run_id = ? AND unit_code = ? "
        f"AND {yc}",
        [rid, unit_code, *yp],
    )
    grades = {
        r["indicator"]: r
        for r in records(
            st.query(
                f"SELECT indicator, grade, threshold_source FROM grades WHERE run_id = ? AND unit_code = ? AND {yc}",
                [rid, unit_code, *yp],
            )
        )
    }
    cov = {
        r["indicator"]: r
        for r in records(
            st.query(
                "SELECT indicator, dimension, status, availability, reason FROM coverage WHERE run_id = ?",
                [rid],
            )
        )
    }
    meta = _indicator_meta(run)
    stages: dict[str, dict[str, Any]] = {}
    for r in records(vals):
        stages.setdefault(r["indicator"], {})[r["stage"]] = r["value"]
    codes = list(meta) if meta else sorted(stages)
    items = []
    for code in codes:
        if code not in stages and code not in cov:
            continue
        m = meta.get(code, {})
        c = cov.get(code, {})
        g = grades.get(code, {})
        st_vals = stages.get(code, {})
        items.append(
            {
                "indicator": code,
                "name_zh": m.get("name_zh", code),
                "name_en": m.get("name_en", code),
                "dimension": m.get("dimension") or c.get("dimension"),
                "unit": m.get("unit"),
                "direction": m.get("direction"),
                "level": m.get("level"),
                "target": m.get("target"),
                "status": c.get("status") or ("used" if st_vals else NO_DATA),
                "reason": c.get("reason"),
                "value": st_vals.get("raw", st_vals.get(next(iter(st_vals), ""), None)),
                "normalised": st_vals.get("normalised"),
                "stages": st_vals,
                "grade": g.get("grade"),
                "threshold_source": g.get("threshold_source"),
                "grading": m.get("grading"),
            }
        )
    return {"run_id": rid, "unit": unit, "year": year, "items": clean(items)}


def indicator_distribution(
    st: Store,
    run: dict[str, Any],
    indicator: str,
    *,
    year: int | None,
    stage: str | None,
    n_top: int = 10,
    bins: int = 20,
) -> dict[str, Any]:
    """Distribution of one indicator across units: statistics, histogram, top/bottom units, values."""
    rid = run["run_id"]
    stages = [
        r[0]
        for r in st.rows(
            "SELECT DISTINCT stage FROM indicator_values WHERE run_id = ? AND indicator = ?",
            [rid, indicator],
        )
    ]
    if not stages:
        raise NotFound(
            f"run {rid} has no values of indicator {indicator!r}; see /api/v1/runs/{rid}/indicators"
        )
    stage = stage or ("raw" if "raw" in stages else stages[0])
    if stage not in stages:
        raise NotFound(
            f"indicator {indicator!r} has no stage {stage!r} in run {rid}; stages: {', '.join(stages)}"
        )
    year = pick_year(st, run, year)
    yc, yp = _year_cond(year, "v.year")
    df = st.query(
        f"""SELECT v.unit_code, u.unit_name, u.province, v.value FROM indicator_values v
                      LEFT JOIN units u ON u.run_id = v.run_id AND u.unit_code = v.unit_code
                      WHERE v.run_id = ? AND v.indicator = ? AND v.stage = ? AND {yc}""",
        [rid, indicator, stage, *yp],
    )
    meta = _indicator_meta(run).get(
        indicator, {"code": indicator, "name_zh": indicator, "name_en": indicator, "direction": 1}
    )
    have = df.dropna(subset=["value"])
    x = have["value"].to_numpy(dtype=float)
    stats: dict[str, Any] = {"n": int(len(x)), "n_missing": int(len(df) - len(x))}
    hist: dict[str, Any] = {"edges": [], "counts": []}
    if len(x):
        q = np.quantile(x, [0, 0.25, 0.5, 0.75, 1])
        stats.update(
            {
                "min": q[0],
                "q1": q[1],
                "median": q[2],
                "q3": q[3],
                "max": q[4],
                "mean": float(x.mean()),
                "sd": float(x.std(ddof=1)) if len(x) > 1 else None,
            }
        )
        counts, edges = np.histogram(x, bins=bins if q[4] > q[0] else 1)
        hist = {"edges": edges.tolist(), "counts": counts.tolist()}
    direction = meta.get("direction") or 1
    ordered = have.sort_values(["value", "unit_code"], ascending=[direction < 0, True])
    return clean(
        {
            "run_id": rid,
            "indicator": meta,
            "stage": stage,
            "stages": stages,
            "year": year,
            "stats": stats,
            "histogram": hist,
            "top": records(ordered.head(n_top)),
            "bottom": records(ordered.tail(n_top).iloc[::-1]),
            "values": records(df),
        }
    )


def run_indicators(st: Store, run: dict[str, Any]) -> list[dict[str, Any]]:
    """Indicators with values in a run, with metadata and coverage status."""
    rid = run["run_id"]
    have = st.query(
        "SELECT indicator, list(DISTINCT stage ORDER BY stage) AS stages, count(value) AS n_values "
        "FROM indicator_values WHERE run_id = ? GROUP BY indicator",
        [rid],
    )
    cov = {
        r["indicator"]: r
        for r in records(
            st.query(
                "SELECT indicator, dimension, status, availability, reason FROM coverage WHERE run_id = ?",
                [rid],
            )
        )
    }
    meta = _indicator_meta(run)
    out = []
    for r in have.to_dict("records"):
        code = str(r["indicator"])
        m = meta.get(code)
        if meta and m is None:
            continue  # id and group columns of the indicator table (province code …)
        c = cov.get(code, {})
        out.append(
            clean(
                {
                    "code": code,
                    "name_zh": (m or {}).get("name_zh", code),
                    "name_en": (m or {}).get("name_en", code),
                    "unit": (m or {}).get("unit"),
                    "dimension": (m or {}).get("dimension") or c.get("dimension"),
                    "direction": (m or {}).get("direction"),
                    "status": c.get("status") or "used",
                    "availability": c.get("availability"),
                    "stages": list(r["stages"]),
                    "n_values": r["n_values"],
                }
            )
        )
    return out


def timeseries(st: Store, run: dict[str, Any], units: list[str], score: str) -> dict[str, Any]:
    rid = run["run_id"]
    check_score(run, score)
    for u in units:
        unit_row(st, rid, u)
    df = st.query(
        "SELECT s.unit_code, u.unit_name, s.year, s.value, s.rank FROM scores s "
        "JOIN units u ON u.run_id = s.run_id AND u.unit_code = s.unit_code "
        "WHERE s.run_id = ? AND s.score = ? AND list_contains(?, s.unit_code) AND s.year IS NOT NULL "
        "ORDER BY s.unit_code, s.year",
        [rid, score, units],
    )
    series: dict[str, dict[str, Any]] = {}
    for r in records(df):
        s = series.setdefault(
            r["unit_code"], {"unit_code": r["unit_code"], "unit_name": r["unit_name"], "points": []}
        )
        s["points"].append({"year": r["year"], "value": r["value"], "rank": r["rank"]})
    return {
        "run_id": rid,
        "score": score,
        "years": years(st, rid),
        "series": [series[u] for u in units if u in series],
    }


def compare_units(
    st: Store, run: dict[str, Any], units: list[str], *, year: int | None
) -> dict[str, Any]:
    rid = run["run_id"]
    year = pick_year(st, run, year)
    items = []
    for u in units:
        unit = unit_row(st, rid, u)
        yc, yp = _year_cond(year)
        sc = st.query(
            f"SELECT score, value, rank FROM scores WHERE run_id = ? AND unit_code = ? AND {yc}",
            [rid, u, *yp],
        )
        items.append(
            {
                "unit": unit,
                "scores": {
                    r["score"]: {"value": r["value"], "rank": r["rank"]} for r in records(sc)
                },
            }
        )
    return {"run_id": rid, "year": year, "dimensions": dimensions(st, run), "units": items}
