"""The web form's endpoints: tokens, one response per token and per device, limits, storage layout."""

from __future__ import annotations

import sqlite3
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

pytest.importorskip("fastapi")

from fastapi import FastAPI

from citycheckup.api._survey import DEVICE_COOKIE, survey_router
from citycheckup.survey import SurveyDB, read_responses

AREAS = pd.DataFrame(
    {
        "area": ["A1", "A2"],
        "name_zh": ["东城街道", "西城街道"],
        "name_en": ["Dongcheng", "Xicheng"],
        "population": [1000, 800],
    }
)


def _client_cls() -> Any:
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Using `httpx` with `starlette.testclient` is deprecated"
        )
        from fastapi.testclient import TestClient
    return TestClient


@pytest.fixture
def survey(tmp_path: Path) -> Iterator[dict[str, Any]]:
    db = tmp_path / "survey.sqlite"
    with SurveyDB(db) as sdb:
        sdb.create_survey("s2025", AREAS)
        tokens = sdb.create_tokens("s2025", 5)
    app = FastAPI()
    app.include_router(survey_router(db))
    with _client_cls()(app) as c:
        yield {"client": c, "db": db, "tokens": tokens}


def _answers(**extra: str) -> dict[str, str]:
    return {
        "age_group": "60-69",
        "sex": "female",
        "area": "A2",
        "H1": "4",
        "C1": "2",
        "U13": "dk",
        **extra,
    }


def test_page_sets_an_httponly_device_cookie(survey: dict[str, Any]) -> None:
    c = survey["client"]
    r = c.get("/survey/s2025")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    cookie = r.headers["set-cookie"]
    assert (
        cookie.startswith(f"{DEVICE_COOKIE}=")
        and "HttpOnly" in cookie
        and "SameSite=strict" in cookie
    )
    assert r.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert c.get("/survey/assets/form.js").status_code == 200
    assert c.get("/survey/assets/form.css").status_code == 200
    assert c.get("/survey/assets/other.txt").status_code == 404


def test_form_json_has_both_languages_and_the_areas(survey: dict[str, Any]) -> None:
    f = survey["client"].get("/api/v1/surveys/s2025/form").json()
    area = next(d for d in f["demographics"] if d["role"] == "area")
    assert [o["code"] for o in area["options"]] == ["A1", "A2"]
    assert area["options"][0]["zh"] == "东城街道" and area["options"][0]["en"] == "Dongcheng"
    assert f["questions"][0]["text"]["zh"] and f["questions"][0]["text"]["en"]
    assert survey["client"].get("/api/v1/surveys/nope/form").status_code == 404


def test_submit_then_second_submission_with_the_same_token_is_refused(
    survey: dict[str, Any],
) -> None:
    c, tok = survey["client"], survey["tokens"][0]
    c.get("/survey/s2025")  # the device cookie
    r = c.post(
        "/api/v1/surveys/s2025/responses", json={"token": tok, "lang": "zh", "answers": _answers()}
    )
    assert r.status_code == 201, r.text
    assert r.json()["message"] == "提交成功，感谢您的参与！"
    c.cookies.clear()  # even from another device, the token is spent
    r2 = c.post(
        "/api/v1/surveys/s2025/responses", json={"token": tok, "lang": "zh", "answers": _answers()}
    )
    assert r2.status_code == 409
    err = r2.json()["error"]
    assert err["code"] == "token_used"
    assert err["message"] == "这个问卷链接已经提交过答卷，每个链接只能提交一次。感谢您的参与！"
    assert "already been submitted" in err["messages"]["en"]


def test_one_response_per_device(survey: dict[str, Any]) -> None:
    c, toks = survey["client"], survey["tokens"]
    c.get("/survey/s2025")
    assert (
        c.post(
            "/api/v1/surveys/s2025/responses",
            json={"token": toks[1], "lang": "en", "answers": _answers()},
        ).status_code
        == 201
    )
    r = c.post(
        "/api/v1/surveys/s2025/responses",
        json={"token": toks[2], "lang": "en", "answers": _answers()},
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "device_used"
    assert r.json()["error"]["message"].startswith("This device has already submitted")
    # the refused token is still unused
    with SurveyDB(survey["db"]) as sdb:
        assert sdb.token_counts("s2025") == {"issued": 5, "used": 1}


def test_errors_are_clear_json(survey: dict[str, Any]) -> None:
    c, tok = survey["client"], survey["tokens"][3]
    post = c.post
    r = post("/api/v1/surveys/s2025/responses", json={"token": "x" * 22, "answers": _answers()})
    assert r.status_code == 403 and r.json()["error"]["code"] == "unknown_token"
    r = post("/api/v1/surveys/s2025/responses", json={"answers": _answers()})
    assert r.status_code == 400 and r.json()["error"]["code"] == "missing_token"
    r = post(
        "/api/v1/surveys/s2025/responses",
        json={"token": tok, "answers": _answers(H1="9", ZZ="4", sex="")},
    )
    assert r.status_code == 422
    items = {d["item"] for d in r.json()["error"]["details"]}
    assert items == {"H1", "ZZ", "sex"}
    r = post(
        "/api/v1/surveys/s2025/responses",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_body"
    big = {"token": tok, "answers": _answers(), "pad": "x" * 20000}
    r = post("/api/v1/surveys/s2025/responses", json=big)
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
    r = post("/api/v1/surveys/zzz/responses", json={"token": tok, "answers": _answers()})
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_survey"
    # the token survived all of these
    assert (
        post(
            "/api/v1/surveys/s2025/responses", json={"token": tok, "answers": _answers()}
        ).status_code
        == 201
    )


def test_closed_survey_refuses(survey: dict[str, Any]) -> None:
    with SurveyDB(survey["db"]) as sdb:
        sdb.close_survey("s2025")
    r = survey["client"].post(
        "/api/v1/surveys/s2025/responses",
        json={"token": survey["tokens"][4], "answers": _answers()},
    )
    assert r.status_code == 410 and r.json()["error"]["code"] == "closed"


def test_storage_keeps_no_personal_data_and_the_importer_reads_it(survey: dict[str, Any]) -> None:
    c, toks = survey["client"], survey["tokens"]
    for k, tok in enumerate(toks[:3]):
        c.cookies.clear()
        assert (
            c.post(
                "/api/v1/surveys/s2025/responses",
                json={"token": tok, "answers": _answers(H1=str(k + 3))},
            ).status_code
            == 201
        )
    con = sqlite3.connect(survey["db"])
    cols = {
        t: [r[1] for r in con.execute(f"PRAGMA table_info({t})")]
        for t in ("survey_responses", "survey_answers", "survey_tokens", "survey_devices")
    }
    flat = " ".join(" ".join(v) for v in cols.values()).lower()
    for word in ("ip", "addr", "agent", "phone", "name", "token "):
        assert f" {word}" not in f" {flat} ", (word, cols)
    dump = "\n".join(con.iterdump())
    con.close()
    for tok in toks:
        assert tok not in dump  # only hashes are kept
    assert "testclient" not in dump  # the client's host name is nowhere
    with SurveyDB(survey["db"]) as sdb:
        q = sdb.questionnaire("s2025")
    rs = read_responses(survey["db"], q, survey_id="s2025")
    assert rs.n == 3
    assert sorted(rs.data["H1"]) == ["3", "4", "5"]
    assert set(rs.data["area"]) == {"A2"} and set(rs.data["U13"]) == {"dk"}
    assert rs.data["H2"].isna().all()
