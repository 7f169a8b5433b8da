"""The web API through the ASGI test client: reading, errors, auth, uploads, runs."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.api.conftest import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}
NO_DATA_DIMS = {"system", "green", "resilient", "civilized"}


def error_of(r: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """Check the common error body and return its ``error`` object."""
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"}
    err = body["error"]
    assert set(err) == {"status", "code", "message", "details"} and err["status"] == status
    assert err["message"]
    if code:
        assert err["code"] == code
    return err


# -- reading --------------------------------------------------------------------------------------
def test_health_and_openapi(client: Any) -> None:
    h = client.get("/api/v1/health").json()
    assert h["status"] == "ok" and h["runs"] == 5 and h["writable"] is True
    doc = client.get("/api/v1/openapi.json").json()
    assert doc["info"]["title"] == "citycheckup API"
    assert "/api/v1/runs/{run_id}/units/{unit_code}" in doc["paths"]
    assert client.get("/docs").status_code == 200


def test_frameworks_and_indicators(client: Any) -> None:
    fws = client.get("/api/v1/frameworks").json()["items"]
    by_name = {f["name"]: f for f in fws}
    assert {"people-city-2025", "mohurd-2025"} <= set(by_name)
    people = by_name["people-city-2025"]
    assert len(people["dimensions"]) == 7  # the seven key tasks of the conference
    fw = client.get("/api/v1/frameworks/people-city-2025").json()
    assert fw["sources"]
    page = client.get("/api/v1/frameworks/people-city-2025/indicators", params={"limit": 5}).json()
    assert page["total"] == people["n_indicators"] and len(page["items"]) == 5
    green = client.get(
        "/api/v1/frameworks/people-city-2025/indicators",
        params={"dimension": "green", "limit": 1000},
    ).json()
    assert green["items"] and all(i["dimension"] == "green" for i in green["items"])
    graded = [i for i in green["items"] if i["grading"]]
    assert graded and graded[0]["grading"]["source"] and graded[0]["grading"]["bands"]
    found = client.get(
        "/api/v1/frameworks/people-city-2025/indicators", params={"q": "GDP per capita"}
    ).json()
    assert [i["code"] for i in found["items"]] == ["gdp_per_capita"]
    desc = client.get(
        "/api/v1/frameworks/people-city-2025/indicators", params={"sort": "-code", "limit": 3}
    ).json()["items"]
    assert [i["code"] for i in desc] == sorted((i["code"] for i in desc), reverse=True)
    error_of(client.get("/api/v1/frameworks/nope"), 404, "not_found")


def test_runs_list_pagination_filter_sort(client: Any, api_store: dict[str, Any]) -> None:
    ids = api_store["ids"]
    page = client.get("/api/v1/runs", params={"limit": 2}).json()
    assert page["total"] == 5 and len(page["items"]) == 2
    assert page["items"][0]["run_id"] == ids["spatial"]  # newest first
    asc = client.get("/api/v1/runs", params={"sort": "stored_utc", "limit": 1, "offset": 1}).json()
    assert asc["items"][0]["run_id"] == ids["run_equal"]
    runs = client.get("/api/v1/runs", params={"kind": "run"}).json()
    assert {r["run_id"] for r in runs["items"]} == {ids["run"], ids["run_equal"]}
    assert (
        client.get("/api/v1/runs", params={"label": "ASEM"}).json()["items"][0]["run_id"]
        == ids["index"]
    )
    run = client.get(f"/api/v1/runs/{ids['run']}").json()
    assert run["years"] == [2020, 2021, 2022]
    status = {d["code"]: d["status"] for d in run["dimensions"]}
    assert {c for c, s in status.items() if s == "no data"} == NO_DATA_DIMS


def test_ranking(client: Any, api_store: dict[str, Any]) -> None:
    rid = api_store["ids"]["run"]
    r = client.get(f"/api/v1/runs/{rid}/scores").json()
    assert (
        r["year"] == 2022 and r["score"] == "index" and r["total"] == 30 and len(r["items"]) == 30
    )
    ranks = [x["rank"] for x in r["items"]]
    assert ranks == sorted(ranks) and ranks[0] == 1
    first = r["items"][0]
    assert first["q5"] is not None and first["q95"] >= first["rank"] >= first["q5"]
    for d in NO_DATA_DIMS:  # no data is null, never 0
        assert all(x["scores"][d] is None for x in r["items"])
    by_value = client.get(
        f"/api/v1/runs/{rid}/scores",
        params={"sort": "-value", "year": 2020, "score": "innovation", "limit": 10},
    ).json()
    vals = [x["value"] for x in by_value["items"]]
    assert vals == sorted(vals, reverse=True) and by_value["year"] == 2020 and len(vals) == 10
    page2 = client.get(f"/api/v1/runs/{rid}/scores", params={"limit": 10, "offset": 10}).json()
    assert [x["rank"] for x in page2["items"]][0] == 11
    hebei = client.get(f"/api/v1/runs/{rid}/scores", params={"province": "河北省"}).json()
    assert hebei["total"] > 0 and all(x["province"] == "河北省" for x in hebei["items"])
    bj = client.get(f"/api/v1/runs/{rid}/scores", params={"q": "北京"}).json()
    assert [x["unit_code"] for x in bj["items"]] == ["110000"]
    nd = client.get(f"/api/v1/runs/{rid}/scores", params={"score": "green"}).json()
    assert nd["total"] == 30 and all(x["value"] is None and x["rank"] is None for x in nd["items"])
    names = client.get(f"/api/v1/runs/{rid}/scores", params={"sort": "name"}).json()["items"]
    assert [x["unit_name"] for x in names] == sorted(x["unit_name"] for x in names)


def test_unit_profile(client: Any, api_store: dict[str, Any]) -> None:
    rid = api_store["ids"]["run"]
    p = client.get(f"/api/v1/runs/{rid}/units/110000").json()
    assert p["unit"]["unit_name"] == "北京市" and p["year"] == 2022
    scores = {s["code"]: s for s in p["scores"]}
    assert scores["index"]["value"] is not None and scores["index"]["n"] == 30
    assert scores["index"]["q5"] is not None
    for d in NO_DATA_DIMS:
        assert scores[d]["status"] == "no data" and scores[d]["value"] is None
    assert p["trends"]["years"] == [2020, 2021, 2022]
    assert (
        len(p["trends"]["series"]["index"]["value"]) == 3
        and None not in p["trends"]["series"]["index"]["rank"]
    )
    assert p["trends"]["series"]["green"]["value"] == [None, None, None]
    assert p["changes"]["index"]["base_year"] == 2020
    # 北京 and 天津 are the only 超大城市 (2020 census) among the 30 cities and 北京 is alone in its
    # province: no peer group of three or more, hence no strengths or weak points against peers
    assert p["weaknesses"] == [] and p["strengths"] == [] and p["priorities"] == []
    q = client.get(f"/api/v1/runs/{rid}/units/130100").json()  # 石家庄: 11 cities of 河北省
    assert q["weaknesses"] and q["strengths"] and q["priorities"]
    assert all(w["kind"] == "weakness" for w in q["weaknesses"])
    assert all(s["kind"] == "strength" for s in q["strengths"])
    assert q["priorities"][0]["name_zh"]
    assert [(r["scope"], r["format"], r["lang"]) for r in p["reports"]][:3] == [
        ("unit", "html", "en"),
        ("unit", "html", "zh"),
        ("unit", "pdf", "zh"),
    ]
    assert {r["name"] for r in p["reports"] if r["scope"] == "run"} >= {"report.html"}
    other = client.get(f"/api/v1/runs/{rid}/units/120000").json()["reports"]
    assert all(r["scope"] == "run" for r in other)
    pdf = client.get(p["reports"][2]["url"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    p20 = client.get(f"/api/v1/runs/{rid}/units/110000", params={"year": 2020}).json()
    assert p20["year"] == 2020
    inds = client.get(f"/api/v1/runs/{rid}/units/110000/indicators").json()["items"]
    gdp = next(i for i in inds if i["indicator"] == "gdp_per_capita")
    assert gdp["value"] > 0 and gdp["normalised"] is not None and gdp["status"] == "used"
    nodata = [i for i in inds if i["status"] == "no data"]
    assert nodata and all(i["value"] is None for i in nodata)
    assert any(i["grading"] for i in inds)


def test_indicator_explorer_timeseries_compare(client: Any, api_store: dict[str, Any]) -> None:
    ids = api_store["ids"]
    rid = ids["run"]
    listed = client.get(f"/api/v1/runs/{rid}/indicators").json()["items"]
    assert "gdp_per_capita" in {i["code"] for i in listed}
    assert "province_code" not in {i["code"] for i in listed}
    d = client.get(f"/api/v1/runs/{rid}/indicators/gdp_per_capita", params={"year": 2021}).json()
    assert d["stats"]["n"] == 30 and sum(d["histogram"]["counts"]) == 30
    assert d["top"][0]["value"] == d["stats"]["max"]  # higher is better
    assert d["bottom"][0]["value"] == d["stats"]["min"]
    assert len(d["values"]) == 30
    norm = client.get(
        f"/api/v1/runs/{rid}/indicators/gdp_per_capita", params={"stage": "normalised"}
    ).json()
    assert norm["stage"] == "normalised" and norm["stats"]["max"] <= 100
    ts = client.get(f"/api/v1/runs/{rid}/timeseries", params={"units": "110000,120000"}).json()
    assert [s["unit_code"] for s in ts["series"]] == ["110000", "120000"]
    assert [p["year"] for p in ts["series"][0]["points"]] == [2020, 2021, 2022]
    cmp_ = client.get(
        f"/api/v1/runs/{rid}/compare", params={"units": "110000,120000", "year": 2021}
    ).json()
    assert cmp_["year"] == 2021 and len(cmp_["units"]) == 2
    assert cmp_["units"][0]["scores"]["green"]["value"] is None
    runs = client.get(
        "/api/v1/compare/runs", params={"a": ids["run"], "b": ids["run_equal"]}
    ).json()
    assert runs["total"] == 30 and runs["year"] == 2022
    changes = [abs(x["rank_change"]) for x in runs["items"] if x["rank_change"] is not None]
    assert changes == sorted(changes, reverse=True)
    same = client.get("/api/v1/compare/runs", params={"a": ids["run"], "b": ids["run"]}).json()
    assert same["moved"] == 0


def test_tables_files_exports(client: Any, api_store: dict[str, Any]) -> None:
    ids = api_store["ids"]
    rid = ids["run"]
    t = client.get(f"/api/v1/runs/{rid}/tables/coverage", params={"limit": 5}).json()
    assert t["total"] > 5 and len(t["items"]) == 5 and "indicator" in t["columns"]
    nested = client.get(f"/api/v1/runs/{ids['index']}/tables/datasets/Raw").json()
    assert nested["total"] == 5
    r = client.get(f"/api/v1/runs/{rid}/files/report.html", params={"download": True})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "attachment" in r.headers["content-disposition"]
    assert r.headers["content-security-policy"] == "sandbox allow-scripts"
    csv = client.get(f"/api/v1/runs/{rid}/export", params={"format": "csv", "table": "scores"})
    assert csv.status_code == 200 and len(pd.read_csv(io.StringIO(csv.text))) == 90
    pq = client.get(f"/api/v1/runs/{rid}/export", params={"format": "parquet", "table": "coverage"})
    assert len(pd.read_parquet(io.BytesIO(pq.content))) == t["total"]
    xl = client.get(
        f"/api/v1/runs/{rid}/export", params={"format": "xlsx", "table": ["scores", "coverage"]}
    )
    assert set(pd.read_excel(io.BytesIO(xl.content), sheet_name=None)) == {"scores", "coverage"}


def test_geojson(client: Any, api_store: dict[str, Any]) -> None:
    import shapely

    ids = api_store["ids"]
    china = client.get("/api/v1/geo/china").json()
    roles = [f["properties"]["role"] for f in china["features"]]
    assert (
        roles.count("land") == 1 and roles.count("maritime") == 1 and roles.count("province") == 34
    )
    land = shapely.geometry.shape(
        next(f for f in china["features"] if f["properties"]["role"] == "land")["geometry"]
    )
    assert land.contains(shapely.Point(121.56, 25.04))  # Taipei
    assert land.bounds[1] < 4.5  # the southernmost islands of the South China Sea
    sea = shapely.geometry.shape(
        next(f for f in china["features"] if f["properties"]["role"] == "maritime")["geometry"]
    )
    assert sea.geom_type == "MultiLineString" and sea.bounds[1] < 4
    fc = client.get(
        f"/api/v1/runs/{ids['run']}/geojson", params={"score": "innovation", "year": 2021}
    ).json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) + len(fc["missing"]) == 30
    bj = next(f for f in fc["features"] if f["id"] == "110000")  # municipality: boundary 110100
    assert shapely.geometry.shape(bj["geometry"]).contains(shapely.Point(116.40, 39.90))
    assert bj["properties"]["value"] is not None and bj["properties"]["rank"] >= 1
    nd = client.get(f"/api/v1/runs/{ids['run']}/geojson", params={"score": "green"}).json()
    assert all(f["properties"]["value"] is None for f in nd["features"])
    sp = client.get(
        f"/api/v1/runs/{ids['spatial']}/geojson", params={"indicator": "park_service_coverage"}
    ).json()
    assert {f["id"] for f in sp["features"]} == {"A", "B"}
    assert {f["properties"]["value"] for f in sp["features"]} == {0.5, 0.8}


# -- errors ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("/api/v1/runs/nope", {}, 404, "run_not_found"),
        ("/api/v1/runs/RUN/units/999999", {}, 404, "not_found"),
        ("/api/v1/runs/RUN/scores", {"year": 1999}, 404, "not_found"),
        ("/api/v1/runs/RUN/scores", {"year": 1800}, 422, "invalid_parameters"),
        ("/api/v1/runs/RUN/scores", {"year": "abc"}, 422, "invalid_parameters"),
        ("/api/v1/runs/RUN/scores", {"sort": "drop table"}, 422, "invalid_parameters"),
        ("/api/v1/runs/RUN/scores", {"limit": 0}, 422, "invalid_parameters"),
        ("/api/v1/runs/RUN/scores", {"limit": 5000}, 422, "invalid_parameters"),
        ("/api/v1/runs/RUN/scores", {"score": "wellbeing"}, 404, "not_found"),
        ("/api/v1/runs/RUN/indicators/nope", {}, 404, "not_found"),
        ("/api/v1/runs/RUN/indicators/gdp_per_capita", {"stage": "cooked"}, 404, "not_found"),
        ("/api/v1/runs/RUN/timeseries", {"units": ""}, 422, "invalid_parameters"),
        (
            "/api/v1/runs/RUN/timeseries",
            {"units": ",".join(str(i) for i in range(30))},
            422,
            "invalid_parameters",
        ),
        ("/api/v1/runs/RUN/files/../../etc/passwd", {}, 404, None),
        ("/api/v1/runs/RUN/files/manifest.json", {}, 404, "not_found"),
        ("/api/v1/runs/RUN/tables/..%2F..%2Fetc%2Fpasswd", {}, None, None),
        ("/api/v1/runs/RUN/export", {"format": "json"}, 422, "invalid_parameters"),
        (
            "/api/v1/runs/RUN/export",
            {"format": "csv", "table": ["scores", "coverage"]},
            422,
            "invalid_parameters",
        ),
        ("/api/v1/compare/runs", {"a": "RUN", "b": "nope"}, 404, "run_not_found"),
        ("/api/v1/no/such/route", {}, 404, "not_found"),
    ],
)
def test_bad_requests_have_one_error_body(
    client: Any,
    api_store: dict[str, Any],
    path: str,
    params: dict[str, Any],
    status: int | None,
    code: str | None,
) -> None:
    r = client.get(path.replace("RUN", api_store["ids"]["run"]), params=params)
    if status is None:  # a traversal attempt: any 4xx with the error body, never a file
        assert 400 <= r.status_code < 500
        error_of(r, r.status_code)
    else:
        error_of(r, status, code)


def test_method_not_allowed(client: Any) -> None:
    error_of(client.put("/api/v1/runs"), 405, "method_not_allowed")


# -- writing and auth --------------------------------------------------------------------------------
def test_writing_needs_a_token(
    make_client: Any, private_store: Path, api_store: dict[str, Any]
) -> None:
    rid = api_store["ids"]["index"]
    open_ = make_client(private_store, token=None)
    err = error_of(open_.delete(f"/api/v1/runs/{rid}"), 403, "writing_disabled")
    assert "CITYCHECKUP_API_TOKEN" in err["message"]
    open_.__exit__(None, None, None)
    c = make_client(private_store, token=TOKEN)
    r = c.delete(f"/api/v1/runs/{rid}")
    error_of(r, 401, "unauthorised")
    assert r.headers["www-authenticate"] == "Bearer"
    error_of(
        c.delete(f"/api/v1/runs/{rid}", headers={"Authorization": "Bearer wrong"}),
        401,
        "unauthorised",
    )
    error_of(
        c.patch(f"/api/v1/runs/{rid}", json={"label": "x"}, headers={"Authorization": "Basic abc"}),
        401,
    )
    error_of(c.post("/api/v1/uploads", files={"file": ("a.csv", b"x")}), 401)
    assert c.get(f"/api/v1/runs/{rid}").status_code == 200  # reading stays open


def test_label_and_delete(make_client: Any, private_store: Path, api_store: dict[str, Any]) -> None:
    ids = api_store["ids"]
    c = make_client(private_store, token=TOKEN)
    assert c.get("/api/v1/runs").json()["total"] == 5  # fills the response cache
    r = c.patch(f"/api/v1/runs/{ids['index']}", json={"label": "ASEM 2024"}, headers=AUTH)
    assert r.status_code == 200 and r.json()["label"] == "ASEM 2024"
    assert c.get(f"/api/v1/runs/{ids['index']}").json()["label"] == "ASEM 2024"
    error_of(c.patch(f"/api/v1/runs/{ids['index']}", json={"label": "x" * 300}, headers=AUTH), 422)
    assert c.delete(f"/api/v1/runs/{ids['index']}", headers=AUTH).status_code == 204
    assert c.get("/api/v1/runs").json()["total"] == 4  # the cache followed the write
    error_of(c.get(f"/api/v1/runs/{ids['index']}"), 404, "run_not_found")
    error_of(c.delete(f"/api/v1/runs/{ids['index']}", headers=AUTH), 404, "run_not_found")


def test_read_only_server(make_client: Any, private_store: Path, api_store: dict[str, Any]) -> None:
    c = make_client(private_store, token=TOKEN, read_only=True)
    assert c.get("/api/v1/health").json()["writable"] is False
    error_of(c.delete(f"/api/v1/runs/{api_store['ids']['run']}", headers=AUTH), 403, "read_only")


def test_upload_and_run(
    make_client: Any, private_store: Path, api_store: dict[str, Any], tmp_path: Path
) -> None:
    c = make_client(private_store, token=TOKEN, uploads_dir=tmp_path / "up")
    data = api_store["upload"].read_bytes()
    r = c.post(
        "/api/v1/uploads",
        files={"file": ("../../etc/evil name.csv", data, "text/csv")},
        headers=AUTH,
    )
    assert r.status_code == 201, r.text
    up = r.json()
    assert up["units"] == 12 and up["years"] == [2021, 2022]
    assert [p.name for p in (tmp_path / "up").iterdir()] == [
        f"{up['upload_id']}.csv"
    ]  # server-chosen name
    r = c.post(
        "/api/v1/runs",
        json={"upload_id": up["upload_id"], "label": "uploaded", "options": {"weights": "equal"}},
        headers=AUTH,
    )
    assert r.status_code == 201, r.text
    run = r.json()
    assert run["label"] == "uploaded" and run["n_units"] == 12 and run["year_max"] == 2022
    assert c.get(f"/api/v1/runs/{run['run_id']}/scores").json()["total"] == 12
    assert c.get("/api/v1/runs").json()["total"] == 6


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"upload_id": "0" * 32}, 404, "upload_not_found"),
        ({"upload_id": "../../etc/passwd"}, 422, "invalid_parameters"),
        ({"upload_id": "0" * 32, "framework": "/etc/passwd"}, 404, "upload_not_found"),
        ({"upload_id": "0" * 32, "options": {"normalisation": "rank"}}, 422, "invalid_parameters"),
        ({"upload_id": "0" * 32, "options": {"min_availability": 2}}, 422, "invalid_parameters"),
    ],
)
def test_bad_run_requests(
    make_client: Any, private_store: Path, body: dict[str, Any], status: int, code: str
) -> None:
    c = make_client(private_store, token=TOKEN)
    error_of(c.post("/api/v1/runs", json=body, headers=AUTH), status, code)


def test_unknown_framework_is_refused(
    make_client: Any, private_store: Path, api_store: dict[str, Any], tmp_path: Path
) -> None:
    c = make_client(private_store, token=TOKEN, uploads_dir=tmp_path / "up")
    up = c.post(
        "/api/v1/uploads", files={"file": ("d.csv", api_store["upload"].read_bytes())}, headers=AUTH
    ).json()
    err = error_of(
        c.post(
            "/api/v1/runs",
            json={"upload_id": up["upload_id"], "framework": "../../x.yaml"},
            headers=AUTH,
        ),
        422,
        "unknown_framework",
    )
    assert "people-city-2025" in err["message"]


def test_uploads_are_limited_and_validated(
    make_client: Any, private_store: Path, tmp_path: Path
) -> None:
    c = make_client(private_store, token=TOKEN, max_upload_bytes=2048, uploads_dir=tmp_path / "up")
    big = b"unit_code,year,x\n" + b"110000,2020,1\n" * 1000
    err = error_of(
        c.post("/api/v1/uploads", files={"file": ("big.csv", big)}, headers=AUTH),
        413,
        "payload_too_large",
    )
    assert "2 KiB" in err["message"]

    def chunks() -> Any:  # no Content-Length: the limit still holds
        for _ in range(100):
            yield b"x" * 100

    r = c.post(
        "/api/v1/uploads",
        content=chunks(),
        headers={**AUTH, "Content-Type": "multipart/form-data; boundary=b"},
    )
    error_of(r, 413, "payload_too_large")
    error_of(
        c.post("/api/v1/uploads", files={"file": ("data.exe", b"MZ")}, headers=AUTH),
        422,
        "unsupported_file",
    )
    error_of(
        c.post("/api/v1/uploads", files={"file": ("data.csv", b"\x00\x01garbage")}, headers=AUTH),
        400,
    )
    error_of(c.post("/api/v1/uploads", headers=AUTH), 422, "invalid_parameters")
    assert not any((tmp_path / "up").glob("*")) if (tmp_path / "up").exists() else True


def test_error_details_are_json(client: Any, api_store: dict[str, Any]) -> None:
    r = client.get(
        f"/api/v1/runs/{api_store['ids']['run']}/scores", params={"limit": "x", "offset": -1}
    )
    err = error_of(r, 422, "invalid_parameters")
    assert {tuple(d["loc"]) for d in err["details"]} == {("query", "limit"), ("query", "offset")}
    json.dumps(err)
