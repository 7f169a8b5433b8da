"""Open311 GeoReport v2 protocol: every endpoint, both formats, every error case of the spec."""

from __future__ import annotations

import datetime as dt
from xml.etree import ElementTree as ET

import pytest

from tests.hotline._helpers import NOISE

B = "/open311/v2"
FORMATS = ("json", "xml")


def body(resp, fmt):  # type: ignore[no-untyped-def]
    """Parse a response in either format into plain Python (lists of dicts)."""
    if fmt == "json":
        assert resp.headers["content-type"] == "application/json; charset=utf-8"
        return resp.json()
    assert resp.headers["content-type"] == "text/xml; charset=utf-8"
    assert resp.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(resp.content)
    assert "}" not in root.tag  # no namespace

    def conv(el):  # type: ignore[no-untyped-def]
        kids = list(el)
        if not kids:
            return el.text or ""
        if (
            len({k.tag for k in kids}) == 1
            and len(kids) > 1
            or el.tag
            in (
                "services",
                "service_requests",
                "errors",
                "attributes",
                "values",
                "endpoints",
                "formats",
                "notes",
                "duplicates",
            )
        ):
            return [conv(k) for k in kids]
        return {k.tag: conv(k) for k in kids}

    return conv(root)


def errors(resp, fmt):  # type: ignore[no-untyped-def]
    data = body(resp, fmt)
    assert isinstance(data, list) and data
    for e in data:
        assert set(e) == {"code", "description"} and e["description"]
    return [int(e["code"]) for e in data]


def post(client, fmt="json", **fields):  # type: ignore[no-untyped-def]
    return client.post(f"{B}/requests.{fmt}", data=fields)


# ------------------------------------------------------------------------------ discovery
@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery(client, fmt):  # type: ignore[no-untyped-def]
    r = client.get(f"{B}/discovery.{fmt}")
    assert r.status_code == 200
    d = body(r, fmt)
    assert {"changeset", "contact", "key_service", "endpoints"} <= set(d)
    ep = d["endpoints"][0] if fmt == "json" else d["endpoints"][0]
    assert ep["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert ep["type"] in ("production", "test")
    assert ep["url"].endswith("/open311/v2")
    assert set(ep["formats"]) == {"text/xml", "application/json"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_list(client, catalogue, fmt):  # type: ignore[no-untyped-def]
    r = client.get(f"{B}/services.{fmt}")
    assert r.status_code == 200
    services = body(r, fmt)
    assert isinstance(services, list) and len(services) == len(catalogue.services)
    for s in services:
        assert {
            "service_code",
            "service_name",
            "description",
            "metadata",
            "type",
            "keywords",
            "group",
        } <= set(s)
        assert s["type"] in ("realtime", "batch", "blackbox")
    noise = next(s for s in services if s["service_code"] == "noise")
    assert str(noise["metadata"]).lower() == "true"


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition(client, fmt):  # type: ignore[no-untyped-def]
    r = client.get(f"{B}/services/garbage.{fmt}")
    assert r.status_code == 200
    d = body(r, fmt)
    assert d["service_code"] == "garbage"
    attrs = d["attributes"]
    assert [int(a["order"]) for a in attrs] == sorted(int(a["order"]) for a in attrs)
    multi = next(a for a in attrs if a["code"] == "waste_types")
    assert multi["datatype"] == "multivaluelist"
    assert {v["key"] for v in multi["values"]} == {"household", "construction", "bulky"}
    info = next(a for a in attrs if a["code"] == "notice")
    assert str(info["variable"]).lower() == "false"


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_not_found(client, fmt):  # type: ignore[no-untyped-def]
    r = client.get(f"{B}/services/nope.{fmt}")
    assert r.status_code == 404 and errors(r, fmt) == [404]


@pytest.mark.parametrize(
    "path", ["services", "services/noise", "requests", "requests/1", "tokens/abc"]
)
def test_unknown_jurisdiction_is_404(client, path):  # type: ignore[no-untyped-def]
    r = client.get(f"{B}/{path}.xml", params={"jurisdiction_id": "elsewhere.gov"})
    assert r.status_code == 404 and errors(r, "xml") == [404]


def test_matching_or_empty_jurisdiction_is_accepted(client, catalogue):  # type: ignore[no-untyped-def]
    assert (
        client.get(
            f"{B}/services.json", params={"jurisdiction_id": catalogue.jurisdiction_id}
        ).status_code
        == 200
    )
    assert client.get(f"{B}/services.json?jurisdiction_id=").status_code == 200


def test_unknown_format_is_404(client):  # type: ignore[no-untyped-def]
    for path in ("services.txt", "discovery.html", "requests/1.csv", "services/noise.yaml"):
        r = client.get(f"{B}/{path}")
        assert r.status_code == 404, path


# ------------------------------------------------------------------------------ POST
@pytest.mark.parametrize("fmt", FORMATS)
def test_post_realtime_returns_id(client, keys, fmt):  # type: ignore[no-untyped-def]
    r = post(client, fmt, api_key=keys["submit"], **NOISE)
    assert r.status_code == 200
    d = body(r, fmt)
    assert isinstance(d, list) and len(d) == 1
    assert "service_request_id" in d[0] and "token" not in d[0]
    assert d[0]["service_notice"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_batch_returns_token_and_token_lookup(client, keys, fmt):  # type: ignore[no-untyped-def]
    r = post(
        client,
        fmt,
        api_key=keys["submit"],
        service_code="wage_arrears",
        address_string="A1区 某工地",
        description="工资拖欠三个月",
    )
    assert r.status_code == 200
    item = body(r, fmt)[0]
    assert "token" in item and "service_request_id" not in item
    t = client.get(f"{B}/tokens/{item['token']}.{fmt}")
    assert t.status_code == 200
    got = body(t, fmt)[0]
    assert got["token"] == item["token"] and got["service_request_id"].isdigit()
    miss = client.get(f"{B}/tokens/doesnotexist.{fmt}")
    assert miss.status_code == 404 and errors(miss, fmt) == [404]


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_without_or_with_bad_api_key_is_403(client, keys, fmt):  # type: ignore[no-untyped-def]
    assert errors(post(client, fmt, **NOISE), fmt) == [403]
    r = post(client, fmt, api_key="ck_wrong", **NOISE)
    assert r.status_code == 403 and errors(r, fmt) == [403]
    r = post(client, fmt, api_key="", **NOISE)  # empty = absent
    assert r.status_code == 403


def test_revoked_key_is_403(client, store, keys):  # type: ignore[no-untyped-def]
    assert post(client, api_key=keys["submit"], **NOISE).status_code == 200
    store.revoke_key(keys["submit"][:11])
    assert post(client, api_key=keys["submit"], **NOISE).status_code == 403


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_missing_service_code_is_400(client, keys, fmt):  # type: ignore[no-untyped-def]
    r = post(client, fmt, api_key=keys["submit"], lat="39.9", long="116.4")
    assert r.status_code == 400 and 400 in errors(r, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_unknown_service_code_is_404(client, keys, fmt):  # type: ignore[no-untyped-def]
    r = post(client, fmt, api_key=keys["submit"], service_code="unicorns", lat="1", long="1")
    assert r.status_code == 404 and errors(r, fmt) == [404]


def test_post_unknown_jurisdiction_is_404(client, keys):  # type: ignore[no-untyped-def]
    r = post(client, api_key=keys["submit"], jurisdiction_id="other.gov", **NOISE)
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"lat": "", "long": ""}, "location is required"),
        ({"long": ""}, "lat and long must be given together"),
        ({"lat": "91"}, "lat must be between"),
        ({"long": "abc"}, "long must be a number"),
        ({"lat": "nan"}, "lat must be a number"),
        ({"lat": "٣٩.٩"}, "lat must be a number"),
        ({"attribute[noise_source]": ""}, "attribute[noise_source] is required"),
        ({"attribute[noise_source]": "aliens"}, "must be one of"),
        ({"attribute[bogus]": "1"}, "is not an attribute"),
        ({"description": "x" * 4001}, "at most 4000"),
        ({"description": "<script>alert(1)</script>"}, "without HTML"),
        ({"media_url": "javascript:alert(1)"}, "media_url"),
        ({"email": "not-an-email"}, "email"),
        ({"channel": "Bad Channel!"}, "channel"),
        ({"attribute[started_at]": "yesterday"}, "W3C datetime"),
        ({"description": "bell\x07"}, "control characters"),
    ],
)
def test_post_validation_errors_are_400(client, keys, change, fragment):  # type: ignore[no-untyped-def]
    fields = {**NOISE, "api_key": keys["submit"], **change}
    for fmt in FORMATS:
        r = post(client, fmt, **fields)
        assert r.status_code == 400, r.text
        assert fragment in r.text


def test_post_reports_every_problem_at_once(client, keys):  # type: ignore[no-untyped-def]
    r = post(
        client,
        api_key=keys["submit"],
        service_code="noise",
        description="<b>x</b>",
        media_url="ftp://x",
    )
    assert r.status_code == 400
    assert len(r.json()) == 4  # location, html, media_url, required attribute


def test_post_accepts_address_or_address_id(client, keys):  # type: ignore[no-untyped-def]
    base = {"api_key": keys["submit"], "service_code": "bus"}
    assert post(client, **base, address_string="A1区 人民路 1 号").status_code == 200
    assert post(client, **base, address_id="addr-77").status_code == 200


def test_post_multivaluelist_and_number_attributes(client, keys):  # type: ignore[no-untyped-def]
    r = client.post(
        f"{B}/requests.json",
        data={
            "api_key": keys["submit"],
            "service_code": "garbage",
            "lat": "39.9",
            "long": "116.4",
            "attribute[waste_types][]": ["household", "bulky"],
        },
    )
    assert r.status_code == 200
    rid = r.json()[0]["service_request_id"]
    got = client.get(f"{B}/requests/{rid}.json", params={"extensions": "true"}).json()[0]
    assert got["attributes"] == [{"code": "waste_types", "value": ["household", "bulky"]}]
    r = post(
        client,
        api_key=keys["submit"],
        service_code="road_damage",
        lat="39.9",
        long="116.4",
        **{"attribute[hazard]": "yes", "attribute[width_m]": "1.5"},
    )
    assert r.status_code == 200
    bad = post(
        client,
        api_key=keys["submit"],
        service_code="road_damage",
        lat="39.9",
        long="116.4",
        **{"attribute[hazard]": "yes", "attribute[width_m]": "wide"},
    )
    assert bad.status_code == 400


def test_post_rejects_informational_attribute(client, keys):  # type: ignore[no-untyped-def]
    r = post(
        client,
        api_key=keys["submit"],
        service_code="garbage",
        lat="1",
        long="1",
        **{"attribute[notice]": "hi"},
    )
    assert r.status_code == 400 and "informational" in r.text


def test_body_limits_and_encoding(client, keys):  # type: ignore[no-untyped-def]
    big = client.post(
        f"{B}/requests.json",
        content=b"a=" + b"x" * 70000,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert big.status_code == 400 and big.json()[0]["code"] == 413
    js = client.post(f"{B}/requests.json", json={"service_code": "noise"})
    assert js.status_code == 400 and "x-www-form-urlencoded" in js.text
    latin = client.post(
        f"{B}/requests.json",
        content=b"description=\xff\xfe",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert latin.status_code == 400


def test_import_fields_need_admin(client, keys):  # type: ignore[no-untyped-def]
    r = post(client, api_key=keys["submit"], requested_datetime="2020-01-01T00:00:00Z", **NOISE)
    assert r.status_code == 403
    r = post(client, api_key=keys["admin"], requested_datetime="2020-01-01T00:00:00Z", **NOISE)
    assert r.status_code == 200


def test_idempotency_key_stores_once(client, store, keys):  # type: ignore[no-untyped-def]
    h = {"Idempotency-Key": "call-123"}
    a = client.post(f"{B}/requests.json", data={**NOISE, "api_key": keys["submit"]}, headers=h)
    b = client.post(f"{B}/requests.json", data={**NOISE, "api_key": keys["submit"]}, headers=h)
    assert a.json()[0]["service_request_id"] == b.json()[0]["service_request_id"]
    assert store.count() == 1


# ------------------------------------------------------------------------------ GET
def _seed(client, keys):  # type: ignore[no-untyped-def]
    ids = []
    for i, code in enumerate(["noise", "noise", "bus", "hospital"]):
        f = {
            "api_key": keys["submit"],
            "service_code": code,
            "lat": "39.9",
            "long": "116.4",
            "description": f"诉求 {i}",
        }
        if code == "noise":
            f["attribute[noise_source]"] = "traffic"
        ids.append(client.post(f"{B}/requests.json", data=f).json()[0]["service_request_id"])
    return ids


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_requests_fields_and_filters(client, keys, fmt):  # type: ignore[no-untyped-def]
    ids = _seed(client, keys)
    allr = body(client.get(f"{B}/requests.{fmt}"), fmt)
    assert len(allr) == 4
    fields = {
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "description",
        "agency_responsible",
        "service_notice",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
        "address_id",
        "zipcode",
        "lat",
        "long",
        "media_url",
    }
    assert all(set(r) == fields for r in allr)
    when = dt.datetime.fromisoformat(allr[0]["requested_datetime"])
    assert when.utcoffset() is not None  # W3C datetime with offset
    noise = body(client.get(f"{B}/requests.{fmt}", params={"service_code": "noise"}), fmt)
    assert {r["service_request_id"] for r in noise} == set(ids[:2])
    two = body(client.get(f"{B}/requests.{fmt}", params={"service_code": "bus,hospital"}), fmt)
    assert len(two) == 2
    # service_request_id overrides every other filter
    by_id = body(
        client.get(
            f"{B}/requests.{fmt}",
            params={
                "service_request_id": f"{ids[0]},{ids[3]}",
                "service_code": "bus",
                "status": "closed",
            },
        ),
        fmt,
    )
    assert sorted(r["service_request_id"] for r in by_id) == sorted([ids[0], ids[3]])
    opened = body(client.get(f"{B}/requests.{fmt}", params={"status": "open"}), fmt)
    assert len(opened) == 4
    closed = client.get(f"{B}/requests.{fmt}", params={"status": "closed"})
    assert closed.status_code == 200
    assert body(closed, fmt) in ([], "")


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_one_request_is_a_list(client, keys, fmt):  # type: ignore[no-untyped-def]
    ids = _seed(client, keys)
    r = client.get(f"{B}/requests/{ids[2]}.{fmt}")
    assert r.status_code == 200
    d = body(r, fmt)
    assert isinstance(d, list) and len(d) == 1 and d[0]["service_request_id"] == ids[2]
    for missing in ("999999", "abc", "-1"):
        m = client.get(f"{B}/requests/{missing}.{fmt}")
        assert m.status_code == 404 and errors(m, fmt) == [404]


def test_get_requests_date_rules(client, keys):  # type: ignore[no-untyped-def]
    old = post(
        client, api_key=keys["admin"], requested_datetime="2020-01-05T08:00:00+08:00", **NOISE
    ).json()[0]["service_request_id"]
    new = post(client, api_key=keys["submit"], **NOISE).json()[0]["service_request_id"]
    default = [r["service_request_id"] for r in client.get(f"{B}/requests.json").json()]
    assert default == [new]  # default window: the last 90 days
    win = client.get(
        f"{B}/requests.json",
        params={"start_date": "2020-01-01T00:00:00Z", "end_date": "2020-02-01T00:00:00Z"},
    ).json()
    assert [r["service_request_id"] for r in win] == [old]
    only_start = client.get(f"{B}/requests.json", params={"start_date": "2019-12-01"}).json()
    assert [r["service_request_id"] for r in only_start] == [old]
    too_long = client.get(
        f"{B}/requests.xml",
        params={"start_date": "2020-01-01T00:00:00Z", "end_date": "2020-06-01T00:00:00Z"},
    )
    assert too_long.status_code == 400 and "90 days" in too_long.text
    backwards = client.get(
        f"{B}/requests.json",
        params={"start_date": "2020-02-01T00:00:00Z", "end_date": "2020-01-01T00:00:00Z"},
    )
    assert backwards.status_code == 400
    garbage = client.get(f"{B}/requests.json", params={"start_date": "last tuesday"})
    assert garbage.status_code == 400
    bad_status = client.get(f"{B}/requests.json", params={"status": "pending"})
    assert bad_status.status_code == 400
    # empty parameters are the same as absent ones
    empty = client.get(f"{B}/requests.json?start_date=&end_date=&status=&service_code=")
    assert [r["service_request_id"] for r in empty.json()] == [new]


def test_get_requests_limit_and_pages(client, store, keys):  # type: ignore[no-untyped-def]
    from citycheckup.hotline.store import NewRequest

    admin = store.authenticate(keys["admin"])
    for i in range(1005):
        store.create_request(NewRequest("bus", address_id=f"a{i}"), admin)
    assert len(client.get(f"{B}/requests.json").json()) == 1000
    p1 = client.get(f"{B}/requests.json", params={"page_size": "400", "page": "1"}).json()
    p3 = client.get(f"{B}/requests.json", params={"page_size": "400", "page": "3"}).json()
    assert len(p1) == 400 and len(p3) == 205
    assert not {r["service_request_id"] for r in p1} & {r["service_request_id"] for r in p3}
    assert client.get(f"{B}/requests.json", params={"page_size": "5000"}).status_code == 400


def test_no_personal_data_in_public_get(client, keys):  # type: ignore[no-untyped-def]
    r = post(
        client,
        api_key=keys["submit"],
        **{
            **NOISE,
            "description": "我的电话 13912345678，邮箱 zhang.san@example.com，身份证 11010519491231002X",
        },
        first_name="三",
        last_name="张",
        phone="13912345678",
        email="zs@example.com",
        device_id="dev-1",
    )
    rid = r.json()[0]["service_request_id"]
    for url in (
        f"{B}/requests/{rid}.json?extensions=true",
        f"{B}/requests.xml?extensions=true",
        f"{B}/requests/{rid}/history.json",
    ):
        text = client.get(url).text
        for secret in (
            "13912345678",
            "zhang.san@example.com",
            "zs@example.com",
            "11010519491231002X",
            "张",
            "dev-1",
        ):
            assert secret not in text, (url, secret)


def test_extensions_add_notes_and_extended_attributes(client, keys):  # type: ignore[no-untyped-def]
    rid = post(client, api_key=keys["submit"], channel="wechat", district="A1区", **NOISE).json()[
        0
    ]["service_request_id"]
    plain = client.get(f"{B}/requests/{rid}.json").json()[0]
    assert "notes" not in plain and "extended_attributes" not in plain
    for fmt in FORMATS:
        ext = body(client.get(f"{B}/requests/{rid}.{fmt}", params={"extensions": "true"}), fmt)[0]
        ea = ext["extended_attributes"]
        assert ea["channel"] == "wechat" and ea["district"] == "A1区"
        assert ea["department"] == "A1区生态环境分局"  # district override of the catalogue
        assert [n["type"] for n in ext["notes"]] == ["receive", "dispatch"]
    assert plain["expected_datetime"] and plain["agency_responsible"] == "A1区生态环境分局"


@pytest.mark.parametrize("fmt", FORMATS)
def test_fast_path_answers_like_the_route(client, keys, fmt):  # type: ignore[no-untyped-def]
    ids = _seed(client, keys)
    fast = client.get(f"{B}/requests/{ids[0]}.{fmt}")  # no query string: fast path
    routed = client.get(f"{B}/requests/{ids[0]}.{fmt}?jurisdiction_id=")  # FastAPI route
    assert fast.status_code == routed.status_code == 200
    assert fast.content == routed.content
    assert fast.headers["content-type"] == routed.headers["content-type"]
