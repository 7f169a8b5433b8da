"""The dashboard in a real browser: Playwright driving Debian's Chromium against a served app.

Skips with a reason when $CITYCHECKUP_CHROMIUM (default /usr/bin/chromium) is absent, unless
the environment variable CI is set (then it fails). Screenshots go to ``$CITYCHECKUP_SCREENSHOTS`` (default: the test's
temporary folder); look at them after a change to the dashboard.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from citycheckup.api import create_app
from citycheckup.store import Store

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

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(api_store: dict[str, Any]) -> Iterator[str]:
    import uvicorn

    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is required in CI (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium to run the browser tests")
    from citycheckup.api import _geo

    # the boundaries are built once per cache folder (a fresh one in tests): build them here,
    # not while a page waits for its map (on a loaded machine that takes longer than a wait)
    _geo.country()
    _geo.cities()
    st = Store(api_store["path"])
    app = create_app(store=st, token="t")
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline or not th.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    th.join(10)
    st.close()


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    d = Path(os.environ.get("CITYCHECKUP_SCREENSHOTS") or tmp_path)
    d.mkdir(parents=True, exist_ok=True)
    return d


def _page(browser: Any, width: int, height: int, run_id: str) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on(
        "request",
        lambda r: (
            errors.append(f"external request {r.url}")
            if not r.url.startswith(("http://127.0.0.1", "data:"))
            else None
        ),
    )
    page.add_init_script(f"localStorage.clear(); localStorage.setItem('cc-run', '{run_id}')")
    return page, errors


def _ranking(page: Any) -> list[dict[str, str]]:
    return page.eval_on_selector_all(
        "#ranking-table tbody tr",
        "rows => rows.map(r => ({rank: r.cells[0].innerText, name: r.cells[1].innerText, value: r.cells[3].innerText}))",
    )


def test_dashboard_flow(browser: Any, server: str, api_store: dict[str, Any], shots: Path) -> None:
    page, errors = _page(browser, 1280, 800, api_store["ids"]["run"])
    page.goto(server + "/")
    page.wait_for_selector("#ranking-table tbody tr")
    assert page.locator("h1").inner_text().startswith("baseline 2022")
    page.wait_for_selector("svg.china-map path.unit")
    # the map: every unit with a boundary drawn, the national outline and maritime line present
    assert page.locator("svg.china-map g.main path.unit").count() >= 25
    assert page.locator("svg.china-map path").count() > 100
    rows = _ranking(page)
    assert len(rows) == 30 and rows[0]["rank"] == "1"
    page.screenshot(path=str(shots / "overview_zh.png"), full_page=True)

    # sort by score, descending then ascending
    page.click("#ranking-table th[data-sort=value]")
    page.wait_for_selector("#ranking-table th[data-sort=value] .arrow")
    desc = [float(r["value"].replace(",", "")) for r in _ranking(page)]
    assert desc == sorted(desc, reverse=True)
    page.click("#ranking-table th[data-sort=value]")
    page.wait_for_function(
        "document.querySelector('#ranking-table tbody tr td').innerText === '30'"
    )
    asc = [float(r["value"].replace(",", "")) for r in _ranking(page)]
    assert asc == sorted(asc)
    # search
    page.fill("#search", "北京")
    page.wait_for_function("document.querySelectorAll('#ranking-table tbody tr').length === 1")
    # a dimension without data: tab marked, map all grey, table says so
    assert "无数据" in page.locator("#dim-tabs button[data-code=green]").inner_text()

    # open a city
    page.click("#ranking-table tbody a")
    page.wait_for_selector("#radar svg polygon")
    assert page.locator("#unit-name").inner_text().startswith("北京市")
    assert (
        page.locator("#radar svg circle").count() >= 4
    )  # 4 informed dimensions, no-data axes skipped
    assert page.locator("#trend svg path").count() >= 4
    assert page.locator("#ind-table tbody tr").count() > 10
    assert page.locator("a.download").count() >= 1
    page.screenshot(path=str(shots / "unit_zh.png"), full_page=True)

    # switch language
    page.click("#lang-switch")
    page.wait_for_function("document.querySelector('.kpi span').innerText === 'Index'")
    assert page.locator("#lang-switch").inner_text() == "中文"
    assert "Weak points" in page.inner_text("main")
    page.screenshot(path=str(shots / "unit_en.png"), full_page=True)

    # indicator explorer and run comparison
    page.goto(server + "/#/indicator/gdp_per_capita")
    page.wait_for_selector("#hist svg rect")
    page.wait_for_selector("#map svg path.unit")
    assert page.locator("#top-list li").count() == 10
    page.screenshot(path=str(shots / "indicator_en.png"), full_page=True)
    page.goto(server + "/#/compare")
    page.select_option("#cmp-a", api_store["ids"]["run"])
    page.select_option("#cmp-b", api_store["ids"]["run_equal"])
    page.wait_for_selector("#cmp-result tbody tr")
    assert page.locator("#cmp-result tbody tr").count() == 30
    page.screenshot(path=str(shots / "compare_en.png"), full_page=True)
    assert errors == []
    page.close()


def test_phone_sized_screen(
    browser: Any, server: str, api_store: dict[str, Any], shots: Path
) -> None:
    page, errors = _page(browser, 390, 844, api_store["ids"]["run"])
    page.goto(server + "/")
    page.wait_for_selector("svg.china-map path.unit")
    page.wait_for_selector("#ranking-table tbody tr")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1  # no sideways scrolling of the page (tables scroll inside their box)
    box = page.locator("svg.china-map").bounding_box()
    assert box is not None and box["width"] > 300
    page.screenshot(path=str(shots / "overview_phone.png"), full_page=False)
    page.goto(server + "/#/unit/110000")
    page.wait_for_selector("#radar svg polygon")
    assert page.evaluate("document.documentElement.scrollWidth") <= 391
    page.screenshot(path=str(shots / "unit_phone.png"), full_page=True)
    assert errors == []
    page.close()


def test_spatial_and_other_results(
    browser: Any, server: str, api_store: dict[str, Any], shots: Path
) -> None:
    page, errors = _page(browser, 1280, 800, api_store["ids"]["spatial"])
    page.goto(server + "/")
    page.wait_for_selector("#tblbox table tbody tr")
    page.wait_for_selector("#map svg path.unit")
    assert page.locator("#map svg path.unit").count() == 2
    page.select_option("#run-select", api_store["ids"]["index"])
    page.wait_for_selector("#ranking-table tbody tr")
    assert page.locator("#ranking-table tbody tr").count() == 5
    page.screenshot(path=str(shots / "index_run.png"), full_page=True)
    assert errors == []
    page.close()
