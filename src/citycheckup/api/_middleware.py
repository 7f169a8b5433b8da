"""ASGI layers of the results server, outermost first:

* :class:`EdgeGuard` — streamed body limits (counted as bytes arrive), control
  characters and lengths of the path and query, early refusal of writes without the
  bearer token, and faults answered without dropping the connection;
* :class:`CacheFront` — a cached JSON answer before routing, keyed by the parameters
  the endpoint declares (junk parameters neither bypass nor fill the cache);
* :class:`AddressLimit` — a token bucket per client address on everything the cache did
  not answer, charged more for larger answers; refused bad tokens cost tokens too.

Rate-limit state lives in this process's memory: the results store is one DuckDB file
with one writing process (``citycheckup serve``); several read-only processes each keep
their own buckets, so give each ``1/N`` of the limit or limit at the reverse proxy (see
``docs/api.md``).
"""

import asyncio
import ipaddress
import logging
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from citycheckup._edge import (
    MAX_PATH_CHARS,
    BodyGuard,
    BodyLimitExceeded,
    declared_too_large,
    target_problem,
)
from citycheckup.api._errors import error_response

__all__ = [
    "MAX_JSON_BYTES",
    "MAX_PATH_CHARS",
    "MAX_QUERY_BYTES",
    "AddressLimit",
    "Buckets",
    "CacheFront",
    "CacheKeys",
    "EdgeGuard",
    "ResponseCache",
]

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

#: Largest body of a write other than an upload (a JSON object of a few fields).
MAX_JSON_BYTES = 64 * 1024
MAX_QUERY_BYTES = 8 * 1024
#: Longest pause before a 429 (see :class:`AddressLimit`).
TARPIT_S = 1.0
_WRITES = ("POST", "PUT", "PATCH", "DELETE")


async def _send(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
) -> None:
    await error_response(status, code, message, headers=headers)(scope, receive, send)  # type: ignore[arg-type]


def _too_large(limit: int) -> str:
    return (
        f"the request body exceeds the limit of {limit // 1024} KiB; send a smaller file "
        "(split it by year or region)"
    )


class EdgeGuard:
    """The outermost layer (see the module docstring).

    Parameters
    ----------
    body_limit
        ``path → bytes``: the largest body a path accepts (uploads get the upload limit,
        everything else :data:`MAX_JSON_BYTES`).
    """

    def __init__(self, app: Any, *, body_limit: Callable[[str], int]) -> None:
        self.app, self.body_limit = app, body_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, raw = scope["path"], scope.get("query_string", b"")
        problem = _check_target(path, raw)
        if problem is not None:
            await _send(scope, receive, send, 422, "invalid_parameters", problem)
            return
        method = scope["method"]
        limit = self.body_limit(path)
        if declared_too_large(scope, limit):
            await _send(scope, receive, send, 413, "payload_too_large", _too_large(limit))
            return
        guard = BodyGuard(receive, send, limit, _too_large(limit))
        try:
            await self.app(scope, guard.receive, guard.send)
        except BodyLimitExceeded:
            if not guard.started:
                await _send(scope, receive, send, 413, "payload_too_large", _too_large(limit))
        except Exception:
            log.exception("unhandled error on %s %s", method, path[:200])
            if not guard.started:
                await _send(
                    scope,
                    receive,
                    send,
                    500,
                    "internal_error",
                    "internal server error; the server log has the details",
                )


def _check_target(path: str, raw: bytes) -> str | None:
    problem = target_problem(path, raw, max_query_bytes=MAX_QUERY_BYTES)
    return None if problem is None else problem[1]


# -- response cache ----------------------------------------------------------------------
class CacheKeys:
    """Which query parameters each cached endpoint declares, so that its cache key is
    built from those only, in a fixed order (``?a=1&b=2`` and ``?b=2&a=1`` are one entry;
    ``?junk=…`` is ignored as the endpoint ignores it)."""

    def __init__(self) -> None:
        self._routes: list[tuple[re.Pattern[str], tuple[str, ...]]] = []

    def add(self, path: str, names: Iterable[str]) -> None:
        """Register the endpoint ``path`` (a template like ``/api/v1/runs/{run_id}``)."""
        pattern = re.sub(r"\{[^}:]+:path\}", ".+", path)
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", pattern)
        self._routes.append((re.compile(pattern), tuple(sorted(set(names)))))

    def names(self, path: str) -> tuple[str, ...] | None:
        """Declared parameters of the endpoint serving ``path`` (``None``: not cached)."""
        for pattern, names in self._routes:
            if pattern.fullmatch(path):
                return names
        return None

    def key(self, generation: int, path: str, raw_query: bytes) -> tuple[Any, ...] | None:
        """The cache key of a request, or ``None`` for a path that is not cached."""
        names = self.names(path)
        if names is None:
            return None
        pairs = parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True)
        known = tuple(
            sorted(((k, v) for k, v in pairs if k in names), key=lambda kv: kv[0])
        )  # stable: the order of a repeated parameter's values is kept
        return (generation, path, known)


class ResponseCache:
    """LRU cache of JSON response bodies (at most ``max_bytes``), keyed with the store's
    write generation (any write invalidates every entry)."""

    def __init__(self, max_bytes: int = 256 * 1024 * 1024):
        self.max_bytes = max_bytes
        self.bytes = 0
        self._data: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._data)

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


class CacheFront:
    """Answer a GET whose JSON body is in the :class:`ResponseCache` before routing.

    Only bodies that an endpoint stored after a successful (200) computation are served,
    under the same key (store generation, path, declared parameters), so the answer is
    byte for byte the one the endpoint would give.
    """

    def __init__(
        self, app: Any, cache: ResponseCache, keys: CacheKeys, generation: Callable[[], int]
    ):
        self.app, self.cache, self.keys, self.generation = app, cache, keys, generation

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            key = self.keys.key(self.generation(), scope["path"], scope.get("query_string", b""))
            body = self.cache.get(key) if key is not None else None
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


# -- rate limits -------------------------------------------------------------------------
class Buckets:
    """Token buckets in memory: ``rate`` tokens a second, at most ``burst``; a bucket may go
    into debt (costs charged after the answer) and its owner then waits it off."""

    def __init__(self, rate: float, burst: float, *, clock: Callable[[], float] = time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self._state: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, name: str, cost: float = 1.0) -> float:
        """Spend ``cost``; 0 when allowed, else the seconds to wait."""
        now = self.clock()
        with self._lock:
            tokens, t = self._state.pop(name, (self.burst, now))
            tokens = min(self.burst, tokens + max(0.0, now - t) * self.rate)
            if tokens < cost:
                self._remember(name, tokens, now)
                return (cost - tokens) / self.rate
            self._remember(name, tokens - cost, now)
            return 0.0

    def denied(self, name: str) -> float:
        """Seconds until ``name`` has a token again (0: it has one now)."""
        now = self.clock()
        with self._lock:
            tokens, t = self._state.get(name, (self.burst, now))
            tokens = min(self.burst, tokens + max(0.0, now - t) * self.rate)
            return 0.0 if tokens >= 1 else (1 - tokens) / self.rate

    def charge(self, name: str, cost: float) -> None:
        """Spend ``cost`` after the fact (may go into debt)."""
        if cost <= 0:
            return
        now = self.clock()
        with self._lock:
            tokens, t = self._state.pop(name, (self.burst, now))
            tokens = min(self.burst, tokens + max(0.0, now - t) * self.rate)
            self._remember(name, tokens - cost, now)

    def _remember(self, name: str, tokens: float, now: float) -> None:
        self._state[name] = (tokens, now)
        if len(self._state) > 100_000:  # least recently seen first: long refilled
            self._state.popitem(last=False)


def client_bucket(scope: Scope) -> str:
    """The bucket of the client: its address (an IPv6 client's /64 network)."""
    client = scope.get("client")
    host = str(client[0]) if client else "?"
    if ":" in host:
        try:
            return f"a{ipaddress.IPv6Network(f'{host}/64', strict=False).network_address}/64"
        except ValueError:
            pass
    return "a" + host[:64]


class AddressLimit:
    """Token bucket per client address (see the module docstring).

    Every GET the cache did not answer needs one token and is charged one more per
    ``cost_bytes`` of its answer. A token-protected write without the token is refused
    here, before its body is read (``refuse_write``); a write answered 401 or 403 spends
    a token of the address's second bucket, which refuses its writes while empty.
    """

    def __init__(
        self,
        app: Any,
        *,
        buckets: Buckets | None,
        refuse_write: Callable[[str, str, str | None], tuple[int, str, str] | None],
        cost_bytes: int = 256 * 1024,
    ):
        self.app, self.buckets, self.cost_bytes = app, buckets, cost_bytes
        self.refuse_write = refuse_write

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/api/v1/health":
            await self.app(scope, receive, send)
            return
        b = self.buckets
        name = client_bucket(scope)
        read = scope["method"] in ("GET", "HEAD")
        wait = 0.0 if b is None else b.take(name) if read else b.denied("f" + name)
        if wait > 0:
            # a pause before the refusal (at most a second): a client looping without
            # honouring Retry-After gets one refusal a second per connection, not thousands
            await asyncio.sleep(min(wait, TARPIT_S))
            await _send(
                scope,
                receive,
                send,
                429,
                "too_many_requests",
                "too many requests from this address; retry after the time in Retry-After",
                {"Retry-After": str(max(1, math.ceil(wait)))},
            )
            return
        if scope["method"] in _WRITES:  # refused before its body is read
            auth = dict(scope.get("headers") or []).get(b"authorization")
            refused = self.refuse_write(
                scope["method"], scope["path"], auth.decode("latin-1") if auth else None
            )
            if refused is not None:
                if b is not None and refused[0] in (401, 403):
                    b.take("f" + name)
                extra = {"WWW-Authenticate": "Bearer"} if refused[0] == 401 else None
                await _send(scope, receive, send, *refused, headers=extra)
                return
        if b is None:
            await self.app(scope, receive, send)
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
                b.charge(name, size // self.cost_bytes)
            elif status in (401, 403):
                b.take("f" + name)
