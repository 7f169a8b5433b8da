"""The Open311 GeoReport v2 server (FastAPI app factory).

Standard endpoints live under ``/open311/v2/`` with a ``.json`` or ``.xml`` suffix;
extensions are either behind ``extensions=true`` on the standard GET endpoints or
on their own paths (``/requests/{id}/transitions``, ``/rating``, ``/history``,
``/duplicates``, ``/queue``). See ``docs/hotline.md``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
import zoneinfo
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from citycheckup.errors import HotlineError
from citycheckup.hotline.catalogue import Catalogue
from citycheckup.hotline.open311 import (
    Open311Error,
    bad,
    errors_body,
    note_record,
    parse_datetime,
    parse_form,
    parse_post,
    render,
    request_record,
)
from citycheckup.hotline.store import Forbidden, HotlineStore, KeyInfo, NotFound
from citycheckup.hotline.workflow import ACTIONS

__all__ = ["BackgroundServer", "RateLimiter", "create_app"]

logger = logging.getLogger(__name__)

Fmt = Literal["json", "xml"]
_FORM = "application/x-www-form-urlencoded"
MAX_QUERY_DAYS = 90
MAX_PAGE_SIZE = 1000


class RateLimiter:
    """Token buckets per API key: ``rate_per_minute`` sustained, bursts up to ``burst``."""

    def __init__(self, rate_per_minute: int, burst: int | None = None) -> None:
        self.rate = rate_per_minute / 60.0
        self.burst = float(burst if burst is not None else max(10, rate_per_minute // 6))
        self._buckets: dict[int, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: KeyInfo) -> bool:
        """Take one token from ``key``'s bucket; False when it is empty."""
        rate = (key.rate_per_minute / 60.0) if key.rate_per_minute else self.rate
        if rate <= 0:
            return True
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key.id, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[key.id] = (tokens, now)
                return False
            self._buckets[key.id] = (tokens - 1.0, now)
            return True


def _param(
    name: str,
    where: str = "query",
    description: str = "",
    *,
    enum: list[str] | None = None,
    pattern: str | None = None,
) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if enum:
        schema["enum"] = enum
    if pattern:
        schema["pattern"] = pattern
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": schema,
        "description": description,
    }


_FMT = _param("fmt", "path", "response format", enum=["json", "xml"])
_JUR = _param(
    "jurisdiction_id",
    description="ignored by this single-jurisdiction server unless it differs from the catalogue's",
)


def _doc(*params: dict[str, Any], body: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"parameters": list(params)}
    if body is not None:
        out.update(body)
    return out


def _fmt(request: Request) -> str:
    fmt = request.path_params.get("fmt")
    if fmt not in ("json", "xml"):
        raise Open311Error(404, [(404, "unknown format; use .json or .xml")])
    return fmt  # type: ignore[no-any-return]


_ONE_REQUEST = re.compile(r"^/open311/v2/requests/(\d{1,12})\.(json|xml)$")


class _FastSingleGet:
    """ASGI middleware answering the hottest call, ``GET /requests/{id}.{fmt}`` without a
    query string, for an existing request — with the same functions as the FastAPI route
    but without its per-call parameter machinery (about half the CPU time). Anything else
    (query parameters, unknown ids, errors) falls through to the FastAPI route.
    """

    def __init__(
        self, app: Any, *, store: HotlineStore, catalogue: Catalogue, tz: zoneinfo.ZoneInfo
    ) -> None:
        self.app, self.store, self.catalogue, self.tz = app, store, catalogue, tz
        self.offload = store.engine.dialect.name != "sqlite"

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("query_string"):
            m = _ONE_REQUEST.match(scope["path"])
            if m is not None:
                rid = int(m.group(1))
                if self.offload:
                    rows = await run_in_threadpool(self.store.get_requests, [rid])
                else:
                    rows = self.store.get_requests([rid])
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


def _fmt_of(path: str) -> str:
    return "xml" if path.endswith(".xml") else "json"


def _answer(data: Any, fmt: str, root: str, status: int = 200) -> Response:
    body, ctype = render(data, fmt, root)
    return Response(body, status_code=status, media_type=None, headers={"content-type": ctype})


def _error(exc: Open311Error, fmt: str) -> Response:
    body, ctype = errors_body(exc.errors, fmt)
    headers = {"content-type": ctype}
    if exc.status == 429:
        headers["retry-after"] = "1"
    return Response(body, status_code=exc.status, headers=headers)


def _split(value: str | None) -> list[str]:
    if not value:
        return []
    return [v.strip() for v in value.split(",") if v.strip()]


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1", "yes")


def create_app(
    database_url: str = "sqlite:///hotline.db",
    *,
    store: HotlineStore | None = None,
    catalogue: Catalogue | None = None,
    classifier: Any = None,
    rate_limit_per_minute: int = 60_000,
    rate_limit_burst: int | None = None,
    base_url: str = "",
    test_endpoint: bool = False,
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
        Default per-key limit on authenticated calls (a key's own
        ``rate_per_minute`` overrides it); excess calls get HTTP 429.
    base_url
        Public base URL for the discovery document (default: from the request).
    test_endpoint
        Mark the endpoint ``test`` instead of ``production`` in discovery.
    """
    if store is None:
        store = HotlineStore(database_url, catalogue=catalogue, classifier=classifier)
    st = store
    cat = st.catalogue
    tz = zoneinfo.ZoneInfo(cat.timezone)
    limiter = RateLimiter(rate_limit_per_minute, rate_limit_burst)

    app = FastAPI(
        title="citycheckup hotline — Open311 GeoReport v2",
        version="2",
        description="Open311 GeoReport v2 server of the citycheckup 12345 hotline module, with "
        "extensions for workflow, deadlines, ratings and duplicates.",
    )
    app.state.store = st
    offload = st.engine.dialect.name != "sqlite"

    async def run(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call the store: directly for SQLite (sub-millisecond, serialised anyway), in the
        thread pool for a server database, so that requests overlap their round trips and
        commits (PostgreSQL group commit)."""
        if offload:
            return await run_in_threadpool(fn, *args, **kwargs)
        return fn(*args, **kwargs)

    app.add_middleware(_FastSingleGet, store=st, catalogue=cat, tz=tz)

    # ----------------------------------------------------------- errors
    @app.exception_handler(Open311Error)
    async def _open311_error(request: Request, exc: Open311Error) -> Response:
        return _error(exc, _fmt_of(request.url.path))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        errs = exc.errors()
        if any(tuple(e.get("loc", ()))[:2] == ("path", "fmt") for e in errs):
            return _error(Open311Error(404, [(404, "unknown format; use .json or .xml")]), "json")
        msgs = [
            (400, f"{'.'.join(str(x) for x in e.get('loc', ())[1:])}: {e.get('msg')}") for e in errs
        ]
        return _error(
            Open311Error(400, msgs or [(400, "invalid request")]), _fmt_of(request.url.path)
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        status = exc.status_code if exc.status_code in (403, 404, 429) else 400
        if exc.status_code == 405:
            status = 400
        return _error(
            Open311Error(status, [(exc.status_code, str(exc.detail))]), _fmt_of(request.url.path)
        )

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:  # pragma: no cover
        logger.exception("internal error on %s %s", request.method, request.url.path)
        return _error(
            Open311Error(500, [(500, "internal server error")]), _fmt_of(request.url.path)
        )

    # 500 responses keep the Open311 body; the status stays 500 so that faults are visible

    def _check_jurisdiction(jurisdiction_id: str | None) -> None:
        if jurisdiction_id and cat.jurisdiction_id and jurisdiction_id != cat.jurisdiction_id:
            raise Open311Error(404, [(404, f"jurisdiction_id {jurisdiction_id[:100]!r} not found")])

    async def _key(raw: str | None, role: str, *, limit: bool = True) -> KeyInfo:
        info = await run(st.authenticate, raw)
        if info is None:
            raise Open311Error(403, [(403, "api_key is missing, unknown or revoked")])
        if not info.allows(role):  # type: ignore[arg-type]
            raise Open311Error(403, [(403, f"this api_key has role {info.role}; {role} needed")])
        if limit and not limiter.allow(info):
            raise Open311Error(429, [(429, "rate limit exceeded for this api_key; retry later")])
        return info

    async def _form(request: Request) -> list[tuple[str, str]]:
        ctype = request.headers.get("content-type", _FORM).split(";")[0].strip().lower()
        if ctype not in (_FORM, ""):
            raise bad(f"the body must be {_FORM}; got {ctype[:60]}")
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > 64 * 1024:
            raise bad("request body too large; at most 65536 bytes", 413)
        return parse_form(await request.body())

    def _lookup(value: str) -> int:
        if not value.isdigit() or len(value) > 12:
            raise Open311Error(404, [(404, f"service_request_id {value[:40]!r} not found")])
        return int(value)

    form_doc: dict[str, Any] = {
        "requestBody": {
            "required": True,
            "content": {
                _FORM: {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "api_key": {"type": "string"},
                            "jurisdiction_id": {"type": "string"},
                            "service_code": {"type": "string", "enum": list(cat.services)},
                            "lat": {"type": "string"},
                            "long": {"type": "string"},
                            "address_string": {"type": "string"},
                            "address_id": {"type": "string"},
                            "email": {"type": "string"},
                            "device_id": {"type": "string"},
                            "account_id": {"type": "string"},
                            "first_name": {"type": "string"},
                            "last_name": {"type": "string"},
                            "phone": {"type": "string"},
                            "description": {"type": "string"},
                            "media_url": {"type": "string"},
                            "channel": {"type": "string"},
                            "district": {"type": "string"},
                        },
                        "required": ["service_code"],
                    }
                }
            },
        },
    }
    prefix = "/open311/v2"
    err_doc: dict[int | str, dict[str, Any]] = {
        400: {"description": "Open311 error list"},
        403: {"description": "bad or missing api_key"},
        404: {"description": "not found"},
    }

    # ------------------------------------------------------- discovery
    @app.get(
        prefix + "/discovery.{fmt}", responses=err_doc, tags=["open311"], openapi_extra=_doc(_FMT)
    )
    async def discovery(request: Request) -> Response:
        """Service discovery (both formats are required by the spec)."""
        fmt = _fmt(request)
        base = base_url or str(request.base_url).rstrip("/") + prefix
        doc = {
            "changeset": cat.version,
            "contact": cat.contact,
            "key_service": cat.key_service,
            "endpoints": [
                {
                    "specification": "http://wiki.open311.org/GeoReport_v2",
                    "url": base,
                    "changeset": cat.version,
                    "type": "test" if test_endpoint else "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        }
        return _answer(doc, fmt, "discovery")

    @app.get(
        prefix + "/services.{fmt}",
        responses=err_doc,
        tags=["open311"],
        openapi_extra=_doc(_FMT, _JUR),
    )
    async def services(request: Request) -> Response:
        """The list of service types."""
        fmt, q = _fmt(request), request.query_params
        _check_jurisdiction(q.get("jurisdiction_id"))
        out = [
            {
                "service_code": s.service_code,
                "service_name": s.service_name,
                "description": s.description,
                "metadata": s.metadata,
                "type": s.type,
                "keywords": s.keywords,
                "group": s.group,
            }
            for s in cat.services.values()
        ]
        return _answer(out, fmt, "services")

    @app.get(
        prefix + "/services/{service_code}.{fmt}",
        responses=err_doc,
        tags=["open311"],
        openapi_extra=_doc(_param("service_code", "path"), _FMT, _JUR),
    )
    async def service_definition(request: Request) -> Response:
        """The definition (attributes) of one service."""
        fmt, q = _fmt(request), request.query_params
        service_code = request.path_params["service_code"]
        _check_jurisdiction(q.get("jurisdiction_id"))
        s = cat.services.get(service_code)
        if s is None:
            raise Open311Error(404, [(404, f"service_code {service_code[:64]!r} not found")])
        attrs = [
            {
                "variable": a.variable,
                "code": a.code,
                "datatype": a.datatype,
                "required": a.required,
                "datatype_description": a.datatype_description,
                "order": a.order,
                "description": a.description,
                "values": [{"key": k, "name": n} for k, n in a.values],
            }
            for a in sorted(s.attributes, key=lambda a: a.order)
        ]
        return _answer(
            {"service_code": s.service_code, "attributes": attrs}, fmt, "service_definition"
        )

    # -------------------------------------------------------- requests
    @app.post(
        prefix + "/requests.{fmt}",
        responses=err_doc,
        tags=["open311"],
        openapi_extra=_doc(_FMT, body=form_doc),
    )
    async def post_request(request: Request) -> Response:
        """Create a service request (``api_key`` in the form body)."""
        fmt = _fmt(request)
        pairs = await _form(request)
        header_key = request.headers.get("x-api-key")
        try:
            api_key, new = parse_post(pairs, cat)
        except Open311Error as exc:
            # a bad key is reported as 403 even when the rest is invalid too
            keys = [v for k, v in pairs if k == "api_key" and v] or (
                [header_key] if header_key else []
            )
            if exc.status == 400 and await run(st.authenticate, keys[0] if keys else None) is None:
                raise Open311Error(
                    403, [(403, "api_key is missing, unknown or revoked"), *exc.errors]
                ) from None
            raise
        key = await _key(api_key or header_key, "submit")
        idem = request.headers.get("idempotency-key")
        if idem is not None:
            if not 1 <= len(idem) <= 100:
                raise bad("Idempotency-Key must have 1 to 100 characters")
            new.idempotency_key = idem
        try:
            created = await run(st.create_request, new, key)
        except NotFound as exc:
            raise Open311Error(404, [(404, exc.headline)]) from None
        except Forbidden as exc:
            raise Open311Error(403, [(403, exc.headline)]) from None
        except HotlineError as exc:
            raise Open311Error(400, [(400, str(exc))]) from None
        logger.debug(
            "request %d created (service %s, key %s)", created.id, new.service_code, key.prefix
        )
        item: dict[str, Any] = {}
        if created.service_type == "realtime":
            item["service_request_id"] = str(created.id)
        elif created.service_type == "batch":
            item["token"] = created.token
        item["service_notice"] = created.service_notice
        if created.account_id:
            item["account_id"] = created.account_id
        return _answer([item], fmt, "service_requests", status=200)

    @app.get(
        prefix + "/requests.{fmt}",
        responses=err_doc,
        tags=["open311"],
        openapi_extra=_doc(
            _FMT,
            _JUR,
            _param(
                "service_request_id",
                description="comma-separated ids; overrides every other filter",
            ),
            _param("service_code", description="comma-separated service codes"),
            _param("start_date", description="W3C datetime; requested on or after"),
            _param("end_date", description="W3C datetime; requested on or before"),
            _param("status", description="open and/or closed, comma-separated"),
            _param(
                "extensions",
                description="extension: true adds notes, attributes, extended_attributes",
            ),
            _param("page", description="extension: page number (1-based)"),
            _param("page_size", description="extension: results per page (at most 1000)"),
            _param("department", description="extension: filter on agency_responsible"),
        ),
    )
    async def get_requests(request: Request) -> Response:
        """Query requests: by id list (overrides every other filter), service codes,
        date range (≤ 90 days; default the last 90 days) and status; at most 1000."""
        fmt, q = _fmt(request), request.query_params
        _check_jurisdiction(q.get("jurisdiction_id"))
        service_request_id, status = q.get("service_request_id"), q.get("status")
        start_date, end_date = q.get("start_date"), q.get("end_date")
        page, page_size, department = q.get("page"), q.get("page_size"), q.get("department")
        extensions, service_code = q.get("extensions"), q.get("service_code")
        ext = _truthy(extensions)
        ids = _split(service_request_id)
        if ids:
            rows = await run(
                st.get_requests,
                [_id for i in ids if (_id := _as_id(i)) is not None],
                with_attributes=ext,
            )
        else:
            statuses = _split(status)
            wrong = [s for s in statuses if s not in ("open", "closed")]
            if wrong:
                raise bad(f"status must be open and/or closed, got {','.join(wrong)[:60]}")
            start = parse_datetime(start_date, "start_date") if start_date else None
            end = parse_datetime(end_date, "end_date") if end_date else None
            span = dt.timedelta(days=MAX_QUERY_DAYS)
            if start is None:
                end = end if end is not None else dt.datetime.now(dt.UTC)
                start = end - span
            elif end is None:
                end = start + span
            if start > end:
                raise bad("start_date is after end_date")
            if end - start > span:
                raise bad(f"the date range may not exceed {MAX_QUERY_DAYS} days")
            size = _int_param(page_size, "page_size", 1, MAX_PAGE_SIZE, MAX_PAGE_SIZE)
            pg = _int_param(page, "page", 1, 10**6, 1)
            rows = await run(
                st.query_requests,
                service_codes=_split(service_code),
                start=start,
                end=end,
                statuses=statuses,
                department=department or None,
                limit=size,
                offset=(pg - 1) * size,
                with_attributes=ext,
            )
        notes = await run(st.history, [r["id"] for r in rows]) if ext else {}
        out = [
            request_record(r, cat, tz, extensions=ext, notes=notes.get(r["id"], ())) for r in rows
        ]
        return _answer(out, fmt, "service_requests")

    _RID = _param("service_request_id", "path", "numeric id", pattern="^[0-9]{1,12}$")

    @app.get(
        prefix + "/requests/{service_request_id}.{fmt}",
        responses=err_doc,
        tags=["open311"],
        openapi_extra=_doc(_RID, _FMT, _JUR, _param("extensions", description="extension")),
    )
    async def get_request(request: Request) -> Response:
        """One request (still a one-element list)."""
        fmt, q = _fmt(request), request.query_params
        _check_jurisdiction(q.get("jurisdiction_id"))
        ext = _truthy(q.get("extensions"))
        rid = _lookup(request.path_params["service_request_id"])
        rows = await run(st.get_requests, [rid], with_attributes=ext)
        if not rows:
            raise Open311Error(404, [(404, f"service_request_id {rid} not found")])
        notes = await run(st.history, [rid]) if ext else {}
        return _answer(
            [request_record(rows[0], cat, tz, extensions=ext, notes=notes.get(rid, ()))],
            fmt,
            "service_requests",
        )

    @app.get(
        prefix + "/tokens/{token}.{fmt}",
        responses=err_doc,
        tags=["open311"],
        openapi_extra=_doc(_param("token", "path"), _FMT, _JUR),
    )
    async def get_token(request: Request) -> Response:
        """Turn a token (batch services) into a service_request_id."""
        fmt, token = _fmt(request), request.path_params["token"]
        _check_jurisdiction(request.query_params.get("jurisdiction_id"))
        if len(token) > 40:
            raise Open311Error(404, [(404, "token not found")])
        try:
            rid = await run(st.token_lookup, token)
        except NotFound:
            raise Open311Error(404, [(404, f"token {token[:40]!r} not found")]) from None
        return _answer([{"service_request_id": str(rid), "token": token}], fmt, "service_requests")

    # ------------------------------------------------------ extensions
    transition_doc: dict[str, Any] = {
        "requestBody": {
            "required": True,
            "content": {
                _FORM: {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "api_key": {"type": "string"},
                            "action": {"type": "string", "enum": list(ACTIONS)},
                            "department": {"type": "string"},
                            "note": {"type": "string"},
                            "datetime": {"type": "string"},
                            "solved": {"type": "string"},
                            "duplicate_of": {"type": "string"},
                        },
                        "required": ["action"],
                    }
                }
            },
        },
    }

    def _one(pairs: list[tuple[str, str]]) -> dict[str, str]:
        out: dict[str, str] = {}
        for k, v in pairs:
            if k in out and out[k] != v:
                raise bad(f"parameter {k[:40]} is given more than once")
            if v != "":
                out[k] = v
        return out

    def _bool(value: str | None, name: str) -> bool | None:
        if value is None:
            return None
        v = value.lower()
        if v in ("true", "1", "yes"):
            return True
        if v in ("false", "0", "no"):
            return False
        raise bad(f"{name} must be true or false, got {value[:20]!r}")

    async def _apply(rid: int, action: str, key: KeyInfo, p: dict[str, str]) -> dict[str, Any]:
        dup = p.get("duplicate_of")
        if dup is not None and not dup.isdigit():
            raise bad("duplicate_of must be a service_request_id")
        try:
            return await run(
                st.transition,
                rid,
                action,
                key,
                department=p.get("department"),
                note=p.get("note"),
                at=parse_datetime(p["datetime"], "datetime") if "datetime" in p else None,
                solved=_bool(p.get("solved"), "solved"),
                duplicate_of=int(dup) if dup and len(dup) < 12 else None,
                satisfaction=p.get("satisfaction"),
                comment=p.get("comment"),
            )
        except NotFound as exc:
            raise Open311Error(404, [(404, exc.headline)]) from None
        except Forbidden as exc:
            raise Open311Error(403, [(403, exc.headline)]) from None
        except HotlineError as exc:
            raise Open311Error(
                400, [(400, exc.headline)] + [(400, str(pr)) for pr in exc.problems]
            ) from None

    @app.post(
        prefix + "/requests/{service_request_id}/transitions.{fmt}",
        responses=err_doc,
        tags=["extensions"],
        openapi_extra=_doc(_RID, _FMT, body=transition_doc),
    )
    async def post_transition(request: Request) -> Response:
        """Extension: apply a workflow action (operate key; ``datetime`` needs admin)."""
        fmt, service_request_id = _fmt(request), request.path_params["service_request_id"]
        p = _one(await _form(request))
        key = await _key(p.get("api_key") or request.headers.get("x-api-key"), "operate")
        rid = _lookup(service_request_id)
        action = p.get("action")
        if action not in ACTIONS:
            raise bad(f"action must be one of {', '.join(ACTIONS)}")
        row = await _apply(rid, action, key, p)
        notes = await run(st.history, [rid])
        return _answer(
            [request_record(row, cat, tz, extensions=True, notes=notes[rid], internal=True)],
            fmt,
            "service_requests",
        )

    rating_doc: dict[str, Any] = {
        "requestBody": {
            "required": True,
            "content": {
                _FORM: {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "api_key": {"type": "string"},
                            "satisfaction": {
                                "type": "string",
                                "enum": ["satisfied", "basically_satisfied", "unsatisfied"],
                            },
                            "solved": {"type": "string", "enum": ["true", "false"]},
                            "comment": {"type": "string"},
                        },
                        "required": ["satisfaction", "solved"],
                    }
                }
            },
        },
    }

    @app.post(
        prefix + "/requests/{service_request_id}/rating.{fmt}",
        responses=err_doc,
        tags=["extensions"],
        openapi_extra=_doc(_RID, _FMT, body=rating_doc),
    )
    async def post_rating(request: Request) -> Response:
        """Extension: the citizen's follow-up rating after closure (回访: solved? satisfied?)."""
        fmt, service_request_id = _fmt(request), request.path_params["service_request_id"]
        p = _one(await _form(request))
        key = await _key(p.get("api_key") or request.headers.get("x-api-key"), "submit")
        rid = _lookup(service_request_id)
        row = await _apply(rid, "rate", key, p)
        return _answer([request_record(row, cat, tz, extensions=True)], fmt, "service_requests")

    @app.get(
        prefix + "/requests/{service_request_id}/history.{fmt}",
        responses=err_doc,
        tags=["extensions"],
        openapi_extra=_doc(_RID, _FMT),
    )
    async def get_history(request: Request) -> Response:
        """Extension: the update history (every transition, without actors)."""
        fmt, service_request_id = _fmt(request), request.path_params["service_request_id"]
        rid = _lookup(service_request_id)
        if not await run(st.get_requests, [rid]):
            raise Open311Error(404, [(404, f"service_request_id {rid} not found")])
        hist = await run(st.history, [rid])
        return _answer([note_record(e, tz) for e in hist[rid]], fmt, "notes")

    _KEYQ = _param("api_key", description="operate key (or the X-API-Key header)")

    @app.get(
        prefix + "/requests/{service_request_id}/duplicates.{fmt}",
        responses=err_doc,
        tags=["extensions"],
        openapi_extra=_doc(_RID, _FMT, _KEYQ),
    )
    async def get_duplicates(request: Request) -> Response:
        """Extension: duplicate suggestions (same category, ≤ 50 m, ≤ 7 days, similar text)."""
        fmt, service_request_id = _fmt(request), request.path_params["service_request_id"]
        api_key = request.query_params.get("api_key")
        await _key(api_key or request.headers.get("x-api-key"), "operate")
        rid = _lookup(service_request_id)
        try:
            found = await run(st.suggest_duplicates, rid)
        except NotFound:
            raise Open311Error(404, [(404, f"service_request_id {rid} not found")]) from None
        out = [
            {
                **d,
                "service_request_id": str(d["service_request_id"]),
                "requested_datetime": request_record_time(d["requested_at"], tz),
            }
            for d in found
        ]
        for d in out:
            d.pop("requested_at")
        return _answer(out, fmt, "duplicates")

    @app.get(
        prefix + "/queue.{fmt}",
        responses=err_doc,
        tags=["extensions"],
        openapi_extra=_doc(_FMT, _KEYQ, _param("page_size", description="at most 1000")),
    )
    async def get_queue(request: Request) -> Response:
        """Extension: the human dispatch queue (人工派单: low-confidence or unclassified)."""
        fmt = _fmt(request)
        api_key, page_size = (
            request.query_params.get("api_key"),
            request.query_params.get("page_size"),
        )
        await _key(api_key or request.headers.get("x-api-key"), "operate")
        size = _int_param(page_size, "page_size", 1, MAX_PAGE_SIZE, 100)
        rows = await run(
            st.query_requests,
            states=["received"],
            queue="human",
            limit=size,
            order="oldest",
            with_attributes=True,
        )
        out = []
        for r in rows:
            rec = request_record(r, cat, tz, extensions=True)
            rec["extended_attributes"]["predicted_category"] = r["predicted_category"]
            rec["extended_attributes"]["confidence"] = r["confidence"]
            out.append(rec)
        return _answer(out, fmt, "service_requests")

    @app.get("/health", include_in_schema=False)
    async def health() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return app


def request_record_time(value: dt.datetime | None, tz: zoneinfo.ZoneInfo) -> str | None:
    """Naive-UTC time → W3C string in ``tz``."""
    from citycheckup.hotline.open311 import iso

    return iso(value, tz)


def _as_id(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) <= 12 else None


def _int_param(value: str | None, name: str, lo: int, hi: int, default: int) -> int:
    if value is None or value == "":
        return default
    if not value.isdigit() or not lo <= int(value) <= hi:
        raise bad(f"{name} must be an integer from {lo} to {hi}, got {value[:20]!r}")
    return int(value)


_ = Awaitable


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
    ``CITYCHECKUP_HOTLINE_MODEL`` and ``CITYCHECKUP_HOTLINE_RATE_LIMIT``.

    Each worker process has its own rate-limit buckets and key cache.
    """
    import os

    from citycheckup.hotline.catalogue import load_catalogue
    from citycheckup.hotline.classifier import HotlineClassifier

    cat_path = os.environ.get("CITYCHECKUP_HOTLINE_CATALOGUE") or None
    model = os.environ.get("CITYCHECKUP_HOTLINE_MODEL") or None
    st = HotlineStore(
        os.environ.get("CITYCHECKUP_HOTLINE_DB", "sqlite:///hotline.db"),
        catalogue=load_catalogue(cat_path),
        classifier=HotlineClassifier.load(model) if model else None,
    )
    return create_app(
        store=st,
        rate_limit_per_minute=int(os.environ.get("CITYCHECKUP_HOTLINE_RATE_LIMIT", "60000")),
    )
