"""ASGI layers in front of the Open311 routes: the edge guard (request size, control
characters, server faults), the per-address limit on public reads, and the fast path
of ``GET /requests/{id}``.

Every answer they give is an Open311 error list in the format of the path's suffix.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import zoneinfo
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool

from citycheckup._edge import (
    MAX_PATH_CHARS,
    BodyGuard,
    BodyLimitExceeded,
    declared_too_large,
    target_problem,
)
from citycheckup.hotline.catalogue import Catalogue
from citycheckup.hotline.open311 import errors_body, render, request_record
from citycheckup.hotline.ratelimit import Limit, TokenBuckets, client_bucket
from citycheckup.hotline.store import HotlineStore

__all__ = [
    "MAX_PATH_CHARS",
    "MAX_QUERY_BYTES",
    "EdgeGuard",
    "FastSingleGet",
    "PublicReadLimit",
    "fmt_of",
    "send_error",
]

logger = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

#: Longest query string (a list of 1,000 ids fits) and path accepted.
MAX_QUERY_BYTES = 32 * 1024
#: Longest pause before a 429 (see :class:`PublicReadLimit`).
TARPIT_S = 1.0
_pause = asyncio.sleep
_ONE_REQUEST = re.compile(r"^/open311/v2/requests/([0-9]{1,12})\.(json|xml)$")


def fmt_of(path: str) -> str:
    """``xml`` for a path ending in ``.xml``, else ``json`` (the error format)."""
    return "xml" if path.endswith(".xml") else "json"


async def send_error(
    send: Send,
    status: int,
    errors: list[tuple[int, str]],
    fmt: str,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """Send an Open311 error list with ``status``."""
    body, ctype = errors_body(errors, fmt)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", ctype.encode()),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _too_large(limit: int) -> str:
    return f"request body too large; at most {limit} bytes"


class EdgeGuard:
    """The outermost layer: bounds and cleans what reaches the routes, answers faults.

    * bodies: a declared ``Content-Length`` over ``max_body`` is refused at once; a
      chunked body is counted as it arrives and refused the moment it passes the limit,
      so memory never holds more than ``max_body`` bytes of one request;
    * the path and query string: bounded length, no control characters (NUL breaks
      PostgreSQL, others the XML feed) — 400 before any route runs;
    * any exception a route did not handle becomes a 500 Open311 error here, without
      re-raising, so the connection stays open for the client's next call.
    """

    def __init__(self, app: Any, *, max_body: int) -> None:
        self.app, self.max_body = app, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        fmt = fmt_of(scope["path"])
        problem = self._check_target(scope)
        if problem is not None:
            await send_error(send, 400, [problem], fmt)
            return
        limit = self.max_body
        if declared_too_large(scope, limit):
            await send_error(send, 400, [(413, _too_large(limit))], fmt)
            return
        guard = BodyGuard(receive, send, limit, _too_large(limit))
        try:
            await self.app(scope, guard.receive, guard.send)
        except BodyLimitExceeded:
            if not guard.started:
                await send_error(send, 400, [(413, _too_large(limit))], fmt)
        except Exception:
            logger.exception("internal error on %s %s", scope.get("method"), scope["path"][:200])
            if not guard.started:
                await send_error(send, 500, [(500, "internal server error")], fmt)

    @staticmethod
    def _check_target(scope: Scope) -> tuple[int, str] | None:
        return target_problem(
            scope["path"], scope.get("query_string", b""), max_query_bytes=MAX_QUERY_BYTES
        )


class PublicReadLimit:
    """Token buckets per client address: reads, and calls refused for a bad key.

    * Every read (``GET``/``HEAD``) needs one token of the address's bucket to start and
      is charged one more per ``cost_bytes`` of its answer once sent, so a client looping
      on large lists runs out long before one reading single requests. ``/health`` is
      exempt.
    * Other calls are not limited by address (their keys have their own limits), but a
      call answered 403 (missing, unknown or revoked key) spends a token of the address's
      second bucket; once that is empty the address is refused until it refills, so
      guessing keys or flooding without one is throttled too.

    Refused calls get 429 with ``Retry-After``; while refused, a client costs no database
    work (see :mod:`~citycheckup.hotline.ratelimit`).
    """

    def __init__(
        self, app: Any, *, buckets: TokenBuckets, limit: Limit | None, cost_bytes: int = 65536
    ) -> None:
        self.app, self.buckets, self.limit, self.cost_bytes = app, buckets, limit, cost_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.limit
        if limit is None or scope["type"] != "http" or scope["path"] == "/health":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        name = client_bucket(client[0] if client else None)
        read = scope["method"] in ("GET", "HEAD")
        if read:
            wait = self.buckets.take_local(name, 1.0)
            if wait is None:  # the local lease is spent: take a new one (database work)
                wait = await run_in_threadpool(self.buckets.take, name, limit, 1.0)
        else:
            wait = self.buckets.denied("f" + name)
        if wait > 0:
            # answered after a pause (at most a second): a client that ignores Retry-After
            # and loops gets one refusal a second per connection instead of thousands, each
            # of which would cost the server as much CPU as a small answer
            await _pause(min(wait, TARPIT_S))
            await send_error(
                send,
                429,
                [(429, "too many calls from this address; retry after the time in Retry-After")],
                fmt_of(scope["path"]),
                [(b"retry-after", str(max(1, math.ceil(wait))).encode())],
            )
            return
        size, status = 0, 0

        async def counting_send(message: dict[str, Any]) -> None:
            nonlocal size, status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            if read:
                self.buckets.charge(name, size // self.cost_bytes)
            elif status == 403:
                await run_in_threadpool(self.buckets.take, "f" + name, limit, 1.0)


class FastSingleGet:
    """Answer the hottest call, ``GET /requests/{id}.{fmt}`` without a query string or
    key, for an existing request — with the same functions as the route but without its
    per-call machinery. Anything else falls through to the route. The database read
    runs in the thread pool, off the event loop.
    """

    def __init__(
        self,
        app: Any,
        *,
        store: HotlineStore,
        catalogue: Catalogue,
        tz: zoneinfo.ZoneInfo,
        run: Callable[..., Awaitable[Any]],
    ) -> None:
        self.app, self.store, self.catalogue, self.tz, self.run = app, store, catalogue, tz, run

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and not scope.get("query_string")
            and not any(k == b"x-api-key" for k, _ in scope.get("headers") or ())
        ):
            m = _ONE_REQUEST.match(scope["path"])
            if m is not None:
                rows = await self.run(self.store.get_requests, [int(m.group(1))])
                if rows:
                    body, ctype = render(
                        [request_record(rows[0], self.catalogue, self.tz)],
                        m.group(2),
                        "service_requests",
                    )
                    await send(
                        {
                            "type": "http.response.start",
                            "status": 200,
                            "headers": [
                                (b"content-type", ctype.encode()),
                                (b"content-length", str(len(body)).encode()),
                            ],
                        }
                    )
                    await send({"type": "http.response.body", "body": body})
                    return
        await self.app(scope, receive, send)
