"""The pattern of the API's read endpoints: :meth:`Routes.json`.

A read endpoint is a plain function of its validated parameters that returns JSON-ready
data. The pattern registers it as a GET route, runs it in a worker thread (never on the
event loop), caches its answer under the store's write generation and the parameters it
declares (see :class:`~citycheckup.api._middleware.CacheKeys`), and answers repeated
calls from the cache.
"""

import inspect
import json
import re
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from citycheckup.api import _queries as Q
from citycheckup.api._errors import ApiError
from citycheckup.api._middleware import CacheKeys, ResponseCache
from citycheckup.api._security import public_run
from citycheckup.store import Store

__all__ = ["API", "MAX_RESPONSE_BYTES", "Routes", "dumps"]

API = "/api/v1"
#: Largest JSON answer (a run's GeoJSON of 300 city boundaries is a few MB).
MAX_RESPONSE_BYTES = 64 * 1024 * 1024


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON of ``obj`` (NaN → null)."""
    return json.dumps(Q.clean(obj), ensure_ascii=False, separators=(",", ":"), default=str).encode(
        "utf-8"
    )


class Routes:
    """Shared state of the endpoints and the ``json`` pattern that registers them."""

    def __init__(
        self,
        router: APIRouter,
        *,
        store: Store,
        cache: ResponseCache,
        keys: CacheKeys,
        runs: Q.RunDataCache,
    ) -> None:
        self.router, self.st, self.cache, self.keys, self.runs = router, store, cache, keys, runs

    def run(self, run_id: str) -> dict[str, Any]:
        """The stored run ``run_id`` (manifest included, unscrubbed: internal use)."""
        return self.runs.run(run_id)

    def public_run(self, run_id: str) -> dict[str, Any]:
        """The run as the public may see it (machine details dropped, paths cut)."""
        return public_run(self.runs.run(run_id))

    async def cached(
        self, request: Request, compute: Callable[[], Any], names: tuple[str, ...]
    ) -> Response:
        """The JSON answer of ``compute`` from the cache, or computed in a worker thread."""
        key = self.keys.key(
            self.st.generation, request.scope["path"], request.scope.get("query_string", b"")
        )
        if key is None:  # a route registered outside the pattern
            key = (self.st.generation, request.scope["path"], names)
        body = self.cache.get(key)
        if body is None:
            body = await run_in_threadpool(lambda: dumps(compute()))
            if len(body) > MAX_RESPONSE_BYTES:
                raise ApiError(
                    422,
                    "response_too_large",
                    f"the answer would be {len(body) // 2**20} MiB, over the limit of "
                    f"{MAX_RESPONSE_BYTES // 2**20} MiB; ask for less (limit, year, score)",
                )
            self.cache.put(key, body)
        return Response(body, media_type="application/json")

    def json(self, path: str, **route: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register ``fn(**params) → data`` as a cached GET at ``path`` (under ``/api/v1``).

        ``route`` is passed to :meth:`APIRouter.add_api_route` (``tags``, ``summary`` …).
        """

        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            sig = inspect.signature(fn, eval_str=True)
            in_path = set(re.findall(r"\{(\w+)(?::path)?\}", path))
            names = tuple(n for n in sig.parameters if n not in in_path)
            self.keys.add(API + path, names)

            async def endpoint(request: Request, **params: Any) -> Response:
                return await self.cached(request, lambda: fn(**params), names)

            # not functools.wraps: FastAPI must see this coroutine, not the plain function
            endpoint.__name__, endpoint.__doc__ = fn.__name__, fn.__doc__
            endpoint.__signature__ = sig.replace(  # type: ignore[attr-defined]
                parameters=[
                    inspect.Parameter(
                        "request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request
                    ),
                    *sig.parameters.values(),
                ],
                return_annotation=Response,
            )
            self.router.add_api_route(path, endpoint, methods=["GET"], **route)
            return fn

        return register
