"""The FastAPI application: versioned JSON API under ``/api/v1`` and the dashboard at ``/``.

The endpoints live in ``_routes_read`` (frameworks, runs, results), ``_routes_files``
(tables, files, exports, maps) and ``_routes_write`` (token-protected writes); the read
endpoints share one pattern (``_routing.Routes.json``). The layers in front of them are
in ``_middleware``.
"""

import contextlib
import logging
import os
import re
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from citycheckup.api import _geo, _inventory
from citycheckup.api import _queries as Q
from citycheckup.api._errors import ERRORS, install_error_handlers
from citycheckup.api._middleware import (
    MAX_JSON_BYTES,
    AddressLimit,
    Buckets,
    CacheFront,
    CacheKeys,
    EdgeGuard,
    ResponseCache,
)
from citycheckup.api._routes_checkup import checkup_routes
from citycheckup.api._routes_files import file_routes, map_routes
from citycheckup.api._routes_read import framework_routes, result_routes, run_routes
from citycheckup.api._routes_write import ENV_TOKEN, write_routes, writer_refusal
from citycheckup.api._routing import API, Routes
from citycheckup.api._survey import survey_router
from citycheckup.api._uploads import UploadLimits
from citycheckup.store import Store, default_store_path

__all__ = ["ENV_TOKEN", "MAX_UPLOAD_BYTES", "create_app"]

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# the writes of _routes_write: POST /uploads, POST /runs, PATCH and DELETE /runs/{id}
_TOKEN_WRITES = {
    "POST": re.compile(re.escape(API) + r"/(?:uploads|runs)"),
    "PATCH": re.compile(re.escape(API) + r"/runs/[^/]+"),
    "DELETE": re.compile(re.escape(API) + r"/runs/[^/]+"),
}
log = logging.getLogger(__name__)


def create_app(
    store: str | os.PathLike[str] | Store | None = None,
    token: str | None = None,
    *,
    read_only: bool = False,
    max_upload_bytes: int = MAX_UPLOAD_BYTES,
    uploads_dir: str | os.PathLike[str] | None = None,
    warm_up: bool = False,
    rate_per_minute: int = 1200,
    burst: int = 300,
    upload_limits: UploadLimits | None = None,
    survey_db: str | os.PathLike[str] | None = None,
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
        Largest upload accepted (413 above it, counted as the bytes arrive); other
        request bodies are limited to 64 KiB.
    uploads_dir
        Where uploaded data files are kept under server-chosen names (default: a
        folder ``<store>.uploads`` next to the store).
    warm_up
        Before serving, load the frameworks and the newest check-up run into memory
        (``citycheckup serve`` does), so the first visitors do not wait for it.
    rate_per_minute, burst
        Token bucket per client address (an IPv6 client's /64) on requests the response
        cache does not answer; an answer costs one more token per 256 KiB. In this
        process's memory (see ``docs/api.md``); 0 switches it off.
    upload_limits
        Cell count, unpacked size and compression ratio allowed in an upload.
    survey_db
        The residents' survey database (SQLite, see ``citycheckup survey tokens``); with
        it, the mobile survey form is served at ``/survey/{survey_id}``. Without it the
        survey routes are absent.

    The inventory of the MOHURD check-up (registers, located problems, projects) is read
    under ``/api/v1/inventory`` from the same store; its writes need the same token.
    """
    st = (
        store if isinstance(store, Store) else Store(default_store_path(store), read_only=read_only)
    )
    token = token if token is not None else (os.environ.get(ENV_TOKEN) or None)
    writable = token is not None and not st.read_only
    up_dir = Path(uploads_dir) if uploads_dir else st.path.with_name(st.path.name + ".uploads")
    cache = ResponseCache()
    keys = CacheKeys()
    runs = Q.RunDataCache(st)

    def warm() -> None:
        """Load framework metadata and the newest check-up run into memory."""
        try:
            Q.frameworks()
            for r in st.list_runs(kind="run", limit=1):
                data = runs.data(r["run_id"])
                Q.profile(st, data, next(iter(data.units), ""), year=None)
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
    app.state.api_token = token  # for routers that check the same token (inventory)

    def body_limit(path: str) -> int:
        return max_upload_bytes if path == f"{API}/uploads" else MAX_JSON_BYTES

    def refuse_write(method: str, path: str, auth: str | None) -> tuple[int, str, str] | None:
        """This module's token-protected writes are refused before their body is read when
        they come without the token (other routers, e.g. public survey answers, decide
        for themselves)."""
        pattern = _TOKEN_WRITES.get(method)
        if pattern is None or not pattern.fullmatch(path):
            return None
        credentials = None
        if auth is not None:
            scheme, _, value = auth.partition(" ")
            credentials = value.strip() if scheme.lower() == "bearer" and value.strip() else None
        return writer_refusal(read_only=st.read_only, token=token, credentials=credentials)

    limit = Buckets(rate_per_minute / 60.0, burst) if rate_per_minute > 0 else None
    app.state.buckets = limit
    # innermost first: the last one added is the outermost
    app.add_middleware(AddressLimit, buckets=limit, refuse_write=refuse_write)
    app.add_middleware(CacheFront, cache=cache, keys=keys, generation=lambda: st.generation)
    app.add_middleware(EdgeGuard, body_limit=body_limit)
    install_error_handlers(app)

    api = APIRouter(prefix=API, responses=ERRORS)
    r = Routes(api, store=st, cache=cache, keys=keys, runs=runs)

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

    framework_routes(r)
    run_routes(r)
    write_routes(r, token=token, up_dir=up_dir, limits=upload_limits)
    result_routes(r)
    file_routes(r)
    map_routes(r)
    checkup_routes(r)
    app.include_router(api)
    app.include_router(_inventory.router)
    if survey_db is not None:
        app.include_router(survey_router(Path(survey_db)))

    static = Path(str(resources.files("citycheckup.api") / "static"))
    app.mount("/static", StaticFiles(directory=static), name="static")

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(static / "index.html", media_type="text/html")

    return app
