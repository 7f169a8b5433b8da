"""API keys of the hotline: roles, expiry, revocation, per-key rate limits.

A key is ``ck_`` + 256 random bits, shown once and stored as its SHA-256 hash. Every
call looks the key up in the database (no cache), so a revoked or expired key is
refused by every server process from the next call on.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import secrets
import threading
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from citycheckup.errors import HotlineError
from citycheckup.hotline import schema as S
from citycheckup.hotline._db import Writer, utcnow
from citycheckup.hotline.workflow import Role

__all__ = [
    "DEFAULT_KEY_DAYS",
    "ROLES",
    "SYSTEM",
    "KeyInfo",
    "KeyStore",
    "hash_key",
]

logger = logging.getLogger(__name__)

ROLES: tuple[Role, ...] = ("submit", "operate", "admin")
_RANK = {"submit": 0, "operate": 1, "admin": 2}
#: Lifetime of a new key unless told otherwise (``valid_days``).
DEFAULT_KEY_DAYS = 365
MAX_KEY_CHARS = 200
#: Connections kept open for small reads (taken and returned by any thread).
MAX_KEPT = 8


def hash_key(key: str) -> str:
    """SHA-256 of an API key (keys carry 256 bits of entropy, so no salt or KDF is needed)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class KeyInfo:
    """An authenticated API key (never holds the key itself).

    ``rate_per_minute`` and ``burst`` are the key's own limits (``None``: the
    server's defaults).
    """

    id: int
    prefix: str
    role: Role
    label: str
    rate_per_minute: int | None
    burst: int | None = None
    expires_at: dt.datetime | None = None

    @property
    def actor(self) -> str:
        """How the key appears in the audit trail."""
        return f"key:{self.prefix}" + (f" ({self.label})" if self.label else "")

    def allows(self, role: Role) -> bool:
        """Whether this key has at least ``role``."""
        return _RANK[self.role] >= _RANK[role]


SYSTEM = KeyInfo(id=0, prefix="system", role="admin", label="system", rate_per_minute=None)

_BY_HASH = sa.select(
    S.api_keys.c.id,
    S.api_keys.c.prefix,
    S.api_keys.c.role,
    S.api_keys.c.label,
    S.api_keys.c.rate_per_minute,
    S.api_keys.c.burst,
    S.api_keys.c.expires_at,
    S.api_keys.c.revoked_at,
).where(S.api_keys.c.key_hash == sa.bindparam("h"))


_KEY_COLUMNS = (
    "id",
    "prefix",
    "role",
    "label",
    "rate_per_minute",
    "burst",
    "expires_at",
    "revoked_at",
)
_BY_HASH_SQL = f"SELECT {', '.join(_KEY_COLUMNS)} FROM {S.api_keys.name} WHERE key_hash = ?"


class KeyStore:
    """Key management of :class:`~citycheckup.hotline.store.HotlineStore` (a mixin).

    Needs ``engine`` (an SQLAlchemy engine), ``_writer`` (a :class:`Writer`), ``_kept``
    (a list) and ``_kept_lock`` (a lock) from the class it is mixed into.
    """

    engine: Engine
    _writer: Writer
    _kept: list[Any]
    _kept_lock: threading.Lock

    def create_key(
        self,
        role: str,
        *,
        label: str = "",
        rate_per_minute: int | None = None,
        burst: int | None = None,
        valid_days: float | None = DEFAULT_KEY_DAYS,
    ) -> str:
        """Create an API key with ``role`` and return it (it is stored only hashed).

        Parameters
        ----------
        role
            ``submit``, ``operate`` or ``admin``.
        label
            Who or what the key is for (audit trail; at most 200 characters).
        rate_per_minute, burst
            The key's own limit: sustained calls per minute and the largest burst
            (default burst: ten seconds' worth, at least 1). ``None``: the server's.
        valid_days
            Days until the key expires (default 365); ``None`` for a key that never
            expires (not recommended).

        Raises
        ------
        HotlineError
            For an unknown role or a non-positive limit or lifetime.
        """
        problems = []
        if role not in ROLES:
            problems.append(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
        if rate_per_minute is not None and rate_per_minute < 0:
            problems.append(f"rate_per_minute must be 0 (no limit) or more, got {rate_per_minute}")
        if burst is not None and burst < 1:
            problems.append(f"burst must be at least 1, got {burst}")
        if valid_days is not None and not 0 < valid_days <= 36500:
            problems.append(f"valid_days must be between 0 and 36500, got {valid_days}")
        if len(label) > 200:
            problems.append(f"label is {len(label)} characters; at most 200")
        if problems:
            raise HotlineError("; ".join(problems))
        key = "ck_" + secrets.token_urlsafe(32)
        now = utcnow()
        with self._writer.begin() as conn:
            conn.execute(
                S.api_keys.insert().values(
                    prefix=key[:11],
                    key_hash=hash_key(key),
                    role=role,
                    label=label,
                    rate_per_minute=rate_per_minute,
                    burst=burst,
                    created_at=now,
                    expires_at=None if valid_days is None else now + dt.timedelta(days=valid_days),
                )
            )
        logger.info("created %s API key %s…", role, key[:11])
        return key

    def revoke_key(self, prefix: str) -> int:
        """Revoke every key whose prefix is ``prefix``; return how many.

        Every server process refuses the key from its next call on.
        """
        with self._writer.begin() as conn:
            n = conn.execute(
                S.api_keys.update()
                .where(S.api_keys.c.prefix == prefix, S.api_keys.c.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            ).rowcount
        return int(n)

    def list_keys(self) -> list[dict[str, Any]]:
        """Keys without their hashes: prefix, role, label, limits, created, expires, revoked."""
        k = S.api_keys.c
        with self.engine.connect() as conn:
            rows = (
                conn.execute(
                    sa.select(
                        k.prefix,
                        k.role,
                        k.label,
                        k.rate_per_minute,
                        k.burst,
                        k.created_at,
                        k.expires_at,
                        k.revoked_at,
                    ).order_by(k.id)
                )
                .mappings()
                .all()
            )
        return [dict(r) for r in rows]

    def authenticate(self, key: str | None) -> KeyInfo | None:
        """The key's info, or ``None`` when it is missing, unknown, revoked or expired.

        Looked up in the database on every call: a revocation (by any process) takes
        effect at once.
        """
        if not key or len(key) > MAX_KEY_CHARS:
            return None
        h = hash_key(key)
        row = self._key_row_sqlite(h) if self.engine.dialect.name == "sqlite" else None
        if row is None:
            rows = self._read_one(_BY_HASH, {"h": h})
            if not rows:
                return None
            row = rows[0]
        elif not row:
            return None
        if row["revoked_at"] is not None:
            return None
        if row["expires_at"] is not None and row["expires_at"] <= utcnow():
            return None
        return KeyInfo(
            row["id"],
            row["prefix"],
            row["role"],
            row["label"],
            row["rate_per_minute"],
            row["burst"],
            row["expires_at"],
        )

    def _key_row_sqlite(self, h: str) -> dict[str, Any] | None:
        """The key row by hash straight through the SQLite driver (a tenth of the cost of
        a SQLAlchemy statement; every call authenticates). ``{}`` when there is no such
        key, ``None`` when the fast path is unavailable."""
        with self._kept_lock:
            conn = self._kept.pop() if self._kept else None
        try:
            if conn is None:
                conn = self.engine.connect()
            raw = conn.connection.dbapi_connection
            if raw is None:
                return None
            found = raw.execute(_BY_HASH_SQL, (h,)).fetchone()
        except Exception:  # a broken connection: the SQLAlchemy path reconnects
            if conn is not None:
                conn.invalidate()
                conn.close()
            return None
        with self._kept_lock:
            if len(self._kept) < MAX_KEPT:
                self._kept.append(conn)
                conn = None
        if conn is not None:
            conn.close()
        if found is None:
            return {}
        row = dict(zip(_KEY_COLUMNS, found, strict=True))
        for col in ("expires_at", "revoked_at"):
            if row[col] is not None:
                row[col] = dt.datetime.fromisoformat(row[col])
        return row

    def _read_one(self, stmt: Any, params: dict[str, Any]) -> list[Any]:
        """Run a small read on a connection kept open between calls (no pool round trip).

        Kept connections are not tied to a thread (worker threads come and go): a call
        takes one from a stack and puts it back. Reads are autocommit snapshots (SQLite
        WAL) or end with a rollback (PostgreSQL), so a kept connection never holds a
        transaction open between calls.
        """
        with self._kept_lock:
            conn = self._kept.pop() if self._kept else None
        try:
            if conn is None:
                conn = self.engine.connect()
            rows = list(conn.execute(stmt, params).mappings().all())
            conn.rollback()
        except sa.exc.DBAPIError:
            if conn is not None:
                conn.invalidate()
                conn.close()
            with self.engine.connect() as fresh:
                return list(fresh.execute(stmt, params).mappings().all())
        with self._kept_lock:
            if len(self._kept) < MAX_KEPT:
                self._kept.append(conn)
                conn = None
        if conn is not None:
            conn.close()
        return rows

    def _close_kept(self) -> None:
        """Close the kept connections."""
        with self._kept_lock:
            kept, self._kept = self._kept, []
        for conn in kept:
            with contextlib.suppress(Exception):
                conn.close()
