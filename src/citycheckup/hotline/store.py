"""Storage and business operations of the hotline (no web framework here).

:class:`HotlineStore` owns the database engine (SQLite in WAL mode by default,
PostgreSQL through ``postgresql+psycopg://``), the dispatch catalogue and an
optional classifier, and implements: API keys, intake with automatic routing,
workflow transitions with an audit trail, ratings, overdue escalation, duplicate
suggestions, queries and a data frame for metrics.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import hashlib
import hmac
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa

from citycheckup.errors import HotlineError, Problem
from citycheckup.hotline import schema as S
from citycheckup.hotline._db import (
    Conflict,
    Forbidden,
    GroupCommit,
    NotFound,
    Writer,
    create_engine,
    naive_utc,
    utcnow,
)
from citycheckup.hotline._intake import Created, Intake, NewRequest, PreparedRequest
from citycheckup.hotline._reads import MAX_IDS, Reads
from citycheckup.hotline.catalogue import Catalogue, load_catalogue
from citycheckup.hotline.deadlines import UnknownYearPolicy
from citycheckup.hotline.keys import ROLES, SYSTEM, KeyInfo, KeyStore, hash_key
from citycheckup.hotline.workflow import (
    ACTION_ROLES,
    CLOSED_STATES,
    OPEN_STATES,
    next_state,
)

__all__ = [
    "MAX_IDS",
    "ROLES",
    "SATISFACTION",
    "SYSTEM",
    "Conflict",
    "Created",
    "Forbidden",
    "HotlineStore",
    "KeyInfo",
    "NewRequest",
    "NotFound",
    "PreparedRequest",
    "create_engine",
    "hash_key",
    "utcnow",
]

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: Citizen satisfaction levels of the follow-up (回访): 满意 / 基本满意 / 不满意.
SATISFACTION = ("satisfied", "basically_satisfied", "unsatisfied")
#: Longest department name (the column is VARCHAR(200)).
MAX_DEPARTMENT = 200
MAX_NOTE = 4000


class HotlineStore(KeyStore, Reads, Intake):
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
        self._writer = Writer(self.engine)
        self._kept: list[Any] = []
        self._kept_lock = threading.Lock()
        self._secret: bytes | None = None
        self._group: GroupCommit | None = None
        if migrate:
            S.migrate(self.engine)

    def close(self) -> None:
        """Release the database connections (those kept by every thread too)."""
        if self._group is not None:
            self._group.close()
            self._group = None
        self._close_kept()
        self.engine.dispose()

    # ------------------------------------------------------------ ratings
    def _rating_secret(self) -> bytes:
        if self._secret is None:
            with self.engine.connect() as conn:
                self._secret = S.rating_secret(conn)
        return self._secret

    def rating_token(self, request_id: int) -> str:
        """The signed rating token of request ``request_id``, given to the citizen at
        submission: whoever holds it may rate that request (and only that one).

        HMAC-SHA256 of the id under the database's secret (shared by every server
        process), 128 bits, URL-safe.
        """
        mac = hmac.new(self._rating_secret(), f"rate:{request_id}".encode(), hashlib.sha256)
        return "rt_" + mac.hexdigest()[:32]

    def _valid_rating_token(self, request_id: int, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(
            str(token).encode("utf-8", "replace"), self.rating_token(request_id).encode()
        )

    # --------------------------------------------------------------- intake
    def create_request(
        self, req: NewRequest, key: KeyInfo, *, now: dt.datetime | None = None
    ) -> Created:
        """Store a new request, route it and record its first transitions.

        A request with a fixed or confidently predicted category is dispatched at
        once (actor ``system:router``); any other stays *received* in the human
        dispatch queue. With an ``idempotency_key`` a repeated submission by the
        same key returns the first request instead of storing a second one, and one
        with different parameters raises :class:`Conflict`.

        Raises
        ------
        NotFound
            Unknown service code.
        Forbidden
            Import fields used without an admin key.
        Conflict
            An idempotency key reused with different parameters.
        """
        prep = self.prepare_request(req, key, now=now)
        try:
            with self._writer.begin() as conn:
                return self.insert_request(conn, prep)
        except sa.exc.IntegrityError:
            if not req.idempotency_key:
                raise
        # a concurrent call with the same idempotency key committed first (PostgreSQL)
        with self._writer.begin() as conn:
            return self.insert_request(conn, prep)

    def submit_request(self, prep: PreparedRequest) -> concurrent.futures.Future[Created]:
        """Store ``prep`` through the group-commit writer (:meth:`submit_write`)."""
        return self.submit_write(lambda conn: self.insert_request(conn, prep))

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
        rating_token: str | None = None,
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
            ``merge``: the request this one duplicates (required, except for admin keys
            importing historical data whose source does not name it).
        satisfaction, comment
            ``rate``: one of :data:`SATISFACTION` and a free comment.
        rating_token
            ``rate``: the request's token from :meth:`rating_token`. A rating needs
            the key that submitted the request, this token, or an admin key (imports of
            follow-up results); departments (operate keys) may not rate their own work.

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
        job = self.transition_job(
            request_id,
            action,
            actor,
            department=department,
            note=note,
            at=at,
            solved=solved,
            duplicate_of=duplicate_of,
            satisfaction=satisfaction,
            comment=comment,
            rating_token=rating_token,
        )
        with self._writer.begin() as conn:
            job(conn)
        return self.get_requests([request_id])[0]

    def transition_job(
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
        rating_token: str | None = None,
    ) -> Callable[[sa.Connection], None]:
        """Check the parameters of :meth:`transition` and return the write itself, a
        function of a connection in a write transaction (for the group-commit writer).

        Raises
        ------
        HotlineError
            As :meth:`transition`, for problems found without the database.
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
        when = naive_utc(at) if at is not None else utcnow()
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
        if action == "merge" and duplicate_of is None and not actor.allows("admin"):
            # only imports of historical data (admin keys) may record a duplicate whose
            # original the source does not name
            problems.append(Problem("merge needs duplicate_of: the request this one duplicates"))
        if note is not None and len(note) > MAX_NOTE:
            problems.append(Problem(f"note is {len(note)} characters; at most {MAX_NOTE}"))
        if comment is not None and len(comment) > MAX_NOTE:
            problems.append(Problem(f"comment is {len(comment)} characters; at most {MAX_NOTE}"))
        if department is not None and not 0 < len(department) <= MAX_DEPARTMENT:
            problems.append(
                Problem(f"department is {len(department)} characters; 1 to {MAX_DEPARTMENT}")
            )
        if problems:
            raise HotlineError(f"cannot {action} request {request_id}", problems=problems)

        def job(conn: sa.Connection) -> None:
            # every refusal below comes before the first write (see GroupCommit)
            row = conn.execute(sa.select(S.requests).where(S.requests.c.id == request_id)).first()
            if row is None:
                raise NotFound(f"service_request_id {request_id} not found")
            if (
                action == "rate"
                and not actor.allows("admin")
                and row.submitted_by != actor.id
                and not self._valid_rating_token(request_id, rating_token)
            ):
                raise Forbidden(
                    f"only the key that submitted request {request_id}, or the holder of its "
                    "rating_token (given at submission), may rate it"
                )
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

        return job

    def submit_write(self, job: Callable[[sa.Connection], T]) -> concurrent.futures.Future[T]:
        """Run ``job(conn)`` through the group-commit writer (SQLite; see
        :class:`~citycheckup.hotline._db.GroupCommit`); the future completes after the commit.
        """
        with self._kept_lock:
            if self._group is None:
                self._group = GroupCommit(self._writer)
        return self._group.submit(job)

    def escalate_overdue(self, *, now: dt.datetime | None = None, limit: int = 10000) -> list[int]:
        """Escalate (督办) every open request past its deadline that is not escalated yet.

        Returns the ids escalated; each gets an ``escalate`` event by ``system``.
        """
        now = naive_utc(now) if now is not None else utcnow()
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
