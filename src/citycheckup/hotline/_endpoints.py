"""The Open311 endpoints and their extensions, declared with
:class:`~citycheckup.hotline._routing.Routes` (see ``docs/hotline.md``)."""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from typing import Any

import sqlalchemy as sa

from citycheckup.errors import HotlineError
from citycheckup.hotline import _openapi as D
from citycheckup.hotline._routing import (
    MAX_CODES,
    MAX_PAGE_SIZE,
    MAX_QUERY_DAYS,
    PREFIX,
    Call,
    Routes,
    answer_store_error,
    id_in_list,
    parse_bool,
    split_list,
    truthy,
)
from citycheckup.hotline.open311 import (
    Open311Error,
    ascii_int,
    bad,
    check_text,
    iso,
    note_record,
    parse_datetime,
    parse_post,
    request_record,
)
from citycheckup.hotline.store import MAX_DEPARTMENT, MAX_IDS, MAX_NOTE, KeyInfo, NotFound
from citycheckup.hotline.workflow import ACTIONS

__all__ = ["discovery_routes", "extension_routes", "request_routes"]

logger = logging.getLogger(__name__)


# ------------------------------------------------------------------ discovery and services
def discovery_routes(r: Routes, *, base_url: str, test_endpoint: bool) -> None:
    cat = r.cat

    @r.route(
        "GET",
        "/discovery.{fmt}",
        root="discovery",
        tags=["open311"],
        params=(D.FMT,),
        jurisdiction=False,
    )
    async def discovery(c: Call) -> Any:
        """Service discovery (both formats are required by the spec)."""
        return {
            "changeset": cat.version,
            "contact": cat.contact,
            "key_service": cat.key_service,
            "endpoints": [
                {
                    "specification": "http://wiki.open311.org/GeoReport_v2",
                    "url": base_url.rstrip("/") + PREFIX if base_url else PREFIX,
                    "changeset": cat.version,
                    "type": "test" if test_endpoint else "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        }

    @r.route("GET", "/services.{fmt}", root="services", tags=["open311"], params=(D.FMT, D.JUR))
    async def services(c: Call) -> Any:
        """The list of service types."""
        return [
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

    @r.route(
        "GET",
        "/services/{service_code}.{fmt}",
        root="service_definition",
        tags=["open311"],
        params=(D.param("service_code", "path"), D.FMT, D.JUR),
    )
    async def service_definition(c: Call) -> Any:
        """The definition (attributes) of one service."""
        code = c.path("service_code")
        s = cat.services.get(code)
        if s is None:
            raise Open311Error(404, [(404, f"service_code {code[:64]!r} not found")])
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
        return {"service_code": s.service_code, "attributes": attrs}


# ------------------------------------------------------------------------------ requests
def request_routes(r: Routes, tz: zoneinfo.ZoneInfo) -> None:
    st, cat = r.store, r.cat

    @r.route(
        "POST",
        "/requests.{fmt}",
        root="service_requests",
        tags=["open311"],
        params=(D.FMT,),
        body=D.post_request_body(list(cat.services)),
        jurisdiction=False,
    )
    async def post_request(c: Call) -> Any:
        """Create a service request (``api_key`` in the form body or ``X-API-Key``)."""
        header_key = c.request.headers.get("x-api-key")
        idem = c.request.headers.get("idempotency-key")

        try:
            api_key, new = parse_post(c.pairs, cat)
        except Open311Error as exc:
            # a bad key is reported as 403 even when the rest is invalid too
            raw = c.form.get("api_key") or header_key
            if exc.status == 400 and await r.read_row(st.authenticate, raw) is None:
                raise Open311Error(
                    403, [(403, "api_key is missing, unknown, expired or revoked"), *exc.errors]
                ) from None
            raise
        key = await r.key(api_key or header_key, "submit")
        if idem is not None:
            new.idempotency_key = check_text("Idempotency-Key", idem, 100) or None
        try:
            prep = st.prepare_request(new, key)  # routing and deadlines: no database work
            try:
                created = await r.commit(lambda conn: st.insert_request(conn, prep))
            except sa.exc.IntegrityError:
                if not new.idempotency_key:
                    raise
                # a concurrent call with the same Idempotency-Key committed first
                created = await r.commit(lambda conn: st.insert_request(conn, prep))
        except HotlineError as exc:
            raise answer_store_error(exc) from None
        rating_token = st.rating_token(created.id)  # the secret is loaded at start-up
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
        item["rating_token"] = rating_token  # extension: for the follow-up rating (回访)
        return [item]

    @r.route(
        "GET",
        "/requests.{fmt}",
        root="service_requests",
        tags=["open311"],
        viewer_key=True,
        params=(
            D.FMT,
            D.JUR,
            D.param(
                "service_request_id",
                description=f"comma-separated ids (at most {MAX_IDS}); overrides every other filter",
            ),
            D.param(
                "service_code", description=f"comma-separated service codes (at most {MAX_CODES})"
            ),
            D.param("start_date", description="W3C datetime; requested on or after"),
            D.param("end_date", description="W3C datetime; requested on or before"),
            D.param("status", description="open and/or closed, comma-separated"),
            D.EXT,
            D.param("page", description="extension: page number (1-based)"),
            D.param(
                "page_size", description=f"extension: results per page (at most {MAX_PAGE_SIZE})"
            ),
            D.param("department", description="extension: filter on agency_responsible"),
            D.KEYQ,
        ),
    )
    async def get_requests(c: Call) -> Any:
        """Query requests: by id list (overrides every other filter), service codes,
        date range (≤ 90 days; default the last 90 days) and status; at most 1000."""
        q = c.query
        ext = truthy(q.get("extensions"))
        ids = split_list(q.get("service_request_id"), "service_request_id", MAX_IDS)
        if ids:
            wanted = [id_in_list(x) for x in ids]
            rows = await r.run(st.get_requests, wanted, with_attributes=ext)
        else:
            statuses = split_list(q.get("status"), "status", 2)
            wrong = [s for s in statuses if s not in ("open", "closed")]
            if wrong:
                raise bad(f"status must be open and/or closed, got {','.join(wrong)[:60]}")
            start = parse_datetime(q["start_date"], "start_date") if "start_date" in q else None
            end = parse_datetime(q["end_date"], "end_date") if "end_date" in q else None
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
            size = ascii_int(q.get("page_size"), "page_size", 1, MAX_PAGE_SIZE, MAX_PAGE_SIZE)
            page = ascii_int(q.get("page"), "page", 1, 10**6, 1)
            department = q.get("department")
            if department is not None:
                check_text("department", department, MAX_DEPARTMENT)
            rows = await r.run(
                st.query_requests,
                service_codes=[
                    check_text("service_code", s, 64)
                    for s in split_list(q.get("service_code"), "service_code", MAX_CODES)
                ],
                start=start,
                end=end,
                statuses=statuses,
                department=department,
                limit=size,
                offset=(page - 1) * size,
                with_attributes=ext,
            )
        notes = await r.run(st.history, [row["id"] for row in rows]) if ext else {}
        return [
            request_record(
                row, cat, tz, extensions=ext, notes=notes.get(row["id"], ()), internal=c.internal
            )
            for row in rows
        ]

    @r.route(
        "GET",
        "/requests/{service_request_id}.{fmt}",
        root="service_requests",
        tags=["open311"],
        viewer_key=True,
        params=(D.RID, D.FMT, D.JUR, D.EXT, D.KEYQ),
    )
    async def get_request(c: Call) -> Any:
        """One request (still a one-element list)."""
        ext = truthy(c.query.get("extensions"))
        rid = c.rid()
        rows = await r.read_row(st.get_requests, [rid], with_attributes=ext)
        if not rows:
            raise Open311Error(404, [(404, f"service_request_id {rid} not found")])
        notes = await r.run(st.history, [rid]) if ext else {}
        return [
            request_record(
                rows[0], cat, tz, extensions=ext, notes=notes.get(rid, ()), internal=c.internal
            )
        ]

    @r.route(
        "GET",
        "/tokens/{token}.{fmt}",
        root="service_requests",
        tags=["open311"],
        params=(D.param("token", "path"), D.FMT, D.JUR),
    )
    async def get_token(c: Call) -> Any:
        """Turn a token (batch services) into a service_request_id."""
        token = c.path("token")
        if len(token) > 40:
            raise Open311Error(404, [(404, "token not found")])
        try:
            rid = await r.read_row(st.token_lookup, token)
        except NotFound:
            raise Open311Error(404, [(404, f"token {token[:40]!r} not found")]) from None
        return [{"service_request_id": str(rid), "token": token}]


# ---------------------------------------------------------------------------- extensions
def extension_routes(r: Routes, tz: zoneinfo.ZoneInfo) -> None:
    st, cat = r.store, r.cat

    async def apply(rid: int, action: str, key: KeyInfo, p: dict[str, str]) -> dict[str, Any]:
        dup = p.get("duplicate_of")
        for name, limit in (
            ("department", MAX_DEPARTMENT),
            ("note", MAX_NOTE),
            ("comment", MAX_NOTE),
            ("rating_token", 100),
        ):
            if name in p:
                check_text(name, p[name], limit)
        try:
            job = st.transition_job(
                rid,
                action,
                key,
                department=p.get("department"),
                note=p.get("note"),
                at=parse_datetime(p["datetime"], "datetime") if "datetime" in p else None,
                solved=parse_bool(p.get("solved"), "solved"),
                duplicate_of=None
                if dup is None
                else ascii_int(dup, "duplicate_of", 1, 10**12 - 1, 0),
                satisfaction=p.get("satisfaction"),
                comment=p.get("comment"),
                rating_token=p.get("rating_token"),
            )
            await r.commit(job)
            return (await r.read_row(st.get_requests, [rid]))[0]  # type: ignore[no-any-return]
        except HotlineError as exc:
            if isinstance(exc, Open311Error):
                raise
            raise answer_store_error(exc) from None

    @r.route(
        "POST",
        "/requests/{service_request_id}/transitions.{fmt}",
        root="service_requests",
        tags=["extensions"],
        role="operate",
        params=(D.RID, D.FMT),
        body=D.transition_body(),
        jurisdiction=False,
    )
    async def post_transition(c: Call) -> Any:
        """Extension: apply a workflow action (operate key; ``datetime`` needs admin)."""
        rid = c.rid()
        action = c.form.get("action")
        if action not in ACTIONS:
            raise bad(f"action must be one of {', '.join(ACTIONS)}")
        assert c.key is not None
        row = await apply(rid, action, c.key, c.form)
        notes = await r.run(st.history, [rid])
        return [request_record(row, cat, tz, extensions=True, notes=notes[rid], internal=True)]

    @r.route(
        "POST",
        "/requests/{service_request_id}/rating.{fmt}",
        root="service_requests",
        tags=["extensions"],
        role="submit",
        params=(D.RID, D.FMT),
        body=D.rating_body(),
        jurisdiction=False,
    )
    async def post_rating(c: Call) -> Any:
        """Extension: the citizen's follow-up rating after closure (回访: solved? satisfied?)
        — by the key that submitted the request, with its ``rating_token``, or an admin key."""
        assert c.key is not None
        row = await apply(c.rid(), "rate", c.key, c.form)
        return [request_record(row, cat, tz, extensions=True, internal=c.internal)]

    @r.route(
        "GET",
        "/requests/{service_request_id}/history.{fmt}",
        root="notes",
        tags=["extensions"],
        viewer_key=True,
        params=(D.RID, D.FMT, D.KEYQ),
    )
    async def get_history(c: Call) -> Any:
        """Extension: the update history (public: redacted, without actors)."""
        rid = c.rid()
        if not await r.read_row(st.get_requests, [rid]):
            raise Open311Error(404, [(404, f"service_request_id {rid} not found")])
        hist = await r.run(st.history, [rid])
        return [note_record(e, tz, internal=c.internal) for e in hist[rid]]

    @r.route(
        "GET",
        "/requests/{service_request_id}/duplicates.{fmt}",
        root="duplicates",
        tags=["extensions"],
        role="operate",
        params=(D.RID, D.FMT, D.KEYQ),
    )
    async def get_duplicates(c: Call) -> Any:
        """Extension: duplicate suggestions (same category, ≤ 50 m, ≤ 7 days, similar text)."""
        rid = c.rid()
        try:
            found = await r.run(st.suggest_duplicates, rid)
        except NotFound:
            raise Open311Error(404, [(404, f"service_request_id {rid} not found")]) from None
        return [
            {
                "service_request_id": str(d["service_request_id"]),
                "distance_m": d["distance_m"],
                "similarity": d["similarity"],
                "state": d["state"],
                "requested_datetime": iso(d["requested_at"], tz),
            }
            for d in found
        ]

    @r.route(
        "GET",
        "/queue.{fmt}",
        root="service_requests",
        tags=["extensions"],
        role="operate",
        params=(D.FMT, D.KEYQ, D.param("page_size", description=f"at most {MAX_PAGE_SIZE}")),
    )
    async def get_queue(c: Call) -> Any:
        """Extension: the human dispatch queue (人工派单: low-confidence or unclassified)."""
        size = ascii_int(c.query.get("page_size"), "page_size", 1, MAX_PAGE_SIZE, 100)
        rows = await r.run(
            st.query_requests,
            states=["received"],
            queue="human",
            limit=size,
            order="oldest",
            with_attributes=True,
        )
        out = []
        for row in rows:
            rec = request_record(row, cat, tz, extensions=True, internal=True)
            rec["extended_attributes"]["predicted_category"] = row["predicted_category"]
            rec["extended_attributes"]["confidence"] = row["confidence"]
            out.append(rec)
        return out
