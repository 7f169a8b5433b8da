"""Read operations of the hotline store (a mixin of
:class:`~citycheckup.hotline.store.HotlineStore`): single requests, filtered lists, the
audit trail, tokens, duplicate suggestions and the metrics frame.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from citycheckup.errors import HotlineError
from citycheckup.hotline import schema as S
from citycheckup.hotline._db import NotFound, naive_utc
from citycheckup.hotline.workflow import CLOSED_STATES, OPEN_STATES

__all__ = ["MAX_IDS", "Reads"]

#: Most requests one call may name or return (``GET /requests`` page size and id lists).
MAX_IDS = 1000

_PUBLIC = [
    c
    for c in S.requests.c
    if c.name
    not in (
        "token",
        "submitted_by",
        "idempotency_key",
        "idempotency_hash",
        "attributes",
        "rating_comment",
    )
]
_ONE = sa.select(*_PUBLIC).where(S.requests.c.id == sa.bindparam("rid"))
_ONE_ATTR = sa.select(*_PUBLIC, S.requests.c.attributes).where(
    S.requests.c.id == sa.bindparam("rid")
)


def _bigrams(text: str | None) -> set[str]:
    if not text:
        return set()
    t = "".join(text.lower().split())
    return {t[i : i + 2] for i in range(len(t) - 1)} or {t}


def _public(row: Any) -> dict[str, Any]:
    d = dict(row)
    if "attributes" in d:
        d["attributes"] = json.loads(d["attributes"]) if d["attributes"] else {}
    return d


class Reads:
    """Queries of the hotline store (needs ``engine`` and ``_read_one``)."""

    engine: Engine

    def _read_one(self, stmt: Any, params: dict[str, Any]) -> list[Any]:  # pragma: no cover
        raise NotImplementedError

    def get_requests(
        self, ids: Sequence[int], *, with_attributes: bool = False
    ) -> list[dict[str, Any]]:
        """Public fields of the requests ``ids`` (in id order; unknown ids are skipped).

        Raises
        ------
        HotlineError
            For more than :data:`MAX_IDS` ids.
        """
        if not ids:
            return []
        if len(ids) > MAX_IDS:
            raise HotlineError(f"at most {MAX_IDS} requests per call, got {len(ids)}")
        if len(ids) == 1:  # the hot path of GET /requests/{id}
            stmt = _ONE_ATTR if with_attributes else _ONE
            return [_public(r) for r in self._read_one(stmt, {"rid": int(ids[0])})]
        cols = list(_PUBLIC) + ([S.requests.c.attributes] if with_attributes else [])
        with self.engine.connect() as conn:
            rows = (
                conn.execute(
                    sa.select(*cols)
                    .where(S.requests.c.id.in_(sorted({int(i) for i in ids})))
                    .order_by(S.requests.c.id)
                )
                .mappings()
                .all()
            )
        return [_public(r) for r in rows]

    def submitter(self, request_id: int) -> int | None:
        """Id of the key that submitted request ``request_id`` (``None`` if unknown)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(S.requests.c.submitted_by).where(S.requests.c.id == request_id)
            ).first()
        return None if row is None else row[0]

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
        limit: int = MAX_IDS,
        offset: int = 0,
        with_attributes: bool = False,
        order: Literal["newest", "oldest"] = "newest",
    ) -> list[dict[str, Any]]:
        """Requests matching the filters (Open311 ``GET /requests`` semantics)."""
        cols = list(_PUBLIC) + ([S.requests.c.attributes] if with_attributes else [])
        q = sa.select(*cols)
        r = S.requests.c
        if service_codes:
            q = q.where(r.service_code.in_(list(service_codes)))
        if start is not None:
            q = q.where(r.requested_at >= naive_utc(start))
        if end is not None:
            q = q.where(r.requested_at <= naive_utc(end))
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
        q = q.limit(min(limit, MAX_IDS)).offset(offset)
        with self.engine.connect() as conn:
            return [_public(m) for m in conn.execute(q).mappings().all()]

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
            raise NotFound(f"token {token[:40]!r} not found")
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
            df = pd.read_sql(sa.select(*_PUBLIC), conn)
        return df
