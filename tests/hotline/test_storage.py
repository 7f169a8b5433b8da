"""Storage: migrations, SQLite WAL settings, hashed keys, PostgreSQL against a real server."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
import sqlalchemy as sa

from citycheckup.errors import HotlineError
from citycheckup.hotline import HotlineStore
from citycheckup.hotline.schema import SCHEMA_VERSION, metadata, migrate, schema_version
from citycheckup.hotline.server import BackgroundServer, create_app
from citycheckup.hotline.store import SYSTEM, NewRequest, create_engine, hash_key
from tests.hotline._helpers import NOISE


def _exercise(st: HotlineStore) -> None:
    """The same round trip on any backend."""
    key = st.create_key("admin", label="t")
    info = st.authenticate(key)
    assert info is not None and info.role == "admin"
    t = dt.datetime(2026, 3, 2, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    a = st.create_request(
        NewRequest(
            "noise",
            lat=39.9,
            long=116.4,
            description="施工噪音",
            attributes={"noise_source": "construction"},
            contact={"phone": "13900000000"},
            requested_at=t,
        ),
        info,
    )
    b = st.create_request(
        NewRequest(
            "noise", lat=39.90001, long=116.40001, description="施工噪音很大", requested_at=t
        ),
        info,
    )
    st.transition(a.id, "accept", SYSTEM, at=t + dt.timedelta(hours=1))
    st.transition(a.id, "resolve", SYSTEM, at=t + dt.timedelta(days=1), solved=True)
    st.transition(
        a.id,
        "rate",
        SYSTEM,
        at=t + dt.timedelta(days=2),
        solved=True,
        satisfaction="satisfied",
        comment="好",
    )
    row = st.get_requests([a.id], with_attributes=True)[0]
    assert row["state"] == "rated" and row["attributes"] == {"noise_source": "construction"}
    assert "phone" not in row
    assert [e["action"] for e in st.history([a.id])[a.id]] == [
        "receive",
        "dispatch",
        "accept",
        "resolve",
        "rate",
    ]
    assert [d["service_request_id"] for d in st.suggest_duplicates(b.id)] == [a.id]
    got = st.query_requests(
        start=t - dt.timedelta(days=1), end=t + dt.timedelta(days=1), statuses=["closed"]
    )
    assert [r["id"] for r in got] == [a.id]
    assert st.count() == 2
    df = st.dataframe()
    assert len(df) == 2 and "description" in df.columns
    assert st.revoke_key(key[:11]) == 1
    assert st.authenticate(key) is None


def test_sqlite_roundtrip_and_wal(tmp_path, catalogue) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "h.db"
    st = HotlineStore(f"sqlite:///{path}", catalogue=catalogue)
    _exercise(st)
    st.close()
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # keys are stored only as hashes
    hashes = [r[0] for r in con.execute("SELECT key_hash FROM hotline_api_keys")]
    assert all(len(h) == 64 for h in hashes)
    assert not con.execute(
        "SELECT count(*) FROM hotline_api_keys WHERE key_hash LIKE 'ck_%'"
    ).fetchone()[0]
    con.close()


def test_key_hash_is_sha256() -> None:
    assert hash_key("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_migrations_are_idempotent_and_match_metadata(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    assert migrate(engine) == SCHEMA_VERSION
    assert migrate(engine) == SCHEMA_VERSION
    insp = sa.inspect(engine)
    for table in metadata.sorted_tables:
        cols = {c["name"] for c in insp.get_columns(table.name)}
        assert cols == {c.name for c in table.columns}, table.name
    idx = {i["name"] for i in insp.get_indexes("hotline_requests")}
    assert {"ix_hotline_requests_expected_at", "ix_hotline_requests_cat_time"} <= idx
    with engine.connect() as conn:
        assert schema_version(conn) == SCHEMA_VERSION


def test_upgrade_from_version_1(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from citycheckup.hotline import schema as S

    engine = create_engine(f"sqlite:///{tmp_path / 'v1.db'}")
    with engine.begin() as conn:  # a database as version 1 left it
        for t in S._V1_TABLES:
            t.create(conn)
        conn.execute(sa.text("DROP INDEX ix_hotline_requests_expected_at"))
        conn.execute(sa.text("DROP INDEX ix_hotline_requests_cat_time"))
        conn.execute(S.meta_table.insert().values(key="schema_version", value="1"))
    assert migrate(engine) == SCHEMA_VERSION
    idx = {i["name"] for i in sa.inspect(engine).get_indexes("hotline_requests")}
    assert "ix_hotline_requests_expected_at" in idx


def test_newer_database_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'n.db'}"
    engine = create_engine(url)
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE hotline_meta SET value='999' WHERE key='schema_version'"))
    with pytest.raises(HotlineError, match="newer than this citycheckup"):
        HotlineStore(url)


def test_unknown_role_is_refused(store) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(HotlineError, match="choose one of submit, operate, admin"):
        store.create_key("root")


# ------------------------------------------------------------------------------ PostgreSQL
def test_postgresql_roundtrip(pg_store) -> None:  # type: ignore[no-untyped-def]
    _exercise(pg_store)
    assert pg_store.engine.dialect.name == "postgresql"
    assert migrate(pg_store.engine) == SCHEMA_VERSION


def test_postgresql_concurrent_posts_through_the_api(pg_store) -> None:  # type: ignore[no-untyped-def]
    from citycheckup.hotline.loadgen import run_load

    key = pg_store.create_key("submit")
    with BackgroundServer(create_app(store=pg_store)) as url:
        res = run_load(
            url,
            400,
            concurrency=20,
            make=lambda i: (
                "/open311/v2/requests.json",
                {**NOISE, "api_key": key, "device_id": f"m{i}"},
            ),
        )
    assert not res.failed and len(res.acked) == 400
    ids = {int(body[0]["service_request_id"]) for _, body in res.acked}
    assert len(ids) == 400
    with pg_store.engine.connect() as conn:
        n = conn.execute(
            sa.text("SELECT count(*), count(DISTINCT device_id) FROM hotline_contacts")
        ).one()
    assert tuple(n) == (400, 400)


def test_postgresql_api_smoke(pg_store) -> None:  # type: ignore[no-untyped-def]
    """The thread-pool path of the server (used for server databases) end to end."""
    from tests.hotline._helpers import TestClient

    sub, op = pg_store.create_key("submit"), pg_store.create_key("operate")
    with TestClient(create_app(store=pg_store)) as c:
        rid = c.post("/open311/v2/requests.json", data={**NOISE, "api_key": sub}).json()[0][
            "service_request_id"
        ]
        assert c.get(f"/open311/v2/requests/{rid}.xml").status_code == 200  # fast path
        assert c.get("/open311/v2/requests/424242.json").status_code == 404
        r = c.post(
            f"/open311/v2/requests/{rid}/transitions.json", data={"api_key": op, "action": "accept"}
        )
        assert r.status_code == 200 and r.json()[0]["extended_attributes"]["state"] == "in_progress"
        listed = c.get("/open311/v2/requests.json", params={"extensions": "true"}).json()
        assert [n["type"] for n in listed[0]["notes"]] == ["receive", "dispatch", "accept"]
        assert (
            c.post("/open311/v2/requests.json", data={**NOISE, "api_key": "x"}).status_code == 403
        )
