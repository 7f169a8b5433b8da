"""The survey form in a real browser: Playwright driving Debian's Chromium on a 390 px phone screen.

Skips with a reason when $CITYCHECKUP_CHROMIUM (default /usr/bin/chromium) is absent, unless CI
is set (then it fails).
Screenshots go to ``$CITYCHECKUP_SCREENSHOTS`` (default: the test's temporary folder).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

pytestmark = pytest.mark.browser

# .ci/run exports CITYCHECKUP_CHROMIUM; Debian's path otherwise
CHROMIUM = Path(os.environ.get("CITYCHECKUP_CHROMIUM") or "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
AREAS = pd.DataFrame(
    {
        "area": ["A1", "A2", "A3"],
        "name_zh": ["东城街道", "西城街道", "南湖街道"],
        "name_en": ["Dongcheng", "Xicheng", "Nanhu"],
        "population": [1000, 800, 600],
    }
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is required in CI (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium to run the browser tests")
    import uvicorn
    from fastapi import FastAPI

    from citycheckup.api._survey import survey_router
    from citycheckup.survey import SurveyDB

    db = tmp_path_factory.mktemp("survey") / "survey.sqlite"
    with SurveyDB(db) as sdb:
        sdb.create_survey("city2025", AREAS)
        tokens = sdb.create_tokens("city2025", 4)
    app = FastAPI()
    app.include_router(survey_router(db))
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline or not th.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield {"url": f"http://127.0.0.1:{port}", "db": db, "tokens": tokens}
    srv.should_exit = True
    th.join(10)


def _font_env(tmp: Path) -> dict[str, str | float | bool]:
    """A fontconfig file that adds the bundled CJK font, so screenshots show Chinese on a bare
    machine (a phone has its own fonts; the page never downloads one)."""
    env: dict[str, str | float | bool] = dict(os.environ)
    try:
        from citycheckup._fonts import font_path

        font_dir = font_path().parent
    except Exception:  # the font package is optional for this test: boxes instead of glyphs
        return env
    conf = tmp / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
        f"<dir>{font_dir}</dir><cachedir>{tmp / 'fc-cache'}</cachedir></fontconfig>",
        encoding="utf-8",
    )
    env["FONTCONFIG_FILE"] = str(conf)
    return env


@pytest.fixture(scope="module")
def browser(server: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=ARGS,
            env=_font_env(tmp_path_factory.mktemp("fonts")),
        )
        yield b
        b.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    d = Path(os.environ.get("CITYCHECKUP_SCREENSHOTS") or tmp_path)
    d.mkdir(parents=True, exist_ok=True)
    return d


def _phone(browser: Any) -> tuple[Any, Any, list[str]]:
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
    )
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" and "409" not in m.text else None,
    )
    page.on(
        "request",
        lambda r: (
            errors.append(f"external request {r.url}")
            if not r.url.startswith(("http://127.0.0.1", "data:"))
            else None
        ),
    )
    return ctx, page, errors


def _fill(page: Any) -> None:
    page.locator("#f-age_group label", has_text="60–69岁").click()
    page.locator("#f-sex label", has_text="女").click()
    page.select_option("#area", "A2")
    page.locator("#q-H1 .scale label").nth(1).click()  # 满意
    page.locator("#q-C1 .scale label").nth(3).click()  # 不满意
    page.locator("#q-U13 .extra label").nth(0).click()  # 不清楚


def test_form_on_a_phone_submits_and_a_second_submission_is_refused(
    browser: Any, server: dict[str, Any], shots: Path
) -> None:
    tok = server["tokens"][0]
    ctx, page, errors = _phone(browser)
    page.goto(f"{server['url']}/survey/city2025?t={tok}")
    page.wait_for_selector("#q-U15")
    assert "t=" not in page.url  # the token left the address bar
    assert page.locator("h1").inner_text() == "城市体检居民满意度调查问卷"
    assert page.locator("fieldset[id^='q-']").count() == 44
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide on a 390 px screen"
    # every answer button fits its row
    right = page.evaluate(
        "Math.max(...[...document.querySelectorAll('.opt span')].map(e => e.getBoundingClientRect().right))"
    )
    assert right <= 390
    _fill(page)
    assert page.locator("#progress").inner_text() == "已回答 3 / 44 题"
    page.screenshot(path=str(shots / "survey_form_390.png"))
    page.locator("#q-H1").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "survey_form_390_questions.png"))
    page.click("#submit")
    page.wait_for_selector("#done:not([hidden])")
    assert page.locator("#done-text").inner_text() == "提交成功，感谢您的参与！"
    page.screenshot(path=str(shots / "survey_done_390.png"))
    ctx.close()
    # the same link on another phone: the server refuses, the respondent is told why
    ctx2, page2, errors2 = _phone(browser)
    page2.goto(f"{server['url']}/survey/city2025?t={tok}")
    page2.wait_for_selector("#q-U15")
    _fill(page2)
    page2.click("#submit")
    page2.wait_for_selector("#notice:not([hidden])")
    assert (
        page2.locator("#notice").inner_text()
        == "这个问卷链接已经提交过答卷，每个链接只能提交一次。感谢您的参与！"
    )
    page2.screenshot(path=str(shots / "survey_refused_390.png"))
    ctx2.close()
    assert errors == [] and errors2 == []
    with __import__("citycheckup.survey", fromlist=["SurveyDB"]).SurveyDB(server["db"]) as sdb:
        data = sdb.responses("city2025")
    assert len(data) == 1
    assert data.iloc[0][["age_group", "sex", "area", "H1", "C1", "U13"]].tolist() == [
        "60-69",
        "female",
        "A2",
        "4",
        "2",
        "dk",
    ]


def test_english_and_missing_demographics(
    browser: Any, server: dict[str, Any], shots: Path
) -> None:
    ctx, page, errors = _phone(browser)
    page.goto(f"{server['url']}/survey/city2025?t={server['tokens'][1]}")
    page.wait_for_selector("#q-U15")
    page.click("#lang")
    assert page.locator("h1").inner_text() == "City check-up residents' satisfaction survey"
    assert page.locator("#q-H1 .scale label").nth(0).inner_text() == "Very satisfied"
    page.click("#submit")
    assert page.locator("#notice").inner_text().startswith("Please give your age group")
    assert page.locator("#f-age_group.invalid").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots / "survey_form_390_en.png"))
    ctx.close()
    assert errors == []
