"""The inventory API router, mounted on the app as the lead wires it (see the router's docstring).

Tiny SYNTHETIC city of tests/inventory/helpers.py.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from citycheckup.framework.models import Framework
from citycheckup.store import Store
from citycheckup.store._inventory import InventoryStore
from tests.inventory.helpers import UNIT, survey, tiny_registers

TOKEN = "inv-s3cret"


def _client(app: Any) -> Any:
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Using `httpx` with `starlette.testclient` is deprecated"
        )
        from fastapi.testclient import TestClient
    return TestClient(app)


@pytest.fixture
def api(tmp_path: Path, synthetic_fw: Framework) -> Iterator[tuple[Any, list[str]]]:
    from citycheckup.api import create_app

    st = Store(tmp_path / "s.duckdb")
    s = InventoryStore(st)
    s.import_registers(tiny_registers(2024))
    out = s.record_survey(
        survey(
            synthetic_fw,
            [
                {
                    "indicator": "H-01",
                    "register_id": "Q1-1",
                    "sub_item": "concrete_cracks",
                    "date_found": "2024-05-10",
                },
                {"indicator": "B-10", "register_id": "B1", "date_found": "2024-05-11"},
            ],
        ),
        levels=["housing", "block"],
    )
    app = create_app(store=st, token=TOKEN)
    app.state.api_token = TOKEN
    with _client(app) as c:
        yield c, out.new
    st.close()


def test_read_endpoints(api: tuple[Any, list[str]]) -> None:
    c, ids = api
    r = c.get(f"/api/v1/inventory/{UNIT}/registers/building", params={"year": 2024})
    assert r.status_code == 200 and r.json()["total"] == 4
    assert r.json()["items"][0]["building_id"] == "Q1-1"
    r = c.get(f"/api/v1/inventory/{UNIT}/problems", params={"year": 2024})
    assert r.status_code == 200 and r.json()["total"] == 2
    item = r.json()["items"][0]
    assert (
        item["date_found"] == "2024-05-10"
        and item["status"] == "found"
        and item["deadline"] == "2025-05-10"
    )
    r = c.get(f"/api/v1/inventory/{UNIT}/problems/{ids[0]}")
    assert r.status_code == 200 and [h["status"] for h in r.json()["history"]] == ["found"]
    assert c.get(f"/api/v1/inventory/{UNIT}/problems/nope").status_code == 404
    assert (
        c.get(f"/api/v1/inventory/{UNIT}/suggestions", params={"year": 2024}).json()["total"] == 2
    )
    assert c.get(f"/api/v1/inventory/{UNIT}/projects").json() == {"total": 0, "items": []}
    fu = c.get(f"/api/v1/inventory/{UNIT}/follow-up", params={"year": 2025}).json()
    assert fu["start"] == "2025-01-01" and len(fu["problems"]) == 2
    assert c.get(f"/api/v1/inventory/{UNIT}/registers/tower").status_code == 422
    assert c.get(f"/api/v1/inventory/{UNIT}/problems", params={"year": 1800}).status_code == 422


def test_writes_need_the_token(api: tuple[Any, list[str]]) -> None:
    c, ids = api
    body = {"status": "closed", "date": "2025-03-01", "evidence": "验收单 3"}
    url = f"/api/v1/inventory/{UNIT}/problems/{ids[0]}/status"
    assert c.post(url, json=body).status_code == 401
    assert c.post(url, json=body, headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = c.post(url, json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 201 and [h["status"] for h in ok.json()["history"]] == [
        "found",
        "closed",
    ]
    again = c.post(
        url,
        json={"status": "in_progress", "date": "2025-04-01"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert again.status_code == 400 and "a closed problem stays closed" in str(again.json())
    p = c.post(
        f"/api/v1/inventory/{UNIT}/projects",
        json={"project_id": "R1", "name_zh": "项目", "year": 2025, "investment_10k_yuan": 10},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert p.status_code == 201 and p.json()["versions"][0]["version"] == 1
    bad = c.post(
        f"/api/v1/inventory/{UNIT}/projects",
        json={"project_id": "R1", "name_zh": "项目", "year": 2025, "investment_10k_yuan": -1},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert bad.status_code == 422
    assert c.get(f"/api/v1/inventory/{UNIT}/projects").json()["total"] == 1


def test_writing_is_disabled_without_a_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from citycheckup.api import create_app

    monkeypatch.delenv("CITYCHECKUP_API_TOKEN", raising=False)
    st = Store(tmp_path / "s.duckdb")
    app = create_app(store=st)
    with _client(app) as c:
        r = c.post(
            f"/api/v1/inventory/{UNIT}/projects",
            json={"project_id": "R1", "name_zh": "x", "year": 2025},
            headers={"Authorization": "Bearer anything"},
        )
        assert r.status_code == 403 and "writing is disabled" in r.text
    st.close()


def test_the_app_serves_the_inventory_and_survey_form(tmp_path: Path) -> None:
    """create_app serves the inventory always and the survey form only with a survey DB."""
    from citycheckup.api import create_app

    st = Store(tmp_path / "s.duckdb")
    with _client(create_app(store=st)) as c:
        # the inventory route exists: it asks for its year (an unknown path would be 404)
        r = c.get(f"/api/v1/inventory/{UNIT}/problems")
        assert r.status_code == 422 and "query.year" in r.json()["error"]["message"]
        assert c.get("/survey/assets/form.js").status_code == 404
    with _client(create_app(store=st, survey_db=tmp_path / "s.sqlite")) as c:
        r = c.get("/survey/assets/form.js")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert (tmp_path / "s.sqlite").is_file()
    st.close()
