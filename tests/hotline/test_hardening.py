"""Hardening of the Open311 server against hostile and careless use (issue 13).

Each test names the finding of the issue it covers; each failed on the code before the
fix (see the report of the issue) and passes now.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from typing import Any
from xml.etree import ElementTree as ET

import pytest
import sqlalchemy as sa

from citycheckup.hotline import HotlineStore
from citycheckup.hotline import schema as S
from citycheckup.hotline.loadgen import _read_response
from citycheckup.hotline.server import BackgroundServer, create_app
from citycheckup.hotline.store import NewRequest
from tests.hotline._helpers import NOISE, TestClient

B = "/open311/v2"


def _post(client: Any, key: str, **extra: str) -> str:
    r = client.post(f"{B}/requests.json", data={**NOISE, "api_key": key, **extra})
    assert r.status_code == 200, r.text
    return str(r.json()[0]["service_request_id"])


def _act(client: Any, key: str, rid: str, action: str, **extra: str) -> Any:
    return client.post(
        f"{B}/requests/{rid}/transitions.json", data={"api_key": key, "action": action, **extra}
    )


def _frozen(app: Any) -> Any:
    """``app`` with its rate-limit clock stopped (no refill during the test)."""
    app.state.buckets.clock = lambda: 1_000_000_000.0
    return app


def _scope(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("192.0.2.1", 1234),
        "server": ("testserver", 80),
    }


# ------------------------------------------------ finding: memory exhaustion without a key
def test_chunked_body_is_refused_as_it_arrives(store) -> None:  # type: ignore[no-untyped-def]
    """A chunked POST without Content-Length is counted while it arrives: the server stops
    reading after the first chunk past 64 KiB instead of reading 20 MiB first."""
    app = create_app(store=store)
    pulled, sent = 0, []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b"x" * 2**20, "more_body": pulled < 20}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [(b"content-type", b"application/x-www-form-urlencoded")]
    asyncio.run(app(_scope("POST", f"{B}/requests.json", headers), receive, send))
    assert pulled == 1  # the first 1 MiB chunk is over the limit; nothing more is read
    assert sent[0]["status"] == 400 and b'"code":413' in sent[1]["body"]


# ------------------------------------------------- finding: CPU exhaustion without a key
def test_public_reads_are_limited_per_address(store) -> None:  # type: ignore[no-untyped-def]
    app = _frozen(create_app(store=store, public_rate_per_minute=60, public_burst=5))
    with TestClient(app, client=("198.51.100.7", 1)) as c:
        codes = [c.get(f"{B}/services.json").status_code for _ in range(6)]
        assert codes == [200] * 5 + [429]
        r = c.get(f"{B}/requests.xml")
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        ET.fromstring(r.content)  # the refusal is an Open311 error list
        assert c.get("/health").status_code == 200  # exempt
    with TestClient(app, client=("198.51.100.8", 1)) as other:  # another address: own bucket
        assert other.get(f"{B}/services.json").status_code == 200


def test_refusals_are_answered_after_a_pause(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A client looping without honouring Retry-After waits up to a second per refusal."""
    from citycheckup.hotline import _asgi

    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    monkeypatch.setattr(_asgi, "TARPIT_S", 1.0)
    monkeypatch.setattr(_asgi, "_pause", sleep)
    app = _frozen(create_app(store=store, public_rate_per_minute=6, public_burst=1))
    with TestClient(app) as c:
        assert c.get(f"{B}/services.json").status_code == 200
        assert c.get(f"{B}/services.json").status_code == 429
    assert pauses == [1.0]  # the wait (10 s at 6/min) capped at a second


def test_large_answers_cost_more_tokens(store, keys) -> None:  # type: ignore[no-untyped-def]
    admin = store.authenticate(keys["admin"])
    for i in range(500):
        store.create_request(NewRequest("bus", address_id=f"a{i}", description="x" * 400), admin)
    app = _frozen(create_app(store=store, public_rate_per_minute=60, public_burst=10))
    with TestClient(app) as c:
        big = c.get(f"{B}/requests.json", params={"extensions": "true"})
        assert big.status_code == 200 and len(big.content) > 10 * 65536
        # the list cost more than the 9 tokens left: the next small read is refused
        assert c.get(f"{B}/services.json").status_code == 429


def test_database_work_runs_off_the_event_loop(store, keys) -> None:  # type: ignore[no-untyped-def]
    """Writes (which may wait for the SQLite write lock) and reads whose cost grows with
    the data (lists, histories) run in worker threads, never on the event loop. Single-row
    reads by key (a WAL reader never waits) may stay inline."""
    seen: dict[str, set[int]] = {}

    def spy(name: str) -> None:
        fn = getattr(store, name)

        def wrapped(*a: Any, **k: Any) -> Any:
            seen.setdefault(name, set()).add(threading.get_ident())
            return fn(*a, **k)

        setattr(store, name, wrapped)

    for name in ("insert_request", "query_requests", "history", "suggest_duplicates"):
        spy(name)
    transition_job = store.transition_job

    def job_spy(*a: Any, **k: Any) -> Any:
        job = transition_job(*a, **k)

        def run(conn: Any) -> Any:
            seen.setdefault("transition", set()).add(threading.get_ident())
            return job(conn)

        return run

    store.transition_job = job_spy
    loop_threads: set[int] = set()
    inner = create_app(store=store)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        loop_threads.add(threading.get_ident())
        await inner(scope, receive, send)

    with TestClient(app) as c:  # type: ignore[arg-type]
        rid = _post(c, keys["submit"])
        assert _act(c, keys["operate"], rid, "accept").status_code == 200
        assert c.get(f"{B}/requests.xml", params={"extensions": "true"}).status_code == 200
        dup = c.get(f"{B}/requests/{rid}/duplicates.json", params={"api_key": keys["operate"]})
        assert dup.status_code == 200
    assert set(seen) == {
        "insert_request",
        "transition",
        "query_requests",
        "history",
        "suggest_duplicates",
    }
    assert not set().union(*seen.values()) & loop_threads


def test_id_lists_are_capped(client, keys) -> None:  # type: ignore[no-untyped-def]
    _post(client, keys["submit"])
    at_cap = ",".join(str(i) for i in range(1, 1001))
    assert (
        client.get(f"{B}/requests.json", params={"service_request_id": at_cap}).status_code == 200
    )
    over = ",".join(str(i) for i in range(1, 1002))
    r = client.get(f"{B}/requests.json", params={"service_request_id": over})
    assert r.status_code == 400 and "at most 1000" in r.text
    codes = ",".join(f"c{i}" for i in range(101))
    assert client.get(f"{B}/requests.json", params={"service_code": codes}).status_code == 400


# ---------------------------------------------------------- finding: personal data in GETs
def test_status_notes_and_address_are_not_public(client, keys) -> None:  # type: ignore[no-untyped-def]
    rid = _post(client, keys["submit"], address_string="人民路 1 号 3 单元 502")
    note = "已电话联系张先生 13912345678，邮箱 zs@example.com"
    assert (
        _act(client, keys["operate"], rid, "resolve", note=note, solved="true").status_code == 200
    )
    for url in (
        f"{B}/requests/{rid}.json",
        f"{B}/requests/{rid}.xml?extensions=true",
        f"{B}/requests.json?extensions=true",
        f"{B}/requests/{rid}/history.json",
    ):
        text = client.get(url).text
        for secret in ("13912345678", "zs@example.com", "张先生", "人民路"):
            assert secret not in text, (url, secret)
    public = client.get(f"{B}/requests/{rid}.json").json()[0]
    assert public["status_notes"] == "已电话联***先生 ***，邮箱 ***" and public["address"] is None
    # operators see what was written, and the address
    op = client.get(f"{B}/requests/{rid}.json", params={"api_key": keys["operate"]}).json()[0]
    assert op["status_notes"] == note and op["address"] == "人民路 1 号 3 单元 502"
    # a submit key does not unlock the operators' view
    sub = client.get(f"{B}/requests/{rid}.json", headers={"X-API-Key": keys["submit"]})
    assert sub.status_code == 403


# ------------------------------------------------------------------ finding: server errors
NON_ASCII = ["²", "٣", "５", "１２", "𝟙"]


@pytest.mark.parametrize("digit", NON_ASCII)
def test_non_ascii_digits_are_client_errors(client, keys, digit) -> None:  # type: ignore[no-untyped-def]
    rid = _post(client, keys["submit"])
    op = {"api_key": keys["operate"]}
    calls = [
        client.get(f"{B}/requests/{digit}.json"),
        client.get(f"{B}/requests/{digit}.json?extensions=true"),
        client.get(f"{B}/requests/{digit}/history.xml"),
        client.get(f"{B}/requests/{digit}/duplicates.json", params=op),
        client.post(f"{B}/requests/{digit}/transitions.json", data={**op, "action": "accept"}),
        client.post(f"{B}/requests/{digit}/rating.json", data={"api_key": keys["submit"]}),
        client.get(f"{B}/requests.json", params={"service_request_id": digit}),
        client.get(f"{B}/requests.json", params={"page": digit}),
        client.get(f"{B}/requests.xml", params={"page_size": digit}),
        client.get(f"{B}/queue.json", params={**op, "page_size": digit}),
        _act(client, keys["operate"], rid, "merge", duplicate_of=digit),
        client.post(f"{B}/requests.json", data={**NOISE, "api_key": keys["submit"], "lat": digit}),
    ]
    for r in calls:
        assert r.status_code in (400, 404), (r.request.url, r.status_code, r.text)


@pytest.mark.parametrize(
    ("where", "field"),
    [("form", "note"), ("form", "department"), ("query", "department"), ("query", "status")],
)
def test_nul_and_controls_are_refused(client, keys, where, field) -> None:  # type: ignore[no-untyped-def]
    rid = _post(client, keys["submit"])
    if where == "form":
        r = _act(client, keys["operate"], rid, "reassign", **{field: "市城管委\x00"})
    else:
        r = client.get(f"{B}/requests.json", params={field: "a\x00b"})
    assert r.status_code == 400 and "control characters" in r.text
    rate = client.post(
        f"{B}/requests/{rid}/rating.json",
        data={
            "api_key": keys["submit"],
            "satisfaction": "satisfied",
            "solved": "true",
            "comment": "好\x00",
        },
    )
    assert rate.status_code == 400


def test_department_length_is_bounded(client, keys) -> None:  # type: ignore[no-untyped-def]
    rid = _post(client, keys["submit"])
    at = _act(client, keys["operate"], rid, "reassign", department="部" * 200)
    assert at.status_code == 200
    over = _act(client, keys["operate"], rid, "reassign", department="部" * 201)
    assert over.status_code == 400 and "at most 200" in over.text
    q = client.get(f"{B}/requests.json", params={"department": "部" * 201})
    assert q.status_code == 400


def test_a_server_fault_keeps_the_connection_open(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def boom(token: str) -> int:
        raise RuntimeError("simulated fault")

    monkeypatch.setattr(store, "token_lookup", boom)
    app = create_app(store=store)
    with TestClient(app) as c:  # raise_server_exceptions: nothing may escape the app
        r = c.get(f"{B}/tokens/abc.xml")
        assert r.status_code == 500 and b"<code>500</code>" in r.content

    async def two_calls(url: str) -> list[int]:
        host, port = url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        statuses = []
        for path in (f"{B}/tokens/abc.json", f"{B}/services.json"):
            writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            await writer.drain()
            statuses.append((await _read_response(reader))[0])
        writer.close()
        return statuses

    with BackgroundServer(app) as url:
        assert asyncio.run(two_calls(url)) == [500, 200]  # the same connection answers again


# ------------------------------------------------- finding: a control character breaks XML
def test_xml_stays_well_formed_whatever_is_stored(client, store, keys) -> None:  # type: ignore[no-untyped-def]
    rid = _post(client, keys["submit"])
    op = store.authenticate(keys["operate"])
    # written through the library (or by an older version) without the edge checks
    store.transition(int(rid), "accept", op, note="bell\x07 nul\x00 esc\x1b \ufffe end")
    for url in (
        f"{B}/requests/{rid}/history.xml",
        f"{B}/requests.xml?extensions=true",
        f"{B}/requests/{rid}.xml",
    ):
        r = client.get(url)
        assert r.status_code == 200
        ET.fromstring(r.content)
    hist = client.get(f"{B}/requests/{rid}/history.xml").content.decode()
    assert "bell\ufffd nul\ufffd esc\ufffd \ufffd end" in hist
    # through the API the note is refused in the first place
    r = _act(client, keys["operate"], rid, "resolve", note="bell\x07")
    assert r.status_code == 400


# ----------------------------------------------------- finding: integrity of the ratings
def test_only_the_submitter_or_a_token_holder_may_rate(client, store, keys) -> None:  # type: ignore[no-untyped-def]
    first = client.post(f"{B}/requests.json", data={**NOISE, "api_key": keys["submit"]}).json()[0]
    rid, token = first["service_request_id"], first["rating_token"]
    assert token.startswith("rt_") and token == store.rating_token(int(rid))
    assert _act(client, keys["operate"], rid, "resolve", solved="true").status_code == 200
    other = store.create_key("submit", label="another app")
    rating = {"satisfaction": "unsatisfied", "solved": "false"}
    url = f"{B}/requests/{rid}/rating.json"
    assert client.post(url, data={**rating, "api_key": other}).status_code == 403
    assert client.post(url, data={**rating, "api_key": keys["operate"]}).status_code == 403
    forged = store.rating_token(int(rid) + 1)  # a valid token of another request
    assert (
        client.post(url, data={**rating, "api_key": other, "rating_token": forged}).status_code
        == 403
    )
    ok = client.post(url, data={**rating, "api_key": other, "rating_token": token})
    assert (
        ok.status_code == 200
        and ok.json()[0]["extended_attributes"]["satisfaction"] == "unsatisfied"
    )
    # the submitting key may rate its own request (here: again, after a reopen)
    assert _act(client, keys["operate"], rid, "reopen").status_code == 200
    assert _act(client, keys["operate"], rid, "resolve").status_code == 200
    mine = client.post(
        url, data={"satisfaction": "satisfied", "solved": "true", "api_key": keys["submit"]}
    )
    assert mine.status_code == 200


# ------------------------------------------------------ finding: rate limits and API keys
def test_a_keys_own_limit_has_a_burst(store) -> None:  # type: ignore[no-untyped-def]
    key = store.create_key("submit", rate_per_minute=60)  # burst: ten seconds' worth
    with TestClient(_frozen(create_app(store=store))) as c:
        codes = [
            c.post(f"{B}/requests.json", data={**NOISE, "api_key": key}).status_code
            for _ in range(12)
        ]
    assert codes == [200] * 10 + [429] * 2


def test_limits_are_shared_by_server_processes(tmp_path, catalogue) -> None:  # type: ignore[no-untyped-def]
    """Two apps on one database stand for two worker processes: they share the buckets."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    a, b = HotlineStore(url, catalogue=catalogue), HotlineStore(url, catalogue=catalogue)
    key = a.create_key("submit", rate_per_minute=60, burst=6)
    try:
        app_a, app_b = _frozen(create_app(store=a)), _frozen(create_app(store=b))
        with TestClient(app_a) as ca, TestClient(app_b) as cb:
            codes = [
                (ca if i % 2 else cb)
                .post(f"{B}/requests.json", data={**NOISE, "api_key": key})
                .status_code
                for i in range(10)
            ]
            assert codes.count(200) == 6 and codes.count(429) == 4
            pa = _frozen(create_app(store=a, public_rate_per_minute=60, public_burst=4))
            pb = _frozen(create_app(store=b, public_rate_per_minute=60, public_burst=4))
            with TestClient(pa) as ra, TestClient(pb) as rb:
                reads = [
                    (ra if i % 2 else rb).get(f"{B}/services.json").status_code for i in range(8)
                ]
            assert reads.count(200) == 4
    finally:
        a.close()
        b.close()


def test_revocation_reaches_every_process_at_once(tmp_path, catalogue) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'rev.db'}"
    server, cli = HotlineStore(url, catalogue=catalogue), HotlineStore(url, catalogue=catalogue)
    key = cli.create_key("submit")
    try:
        with TestClient(create_app(store=server)) as c:
            assert c.post(f"{B}/requests.json", data={**NOISE, "api_key": key}).status_code == 200
            assert cli.revoke_key(key[:11]) == 1  # `citycheckup hotline keys revoke` elsewhere
            r = c.post(f"{B}/requests.json", data={**NOISE, "api_key": key})
            assert r.status_code == 403
    finally:
        server.close()
        cli.close()


def test_keys_expire(store) -> None:  # type: ignore[no-untyped-def]
    key = store.create_key("submit")
    listed = store.list_keys()[-1]
    life = listed["expires_at"] - listed["created_at"]
    assert life == dt.timedelta(days=365)
    assert store.authenticate(key) is not None
    with store.engine.begin() as conn:  # a minute past its expiry
        conn.execute(
            S.api_keys.update().values(
                expires_at=dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=1)
            )
        )
    assert store.authenticate(key) is None
    forever = store.create_key("admin", valid_days=None)
    assert store.authenticate(forever) is not None and store.list_keys()[-1]["expires_at"] is None
    with pytest.raises(Exception, match="valid_days"):
        store.create_key("submit", valid_days=0)


# --------------------------------------------------------------------- finding: smaller
def test_merge_needs_duplicate_of(client, keys) -> None:  # type: ignore[no-untyped-def]
    a, b = _post(client, keys["submit"]), _post(client, keys["submit"])
    r = _act(client, keys["operate"], a, "merge")
    assert r.status_code == 400 and "duplicate_of" in r.text
    assert _act(client, keys["operate"], a, "merge", duplicate_of=b).status_code == 200


def test_idempotent_replay_with_another_body_is_refused(client, store, keys) -> None:  # type: ignore[no-untyped-def]
    h = {"Idempotency-Key": "call-7"}
    first = client.post(f"{B}/requests.json", data={**NOISE, "api_key": keys["submit"]}, headers=h)
    same = client.post(f"{B}/requests.json", data={**NOISE, "api_key": keys["submit"]}, headers=h)
    assert first.json()[0]["service_request_id"] == same.json()[0]["service_request_id"]
    other = client.post(
        f"{B}/requests.json",
        data={**NOISE, "api_key": keys["submit"], "description": "另一件事"},
        headers=h,
    )
    assert other.status_code == 422 and "different parameters" in other.text
    assert store.count() == 1


def test_discovery_does_not_echo_the_host_header(store) -> None:  # type: ignore[no-untyped-def]
    with TestClient(create_app(store=store)) as c:
        d = c.get(f"{B}/discovery.json", headers={"Host": "evil.example"}).json()
        assert "evil" not in str(d) and d["endpoints"][0]["url"] == B
    with TestClient(create_app(store=store, base_url="https://311.example.gov/")) as c:
        d = c.get(f"{B}/discovery.json", headers={"Host": "evil.example"}).json()
        assert d["endpoints"][0]["url"] == "https://311.example.gov" + B


def test_response_size_is_capped(client, store, keys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from citycheckup.hotline import _routing

    _post(client, keys["submit"])
    monkeypatch.setattr(_routing, "MAX_RESPONSE_BYTES", 200)
    r = client.get(f"{B}/requests.json")
    assert r.status_code == 400 and "page_size" in r.text


def test_migration_3_upgrades_a_version_2_database(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from citycheckup.hotline.schema import SCHEMA_VERSION, migrate
    from citycheckup.hotline.store import create_engine

    engine = create_engine(f"sqlite:///{tmp_path / 'v2.db'}")
    with engine.begin() as conn:  # a database as version 2 left it
        for t in S._V1_TABLES:
            t.create(conn)
        for table, col in S.V3_COLUMNS:
            conn.execute(sa.text(f"ALTER TABLE {table.name} DROP COLUMN {col}"))
        conn.execute(S.meta_table.insert().values(key="schema_version", value="2"))
    assert migrate(engine) == SCHEMA_VERSION == 3
    insp = sa.inspect(engine)
    assert {"expires_at", "burst"} <= {c["name"] for c in insp.get_columns("hotline_api_keys")}
    assert insp.has_table("hotline_rate_buckets")
    with engine.connect() as conn:
        assert len(S.rating_secret(conn)) == 32
