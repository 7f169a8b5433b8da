"""The Open311 GeoReport v2 server (FastAPI app factory).

Standard endpoints live under ``/open311/v2/`` with a ``.json`` or ``.xml`` suffix;
extensions are either behind ``extensions=true`` on the standard GET endpoints or
on their own paths (``/requests/{id}/transitions``, ``/rating``, ``/history``,
``/duplicates``, ``/queue``). See ``docs/hotline.md``.

Layers, outermost first: :class:`~citycheckup.hotline._asgi.EdgeGuard` (streamed body
limit, control characters, faults), :class:`~citycheckup.hotline._asgi.PublicReadLimit`
(token bucket per client address), the fast path of ``GET /requests/{id}``, then the
routes of :mod:`~citycheckup.hotline._endpoints`.
"""

from __future__ import annotations

import os
import threading
import time
import zoneinfo
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from citycheckup.errors import HotlineError
from citycheckup.hotline._asgi import EdgeGuard, FastSingleGet, PublicReadLimit
from citycheckup.hotline._endpoints import discovery_routes, extension_routes, request_routes
from citycheckup.hotline._routing import MAX_RESPONSE_BYTES, Call, Routes, install_error_handlers
from citycheckup.hotline.catalogue import Catalogue
from citycheckup.hotline.open311 import MAX_BODY_BYTES
from citycheckup.hotline.ratelimit import Limit, TokenBuckets
from citycheckup.hotline.store import HotlineStore, KeyInfo

__all__ = ["MAX_RESPONSE_BYTES", "BackgroundServer", "Call", "create_app"]


def create_app(
    database_url: str = "sqlite:///hotline.db",
    *,
    store: HotlineStore | None = None,
    catalogue: Catalogue | None = None,
    classifier: Any = None,
    rate_limit_per_minute: int = 60_000,
    rate_limit_burst: int | None = None,
    public_rate_per_minute: int = 600,
    public_burst: int | None = 120,
    base_url: str = "",
    test_endpoint: bool = False,
    shared_limits: bool = True,
) -> FastAPI:
    """Build the Open311 server.

    Parameters
    ----------
    database_url
        SQLAlchemy URL of the store (ignored when ``store`` is given).
    store
        An existing :class:`HotlineStore` (tests share one).
    catalogue, classifier
        Passed to the store when it is created here.
    rate_limit_per_minute, rate_limit_burst
        Default per-key limit on authenticated calls (a key's own ``rate_per_minute``
        and ``burst`` override it; 0: no limit); excess calls get HTTP 429.
    public_rate_per_minute, public_burst
        Limit on reads per client address (an IPv6 client's /64): each read costs one
        token plus one per 64 KiB of its answer; 0: no limit.
    base_url
        Public base URL for the discovery document. Without one the discovery document
        gives the relative path ``/open311/v2`` (the ``Host`` header is never echoed).
    test_endpoint
        Mark the endpoint ``test`` instead of ``production`` in discovery.
    shared_limits
        Keep the token buckets in the database, shared by every server process on it
        (default); ``False`` keeps them in this process's memory.
    """
    if store is None:
        store = HotlineStore(database_url, catalogue=catalogue, classifier=classifier)
    st = store
    cat = st.catalogue
    tz = zoneinfo.ZoneInfo(cat.timezone)
    buckets = TokenBuckets(st._writer if shared_limits else None)
    st.rating_token(0)  # loads the signing secret now, not on the event loop later

    def key_limit(key: KeyInfo) -> Limit | None:
        if key.rate_per_minute is not None:
            return Limit.per_minute(key.rate_per_minute, key.burst)
        return Limit.per_minute(rate_limit_per_minute, key.burst or rate_limit_burst)

    app = FastAPI(
        title="citycheckup hotline — Open311 GeoReport v2",
        version="2",
        description="Open311 GeoReport v2 server of the citycheckup 12345 hotline module, with "
        "extensions for workflow, deadlines, ratings and duplicates.",
    )
    app.state.store = st
    app.state.buckets = buckets
    r = Routes(app, st, buckets=buckets, key_limit=key_limit)
    # innermost first: the last one added is the outermost
    app.add_middleware(FastSingleGet, store=st, catalogue=cat, tz=tz, run=r.read_row)
    app.add_middleware(
        PublicReadLimit,
        buckets=buckets,
        limit=Limit.per_minute(public_rate_per_minute, public_burst),
    )
    app.add_middleware(EdgeGuard, max_body=MAX_BODY_BYTES)
    install_error_handlers(app)
    discovery_routes(r, base_url=base_url, test_endpoint=test_endpoint)
    request_routes(r, tz)
    extension_routes(r, tz)

    @app.get("/health", include_in_schema=False)
    async def health() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return app


class BackgroundServer:
    """Run an app with uvicorn in a background thread on loopback (tests, replays).

    Examples
    --------
    >>> with BackgroundServer(create_app("sqlite://")) as base:  # doctest: +SKIP
    ...     httpx.get(base + "/open311/v2/services.json")
    """

    def __init__(self, app: FastAPI, *, host: str = "127.0.0.1", port: int = 0) -> None:
        import socket

        import uvicorn

        if port == 0:
            with socket.socket() as s:
                s.bind((host, 0))
                port = s.getsockname()[1]
        self.url = f"http://{host}:{port}"
        self._server = uvicorn.Server(
            uvicorn.Config(
                app, host=host, port=port, log_level="warning", access_log=False, lifespan="off"
            )
        )
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> str:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise HotlineError("the background hotline server did not start")
            time.sleep(0.02)
        return self.url

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)


def app_from_env() -> FastAPI:
    """App factory for multi-process serving (``uvicorn --factory``), configured from the
    environment: ``CITYCHECKUP_HOTLINE_DB``, ``CITYCHECKUP_HOTLINE_CATALOGUE``,
    ``CITYCHECKUP_HOTLINE_MODEL``, ``CITYCHECKUP_HOTLINE_RATE_LIMIT``,
    ``CITYCHECKUP_HOTLINE_PUBLIC_RATE_LIMIT``, ``CITYCHECKUP_HOTLINE_PUBLIC_BURST`` and
    ``CITYCHECKUP_HOTLINE_BASE_URL``.

    The rate-limit buckets live in the database, so every worker process shares them;
    keys are looked up on every call, so a revocation reaches every worker at once.
    """
    from citycheckup.hotline.catalogue import load_catalogue
    from citycheckup.hotline.classifier import HotlineClassifier

    env = os.environ.get
    cat_path = env("CITYCHECKUP_HOTLINE_CATALOGUE") or None
    model = env("CITYCHECKUP_HOTLINE_MODEL") or None
    st = HotlineStore(
        env("CITYCHECKUP_HOTLINE_DB", "sqlite:///hotline.db"),
        catalogue=load_catalogue(cat_path),
        classifier=HotlineClassifier.load(model) if model else None,
    )
    return create_app(
        store=st,
        rate_limit_per_minute=int(env("CITYCHECKUP_HOTLINE_RATE_LIMIT", "60000")),
        public_rate_per_minute=int(env("CITYCHECKUP_HOTLINE_PUBLIC_RATE_LIMIT", "600")),
        public_burst=int(env("CITYCHECKUP_HOTLINE_PUBLIC_BURST", "120")),
        base_url=env("CITYCHECKUP_HOTLINE_BASE_URL", ""),
    )
