"""Extensions: transitions, rating, history, duplicates, human queue, roles, rate limits."""

from __future__ import annotations

import pytest

from citycheckup.hotline.server import create_app
from tests.hotline._helpers import NOISE, TestClient

B = "/open311/v2"


def _new(client, keys, **extra):  # type: ignore[no-untyped-def]
    base = {**NOISE}
    if extra.get("service_code", "noise") != "noise":
        base.pop("attribute[noise_source]")
    r = client.post(f"{B}/requests.json", data={**base, "api_key": keys["submit"], **extra})
    assert r.status_code == 200, r.text
    return r.json()[0]["service_request_id"]


def _act(client, key, rid, action, fmt="json", **extra):  # type: ignore[no-untyped-def]
    return client.post(
        f"{B}/requests/{rid}/transitions.{fmt}", data={"api_key": key, "action": action, **extra}
    )


def test_full_lifecycle_with_history(client, keys):  # type: ignore[no-untyped-def]
    rid = _new(client, keys)
    op = keys["operate"]
    assert _act(client, op, rid, "accept", note="已签收").status_code == 200
    r = _act(client, op, rid, "resolve", note="已责令停工", solved="true")
    assert r.status_code == 200
    rec = r.json()[0]
    assert rec["status"] == "closed" and rec["status_notes"] == "已责令停工"
    assert rec["extended_attributes"]["state"] == "resolved"
    rate = client.post(
        f"{B}/requests/{rid}/rating.xml",
        data={
            "api_key": keys["submit"],
            "satisfaction": "basically_satisfied",
            "solved": "true",
            "comment": "处理及时",
        },
    )
    assert (
        rate.status_code == 200
        and b"<satisfaction>basically_satisfied</satisfaction>" in rate.content
    )
    hist = client.get(f"{B}/requests/{rid}/history.json").json()
    assert [h["type"] for h in hist] == ["receive", "dispatch", "accept", "resolve", "rate"]
    assert all(h["datetime"] for h in hist)
    assert "actor" not in hist[0]  # actors are internal
    internal = _act(client, op, rid, "reopen", note="市民称未解决").json()[0]
    assert internal["notes"][-1]["actor"].startswith("key:")
    assert internal["extended_attributes"]["reopen_count"] == 1
    assert internal["status"] == "open"
    xml_hist = client.get(f"{B}/requests/{rid}/history.xml")
    assert xml_hist.status_code == 200 and xml_hist.content.count(b"<note>") == 6


def test_transition_errors(client, keys):  # type: ignore[no-untyped-def]
    rid = _new(client, keys)
    # submit keys may not operate
    r = _act(client, keys["submit"], rid, "accept")
    assert r.status_code == 403
    assert _act(client, "ck_nope", rid, "accept").status_code == 403
    # not allowed from this state: the message lists the allowed actions
    r = _act(client, keys["operate"], rid, "rate")
    assert r.status_code == 400
    r = _act(client, keys["operate"], rid, "reopen")
    assert r.status_code == 400 and "allowed: accept" in r.text
    assert _act(client, keys["operate"], rid, "fly").status_code == 400
    assert _act(client, keys["operate"], "999999", "accept").status_code == 404
    assert _act(client, keys["operate"], "x1", "accept").status_code == 404
    # backdating is admin-only
    r = _act(client, keys["operate"], rid, "accept", datetime="2030-01-01T00:00:00Z")
    assert r.status_code == 403
    assert (
        _act(client, keys["admin"], rid, "accept", datetime="2000-01-01T00:00:00Z").status_code
        == 400
    )  # before receipt
    # rating needs a resolved request and valid values
    bad = client.post(
        f"{B}/requests/{rid}/rating.json",
        data={"api_key": keys["submit"], "satisfaction": "meh", "solved": "maybe"},
    )
    assert bad.status_code == 400
    assert _act(client, keys["operate"], rid, "merge", duplicate_of=rid).status_code == 400
    assert _act(client, keys["operate"], rid, "merge", duplicate_of="424242").status_code == 404


def test_return_reassign_escalate_reject_merge(client, keys, store):  # type: ignore[no-untyped-def]
    op = keys["operate"]
    a, b, c = _new(client, keys), _new(client, keys), _new(client, keys)
    assert (
        _act(client, op, a, "return", note="非本单位职责").json()[0]["extended_attributes"]["state"]
        == "returned"
    )
    assert _act(client, op, a, "reassign").status_code == 400  # needs a department
    r = _act(client, op, a, "reassign", department="市城市管理委员会").json()[0]
    assert r["agency_responsible"] == "市城市管理委员会"
    assert _act(client, op, b, "escalate").json()[0]["extended_attributes"]["escalated"] is True
    assert (
        _act(client, op, c, "merge", duplicate_of=b).json()[0]["extended_attributes"][
            "duplicate_of"
        ]
        == b
    )
    d = _new(client, keys)
    assert _act(client, op, d, "return").status_code == 200
    assert _act(client, op, d, "reject", note="不属于受理范围").json()[0]["status"] == "closed"
    events = store.history([int(a)])[int(a)]
    assert [e["action"] for e in events] == ["receive", "dispatch", "return", "reassign"]
    assert all(e["actor"] and e["at"] for e in events)


def test_low_confidence_goes_to_human_queue(client, keys):  # type: ignore[no-untyped-def]
    sure = _new(
        client, keys, service_code="general", description="工地夜间施工噪音扰民，严重影响休息"
    )
    unsure = _new(client, keys, service_code="general", description="你好")
    q = client.get(f"{B}/queue.json", params={"api_key": keys["operate"]})
    assert q.status_code == 200
    queued = {r["service_request_id"] for r in q.json()}
    assert unsure in queued and sure not in queued
    item = next(r for r in q.json() if r["service_request_id"] == unsure)
    assert 0 <= item["extended_attributes"]["confidence"] <= 1
    auto = client.get(f"{B}/requests/{sure}.json", params={"extensions": "true"}).json()[0]
    assert auto["extended_attributes"]["category"] == "环境保护"
    assert auto["extended_attributes"]["queue"] == "auto"
    assert client.get(f"{B}/queue.json").status_code == 403
    assert client.get(f"{B}/queue.json", params={"api_key": keys["submit"]}).status_code == 403
    # the dispatcher routes it by hand
    r = _act(client, keys["operate"], unsure, "dispatch", department="市政务服务管理局")
    assert r.status_code == 200
    assert unsure not in {
        x["service_request_id"]
        for x in client.get(f"{B}/queue.json", headers={"X-API-Key": keys["operate"]}).json()
    }


def test_duplicate_suggestions(client, keys):  # type: ignore[no-untyped-def]
    a = _new(client, keys, lat="39.90420", long="116.40740", description="工地夜间施工噪音扰民")
    near = _new(client, keys, lat="39.90440", long="116.40750", description="工地夜间施工噪音太大")
    _new(
        client, keys, lat="39.91000", long="116.40740", description="工地夜间施工噪音扰民"
    )  # 640 m
    _new(client, keys, lat="39.90421", long="116.40741", description="商铺门口垃圾堆积无人清理")
    r = client.get(f"{B}/requests/{a}/duplicates.json", params={"api_key": keys["operate"]})
    assert r.status_code == 200
    got = r.json()
    assert [d["service_request_id"] for d in got] == [near]
    assert got[0]["distance_m"] < 50 and got[0]["similarity"] > 0.2
    assert (
        client.get(
            f"{B}/requests/{a}/duplicates.xml", params={"api_key": keys["operate"]}
        ).status_code
        == 200
    )
    assert client.get(f"{B}/requests/{a}/duplicates.json").status_code == 403
    assert (
        client.get(
            f"{B}/requests/9999/duplicates.json", params={"api_key": keys["operate"]}
        ).status_code
        == 404
    )


def test_rate_limit_per_key(store, keys):  # type: ignore[no-untyped-def]
    app = create_app(store=store, rate_limit_per_minute=60, rate_limit_burst=3)
    app.state.buckets.clock = lambda: 1_000_000_000.0  # no refill while the test runs
    with TestClient(app) as c:
        codes = [
            c.post(f"{B}/requests.json", data={**NOISE, "api_key": keys["submit"]}).status_code
            for _ in range(5)
        ]
        assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
        limited = c.post(f"{B}/requests.xml", data={**NOISE, "api_key": keys["submit"]})
        assert limited.headers["retry-after"] == "1" and b"<code>429</code>" in limited.content
        # another key has its own bucket
        assert (
            c.post(f"{B}/requests.json", data={**NOISE, "api_key": keys["admin"]}).status_code
            == 200
        )


def test_escalate_overdue(store, keys):  # type: ignore[no-untyped-def]
    import datetime as dt

    from citycheckup.hotline.store import NewRequest

    admin = store.authenticate(keys["admin"])
    old = store.create_request(
        NewRequest("bus", address_id="x", requested_at=dt.datetime(2025, 9, 29, 9, tzinfo=dt.UTC)),
        admin,
    )
    fresh = store.create_request(NewRequest("bus", address_id="y"), admin)
    done = store.escalate_overdue()
    assert done == [old.id]
    assert store.escalate_overdue() == []  # escalated once only
    row = store.get_requests([old.id])[0]
    assert row["state"] == "escalated" and row["escalated"]
    assert store.get_requests([fresh.id])[0]["state"] == "dispatched"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_openapi_document_lists_endpoints(client, fmt):  # type: ignore[no-untyped-def]
    doc = client.get("/openapi.json").json()
    paths = set(doc["paths"])
    for p in (
        "/open311/v2/discovery.{fmt}",
        "/open311/v2/services.{fmt}",
        "/open311/v2/services/{service_code}.{fmt}",
        "/open311/v2/requests.{fmt}",
        "/open311/v2/requests/{service_request_id}.{fmt}",
        "/open311/v2/tokens/{token}.{fmt}",
    ):
        assert p in paths
