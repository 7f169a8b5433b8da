"""Read models of the API, part 1: frameworks, runs, their cached data, rankings and paging.

Plain dicts computed from the store (JSON-ready, NaN → None). Unit profiles, indicator
tables and comparisons are in ``_queries_units``; ``_queries`` gathers both.
"""

from __future__ import annotations

import functools
import math
import threading
from typing import Any

import numpy as np
import pandas as pd

from citycheckup.store import RunNotFoundError, Store

NO_DATA = "no data"


class NotFound(LookupError):
    """A unit, indicator, year or table does not exist in a run."""


def clean(v: Any) -> Any:
    """A JSON-safe copy of ``v`` (NaN/NA → None, numpy scalars → Python)."""
    if isinstance(v, dict):
        return {str(k): clean(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [clean(x) for x in v]
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    return v


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame rows as JSON-safe dicts."""
    cols = list(df.columns)
    return [
        clean(dict(zip(cols, row, strict=True))) for row in df.itertuples(index=False, name=None)
    ]


# -- frameworks ---------------------------------------------------------------------------
@functools.cache
def frameworks() -> dict[str, Any]:
    """Built-in frameworks by name and by code."""
    from citycheckup.framework import builtin_frameworks, load_framework

    out: dict[str, Any] = {}
    for name in builtin_frameworks():
        fw = load_framework(name)
        out[name] = fw
        out.setdefault(fw.code, fw)
    return out


def framework_names() -> list[str]:
    from citycheckup.framework import builtin_frameworks

    return list(builtin_frameworks())


def framework_summary(name: str, fw: Any) -> dict[str, Any]:
    return {
        "name": name,
        "code": fw.code,
        "version": fw.version,
        "name_zh": fw.name_zh,
        "name_en": fw.name_en,
        "index_code": fw.index_code,
        "n_indicators": len(fw.indicators),
        "dimensions": [
            {
                "code": d.code,
                "name_zh": d.name_zh,
                "name_en": d.name_en,
                "weight": d.weight,
                "n_indicators": sum(1 for _ in d.iter_indicators()),
            }
            for d in fw.dimensions
        ],
    }


def indicator_info(fw: Any, ind: Any, dimension: str) -> dict[str, Any]:
    bands = None
    if ind.grading is not None:
        bands = [b.model_dump() for b in ind.grading.resolved_bands(ind.direction)]
    return clean(
        {
            "code": ind.code,
            "name_zh": ind.name_zh,
            "name_en": ind.name_en,
            "unit": ind.unit,
            "direction": ind.direction,
            "weight": ind.weight,
            "level": ind.level,
            "dimension": dimension,
            "target": ind.target,
            "formula": ind.formula,
            "definition_zh": ind.definition_zh,
            "definition_en": ind.definition_en,
            "source": ind.source,
            "mohurd_id": ind.mohurd_id,
            "grading": None
            if ind.grading is None
            else {
                "source": ind.grading.source,
                "note": ind.grading.note,
                "cutoffs": ind.grading.cutoffs,
                "bands": bands,
            },
            "international": ind.international.model_dump(),
        }
    )


def framework_indicators(fw: Any) -> list[dict[str, Any]]:
    return [indicator_info(fw, i, d.code) for d in fw.dimensions for i in d.iter_indicators()]


def run_framework(run: dict[str, Any]) -> Any | None:
    code = run.get("framework_code")
    return frameworks().get(code) if code else None


# -- runs -----------------------------------------------------------------------------------
def run_info(st: Store, run_id: str) -> dict[str, Any]:
    try:
        return st.run(run_id)
    except RunNotFoundError:
        raise


def dimensions(st: Store, run: dict[str, Any]) -> list[dict[str, Any]]:
    """Score codes of a run with names and status (``scored`` or ``no data``)."""
    dc = st.query(
        "SELECT dimension, name_zh, name_en, status, n_indicators, n_used FROM dimension_coverage "
        "WHERE run_id = ?",
        [run["run_id"]],
    )
    by = {r["dimension"]: r for r in records(dc)}
    have = {
        r[0]
        for r in st.rows(
            "SELECT DISTINCT score FROM scores WHERE run_id = ? AND value IS NOT NULL",
            [run["run_id"]],
        )
    }
    out = []
    for code in run["score_codes"] or []:
        r = by.get(code, {})
        status = r.get("status") or ("scored" if code in have else NO_DATA)
        if code not in have:
            status = NO_DATA
        out.append(
            {
                "code": code,
                "name_zh": r.get("name_zh") or ("综合指数" if code in ("index", "Index") else code),
                "name_en": r.get("name_en") or ("Index" if code in ("index", "Index") else code),
                "status": status,
                "n_indicators": r.get("n_indicators"),
                "n_used": r.get("n_used"),
            }
        )
    return out


def years(st: Store, run_id: str) -> list[int]:
    rows = st.rows(
        "SELECT DISTINCT year FROM scores WHERE run_id = ? AND year IS NOT NULL ORDER BY year",
        [run_id],
    )
    if not rows:
        rows = st.rows(
            "SELECT DISTINCT year FROM indicator_values WHERE run_id = ? AND year IS NOT NULL "
            "ORDER BY year",
            [run_id],
        )
    return [int(r[0]) for r in rows]


def pick_year(st: Store, run: dict[str, Any], year: int | None) -> int | None:
    ys = years(st, run["run_id"])
    if year is None:
        return ys[-1] if ys else None
    if year not in ys:
        raise NotFound(
            f"run {run['run_id']} has no year {year}; its years: "
            f"{', '.join(map(str, ys)) or 'none (a result without years)'}"
        )
    return year


def _year_cond(year: int | None, col: str = "year") -> tuple[str, list[Any]]:
    return (f"{col} IS NULL", []) if year is None else (f"{col} = ?", [year])


def check_score(run: dict[str, Any], score: str) -> None:
    if score not in (run["score_codes"] or []):
        raise NotFound(
            f"run {run['run_id']} has no score {score!r}; choose one of: "
            f"{', '.join(run['score_codes'] or []) or 'none'}"
        )


class RunData:
    """A run's scores, units and rank intervals in memory, for the hot endpoints.

    Built once per run and store generation (one scan of the run's rows); the
    ranking of a year and the peer means of a year are then computed once each.
    """

    def __init__(self, st: Store, run: dict[str, Any]):
        rid = run["run_id"]
        self.run = run
        self.codes: list[str] = list(run["score_codes"] or [])
        self.units = {
            r[0]: {
                "unit_code": r[0],
                "unit_name": r[1],
                "province": r[2],
                "province_code": r[3],
                "size_class": r[4],
            }
            for r in st.rows(
                "SELECT unit_code, unit_name, province, province_code, size_class FROM units "
                "WHERE run_id = ? ORDER BY unit_code",
                [rid],
            )
        }
        self.cells: dict[tuple[Any, str], dict[str, tuple[Any, Any]]] = {}
        self.by_unit: dict[str, dict[str, list[tuple[Any, Any, Any]]]] = {}
        for code, year, score, value, rank in st.rows(
            "SELECT unit_code, year, score, value, rank FROM scores WHERE run_id = ? ORDER BY year",
            [rid],
        ):
            value, rank = clean(value), clean(rank)
            self.cells.setdefault((year, code), {})[score] = (value, rank)
            self.by_unit.setdefault(code, {}).setdefault(score, []).append((year, value, rank))
        self.intervals: dict[tuple[Any, str, str], tuple[Any, Any, Any]] = {
            (r[1], r[2], r[0]): (clean(r[3]), clean(r[4]), clean(r[5]))
            for r in st.rows(
                "SELECT unit_code, year, score, q5, q95, median FROM rank_intervals WHERE run_id = ?",
                [rid],
            )
        }
        self.years = sorted({y for (y, _) in self.cells if y is not None})
        self.dimensions = dimensions(st, run)
        self._rankings: dict[Any, list[dict[str, Any]]] = {}
        self._peers: dict[Any, dict[str, dict[str, Any]]] = {}
        self._diagnosis: dict[
            Any, tuple[dict[str, list[dict[str, Any]]], dict[str, list[dict[str, Any]]]]
        ] = {}
        self._st = st
        self._lock = threading.Lock()

    STRENGTH_COLUMNS = (
        "unit_code",
        "peer_type",
        "peer_group",
        "kind",
        "position",
        "indicator",
        "value",
        "peer_rank",
        "peer_n",
    )
    GRADE_COLUMNS = ("unit_code", "indicator", "value", "grade", "threshold_source")

    def diagnosis(
        self, year: Any
    ) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[dict[str, Any]]]]:
        """Strengths/weak points and grades of ``year``, grouped by unit (read once per year)."""
        got = self._diagnosis.get(year)
        if got is not None:
            return got
        yc, yp = _year_cond(year)
        rid = self.run["run_id"]
        sw: dict[str, list[dict[str, Any]]] = {}
        for row in self._st.rows(
            f"SELECT {', '.join(self.STRENGTH_COLUMNS)} FROM strengths WHERE run_id = ? "
            f"AND {yc} ORDER BY unit_code, kind, peer_type, position",
            [rid, *yp],
        ):
            r = clean(dict(zip(self.STRENGTH_COLUMNS, row, strict=True)))
            sw.setdefault(r.pop("unit_code"), []).append(r)
        gr: dict[str, list[dict[str, Any]]] = {}
        for row in self._st.rows(
            f"SELECT {', '.join(self.GRADE_COLUMNS)} FROM grades WHERE run_id = ? AND {yc}",
            [rid, *yp],
        ):
            r = clean(dict(zip(self.GRADE_COLUMNS, row, strict=True)))
            gr.setdefault(r.pop("unit_code"), []).append(r)
        with self._lock:
            self._diagnosis[year] = (sw, gr)
        return sw, gr

    def ranking(self, year: Any, score: str) -> list[dict[str, Any]]:
        """Every unit in ``year`` with all its scores and ranks; ``value``/``rank``/``q5``/``q95`` of ``score``."""
        key = (year, score)
        got = self._rankings.get(key)
        if got is not None:
            return got
        out = []
        for code, u in self.units.items():
            cell = self.cells.get((year, code))
            if cell is None:
                continue
            v, r = cell.get(score, (None, None))
            iv = self.intervals.get((year, score, code))
            out.append(
                {
                    **u,
                    "value": v,
                    "rank": r,
                    "q5": iv[0] if iv else None,
                    "q95": iv[1] if iv else None,
                    "scores": {c: cell.get(c, (None, None))[0] for c in self.codes},
                    "ranks": {c: cell.get(c, (None, None))[1] for c in self.codes},
                }
            )
        with self._lock:
            self._rankings[key] = out
        return out

    def peers(self, year: Any) -> dict[str, dict[str, Any]]:
        """Per score: n, national mean, and means by province and by size class in ``year``."""
        got = self._peers.get(year)
        if got is not None:
            return got
        acc: dict[str, dict[str, Any]] = {}
        for code, u in self.units.items():
            cell = self.cells.get((year, code)) or {}
            for score, (v, _) in cell.items():
                if v is None:
                    continue
                a = acc.setdefault(score, {"sum": 0.0, "n": 0, "province": {}, "size_class": {}})
                a["sum"] += v
                a["n"] += 1
                for key in ("province", "size_class"):
                    g = a[key].setdefault(u[key], [0.0, 0])
                    g[0] += v
                    g[1] += 1
        out = {
            score: {
                "n": a["n"],
                "national_mean": a["sum"] / a["n"],
                "province": {k: s_ / n for k, (s_, n) in a["province"].items()},
                "size_class": {k: s_ / n for k, (s_, n) in a["size_class"].items()},
            }
            for score, a in acc.items()
        }
        with self._lock:
            self._peers[year] = out
        return out


class RunDataCache:
    """:class:`RunData` per run, dropped whenever the store's write generation changes."""

    def __init__(self, st: Store, size: int = 8):
        self.st, self.size = st, size
        self._data: dict[tuple[int, str], RunData] = {}
        self._runs: dict[tuple[int, str], dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}

    def run(self, run_id: str) -> dict[str, Any]:
        key = (self.st.generation, run_id)
        got = self._runs.get(key)
        if got is None:
            got = self.st.run(run_id)
            with self._lock:
                if len(self._runs) > 256:
                    self._runs.clear()
                self._runs[key] = got
        return got

    def data(self, run_id: str) -> RunData:
        key = (self.st.generation, run_id)
        got = self._data.get(key)
        if got is not None:
            return got
        with self._building.setdefault(run_id, threading.Lock()):  # one build per run at a time
            got = self._data.get(key)
            if got is not None:
                return got
            got = RunData(self.st, self.run(run_id))
            with self._lock:
                for k in [k for k in self._data if k[0] != key[0]][: len(self._data)]:
                    del self._data[k]
                while len(self._data) >= self.size:
                    del self._data[next(iter(self._data))]
                self._data[key] = got
        return got


RANK_SORTS = ("rank", "-rank", "value", "-value", "name", "-name", "code", "-code")


def sort_ranking(items: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    key = sort.lstrip("-")
    desc = sort.startswith("-")
    field = {"rank": "rank", "value": "value", "name": "unit_name", "code": "unit_code"}[key]
    have = [x for x in items if x[field] is not None]
    none = [x for x in items if x[field] is None]
    have.sort(key=lambda x: (x[field], x["unit_code"]), reverse=desc)
    return have + none


def filter_units(
    items: list[dict[str, Any]], q: str | None, province: str | None
) -> list[dict[str, Any]]:
    if q:
        ql = q.lower()
        items = [
            x
            for x in items
            if ql in str(x["unit_name"]).lower() or ql in str(x["unit_code"]).lower()
        ]
    if province:
        items = [x for x in items if x.get("province") == province]
    return items


def paginate(items: list[Any], limit: int, offset: int) -> dict[str, Any]:
    return {
        "total": len(items),
        "limit": limit,
        "offset": offset,
        "items": items[offset : offset + limit],
    }
