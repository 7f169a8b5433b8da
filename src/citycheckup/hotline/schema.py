"""Database tables of the hotline (SQLAlchemy Core) and their migrations.

Times are stored as naive UTC ``DateTime`` values so that SQLite and PostgreSQL
behave the same; the API converts them to ISO-8601 with an offset.

Migrations are numbered functions applied in order inside one transaction each;
the applied version lives in ``hotline_meta`` (key ``schema_version``). A newer
database than the code knows is refused rather than silently used.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from citycheckup.errors import HotlineError

__all__ = ["SCHEMA_VERSION", "metadata", "migrate", "rating_secret", "schema_version"]

logger = logging.getLogger(__name__)

metadata = sa.MetaData()

meta_table = sa.Table(
    "hotline_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(256), nullable=False),
)

api_keys = sa.Table(
    "hotline_api_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("prefix", sa.String(16), nullable=False, index=True),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("label", sa.String(200), nullable=False, server_default=""),
    sa.Column("rate_per_minute", sa.Integer, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("revoked_at", sa.DateTime, nullable=True),
    # version 3: keys expire; a key's own burst (default: ten seconds of its rate)
    sa.Column("expires_at", sa.DateTime, nullable=True),
    sa.Column("burst", sa.Integer, nullable=True),
)

requests = sa.Table(
    "hotline_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("token", sa.String(40), nullable=False, unique=True),
    sa.Column("service_code", sa.String(64), nullable=False, index=True),
    sa.Column("category", sa.String(64), nullable=True),
    sa.Column("predicted_category", sa.String(64), nullable=True),
    sa.Column("confidence", sa.Float, nullable=True),
    sa.Column("queue", sa.String(16), nullable=False),
    sa.Column("department", sa.String(200), nullable=True, index=True),
    sa.Column("district", sa.String(200), nullable=True),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("state", sa.String(16), nullable=False, index=True),
    sa.Column("status_notes", sa.Text, nullable=True),
    sa.Column("service_notice", sa.String(500), nullable=True),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("lat", sa.Float, nullable=True),
    sa.Column("long", sa.Float, nullable=True),
    sa.Column("address_string", sa.String(500), nullable=True),
    sa.Column("address_id", sa.String(100), nullable=True),
    sa.Column("zipcode", sa.String(20), nullable=True),
    sa.Column("media_url", sa.String(2048), nullable=True),
    sa.Column("attributes", sa.Text, nullable=True),
    sa.Column("requested_at", sa.DateTime, nullable=False, index=True),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("expected_at", sa.DateTime, nullable=True),
    sa.Column("response_due_at", sa.DateTime, nullable=True),
    sa.Column("dispatched_at", sa.DateTime, nullable=True),
    sa.Column("first_response_at", sa.DateTime, nullable=True),
    sa.Column("resolved_at", sa.DateTime, nullable=True),
    sa.Column("closed_at", sa.DateTime, nullable=True),
    sa.Column("solved", sa.Boolean, nullable=True),
    sa.Column("solved_source", sa.String(16), nullable=True),
    sa.Column("satisfaction", sa.String(24), nullable=True),
    sa.Column("rating_comment", sa.Text, nullable=True),
    sa.Column("rated_at", sa.DateTime, nullable=True),
    sa.Column("reopen_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("escalated", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("duplicate_of", sa.Integer, nullable=True),
    sa.Column("submitted_by", sa.Integer, nullable=True),
    sa.Column("idempotency_key", sa.String(100), nullable=True),
    # version 3: SHA-256 of the submitted fields, so that a replay with another body is refused
    sa.Column("idempotency_hash", sa.String(64), nullable=True),
    sa.UniqueConstraint("submitted_by", "idempotency_key", name="uq_hotline_requests_idem"),
)

# Citizen personal data lives apart from the request and is never served by GET.
contacts = sa.Table(
    "hotline_contacts",
    metadata,
    sa.Column("request_id", sa.Integer, sa.ForeignKey("hotline_requests.id"), primary_key=True),
    sa.Column("email", sa.String(254), nullable=True),
    sa.Column("phone", sa.String(40), nullable=True),
    sa.Column("first_name", sa.String(100), nullable=True),
    sa.Column("last_name", sa.String(100), nullable=True),
    sa.Column("device_id", sa.String(100), nullable=True),
    sa.Column("account_id", sa.String(100), nullable=True),
)

events = sa.Table(
    "hotline_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "request_id", sa.Integer, sa.ForeignKey("hotline_requests.id"), nullable=False, index=True
    ),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("from_state", sa.String(16), nullable=True),
    sa.Column("to_state", sa.String(16), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("actor_role", sa.String(16), nullable=False),
    sa.Column("department", sa.String(200), nullable=True),
    sa.Column("note", sa.Text, nullable=True),
)

# Token buckets of the rate limits, shared by every server process on this database
# (see ratelimit.py): one row per key ("k<id>") or client address ("a<address>").
rate_buckets = sa.Table(
    "hotline_rate_buckets",
    metadata,
    sa.Column("name", sa.String(80), primary_key=True),
    sa.Column("tokens", sa.Float, nullable=False),
    sa.Column("updated", sa.Float, nullable=False),  # seconds since the epoch
)

_V1_TABLES = (meta_table, api_keys, requests, contacts, events)
#: Columns added by migration 3 (a database created at version 3 has them from the start).
V3_COLUMNS = (
    (api_keys, "expires_at"),
    (api_keys, "burst"),
    (requests, "idempotency_hash"),
)


def _v1(conn: Connection) -> None:
    for table in _V1_TABLES:
        table.create(conn, checkfirst=True)


def _v2(conn: Connection) -> None:
    # overdue scans and duplicate look-ups (IF NOT EXISTS: SQLite and PostgreSQL ≥ 9.5)
    conn.execute(
        sa.text(
            "CREATE INDEX IF NOT EXISTS ix_hotline_requests_expected_at "
            "ON hotline_requests (expected_at)"
        )
    )
    conn.execute(
        sa.text(
            "CREATE INDEX IF NOT EXISTS ix_hotline_requests_cat_time "
            "ON hotline_requests (category, requested_at)"
        )
    )


def _v3(conn: Connection) -> None:
    # key expiry and burst, idempotency fingerprints, shared rate-limit buckets, the
    # secret that signs rating tokens
    insp = sa.inspect(conn)
    for table, name in V3_COLUMNS:
        if name not in {c["name"] for c in insp.get_columns(table.name)}:
            ctype = table.c[name].type.compile(dialect=conn.dialect)
            conn.execute(sa.text(f"ALTER TABLE {table.name} ADD COLUMN {name} {ctype}"))
    rate_buckets.create(conn, checkfirst=True)
    if (
        conn.execute(
            sa.select(meta_table.c.value).where(meta_table.c.key == "rating_secret")
        ).first()
        is None
    ):
        conn.execute(meta_table.insert().values(key="rating_secret", value=secrets.token_hex(32)))


MIGRATIONS: tuple[tuple[int, str, Callable[[Connection], None]], ...] = (
    (1, "initial tables", _v1),
    (2, "indexes for overdue scans and duplicate suggestions", _v2),
    (3, "key expiry and burst, idempotency fingerprints, rate buckets, rating secret", _v3),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]

# keep the declared metadata in step with the last migration (for inspection tests)
sa.Index("ix_hotline_requests_expected_at", requests.c.expected_at)
sa.Index("ix_hotline_requests_cat_time", requests.c.category, requests.c.requested_at)


def schema_version(conn: Connection) -> int:
    """The applied schema version (0 for an empty database)."""
    if not sa.inspect(conn).has_table("hotline_meta"):
        return 0
    row = conn.execute(
        sa.select(meta_table.c.value).where(meta_table.c.key == "schema_version")
    ).first()
    return int(row[0]) if row else 0


def migrate(engine: Engine) -> int:
    """Bring the database up to :data:`SCHEMA_VERSION`; return the version reached.

    Raises
    ------
    HotlineError
        When the database was written by a newer citycheckup.
    """
    with engine.connect() as conn:
        conn = conn.execution_options(hotline_write=True)
        with conn.begin():
            if conn.dialect.name == "postgresql":
                # serialise concurrent migrators (several server processes starting at once)
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(7310345)"))
            current = schema_version(conn)
            if current > SCHEMA_VERSION:
                raise HotlineError(
                    f"the hotline database is at schema version {current}, newer than this "
                    f"citycheckup ({SCHEMA_VERSION}); upgrade citycheckup"
                )
            for version, what, step in MIGRATIONS:
                if version <= current:
                    continue
                logger.info("hotline schema: applying migration %d (%s)", version, what)
                step(conn)
                stmt = (
                    meta_table.update()
                    .where(meta_table.c.key == "schema_version")
                    .values(value=str(version))
                )
                if conn.execute(stmt).rowcount == 0:
                    conn.execute(
                        meta_table.insert().values(key="schema_version", value=str(version))
                    )
                conn.execute(meta_table.delete().where(meta_table.c.key == f"migrated_{version}"))
                conn.execute(
                    meta_table.insert().values(
                        key=f"migrated_{version}",
                        value=dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(),
                    )
                )
                current = version
    return current


def rating_secret(conn: Connection) -> bytes:
    """The database's secret for signing rating tokens (created by migration 3)."""
    row = conn.execute(
        sa.select(meta_table.c.value).where(meta_table.c.key == "rating_secret")
    ).first()
    if row is None:
        raise HotlineError(
            "the hotline database has no rating secret; it is older than schema version 3. "
            "Start the server or any hotline command once to migrate it"
        )
    return bytes.fromhex(row[0])
