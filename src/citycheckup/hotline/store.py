"""Storage and business operations of the hotline (no web framework here).

:class:`HotlineStore` owns the database engine (SQLite in WAL mode by default,
PostgreSQL through ``postgresql+psycopg://``), the dispatch catalogue and an
optional classifier, and implements: API keys, intake with automatic routing,
workflow transitions with an audit trail, ratings, overdue escalation, duplicate
suggestions, queries and a data frame for metrics.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import secrets
import threading
import time
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from citycheckup.errors import HotlineError, Problem
from citycheckup.hotline import schema as S
from citycheckup.hotline.catalogue import Catalogue, Service, load_catalogue
from citycheckup.hotline.deadlines import UnknownYearPolicy, deadline_after
from citycheckup.hotline.workflow import (
    ACTION_ROLES,
    CLOSED_STATES,
    OPEN_STATES,
    Role,
    next_state,
)

__all__ = [
    "ROLES",
    "SATISFACTION",
    "SYSTEM",
    "Created",
    "Forbidden",
    "HotlineStore",
    "KeyInfo",
    "NewRequest",
    "NotFound",
    "create_engine",
    "utcnow",
]

logger = logging.getLogger(__name__)

ROLES: tuple[Role, ...] = ("submit", "operate", "admin")
#: Citizen satisfaction levels of the follow-up (回访): 满意 / 基本满意 / 不满意.
SATISFACTION = ("satisfied", "basically_satisfied", "unsatisfied")
_RANK = {"submit": 0, "operate": 1, "admin": 2}


class NotFound(HotlineError):
    """A request, token or service does not exist (HTTP 404 in the API)."""


class Forbidden(HotlineError):
    """The API key's role does not allow the operation (HTTP 403 in the API)."""


def utcnow() -> dt.datetime:
    """Current time as naive UTC (the storage convention)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _naive_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def create_engine(
    database_url: str, *, sqlite_synchronous: str = "NORMAL", echo: bool = False
) -> Engine:
    """An engine for ``database_url``; SQLite gets WAL mode, a busy timeout and
    ``BEGIN IMMEDIATE`` for write transactions.

    Notes
    -----
    WAL with ``synchronous=NORMAL`` keeps every committed transaction when the
    *process* is killed (the WAL is in the OS page cache); only a power loss can
    drop the last transactions. Use ``sqlite_synchronous="FULL"`` to survive that too.
    """
    if database_url.startswith("sqlite"):
        memory = database_url in ("sqlite://", "sqlite:///:memory:")
        pool: dict[str, Any] = (
            {"poolclass": sa.pool.StaticPool} if memory else {"pool_size": 8, "max_overflow": 8}
        )
        engine = sa.create_engine(
            database_url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            **pool,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={sqlite_synchronous}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            # a deferred transaction that reads and then writes can fail with SQLITE_BUSY
            # without waiting; IMMEDIATE takes the write lock up front and waits for it
            # reads run in autocommit: in WAL mode each statement sees a consistent snapshot
            if conn.get_execution_options().get("hotline_write", False):
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # sized for the server's thread pool (40 threads); connections are recycled hourly
    # instead of pinged before every use (a ping is a round trip per request)
    return sa.create_engine(
        database_url, echo=echo, pool_size=20, max_overflow=20, pool_recycle=3600
    )


def hash_key(key: str) -> str:
    """SHA-256 of an API key (keys carry 256 bits of entropy, so no salt or KDF is needed)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class KeyInfo:
    """An authenticated API key (never holds the key itself)."""

    id: int
    prefix: str
    role: Role
    label: str
    rate_per_minute: int | None

    @property
    def actor(self) -> str:
        """How the key appears in the audit trail."""
        return f"key:{self.prefix}" + (f" ({self.label})" if self.label else "")

    def allows(self, role: Role) -> bool:
        """Whether this key has at least ``role``."""
        return _RANK[self.role] >= _RANK[role]


SYSTEM = KeyInfo(id=0, prefix="system", role="admin", label="system", rate_per_minute=None)


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
class Created:
    """The result of storing a request."""

    id: int
    token: str
    service_type: str
    service_notice: str
    account_id: str | None
    replayed: bool = False


class HotlineStore:
    """All hotline operations on one database.

    Parameters
    ----------
    database_url
        SQLAlchemy URL: ``sqlite:///path.db`` (default embedded store, WAL mode) or
        ``postgresql+psycopg://user@host:port/db``.
    catalogue
        The dispatch catalogue (the built-in one when ``None``).
    classifier
        A trained :class:`~citycheckup.hotline.classifier.HotlineClassifier` for
        services without a fixed category; without one those go to the human queue.
    migrate
        Apply pending schema migrations on start.
    unknown_year
        Working-day policy for years without a holiday schedule.
    sqlite_synchronous
        SQLite ``synchronous`` pragma (``NORMAL`` or ``FULL``).
    """

    def __init__(
        self,
        database_url: str = "sqlite:///hotline.db",
        *,
        catalogue: Catalogue | None = None,
        classifier: Any = None,
        migrate: bool = True,
        unknown_year: UnknownYearPolicy = "weekdays",
        sqlite_synchronous: str = "NORMAL",
    ) -> None:
        self.database_url = database_url
        self.catalogue = catalogue if catalogue is not None else load_catalogue()
        self.classifier = classifier
        self.unknown_year = unknown_year
        self.engine = create_engine(database_url, sqlite_synchronous=sqlite_synchronous)
        self._writer = self.engine.execution_options(hotline_write=True)
        self._key_cache: dict[str, tuple[float, KeyInfo | None]] = {}
        self._lock = threading.Lock()
        self._local = threading.local()
        if migrate:
            S.migrate(self.engine)

    def close(self) -> None:
        """Release the database connections."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        self.engine.dispose()

    # ------------------------------------------------------------------ keys
    def create_key(self, role: str, *, label: str = "", rate_per_minute: int | None = None) -> str:
        """Create an API key with ``role`` and return it (it is stored only hashed).

        Raises
        ------
        HotlineError
            For an unknown role.
        """
        if role not in ROLES:
            raise HotlineError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
        key = "ck_" + secrets.token_urlsafe(32)
        with self._writer.begin() as conn:
            conn.execute(
                S.api_keys.insert().values(
                    prefix=key[:11],
                    key_hash=hash_key(key),
                    role=role,
                    label=label[:200],
                    rate_per_minute=rate_per_minute,
                    created_at=utcnow(),
                )
            )
        logger.info("created %s API key %s…", role, key[:11])
        return key

    def revoke_key(self, prefix: str) -> int:
        """Revoke every key whose prefix is ``prefix``; return how many."""
        with self._writer.begin() as conn:
            n = conn.execute(
                S.api_keys.update()
                .where(S.api_keys.c.prefix == prefix, S.api_keys.c.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            ).rowcount
        self._key_cache.clear()
        return int(n)

    def list_keys(self) -> list[dict[str, Any]]:
        """Keys without their hashes: prefix, role, label, created, revoked."""
        with self.engine.connect() as conn:
            rows = (
                conn.execute(
                    sa.select(
                        S.api_keys.c.prefix,
                        S.api_keys.c.role,
                        S.api_keys.c.label,
                        S.api_keys.c.created_at,
                        S.api_keys.c.revoked_at,
                    )
                )
                .mappings()
                .all()
            )
        return [dict(r) for r in rows]

    def authenticate(self, key: str | None, *, cache_seconds: float = 10.0) -> KeyInfo | None:
        """The key's info, or ``None`` when it is missing, unknown or revoked."""
        if not key or len(key) > 200:
            return None
        h = hash_key(key)
        now = time.monotonic()
        hit = self._key_cache.get(h)
        if hit is not None and now - hit[0] < cache_seconds:
            return hit[1]
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(S.api_keys).where(S.api_keys.c.key_hash == h)).first()
        info = None
        if row is not None and row.revoked_at is None:
            info = KeyInfo(row.id, row.prefix, row.role, row.label, row.rate_per_minute)
        if len(self._key_cache) > 10000:
            self._key_cache.clear()
        self._key_cache[h] = (now, info)
        return info

    # --------------------------------------------------------------- intake
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

    def create_request(
        self, req: NewRequest, key: KeyInfo, *, now: dt.datetime | None = None
    ) -> Created:
        """Store a new request, route it and record its first transitions.

        A request with a fixed or confidently predicted category is dispatched at
        once (actor ``system:router``); any other stays *received* in the human
        dispatch queue. With an ``idempotency_key`` a repeated submission by the
        same key returns the first request instead of storing a second one.

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
        if req.idempotency_key:
            with self.engine.connect() as conn:
                row = conn.execute(
                    sa.select(S.requests.c.id, S.requests.c.token).where(
                        S.requests.c.submitted_by == key.id,
                        S.requests.c.idempotency_key == req.idempotency_key,
                    )
                ).first()
            if row is not None:
                return Created(row.id, row.token, service.type, "", None, replayed=True)
        now = _naive_utc(now) if now is not None else utcnow()
        requested = _naive_utc(req.requested_at) if req.requested_at else now
        route = self._route(req, service)
        category = route["category"]
        tz, policy = self.catalogue.timezone, self.unknown_year
        expected = (
            _naive_utc(req.expected_at)
            if req.expected_at
            else _naive_utc(
                deadline_after(
                    requested,
                    self.catalogue.deadline_for(service, category),
                    timezone=tz,
                    unknown_year=policy,
                )
            )
        )
        response_due = _naive_utc(
            deadline_after(
                requested,
                self.catalogue.response_deadline_for(service, category),
                timezone=tz,
                unknown_year=policy,
            )
        )
        dispatched = route["queue"] != "human"
        state = "dispatched" if dispatched else "received"
        department = route["department"] if dispatched else self.catalogue.human_queue_department
        local_due = expected.replace(tzinfo=dt.UTC).astimezone(zoneinfo.ZoneInfo(tz))
        notice = (
            f"已受理，承办单位：{department}，办理时限：{local_due:%Y-%m-%d %H:%M}"
            if dispatched
            else "已受理，等待人工派单"
        )
        token = secrets.token_urlsafe(12)
        values = {
            "token": token,
            "service_code": service.service_code,
            "category": category,
            "predicted_category": route["predicted_category"],
            "confidence": route["confidence"],
            "queue": route["queue"],
            "department": department,
            "district": req.district,
            "channel": req.channel,
            "state": state,
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
        }
        try:
            with self._writer.begin() as conn:
                # parameters, not .values(): the compiled statement is reused from the cache
                pk = conn.execute(_INSERT_REQUEST, values).inserted_primary_key
                rid = int(pk[0])  # type: ignore[index]
                evs = [
                    {
                        "request_id": rid,
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
                    evs.append(
                        {
                            "request_id": rid,
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
                conn.execute(S.events.insert(), evs)
                if req.contact:
                    contact = dict.fromkeys(_CONTACT_FIELDS) | req.contact
                    conn.execute(_INSERT_CONTACT, {"request_id": rid, **contact})
        except sa.exc.IntegrityError:
            if req.idempotency_key:  # a concurrent retry won the race
                return self.create_request(req, key, now=now)
            raise
        return Created(rid, token, service.type, notice, req.contact.get("account_id"))

    # -------------------------------------------------------------- workflow
    def transition(
        self,
        request_id: int,
        action: str,
        actor: KeyInfo,
        *,
        department: str | None = None,
        note: str | None = None,
        at: dt.datetime | None = None,
        solved: bool | None = None,
        duplicate_of: int | None = None,
        satisfaction: str | None = None,
        comment: str | None = None,
    ) -> dict[str, Any]:
        """Apply a workflow ``action`` to a request and record it (actor, time, note).

        Parameters
        ----------
        request_id
            The request.
        action
            One of :data:`~citycheckup.hotline.workflow.ACTIONS`.
        actor
            The API key (or :data:`SYSTEM`) doing it; checked against the action's roles.
        department
            Required for ``dispatch`` and ``reassign`` (unless the request has one).
        note
            Public status note (no personal data).
        at
            When it happened (admin only; default now), for replays of history.
        solved
            ``resolve``: the department's outcome; ``rate``: the citizen's answer.
        duplicate_of
            ``merge``: the request this one duplicates.
        satisfaction, comment
            ``rate``: one of :data:`SATISFACTION` and a free comment.

        Returns
        -------
        dict
            The updated request (public fields).

        Raises
        ------
        NotFound
            Unknown request (or duplicate_of).
        HotlineError
            Forbidden role, transition not allowed, missing or invalid parameters
            (every problem listed).
        """
        problems: list[Problem] = []
        roles = ACTION_ROLES.get(action)  # type: ignore[call-overload]
        if roles is None:
            raise HotlineError(f"unknown action {action!r}")
        if actor.role not in roles:
            raise Forbidden(
                f"a {actor.role} key may not {action}; needs one of {', '.join(sorted(roles))}"
            )
        if at is not None and not actor.allows("admin"):
            raise Forbidden("only an admin key may set the time of a transition")
        when = _naive_utc(at) if at is not None else utcnow()
        if action == "rate":
            if satisfaction not in SATISFACTION:
                problems.append(
                    Problem(
                        f"satisfaction must be one of {', '.join(SATISFACTION)}, "
                        f"got {satisfaction!r}"
                    )
                )
            if solved is None:
                problems.append(Problem("solved (true/false) is required when rating"))
        if note is not None and len(note) > 4000:
            problems.append(Problem(f"note is {len(note)} characters; at most 4000"))
        if comment is not None and len(comment) > 4000:
            problems.append(Problem(f"comment is {len(comment)} characters; at most 4000"))
        if problems:
            raise HotlineError(f"cannot {action} request {request_id}", problems=problems)
        with self._writer.begin() as conn:
            row = conn.execute(sa.select(S.requests).where(S.requests.c.id == request_id)).first()
            if row is None:
                raise NotFound(f"service_request_id {request_id} not found")
            if duplicate_of is not None:
                if duplicate_of == request_id:
                    raise HotlineError("a request cannot duplicate itself")
                if (
                    conn.execute(
                        sa.select(S.requests.c.id).where(S.requests.c.id == duplicate_of)
                    ).first()
                    is None
                ):
                    raise NotFound(f"duplicate_of {duplicate_of} not found")
            new = next_state(row.state, action)
            if when < row.requested_at:
                raise HotlineError(
                    f"transition time {when:%Y-%m-%dT%H:%M:%SZ} is before the "
                    f"request was received ({row.requested_at:%Y-%m-%dT%H:%M:%SZ})"
                )
            dept = row.department
            upd: dict[str, Any] = {"state": new, "updated_at": when}
            if action in ("dispatch", "reassign"):
                dept = department or (
                    row.department if action == "dispatch" and row.queue != "human" else None
                )
                if not dept:
                    raise HotlineError(f"{action} needs a department")
                upd["department"] = dept
                if row.dispatched_at is None:
                    upd["dispatched_at"] = when
            if action in ("accept", "resolve", "return") and row.first_response_at is None:
                upd["first_response_at"] = when
            if action == "resolve":
                upd["resolved_at"] = when
                if solved is not None and row.solved_source != "citizen":
                    upd["solved"], upd["solved_source"] = solved, "department"
            if action == "escalate":
                upd["escalated"] = True
            if action == "merge":
                upd["duplicate_of"] = duplicate_of
            if action == "rate":
                upd.update(
                    satisfaction=satisfaction,
                    solved=solved,
                    solved_source="citizen",
                    rated_at=when,
                    rating_comment=comment,
                )
            if action == "reopen":
                upd["reopen_count"] = row.reopen_count + 1
                upd["closed_at"] = None
            if new in CLOSED_STATES and row.state in OPEN_STATES:
                upd["closed_at"] = when
            if note is not None:
                upd["status_notes"] = note
            conn.execute(S.requests.update().where(S.requests.c.id == request_id).values(**upd))
            conn.execute(
                S.events.insert().values(
                    request_id=request_id,
                    at=when,
                    action=action,
                    from_state=row.state,
                    to_state=new,
                    actor=actor.actor,
                    actor_role=actor.role,
                    department=dept,
                    note=note,
                )
            )
        return self.get_requests([request_id])[0]

    def escalate_overdue(self, *, now: dt.datetime | None = None, limit: int = 10000) -> list[int]:
        """Escalate (督办) every open request past its deadline that is not escalated yet.

        Returns the ids escalated; each gets an ``escalate`` event by ``system``.
        """
        now = _naive_utc(now) if now is not None else utcnow()
        with self.engine.connect() as conn:
            ids = [
                r[0]
                for r in conn.execute(
                    sa.select(S.requests.c.id)
                    .where(
                        S.requests.c.state.in_(["dispatched", "in_progress", "returned"]),
                        S.requests.c.expected_at < now,
                        S.requests.c.escalated.is_(False),
                    )
                    .order_by(S.requests.c.id)
                    .limit(limit)
                )
            ]
        done = []
        for rid in ids:
            try:
                self.transition(rid, "escalate", SYSTEM, note="overdue: deadline passed", at=now)
                done.append(rid)
            except HotlineError as exc:  # changed state meanwhile
                logger.info("not escalating %d: %s", rid, exc)
        if done:
            logger.info("escalated %d overdue requests", len(done))
        return done

    # --------------------------------------------------------------- queries
    _PUBLIC = [
        c
        for c in S.requests.c
        if c.name
        not in ("token", "submitted_by", "idempotency_key", "attributes", "rating_comment")
    ]

    _ONE = sa.select(*_PUBLIC).where(S.requests.c.id == sa.bindparam("rid"))
    _ONE_ATTR = sa.select(*_PUBLIC, S.requests.c.attributes).where(
        S.requests.c.id == sa.bindparam("rid")
    )

    def get_requests(
        self, ids: Sequence[int], *, with_attributes: bool = False
    ) -> list[dict[str, Any]]:
        """Public fields of the requests ``ids`` (in id order; unknown ids are skipped)."""
        if not ids:
            return []
        if len(ids) == 1:  # the hot path of GET /requests/{id}
            stmt = self._ONE_ATTR if with_attributes else self._ONE
            return [self._public(r) for r in self._read_one(stmt, int(ids[0]))]
        cols = list(self._PUBLIC) + ([S.requests.c.attributes] if with_attributes else [])
        with self.engine.connect() as conn:
            rows = (
                conn.execute(
                    sa.select(*cols).where(S.requests.c.id.in_(list(ids))).order_by(S.requests.c.id)
                )
                .mappings()
                .all()
            )
        return [self._public(r) for r in rows]

    def _read_one(self, stmt: Any, rid: int) -> list[Any]:
        """Run a single-row read on a connection kept open per thread (no pool round trip).

        Reads are autocommit snapshots (SQLite WAL) or end with a rollback (PostgreSQL), so
        a kept connection never holds a transaction open between calls.
        """
        if self.engine.dialect.name != "sqlite":
            # a server database is called from the thread pool: use the pool, hold nothing
            with self.engine.connect() as c:
                return list(c.execute(stmt, {"rid": rid}).mappings().all())
        conn = getattr(self._local, "conn", None)
        try:
            if conn is None:
                conn = self._local.conn = self.engine.connect()
            rows = conn.execute(stmt, {"rid": rid}).mappings().all()
            conn.rollback()
            return list(rows)
        except sa.exc.DBAPIError:
            if conn is not None:
                conn.invalidate()
                conn.close()
            self._local.conn = None
            with self.engine.connect() as fresh:
                return list(fresh.execute(stmt, {"rid": rid}).mappings().all())

    @staticmethod
    def _public(row: Any) -> dict[str, Any]:
        d = dict(row)
        if "attributes" in d:
            d["attributes"] = json.loads(d["attributes"]) if d["attributes"] else {}
        return d

    def query_requests(
        self,
        *,
        service_codes: Sequence[str] = (),
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        statuses: Sequence[str] = (),
        states: Sequence[str] = (),
        department: str | None = None,
        queue: str | None = None,
        limit: int = 1000,
        offset: int = 0,
        with_attributes: bool = False,
        order: Literal["newest", "oldest"] = "newest",
    ) -> list[dict[str, Any]]:
        """Requests matching the filters (Open311 ``GET /requests`` semantics)."""
        cols = list(self._PUBLIC) + ([S.requests.c.attributes] if with_attributes else [])
        q = sa.select(*cols)
        r = S.requests.c
        if service_codes:
            q = q.where(r.service_code.in_(list(service_codes)))
        if start is not None:
            q = q.where(r.requested_at >= _naive_utc(start))
        if end is not None:
            q = q.where(r.requested_at <= _naive_utc(end))
        wanted: set[str] = set(states)
        for s in statuses:
            wanted |= set(OPEN_STATES if s == "open" else CLOSED_STATES)
        if statuses or states:
            q = q.where(r.state.in_(sorted(wanted)))
        if department is not None:
            q = q.where(r.department == department)
        if queue is not None:
            q = q.where(r.queue == queue)
        q = q.order_by(
            r.requested_at.desc() if order == "newest" else r.requested_at,
            r.id.desc() if order == "newest" else r.id,
        )
        q = q.limit(limit).offset(offset)
        with self.engine.connect() as conn:
            return [self._public(m) for m in conn.execute(q).mappings().all()]

    def token_lookup(self, token: str) -> int:
        """The service_request_id of ``token``.

        Raises
        ------
        NotFound
            Unknown token.
        """
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(S.requests.c.id).where(S.requests.c.token == token)
            ).first()
        if row is None:
            raise NotFound(f"token {token!r} not found")
        return int(row[0])

    def history(self, ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
        """Audit trail (every transition with actor and time) of each request."""
        ids = list(ids)
        out: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        if not ids:
            return out
        with self.engine.connect() as conn:
            for m in conn.execute(
                sa.select(S.events)
                .where(S.events.c.request_id.in_(ids))
                .order_by(S.events.c.request_id, S.events.c.id)
            ).mappings():
                out[m["request_id"]].append(dict(m))
        return out

    def suggest_duplicates(
        self,
        request_id: int,
        *,
        radius_m: float = 50.0,
        days: float = 7.0,
        min_similarity: float = 0.2,
        limit: int = 10,
    ) -> list[dict[str, Any]]:
        """Earlier or later requests that may describe the same problem.

        Candidates share the category (or service code when uncategorised), lie
        within ``radius_m`` metres (haversine) and ``days`` days, and their
        descriptions have a character-bigram Jaccard similarity of at least
        ``min_similarity`` (requests without text on both sides count as similar).
        Sorted by similarity, then distance.
        """
        from citycheckup.hotline.hotspots import haversine_m

        rows = self.get_requests([request_id])
        if not rows:
            raise NotFound(f"service_request_id {request_id} not found")
        me = rows[0]
        if me["lat"] is None or me["long"] is None:
            return []
        r = S.requests.c
        dlat = radius_m / 111_320.0
        dlon = radius_m / (111_320.0 * max(math.cos(math.radians(me["lat"])), 1e-6))
        window = dt.timedelta(days=days)
        q = sa.select(r.id, r.lat, r.long, r.description, r.requested_at, r.state).where(
            r.id != request_id,
            r.lat.between(me["lat"] - dlat, me["lat"] + dlat),
            r.long.between(me["long"] - dlon, me["long"] + dlon),
            r.requested_at.between(me["requested_at"] - window, me["requested_at"] + window),
            r.state != "duplicate",
        )
        q = (
            q.where(r.category == me["category"])
            if me["category"]
            else q.where(r.service_code == me["service_code"])
        )
        out = []
        mine = _bigrams(me["description"])
        with self.engine.connect() as conn:
            for c in conn.execute(q.limit(5000)).mappings():
                dist = haversine_m(me["lat"], me["long"], c["lat"], c["long"])
                if dist > radius_m:
                    continue
                theirs = _bigrams(c["description"])
                sim = (len(mine & theirs) / len(mine | theirs)) if (mine or theirs) else 1.0
                if mine and theirs and sim < min_similarity:
                    continue
                out.append(
                    {
                        "service_request_id": c["id"],
                        "distance_m": round(dist, 1),
                        "similarity": round(sim, 3),
                        "state": c["state"],
                        "requested_at": c["requested_at"],
                    }
                )
        out.sort(key=lambda d: (-d["similarity"], d["distance_m"]))
        return out[:limit]

    def count(self) -> int:
        """Number of stored requests."""
        with self.engine.connect() as conn:
            return int(
                conn.execute(sa.select(sa.func.count()).select_from(S.requests)).scalar_one()
            )

    def dataframe(self) -> Any:
        """All requests as a pandas DataFrame (public columns) for metrics and hotspots."""
        import pandas as pd

        with self.engine.connect() as conn:
            df = pd.read_sql(sa.select(*self._PUBLIC), conn)
        return df


_INSERT_REQUEST = S.requests.insert()
_INSERT_CONTACT = S.contacts.insert()
_CONTACT_FIELDS = ("email", "phone", "first_name", "last_name", "device_id", "account_id")


def _bigrams(text: str | None) -> set[str]:
    if not text:
        return set()
    t = "".join(text.lower().split())
    return {t[i : i + 2] for i in range(len(t) - 1)} or {t}
