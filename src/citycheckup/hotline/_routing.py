"""The pattern every Open311 route follows (:class:`Routes`), the :class:`Call` its
handler receives, the parameter helpers and the error answers.

A handler is a coroutine ``Call → data``; :meth:`Routes.route` registers it and does
the rest: the format suffix, ``jurisdiction_id``, the API key (required with a role, or
optional on public reads where an operate key unlocks the operators' view), the key's
rate limit, rendering (large answers in the thread pool, off the event loop) and the
response-size cap. Parameters reach the handler as one value each, with control
characters already refused by the edge guard.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
import math
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from citycheckup.errors import HotlineError
from citycheckup.hotline import _openapi as D
from citycheckup.hotline._asgi import fmt_of
from citycheckup.hotline.open311 import (
    Open311Error,
    ascii_int,
    bad,
    check_text,
    errors_body,
    parse_form,
    render,
)
from citycheckup.hotline.ratelimit import Limit, TokenBuckets
from citycheckup.hotline.store import (
    MAX_IDS,
    Conflict,
    Forbidden,
    HotlineStore,
    KeyInfo,
    NotFound,
)
from citycheckup.hotline.workflow import Role

__all__ = [
    "MAX_CODES",
    "MAX_PAGE_SIZE",
    "MAX_QUERY_DAYS",
    "MAX_RESPONSE_BYTES",
    "PREFIX",
    "Call",
    "Routes",
    "answer_store_error",
    "install_error_handlers",
]

logger = logging.getLogger(__name__)

MAX_QUERY_DAYS = 90
MAX_PAGE_SIZE = MAX_IDS
#: Largest answer; above it the client is told to ask for fewer results.
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
#: Most service codes one call may name.
MAX_CODES = 100
#: Worker threads for reads of an SQLite store (its writes take one at a time).
READ_THREADS = 2
#: Answers with more items than this are rendered in the thread pool.
_RENDER_INLINE = 20
PREFIX = "/open311/v2"


def split_list(value: str | None, name: str, most: int) -> list[str]:
    if not value:
        return []
    items = [v.strip() for v in value.split(",") if v.strip()]
    if len(items) > most:
        raise bad(f"{name} may list at most {most} values, got {len(items)}")
    return list(dict.fromkeys(items))


def truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1", "yes")


def parse_bool(value: str | None, name: str) -> bool | None:
    if value is None:
        return None
    v = value.lower()
    if v in ("true", "1", "yes"):
        return True
    if v in ("false", "0", "no"):
        return False
    raise bad(f"{name} must be true or false, got {value[:20]!r}")


def _single(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """One value per parameter (a repeated one must repeat the same value); empty = absent.

    Parameters named ``…[]`` are lists by design (``attribute[x][]``) and are left to
    the handler, which reads :attr:`Call.pairs`.
    """
    out: dict[str, str] = {}
    for k, v in pairs:
        if k.endswith("[]"):
            continue
        if k in out and out[k] != v:
            raise bad(f"parameter {k[:40]} is given more than once")
        if v != "":
            out[k] = v
    return out


def path_id(value: str) -> int:
    """A path id: ASCII digits (at most 12), else 404 — no such resource can exist."""
    try:
        return ascii_int(value, "service_request_id", 0, 10**12 - 1, -1)
    except Open311Error:
        raise Open311Error(404, [(404, f"service_request_id {value[:40]!r} not found")]) from None


@dataclass
class Call:
    """One call to an Open311 route, as its handler sees it."""

    request: Request
    fmt: str
    query: dict[str, str]
    form: dict[str, str] = field(default_factory=dict)
    key: KeyInfo | None = None
    pairs: list[tuple[str, str]] = field(default_factory=list)
    """The form body as sent (repeated parameters kept)."""

    @property
    def internal(self) -> bool:
        """Whether the caller may see the operators' view (an operate or admin key)."""
        return self.key is not None and self.key.allows("operate")

    def path(self, name: str) -> str:
        return str(self.request.path_params[name])

    def rid(self) -> int:
        """The ``service_request_id`` of the path."""
        return path_id(self.path("service_request_id"))


Handler = Callable[[Call], Awaitable[Any]]


class Routes:
    """Registers Open311 routes on ``app`` with one pattern (see the module docstring)."""

    def __init__(
        self,
        app: FastAPI,
        store: HotlineStore,
        *,
        buckets: TokenBuckets,
        key_limit: Callable[[KeyInfo], Limit | None],
    ) -> None:
        self.app, self.store, self.buckets, self.key_limit = app, store, buckets, key_limit
        self.cat = store.catalogue
        # SQLite: lists and other reads whose cost grows with the data run in a small
        # pool; single-row reads by key stay inline (a WAL reader never waits for a
        # writer, and a thread hop costs more than the read); writes go through the
        # group-commit thread. A server database gets the default thread pool for all.
        self.sqlite = store.engine.dialect.name == "sqlite"
        self._pool = (
            concurrent.futures.ThreadPoolExecutor(READ_THREADS, thread_name_prefix="hotline-read")
            if self.sqlite
            else None
        )
        if self._pool is not None:
            weakref.finalize(self, self._pool.shutdown, wait=False)

    async def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call ``fn`` (blocking work: a list query, a lease of tokens) in a worker thread."""
        if self._pool is None:
            return await run_in_threadpool(fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(
            self._pool, functools.partial(fn, *args, **kwargs)
        )

    async def read_row(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call ``fn``, a read of single rows by key: inline on SQLite, else in a thread."""
        if self.sqlite:
            return fn(*args, **kwargs)
        return await run_in_threadpool(fn, *args, **kwargs)

    async def commit(self, job: Callable[[Any], Any]) -> Any:
        """Run the write ``job(conn)`` and return its result once committed: through the
        group-commit thread on SQLite, in a worker thread's own transaction otherwise."""
        if self.sqlite:
            return await asyncio.wrap_future(self.store.submit_write(job))

        def alone() -> Any:
            with self.store._writer.begin() as conn:
                return job(conn)

        return await run_in_threadpool(alone)

    def _checked(self, info: KeyInfo | None, role: Role) -> KeyInfo:
        if info is None:
            raise Open311Error(403, [(403, "api_key is missing, unknown, expired or revoked")])
        if not info.allows(role):
            raise Open311Error(403, [(403, f"this api_key has role {info.role}; {role} needed")])
        return info

    @staticmethod
    def _refuse(wait: float) -> None:
        if wait > 0:
            err = Open311Error(
                429, [(429, f"rate limit of this api_key exceeded; retry in {math.ceil(wait)} s")]
            )
            err.retry_after = max(1, math.ceil(wait))
            raise err

    def key_now(self, raw: str | None, role: Role, *, limit: bool = True) -> KeyInfo:
        """The authenticated key with at least ``role``; 403 otherwise, 429 over its limit.

        Blocking (database work): for worker threads; the event loop uses :meth:`key`.
        """
        info = self._checked(self.store.authenticate(raw), role)
        lim = self.key_limit(info) if limit else None
        if lim is not None:
            self._refuse(self.buckets.take(f"k{info.id}", lim))
        return info

    async def key(self, raw: str | None, role: Role, *, limit: bool = True) -> KeyInfo:
        """:meth:`key_now` without blocking the event loop: the key is a single-row read
        by its hash; a new lease of tokens, when one is needed, is taken in a thread."""
        info = self._checked(await self.read_row(self.store.authenticate, raw), role)
        lim = self.key_limit(info) if limit else None
        if lim is not None:
            name = f"k{info.id}"
            wait = self.buckets.take_local(name)
            if wait is None:
                wait = await self.run(self.buckets.take, name, lim)
            self._refuse(wait)
        return info

    def jurisdiction(self, value: str | None) -> None:
        if value is None:
            return
        check_text("jurisdiction_id", value, 200)
        if self.cat.jurisdiction_id and value != self.cat.jurisdiction_id:
            raise Open311Error(404, [(404, f"jurisdiction_id {value[:100]!r} not found")])

    def route(
        self,
        method: str,
        path: str,
        *,
        root: str,
        tags: list[str | Enum],
        params: tuple[dict[str, Any], ...] = (),
        body: dict[str, Any] | None = None,
        role: Role | None = None,
        viewer_key: bool = False,
        jurisdiction: bool = True,
    ) -> Callable[[Handler], Handler]:
        """Declare a route.

        ``role``: a key with that role is required (from the form, the ``api_key`` query
        parameter or ``X-API-Key``). ``viewer_key``: a public read where an operate key,
        when given, unlocks the operators' view.
        """

        def register(fn: Handler) -> Handler:
            async def endpoint(request: Request) -> Response:
                fmt = request.path_params.get("fmt")
                if fmt not in ("json", "xml"):
                    raise Open311Error(404, [(404, "unknown format; use .json or .xml")])
                c = Call(request, fmt, _single(list(request.query_params.multi_items())))
                if method == "POST":
                    c.pairs = await self._form(request)
                    c.form = _single(c.pairs)
                if jurisdiction:
                    self.jurisdiction(
                        c.form.get("jurisdiction_id") or c.query.get("jurisdiction_id")
                    )
                raw = (
                    c.form.get("api_key")
                    or c.query.get("api_key")
                    or request.headers.get("x-api-key")
                )
                if role is not None:
                    c.key = await self.key(raw, role)
                elif viewer_key and raw:
                    c.key = await self.key(raw, "operate", limit=False)
                data = await fn(c)
                if isinstance(data, Response):
                    return data
                if isinstance(data, list) and len(data) > _RENDER_INLINE:
                    out, ctype = await run_in_threadpool(render, data, fmt, root)
                else:
                    out, ctype = render(data, fmt, root)
                if len(out) > MAX_RESPONSE_BYTES:
                    raise bad(
                        f"the answer would be {len(out) // 2**20} MiB, over the limit of "
                        f"{MAX_RESPONSE_BYTES // 2**20} MiB; ask for fewer results (page_size)",
                        413,
                    )
                return Response(out, media_type=None, headers={"content-type": ctype})

            endpoint.__name__ = fn.__name__
            self.app.add_api_route(
                PREFIX + path,
                endpoint,
                methods=[method],
                responses=D.ERR_DOC,
                tags=tags,
                description=fn.__doc__ or "",
                summary=(fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else None,
                openapi_extra=D.doc(*params, body=body),
            )
            return fn

        return register

    @staticmethod
    async def _form(request: Request) -> list[tuple[str, str]]:
        ctype = request.headers.get("content-type", D.FORM).split(";")[0].strip().lower()
        if ctype not in (D.FORM, ""):
            raise bad(f"the body must be {D.FORM}; got {ctype[:60]}")
        return parse_form(await request.body())  # the edge guard has bounded its size


def id_in_list(value: str) -> int:
    """An id of the ``service_request_id`` list: ASCII digits, else 400."""
    try:
        return ascii_int(value, "service_request_id", 0, 10**12 - 1, -1)
    except Open311Error:
        raise bad(f"service_request_id must list ids in ASCII digits, got {value[:20]!r}") from None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Open311Error)
    async def _open311_error(request: Request, exc: Open311Error) -> Response:
        return error_response(exc, fmt_of(request.url.path))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        msgs = [
            (400, f"{'.'.join(str(x) for x in e.get('loc', ())[1:])}: {e.get('msg')}")
            for e in exc.errors()
        ]
        return error_response(
            Open311Error(400, msgs or [(400, "invalid request")]), fmt_of(request.url.path)
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        status = exc.status_code if exc.status_code in (403, 404, 429) else 400
        return error_response(
            Open311Error(status, [(exc.status_code, str(exc.detail))]), fmt_of(request.url.path)
        )


def error_response(exc: Open311Error, fmt: str) -> Response:
    body, ctype = errors_body(exc.errors, fmt)
    headers = {"content-type": ctype}
    if exc.status == 429:
        headers["retry-after"] = str(exc.retry_after)
    return Response(body, status_code=exc.status, headers=headers)


def answer_store_error(exc: HotlineError) -> Open311Error:
    """The Open311 answer to an error of the store."""
    if isinstance(exc, NotFound):
        return Open311Error(404, [(404, exc.headline)])
    if isinstance(exc, Forbidden):
        return Open311Error(403, [(403, exc.headline)])
    if isinstance(exc, Conflict):
        return Open311Error(422, [(422, exc.headline)])
    return Open311Error(400, [(400, exc.headline)] + [(400, str(p)) for p in exc.problems])
