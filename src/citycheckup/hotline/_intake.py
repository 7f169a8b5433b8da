"""Intake of new requests (a mixin of :class:`~citycheckup.hotline.store.HotlineStore`):
the request types, routing to a category, department and queue, deadlines, and the
insert with its first events and idempotency check.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import zoneinfo
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa

from citycheckup.hotline import schema as S
from citycheckup.hotline._db import Conflict, Forbidden, NotFound, naive_utc, utcnow
from citycheckup.hotline.catalogue import Catalogue, Service
from citycheckup.hotline.deadlines import UnknownYearPolicy, deadline_after
from citycheckup.hotline.keys import KeyInfo

__all__ = ["Created", "Intake", "NewRequest", "PreparedRequest"]


@dataclass
class NewRequest:
    """A validated service request ready to be stored (see ``validation.parse_post``)."""

    service_code: str
    lat: float | None = None
    long: float | None = None
    address_string: str | None = None
    address_id: str | None = None
    zipcode: str | None = None
    description: str | None = None
    media_url: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    contact: dict[str, str] = field(default_factory=dict)
    channel: str = "api"
    district: str | None = None
    # admin-only import fields (replays of historical data)
    requested_at: dt.datetime | None = None
    expected_at: dt.datetime | None = None
    department: str | None = None
    category: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class PreparedRequest:
    """A request checked, routed and scheduled, ready to be inserted (see
    :meth:`HotlineStore.prepare_request`)."""

    req: NewRequest
    key: KeyInfo
    service_type: str
    values: dict[str, Any]
    events: list[dict[str, Any]]


@dataclass(frozen=True)
class Created:
    """The result of storing a request."""

    id: int
    token: str
    service_type: str
    service_notice: str
    account_id: str | None
    replayed: bool = False


class Intake:
    """Intake operations (needs ``catalogue``, ``classifier`` and ``unknown_year``)."""

    catalogue: Catalogue
    classifier: Any
    unknown_year: UnknownYearPolicy

    def service(self, code: str) -> Service:
        """The catalogue service ``code``.

        Raises
        ------
        NotFound
            When the catalogue has no such service.
        """
        try:
            return self.catalogue.services[code]
        except KeyError:
            raise NotFound(f"service_code {code!r} not found") from None

    def _route(self, req: NewRequest, service: Service) -> dict[str, Any]:
        """Category, department, queue and prediction of a new request."""
        cat = self.catalogue
        out: dict[str, Any] = {"predicted_category": None, "confidence": None}
        category = req.category or service.category
        if category is None and self.classifier is not None and req.description:
            pred = self.classifier.classify([req.description])[0]
            out["predicted_category"], out["confidence"] = pred.category, pred.confidence
            if pred.confidence >= cat.confidence_threshold:
                category = pred.category
        department = (
            req.department or service.department or cat.department_for(category, req.district)
        )
        if req.department or req.category or service.category is not None:
            queue = "service"
        elif category is not None and department is not None:
            queue = "auto"
        else:
            queue = "human"
        out.update(category=category, department=department, queue=queue)
        return out

    def prepare_request(
        self, req: NewRequest, key: KeyInfo, *, now: dt.datetime | None = None
    ) -> PreparedRequest:
        """Check, route and schedule a new request without writing anything.

        Raises
        ------
        NotFound
            Unknown service code.
        Forbidden
            Import fields used without an admin key.
        """
        service = self.service(req.service_code)
        if (
            req.requested_at or req.expected_at or req.department or req.category
        ) and not key.allows("admin"):
            raise Forbidden(
                "requested_datetime, expected_datetime, department and category "
                "may only be set with an admin key"
            )
        now = naive_utc(now) if now is not None else utcnow()
        requested = naive_utc(req.requested_at) if req.requested_at else now
        route = self._route(req, service)
        category = route["category"]
        tz, policy = self.catalogue.timezone, self.unknown_year
        expected = (
            naive_utc(req.expected_at)
            if req.expected_at
            else naive_utc(
                deadline_after(
                    requested,
                    self.catalogue.deadline_for(service, category),
                    timezone=tz,
                    unknown_year=policy,
                )
            )
        )
        response_due = naive_utc(
            deadline_after(
                requested,
                self.catalogue.response_deadline_for(service, category),
                timezone=tz,
                unknown_year=policy,
            )
        )
        dispatched = route["queue"] != "human"
        department = route["department"] if dispatched else self.catalogue.human_queue_department
        local_due = expected.replace(tzinfo=dt.UTC).astimezone(zoneinfo.ZoneInfo(tz))
        notice = (
            f"已受理，承办单位：{department}，办理时限：{local_due:%Y-%m-%d %H:%M}"
            if dispatched
            else "已受理，等待人工派单"
        )
        values = {
            "token": secrets.token_urlsafe(12),
            "service_code": service.service_code,
            "category": category,
            "predicted_category": route["predicted_category"],
            "confidence": route["confidence"],
            "queue": route["queue"],
            "department": department,
            "district": req.district,
            "channel": req.channel,
            "state": "dispatched" if dispatched else "received",
            "status_notes": None,
            "service_notice": notice,
            "description": req.description,
            "lat": req.lat,
            "long": req.long,
            "address_string": req.address_string,
            "address_id": req.address_id,
            "zipcode": req.zipcode,
            "media_url": req.media_url,
            "attributes": json.dumps(req.attributes, ensure_ascii=False)
            if req.attributes
            else None,
            "requested_at": requested,
            "updated_at": requested,
            "expected_at": expected,
            "response_due_at": response_due,
            "dispatched_at": requested if dispatched else None,
            "reopen_count": 0,
            "escalated": False,
            "submitted_by": key.id or None,
            "idempotency_key": req.idempotency_key,
            "idempotency_hash": _fingerprint(req) if req.idempotency_key else None,
        }
        events = [
            {
                "at": requested,
                "action": "receive",
                "from_state": None,
                "to_state": "received",
                "actor": key.actor,
                "actor_role": key.role,
                "department": None,
                "note": f"channel={req.channel}",
            }
        ]
        if dispatched:
            events.append(
                {
                    "at": requested,
                    "action": "dispatch",
                    "from_state": "received",
                    "to_state": "dispatched",
                    "actor": "system:router",
                    "actor_role": "admin",
                    "department": department,
                    "note": f"queue={route['queue']}"
                    + (
                        f", confidence={route['confidence']:.3f}"
                        if route["confidence"] is not None
                        else ""
                    ),
                }
            )
        return PreparedRequest(req, key, service.type, values, events)

    def insert_request(self, conn: sa.Connection, prep: PreparedRequest) -> Created:
        """Store a prepared request on ``conn`` (inside the caller's write transaction).

        With an ``idempotency_key`` that this key used before, the first request is
        returned instead (``replayed``) — or :class:`Conflict` when the parameters differ.
        """
        req, key, values = prep.req, prep.key, prep.values
        if req.idempotency_key:
            row = conn.execute(
                sa.select(S.requests.c.id, S.requests.c.token, S.requests.c.idempotency_hash).where(
                    S.requests.c.submitted_by == key.id,
                    S.requests.c.idempotency_key == req.idempotency_key,
                )
            ).first()
            if row is not None:
                if (
                    row.idempotency_hash is not None
                    and row.idempotency_hash != values["idempotency_hash"]
                ):
                    raise Conflict(
                        f"Idempotency-Key {req.idempotency_key[:100]!r} was used for request "
                        f"{row.id} with different parameters; a retry must resend the same "
                        "body, and a new request needs a new Idempotency-Key"
                    )
                return Created(row.id, row.token, prep.service_type, "", None, replayed=True)
        # parameters, not .values(): the compiled statement is reused from the cache
        pk = conn.execute(_INSERT_REQUEST, values).inserted_primary_key
        rid = int(pk[0])  # type: ignore[index]
        conn.execute(_INSERT_EVENT, [{"request_id": rid, **e} for e in prep.events])
        if req.contact:
            contact = dict.fromkeys(_CONTACT_FIELDS) | req.contact
            conn.execute(_INSERT_CONTACT, {"request_id": rid, **contact})
        return Created(
            rid,
            values["token"],
            prep.service_type,
            values["service_notice"],
            req.contact.get("account_id"),
        )


_INSERT_REQUEST = S.requests.insert()
_INSERT_EVENT = S.events.insert()
_INSERT_CONTACT = S.contacts.insert()
_CONTACT_FIELDS = ("email", "phone", "first_name", "last_name", "device_id", "account_id")


def _fingerprint(req: NewRequest) -> str:
    """SHA-256 of everything submitted except the idempotency key (JSON, sorted keys)."""
    fields = asdict(req)
    fields.pop("idempotency_key")
    text = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
