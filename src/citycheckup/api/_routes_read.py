"""Read endpoints: frameworks, runs, units, scores, indicators and comparisons.

Each is a plain function registered with :meth:`~citycheckup.api._routing.Routes.json`
(cached, computed in a worker thread).
"""

import re
from typing import Annotated, Any, Literal

from fastapi import Path as PathParam
from fastapi import Query

from citycheckup.api import _queries as Q
from citycheckup.api._errors import ApiError
from citycheckup.api._params import (
    MAX_UNITS,
    RUN_ID,
    UNIT,
    Limit,
    Offset,
    RunId,
    Search,
    UnitCode,
    Year,
)
from citycheckup.api._routing import Routes
from citycheckup.api._security import public_value

__all__ = ["framework_routes", "result_routes", "run_routes"]


def _framework(name: str) -> Any:
    fw = Q.frameworks().get(name)
    if fw is None:
        raise Q.NotFound(f"no framework {name!r}; choose one of: {', '.join(Q.framework_names())}")
    return fw


def _unit_list(units: str) -> list[str]:
    items = [u.strip() for u in units.split(",") if u.strip()]
    if not items or len(items) > MAX_UNITS or any(not re.match(UNIT, u) for u in items):
        raise ApiError(
            422,
            "invalid_parameters",
            f"units must list 1–{MAX_UNITS} unit codes separated by commas",
        )
    return list(dict.fromkeys(items))


def framework_routes(r: Routes) -> None:
    """``/frameworks`` …"""

    @r.json("/frameworks", tags=["frameworks"], summary="Built-in indicator frameworks")
    def list_frameworks() -> Any:
        return {"items": [Q.framework_summary(n, Q.frameworks()[n]) for n in Q.framework_names()]}

    @r.json("/frameworks/{name}", tags=["frameworks"], summary="A framework with its sources")
    def get_framework(name: Annotated[str, PathParam(max_length=100)]) -> Any:
        fw = _framework(name)
        return {
            **Q.framework_summary(name, fw),
            "description": fw.description,
            "sources": fw.sources,
        }

    @r.json(
        "/frameworks/{name}/indicators",
        tags=["frameworks"],
        summary="Indicators with definitions, units, thresholds and sources",
    )
    def framework_indicators(
        name: Annotated[str, PathParam(max_length=100)],
        dimension: Annotated[str | None, Query(max_length=64)] = None,
        level: Annotated[Literal["housing", "community", "block", "city"] | None, Query()] = None,
        q: Search = None,
        limit: Limit = 100,
        offset: Offset = 0,
        sort: Annotated[Literal["framework", "code", "-code", "dimension"], Query()] = "framework",
    ) -> Any:
        items = Q.framework_indicators(_framework(name))
        if dimension:
            items = [i for i in items if i["dimension"] == dimension]
        if level:
            items = [i for i in items if i["level"] == level]
        if q:
            ql = q.lower()
            items = [
                i
                for i in items
                if ql in i["code"].lower()
                or ql in i["name_zh"].lower()
                or ql in i["name_en"].lower()
            ]
        if sort != "framework":
            key = sort.lstrip("-")
            items = sorted(
                items, key=lambda i: (i[key] or "", i["code"]), reverse=sort.startswith("-")
            )
        return Q.paginate(items, limit, offset)


def run_routes(r: Routes) -> None:
    """``/runs`` and ``/runs/{id}``."""
    st = r.st

    @r.json("/runs", tags=["runs"], summary="Stored runs (paginated, filterable, sortable)")
    def list_runs(
        kind: Annotated[
            Literal["run", "mohurd", "index", "sensitivity", "spatial"] | None, Query()
        ] = None,
        label: Annotated[str | None, Query(max_length=200)] = None,
        framework: Annotated[str | None, Query(max_length=100)] = None,
        sort: Annotated[
            Literal[
                "-stored_utc",
                "stored_utc",
                "-created_utc",
                "created_utc",
                "kind",
                "-kind",
                "label",
                "-label",
                "run_id",
                "-run_id",
            ],
            Query(),
        ] = "-stored_utc",
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Any:
        items = st.list_runs(
            kind=kind, label=label, framework=framework, sort=sort, limit=limit, offset=offset
        )
        return {
            "total": st.count_runs(kind=kind, label=label, framework=framework),
            "limit": limit,
            "offset": offset,
            "items": public_value(items),
        }

    @r.json(
        "/runs/{run_id}",
        tags=["runs"],
        summary="A run: manifest, dimensions, years, tables and files",
    )
    def get_run(run_id: RunId) -> Any:
        run = r.run(run_id)
        return {
            **r.public_run(run_id),
            "dimensions": Q.dimensions(st, run),
            "years": Q.years(st, run_id),
        }


def result_routes(r: Routes) -> None:
    """Units, scores, indicators, time series and comparisons of a run."""
    st, runs = r.st, r.runs

    @r.json("/runs/{run_id}/units", tags=["units"], summary="Units of a run")
    def list_units(
        run_id: RunId,
        q: Search = None,
        province: Annotated[str | None, Query(max_length=64)] = None,
        sort: Annotated[Literal["code", "-code", "name", "-name"], Query()] = "code",
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Any:
        r.run(run_id)
        items = Q.records(
            st.query(
                "SELECT unit_code, unit_name, province, province_code, size_class FROM units "
                "WHERE run_id = ?",
                [run_id],
            )
        )
        items = Q.filter_units(items, q, province)
        key = "unit_code" if sort.lstrip("-") == "code" else "unit_name"
        items.sort(key=lambda x: (x[key] or "", x["unit_code"]), reverse=sort.startswith("-"))
        return Q.paginate(items, limit, offset)

    @r.json(
        "/runs/{run_id}/scores",
        tags=["scores"],
        summary="Ranking: scores and ranks of every unit by year and dimension",
    )
    def scores(
        run_id: RunId,
        year: Year = None,
        score: Annotated[
            str | None, Query(max_length=64, description="Index or dimension code (default: index)")
        ] = None,
        q: Search = None,
        province: Annotated[str | None, Query(max_length=64)] = None,
        sort: Annotated[
            Literal["rank", "-rank", "value", "-value", "name", "-name", "code", "-code"], Query()
        ] = "rank",
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Any:
        data = runs.data(run_id)
        sc = score or (data.codes or ["index"])[0]
        Q.check_score(data.run, sc)
        if year is None:
            y = data.years[-1] if data.years else None
        elif year not in data.years:
            raise Q.NotFound(
                f"run {run_id} has no year {year}; its years: "
                f"{', '.join(map(str, data.years)) or 'none (a result without years)'}"
            )
        else:
            y = year
        items = Q.sort_ranking(Q.filter_units(data.ranking(y, sc), q, province), sort)
        return {"run_id": run_id, "year": y, "score": sc, **Q.paginate(items, limit, offset)}

    @r.json(
        "/runs/{run_id}/units/{unit_code}",
        tags=["units"],
        summary="A unit's profile: scores, ranks, intervals, peers, trends, weak points, priorities",
    )
    def unit_profile(run_id: RunId, unit_code: UnitCode, year: Year = None) -> Any:
        return Q.profile(st, runs.data(run_id), unit_code, year=year)

    @r.json(
        "/runs/{run_id}/units/{unit_code}/indicators",
        tags=["units"],
        summary="A unit's indicator table: values, normalised values, grades and thresholds",
    )
    def unit_indicators(run_id: RunId, unit_code: UnitCode, year: Year = None) -> Any:
        return Q.unit_indicators(st, r.run(run_id), unit_code, year=year)

    @r.json(
        "/runs/{run_id}/indicators", tags=["indicators"], summary="Indicators with values in a run"
    )
    def run_indicators(
        run_id: RunId,
        limit: Limit = 200,
        offset: Offset = 0,
        dimension: Annotated[str | None, Query(max_length=64)] = None,
    ) -> Any:
        items = Q.run_indicators(st, r.run(run_id))
        if dimension:
            items = [i for i in items if i["dimension"] == dimension]
        return Q.paginate(items, limit, offset)

    @r.json(
        "/runs/{run_id}/indicators/{indicator}",
        tags=["indicators"],
        summary="Distribution of an indicator: statistics, histogram, top and bottom units",
    )
    def indicator(
        run_id: RunId,
        indicator: Annotated[str, PathParam(max_length=128)],
        year: Year = None,
        stage: Annotated[
            str | None, Query(max_length=64, description="raw, normalised, or a data set name")
        ] = None,
    ) -> Any:
        return Q.indicator_distribution(st, r.run(run_id), indicator, year=year, stage=stage)

    units_doc = f"Unit codes, comma-separated (≤ {MAX_UNITS})."

    @r.json(
        "/runs/{run_id}/timeseries",
        tags=["scores"],
        summary="Scores and ranks of units over the years",
    )
    def timeseries(
        run_id: RunId,
        units: Annotated[str, Query(max_length=1000, description=units_doc)],
        score: Annotated[str, Query(max_length=64)] = "index",
    ) -> Any:
        return Q.timeseries(st, r.run(run_id), _unit_list(units), score)

    @r.json(
        "/runs/{run_id}/compare",
        tags=["scores"],
        summary="Compare units: their scores and ranks in a year",
    )
    def compare_units(
        run_id: RunId,
        units: Annotated[str, Query(max_length=1000, description=units_doc)],
        year: Year = None,
    ) -> Any:
        return Q.compare_units(st, r.run(run_id), _unit_list(units), year=year)

    @r.json(
        "/compare/runs",
        tags=["scores"],
        summary="Compare two runs: score and rank changes per unit",
    )
    def compare_runs(
        a: Annotated[str, Query(pattern=RUN_ID, description="Earlier run id.")],
        b: Annotated[str, Query(pattern=RUN_ID, description="Later run id.")],
        score: Annotated[str, Query(max_length=64)] = "index",
        year: Year = None,
        sort: Annotated[Literal["change", "-change", "rank_b", "name"], Query()] = "-change",
        q: Search = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Any:
        Q.check_score(r.run(a), score)
        Q.check_score(r.run(b), score)
        df = st.diff_runs(a, b, score=score, year=year)
        items = Q.records(df)
        if q:
            items = Q.filter_units(items, q, None)
        if sort in ("change", "-change"):
            items.sort(
                key=lambda x: (x["rank_change"] is None, abs(x["rank_change"] or 0), x["unit_code"])
            )
            moved = [x for x in items if x["rank_change"] is not None]
            items = (moved[::-1] if sort == "-change" else moved) + [
                x for x in items if x["rank_change"] is None
            ]
        elif sort == "rank_b":
            items.sort(key=lambda x: (x["rank_b"] is None, x["rank_b"] or 0, x["unit_code"]))
        else:
            items.sort(key=lambda x: (x["unit_name"] or "", x["unit_code"]))
        return {
            "a": a,
            "b": b,
            "score": score,
            "year": df.attrs.get("year"),
            "moved": sum(1 for x in items if x["rank_change"]),
            **Q.paginate(items, limit, offset),
        }
