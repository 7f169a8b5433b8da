"""Hardening of the results server against hostile and careless use (issue 13).

Each test names the finding it covers; each failed on the code before the fix.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from citycheckup.api import create_app
from citycheckup.store import Store
from tests.api.conftest import TOKEN, _test_client
from tests.api.test_api import AUTH, error_of


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


def _pump(app: Any, method: str, path: str, headers: list[tuple[bytes, bytes]]) -> tuple[int, Any]:
    """Send a chunked body of 20 × 1 MiB; return how many chunks the app pulled and what
    it sent."""
    pulled, sent = 0, []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b"x" * 2**20, "more_body": pulled < 20}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(_scope(method, path, headers), receive, send))
    return pulled, sent


# -------------------------------------------------- finding: streamed limits for every body
def test_bodies_are_refused_as_they_arrive(private_store: Path, tmp_path: Path) -> None:
    with Store(private_store) as st:
        app = create_app(store=st, token=TOKEN, uploads_dir=tmp_path / "up")
        auth = [(b"authorization", f"Bearer {TOKEN}".encode())]
        json_body = [*auth, (b"content-type", b"application/json")]
        pulled, sent = _pump(app, "POST", "/api/v1/runs", json_body)
        # a JSON body is limited to 64 KiB: the first 1 MiB chunk is refused
        assert pulled == 1 and sent[0]["status"] == 413
        assert json.loads(sent[1]["body"])["error"]["code"] == "payload_too_large"
        # without the token a write is refused before any of its body is read
        pulled, sent = _pump(app, "POST", "/api/v1/uploads", [(b"content-type", b"x")])
        assert pulled == 0 and sent[0]["status"] == 401


# ------------------------------------------------------ finding: limits on public reads
def test_reads_are_limited_per_address(private_store: Path, api_store: dict[str, Any]) -> None:
    with Store(private_store) as st:
        app = create_app(store=st, rate_per_minute=60, burst=5)
        app.state.buckets.clock = lambda: 1000.0  # no refill while the test runs
        rid = api_store["ids"]["run"]
        with _test_client()(app, client=("198.51.100.7", 1)) as c:
            codes = [
                c.get(f"/api/v1/runs/{rid}/units", params={"limit": n}).status_code
                for n in range(1, 7)
            ]
            assert codes == [200] * 5 + [429]
            err = error_of(
                c.get(f"/api/v1/runs/{rid}/units", params={"limit": 99}), 429, "too_many_requests"
            )
            assert "Retry-After" in err["message"]
            # an answer already in the cache costs nothing
            assert c.get(f"/api/v1/runs/{rid}/units", params={"limit": 1}).status_code == 200
            assert c.get("/api/v1/health").status_code == 200  # exempt
        with _test_client()(app, client=("198.51.100.8", 1)) as other:
            assert other.get(f"/api/v1/runs/{rid}/units", params={"limit": 7}).status_code == 200


def test_refused_tokens_cost_the_address(private_store: Path, tmp_path: Path) -> None:
    with Store(private_store) as st:
        app = create_app(store=st, token=TOKEN, uploads_dir=tmp_path, rate_per_minute=60, burst=3)
        app.state.buckets.clock = lambda: 1000.0
        with _test_client()(app) as c:
            bad = {"Authorization": "Bearer guess"}
            codes = [
                c.patch("/api/v1/runs/x", json={"label": "a"}, headers=bad).status_code
                for _ in range(4)
            ]
            assert codes == [401, 401, 401, 429]


# ---------------------------------------- finding: junk parameters bypass and fill the cache
def test_cache_keys_use_declared_parameters_only(client: Any, api_store: dict[str, Any]) -> None:
    rid = api_store["ids"]["run"]
    cache = client.app.state.cache
    url = f"/api/v1/runs/{rid}/scores"
    first = client.get(url, params={"limit": 3, "offset": 1})
    before = len(cache)
    for i in range(50):
        r = client.get(url, params={f"junk{i}": "x" * 50, "offset": 1, "limit": 3})
        assert r.content == first.content
    assert client.get(f"{url}?offset=1&limit=3").content == first.content  # another order
    assert len(cache) == before  # nothing new was cached
    assert client.get(url, params={"limit": 4, "offset": 1}).status_code == 200
    assert len(cache) == before + 1  # a declared parameter does make a new entry


# ------------------------------------------------------ finding: decompression bomb
def _xlsx(sheet_xml: bytes) -> bytes:
    """A valid workbook (written by openpyxl) whose first sheet is ``sheet_xml``."""
    import openpyxl

    src = io.BytesIO()
    wb = openpyxl.Workbook()
    wb.active["A1"] = 1
    wb.save(src)
    out = io.BytesIO()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in zin.infolist():
            data = zin.read(item)
            z.writestr(item, sheet_xml if item.filename == "xl/worksheets/sheet1.xml" else data)
    return out.getvalue()


_NS = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def _bomb(rows: int) -> bytes:
    row = b"<row>" + b"<c><v>1</v></c>" * 20 + b"</row>"
    return _xlsx(_NS + b"<sheetData>" + row * rows + b"</sheetData></worksheet>")


@pytest.mark.timeout(60)
def test_decompression_bomb_is_refused(make_client: Any, private_store: Path) -> None:
    bomb = _bomb(150_000)  # 3 million cells, about 45 MB of XML in about 100 KB
    assert len(bomb) < 1_000_000
    c = make_client(private_store, token=TOKEN)
    err = error_of(
        c.post("/api/v1/uploads", files={"file": ("b.xlsx", bomb)}, headers=AUTH),
        422,
        "unsafe_file",
    )
    assert "decompression bomb" in err["message"]


def test_upload_limits_at_the_boundary(tmp_path: Path) -> None:
    from citycheckup.api._uploads import UnsafeUpload, UploadLimits, inspect_upload

    lim = UploadLimits(max_cells=100, max_ratio=1e9)
    for cells, ok in ((100, True), (101, False)):
        p = tmp_path / f"c{cells}.xlsx"
        p.write_bytes(
            _xlsx(
                b"<worksheet><sheetData><row>" + b'<c r="A1"><v>1</v></c>' * cells + b"</row>"
                b"</sheetData></worksheet>"
            )
        )
        if ok:
            inspect_upload(p, ".xlsx", lim)
        else:
            with pytest.raises(UnsafeUpload, match="more than 100 cells"):
                inspect_upload(p, ".xlsx", lim)
    pq = tmp_path / "t.parquet"
    pd.DataFrame({"a": range(51), "b": range(51)}).to_parquet(pq)  # 102 cells
    with pytest.raises(UnsafeUpload, match="51 rows × 2 columns"):
        inspect_upload(pq, ".parquet", lim)
    with pytest.raises(UnsafeUpload, match="not an .xlsx"):
        (tmp_path / "x.xlsx").write_bytes(b"not a zip")
        inspect_upload(tmp_path / "x.xlsx", ".xlsx", lim)


def test_a_real_workbook_passes(
    make_client: Any, private_store: Path, api_store: dict[str, Any], tmp_path: Path
) -> None:
    from citycheckup.api._uploads import inspect_upload

    xlsx = tmp_path / "d.xlsx"
    pd.read_csv(api_store["upload"]).to_excel(xlsx, index=False)
    inspect_upload(xlsx, ".xlsx")
    c = make_client(private_store, token=TOKEN)
    r = c.post("/api/v1/uploads", files={"file": ("d.xlsx", xlsx.read_bytes())}, headers=AUTH)
    assert r.status_code == 201, r.text


# ----------------------------------------------------- finding: no server internals
def test_upload_errors_name_no_server_path(
    make_client: Any, private_store: Path, tmp_path: Path
) -> None:
    up = tmp_path / "uploads-dir"
    c = make_client(private_store, token=TOKEN, uploads_dir=up)
    for name, content in (
        ("data.csv", b"\x00\x01garbage"),
        ("data.parquet", b"PAR1junk"),
        ("data.xlsx", b"PK\x03\x04junk"),
    ):
        r = c.post("/api/v1/uploads", files={"file": (name, content)}, headers=AUTH)
        assert 400 <= r.status_code < 500, r.text
        assert str(up) not in r.text and str(tmp_path) not in r.text, r.text
        assert not re.search(r"[0-9a-f]{32}", r.text), r.text  # the stored file's name
        assert name in r.text


def test_public_runs_show_no_machine_details(client: Any, api_store: dict[str, Any]) -> None:
    rid = api_store["ids"]["run"]
    text = client.get(f"/api/v1/runs/{rid}").text
    run = json.loads(text)
    assert "python" not in run["manifest"] and "platform" not in run["manifest"]
    base = str(api_store["path"].parent)
    assert base not in text and "/tmp/" not in text, re.findall(r"/tmp/[^\"]*", text)[:3]
    assert run["manifest"]["data"][0]["source"] == "data.csv"  # the file name is kept
    listing = client.get("/api/v1/runs").text
    assert base not in listing and "/tmp/" not in listing


def test_a_fault_is_answered_and_the_connection_kept(private_store: Path, monkeypatch: Any) -> None:
    with Store(private_store) as st:
        app = create_app(store=st)

        def boom(*a: Any, **k: Any) -> Any:
            raise RuntimeError("simulated fault")

        monkeypatch.setattr(st, "count_runs", boom)
        with _test_client()(app) as c:  # raise_server_exceptions: nothing may escape
            r = c.get("/api/v1/runs")
            error_of(r, 500, "internal_error")
            assert "simulated" not in r.text


def test_control_characters_are_refused(client: Any) -> None:
    for url in ("/api/v1/runs?label=a%00b", "/api/v1/runs?label=%1b[2J", "/api/v1/runs/a%07b"):
        error_of(client.get(url), 422, "invalid_parameters")


def test_json_answers_are_capped(
    make_client: Any, private_store: Path, api_store: dict[str, Any], monkeypatch: Any
) -> None:
    from citycheckup.api import _routing

    monkeypatch.setattr(_routing, "MAX_RESPONSE_BYTES", 1000)
    c = make_client(private_store)
    rid = api_store["ids"]["run"]
    assert c.get(f"/api/v1/runs/{rid}/units", params={"limit": 1}).status_code == 200
    err = error_of(c.get(f"/api/v1/runs/{rid}/units", params={"limit": 100}), 422)
    assert err["code"] == "response_too_large" and "limit" in err["message"]
