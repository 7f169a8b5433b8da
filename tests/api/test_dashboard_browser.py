"""The dashboard in Chromium: the fixes of issue 15 and the check-up first screen of issue 17.

- no data: land outside the data set and units without a value are hatched grey, with
  legend entries, and no class colour is close to them;
- switching the year recomputes the change figures of the unit page (or clears them);
- nothing is wider than the screen at 390 px and at 1400 px, on every page;
- a store holding a MOHURD-method run (宜昌 2025, published figures) opens on its
  check-up: aspect grades, indicator grades with their standards, lower-level counts over
  their denominators, the values without an applicable threshold, in zh and en with no
  indicator code in the text; the panel and the district are one click away.

The reference values come from the run directory the demo wrote (its CSV files) and from
other API endpoints than the one the page uses. Screenshots go to
``$CITYCHECKUP_SCREENSHOTS`` (default: the test's temporary folder).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from citycheckup.api import create_app
from citycheckup.store import Store

CHROMIUM = Path(os.environ.get("CITYCHECKUP_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
CODE_RE = re.compile(
    r"\b[a-z]+_[a-z0-9_]+\b"
)  # an indicator / aspect code such as sewage_collection_rate
WIDTHS = (390, 1400)

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _with_checkup_route(app: Any, st: Store) -> Any:
    """Register ``/runs/{id}/checkup`` unless ``create_app`` already does."""
    if any(getattr(r, "path", "").endswith("/runs/{run_id}/checkup") for r in app.routes):
        return app
    from fastapi import APIRouter

    from citycheckup.api import _queries as Q
    from citycheckup.api._middleware import CacheKeys
    from citycheckup.api._routes_checkup import checkup_routes
    from citycheckup.api._routing import API, Routes

    api = APIRouter(prefix=API)
    checkup_routes(
        Routes(api, store=st, cache=app.state.cache, keys=CacheKeys(), runs=Q.RunDataCache(st))
    )
    app.include_router(api)
    return app


@pytest.fixture(scope="module")
def dash(api_store: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The API tests' store plus 宜昌's MOHURD-method run; its ids and the run directory."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is required in CI (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium to run the browser tests")
    from citycheckup.demo._yichang import yichang_demo

    base = tmp_path_factory.mktemp("dash")
    db = base / "store.duckdb"
    shutil.copy(api_store["path"], db)
    demo = yichang_demo(base / "demo", formats=("html",))
    with Store(db) as st:
        mohurd = st.save_run_dir(demo.run_dir, label="宜昌 2025")
    return {"path": db, "ids": {**api_store["ids"], "mohurd": mohurd}, "run_dir": demo.run_dir}


@pytest.fixture(scope="module")
def server(dash: dict[str, Any]) -> Iterator[str]:
    import uvicorn

    from citycheckup.api import _geo

    # the boundaries are built once per cache folder (a fresh one in tests): build them here,
    # not while a page waits for its map
    _geo.country()
    _geo.cities()
    st = Store(dash["path"])
    app = _with_checkup_route(create_app(store=st, token="t"), st)
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


def _page(
    browser: Any, width: int, *, run_id: str | None = None, lang: str = "zh"
) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": width, "height": 844 if width < 600 else 900})
    page.set_default_timeout(90_000)  # a loaded 2-core machine; nothing here measures time
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    init = f"localStorage.clear(); localStorage.setItem('cc-lang', '{lang}');"
    if run_id:
        init += f" localStorage.setItem('cc-run', '{run_id}');"
    page.add_init_script(init)
    return page, errors


# what sticks out of the screen: the page's scroll width, and every element whose right edge
# passes the viewport outside a box that scrolls on its own (tables scroll inside .tablewrap)
OVERFLOW_JS = """() => {
  const W = window.innerWidth, out = [];
  for (const e of document.querySelectorAll('body *')) {
    if (e.closest('.tablewrap') || getComputedStyle(e).position === 'fixed') continue;
    const r = e.getBoundingClientRect();
    if (r.width && r.right > W + 1) out.push(`${e.tagName.toLowerCase()}#${e.id}.${e.className} right=${Math.round(r.right)}`);
  }
  return { scroll: document.documentElement.scrollWidth, inner: W, wide: out.slice(0, 10) };
}"""


def _no_overflow(page: Any, where: str) -> None:
    got = page.evaluate(OVERFLOW_JS)
    assert got["scroll"] <= got["inner"], (
        f"{where}: page {got['scroll']} px wide on {got['inner']} px: {got['wide']}"
    )
    assert not got["wide"], f"{where}: wider than the screen: {got['wide']}"


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


# ---------------------------------------------------------------------------------------------
# issue 15: no data, year switch, phone layout
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_no_data_is_hatched_with_a_legend_entry(
    browser: Any, server: str, dash: dict[str, Any], width: int, shots: Path
) -> None:
    page, errors = _page(browser, width, run_id=dash["ids"]["run"])
    page.goto(server + "/")
    page.wait_for_selector("svg.china-map path.unit")
    # land no unit of the run covers (the run has 30 of ~370 cities) is hatched, never a class colour
    outside = page.eval_on_selector_all(
        "svg.china-map path.outside", "ps => ps.map(p => p.getAttribute('fill'))"
    )
    assert outside and all(f.startswith("url(#") for f in outside)
    # the pattern it names exists and draws grey hatching
    pat = page.evaluate(
        """(f) => { const p = document.querySelector(f.slice(4, -1));
                  return p && [p.tagName, p.querySelector('rect').getAttribute('fill'), p.querySelectorAll('line').length]; }""",
        outside[0],
    )
    assert pat is not None and pat[0] == "pattern" and pat[2] >= 1
    bg = _rgb(pat[1])
    assert max(bg) - min(bg) <= 8  # grey
    # every class colour is far from the grey of "outside" / "no data" (the old lowest class was 12 away)
    seq = page.evaluate("window.Charts.SEQ")
    dist = min(sum((a - b) ** 2 for a, b in zip(_rgb(c), bg, strict=True)) ** 0.5 for c in seq)
    assert dist > 60, f"a class colour is {dist:.0f} from the no-data grey"
    legend = page.inner_text("#legend")
    assert "不在本数据集" in legend and "无数据" in legend
    swatch = page.eval_on_selector(".lg-outside i", "i => getComputedStyle(i).backgroundImage")
    assert "repeating-linear-gradient" in swatch
    page.screenshot(path=str(shots / f"nodata_{width}.png"), full_page=False)
    # a dimension without data: every unit hatched as "no data", none filled with a class colour
    page.click("#dim-tabs button[data-code=green]")
    page.wait_for_function("document.querySelector('svg.china-map path.unit.nodata') !== null")
    fills = page.eval_on_selector_all(
        "svg.china-map g.main path.unit", "ps => ps.map(p => p.getAttribute('fill'))"
    )
    assert fills and all(f.startswith("url(#cc-nodata") for f in fills)
    # the patterns of one page have unique ids (a second map must not reuse the first one's)
    ids = page.eval_on_selector_all("pattern", "ps => ps.map(p => p.id)")
    assert len(ids) == len(set(ids))
    page.click("#lang-switch")
    page.wait_for_function(
        "document.querySelector('#legend') && document.querySelector('#legend').innerText.includes('outside the data set')"
    )
    assert errors == []
    page.close()


def _index_value(page: Any, server: str, run_id: str, unit: str, year: int) -> float:
    """The unit's index in ``year`` from the scores endpoint (not the profile the page reads)."""
    r = page.request.get(f"{server}/api/v1/runs/{run_id}/scores?year={year}&q={unit}&limit=5")
    items = [x for x in r.json()["items"] if x["unit_code"] == unit]
    assert len(items) == 1
    return float(items[0]["value"])


def test_year_switch_recomputes_the_change(browser: Any, server: str, dash: dict[str, Any]) -> None:
    rid = dash["ids"]["run"]
    page, errors = _page(browser, 1400, run_id=rid)
    page.goto(server + "/#/unit/110000")
    page.wait_for_selector("#radar svg polygon")
    v = {y: _index_value(page, server, rid, "110000", y) for y in (2020, 2021, 2022)}
    change_kpi = page.locator(".kpi", has=page.locator("span.muted", has_text="变化"))

    def shown() -> tuple[list[str], float]:
        """Years named in the change figure's label, and the figure."""
        years = re.findall(r"(?:19|20)\d\d", change_kpi.locator("span.muted").inner_text())
        text = change_kpi.locator("b").inner_text().split("(")[0].strip().replace(",", "")
        return years, float(text)

    def on_year(y: int) -> None:
        page.select_option("#year-select", str(y))
        page.wait_for_function(
            f"document.querySelector('#unit-name') && document.querySelector('#unit-name').innerText.includes('{y}')"
        )
        page.wait_for_selector("#radar svg polygon")

    years, change = shown()
    assert years[0] == "2020" and change == pytest.approx(v[2022] - v[2020], abs=0.051)
    on_year(2021)
    years, change = shown()
    assert years[0] == "2020" and change == pytest.approx(v[2021] - v[2020], abs=0.051)
    assert "2022" not in years
    assert change != pytest.approx(v[2022] - v[2020], abs=0.051)  # not the previous year's figure
    on_year(2020)
    assert change_kpi.count() == 0  # nothing earlier to compare with: no change shown
    on_year(2022)
    assert shown()[0][-1] == "2022"
    assert errors == []
    page.close()


PAGES = [
    ("run", "/", "#ranking-table tbody tr"),
    ("run", "/#/unit/110000", "#radar svg"),
    ("run", "/#/indicator", "#hist svg"),
    ("run", "/#/compare", "#cmp-summary *"),
    ("spatial", "/", "#tblbox table"),
    ("mohurd", "/#/indicator", "#hist svg"),
    ("mohurd", "/", "#ck-title"),
]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_nothing_is_wider_than_the_screen(
    browser: Any, server: str, dash: dict[str, Any], width: int, lang: str, shots: Path
) -> None:
    for kind, path, ready in PAGES:
        page, errors = _page(browser, width, run_id=dash["ids"][kind], lang=lang)
        page.goto(server + path)
        page.wait_for_selector(ready)
        page.wait_for_timeout(150)  # maps and tables drawn after the first element
        _no_overflow(page, f"{kind} {path} {lang} {width}px")
        if width == 390:
            page.screenshot(
                path=str(
                    shots
                    / f"phone_{kind}_{path.strip('/#').replace('/', '_') or 'home'}_{lang}.png"
                )
            )
        assert errors == [], (path, errors)
        page.close()


# ---------------------------------------------------------------------------------------------
# issue 17: the check-up first
# ---------------------------------------------------------------------------------------------


def _reference(run_dir: Path) -> dict[str, Any]:
    """What the first screen must show, from the run directory's CSV files and the framework."""
    from citycheckup.framework import load_framework

    fw = load_framework("mohurd-2025")
    inds = {i.code: i for i in fw.indicators}
    ag = pd.read_csv(run_dir / "aspect_grades.csv", dtype={"unit_code": str})
    g = pd.read_csv(run_dir / "grades.csv", dtype={"unit_code": str})
    ug = pd.read_csv(run_dir / "ungraded.csv", dtype={"unit_code": str})
    inv = pd.read_csv(run_dir / "inventories.csv", dtype={"unit_code": str})
    cov = pd.read_csv(run_dir / "coverage.csv")
    names = {d.code: (d.name_zh, d.name_en) for d in fw.all_dimensions()}
    return {
        "fw": fw,
        "inds": inds,
        "ag": ag,
        "g": g,
        "ug": ug,
        "inv": inv,
        "cov": cov,
        "names": names,
    }


ASPECT_WORD = {
    "excellent": ("优", "excellent"),
    "good": ("良", "good"),
    "medium": ("中", "medium"),
    "poor": ("差", "poor"),
}
GRADE_WORD = {
    "very_good": ("很好", "very good"),
    "good": ("较好", "good"),
    "fair": ("一般", "fair"),
    "poor": ("不足", "poor"),
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_opens_on_the_check_up(
    browser: Any, server: str, dash: dict[str, Any], lang: str, shots: Path
) -> None:
    ref = _reference(dash["run_dir"])
    k = 0 if lang == "zh" else 1
    page, errors = _page(browser, 1400, lang=lang)  # nothing saved: the first visit
    page.goto(server + "/")
    page.wait_for_selector("#ck-title")
    title = page.inner_text("#ck-title")
    assert ("宜昌市" if lang == "zh" else "Yichang") in title
    # MOHURD's convention: the 2025 check-up uses the data of 31 December 2024
    assert ("2025年城市体检" if lang == "zh" else "City check-up 2025") in title
    assert ("数据基准日2024年12月31日" if lang == "zh" else "data as of 31 December 2024") in title
    # aspect grades: one block per aspect of the city level, graded as aspect_grades.csv says
    blocks = page.eval_on_selector_all(
        "#ck-aspects .aspect",
        "bs => bs.map(b => ({code: b.dataset.aspect, head: b.querySelector('h3').innerText, rows: b.querySelectorAll('tbody tr').length,"
        " grades: [...b.querySelectorAll('tbody .grade')].map(x => x.innerText)}))",
    )
    by = {b["code"]: b for b in blocks}
    assert len(ref["ag"]) >= 4
    for rec in ref["ag"].to_dict("records"):
        b = by[rec["dimension"]]
        assert ref["names"][rec["dimension"]][k] in b["head"]
        assert ASPECT_WORD[rec["grade"]][k] in b["head"]
    # the graded indicators of each aspect, with the grade word of grades.csv
    g = ref["g"]
    g["aspect"] = [ref["inds"][c].aspect or ref["fw"].parent_of()[c] for c in g["indicator"]]
    assert sum(b["rows"] for b in blocks) == len(g)
    for a, part in g.groupby("aspect"):
        assert sorted(by[a]["grades"]) == sorted(GRADE_WORD[x][k] for x in part["grade"])
    text = page.inner_text("main")
    for c in g["indicator"]:
        assert (ref["inds"][c].name_zh, ref["inds"][c].name_en)[k] in text
    # every graded row cites its standard
    bases = page.eval_on_selector_all(
        "#ck-aspects tbody tr td:last-child", "tds => tds.map(t => t.innerText)"
    )
    assert len(bases) == len(g) and all(
        ("依据" if k == 0 else "Basis") in b and len(b) > 20 for b in bases
    )
    # lower levels: counts over their denominators (42 of the 8,302 residential buildings)
    housing = page.inner_text("#ck-levels [data-level=housing]")
    row = ref["inv"][ref["inv"]["indicator"] == "buildings_structural_hazard"].iloc[0]
    assert f"{row['count']:,.0f}" in housing and f"{row['denominator_value']:,.0f}" in housing
    n_counts = page.locator("#ck-levels table.ck-count tbody tr").count()
    n_rates = page.locator("#ck-levels table.ck-rate tbody tr").count()
    assert n_counts + n_rates == len(ref["inv"])
    # last year's problems: the completion rate of the run's follow-up table (宜昌: 61 %)
    fu = pd.read_csv(dash["run_dir"] / "followup_summary.csv")
    rate = float(fu.loc[fu["level"] == "all", "rate"].iloc[0])
    assert f"{rate:.1f} %" in page.inner_text("#ck-followup")
    # no scores on the check-up
    assert page.locator("#ranking-table, #radar, #dimbars, #dim-tabs").count() == 0
    score_words = ("得分", "综合指数") if k == 0 else ("Score", "Index")
    assert not [w for w in score_words if w in text]  # graded, never scored
    # values without an applicable threshold, listed as such; indicators without data listed
    assert page.locator("#ck-ungraded tbody tr").count() == len(ref["ug"])
    assert page.locator("#ck-nodata li").count() == int((ref["cov"]["status"] != "data").sum())
    # no indicator code, in either language; no Chinese in the English page outside names of
    # the source (kept in a closed <details>) and the run's own label
    assert not CODE_RE.findall(page.inner_text("body"))
    if lang == "en":
        visible = page.evaluate(
            "(() => { const m = document.querySelector('main').cloneNode(true); m.querySelectorAll('details').forEach(d => d.remove()); return m.innerText; })()"
        )
        assert not re.findall(r"[\u4e00-\u9fff]+", visible)
    page.screenshot(path=str(shots / f"checkup_first_{lang}.png"))
    page.screenshot(path=str(shots / f"checkup_full_{lang}.png"), full_page=True)
    # one click to the panel, one to the district, one back
    page.click("#kind-nav a[data-nav=panel]")
    page.wait_for_selector("#ranking-table tbody tr")
    page.click("#kind-nav a[data-nav=district]")
    page.wait_for_selector("#tblbox table tbody tr")
    page.click("#kind-nav a[data-nav=checkup]")
    page.wait_for_selector("#ck-title")
    assert errors == []
    page.close()


def test_check_up_on_a_phone(browser: Any, server: str, dash: dict[str, Any], shots: Path) -> None:
    page, errors = _page(browser, 390, lang="zh")
    page.goto(server + "/")
    page.wait_for_selector("#ck-title")
    _no_overflow(page, "check-up 390px")
    # the check-up tables are stacked rows on a phone: no sideways scrolling inside them either
    wide = page.eval_on_selector_all(
        "table.stack",
        "ts => ts.filter(t => t.scrollWidth > t.parentElement.clientWidth + 1).length",
    )
    assert wide == 0
    page.screenshot(path=str(shots / "checkup_phone_first.png"))
    page.screenshot(path=str(shots / "checkup_phone_full.png"), full_page=True)
    assert errors == []
    page.close()


def test_check_up_route_refuses_what_it_cannot_show(dash: dict[str, Any], tmp_path: Path) -> None:
    from tests.api.conftest import _test_client

    shutil.copy(dash["path"], tmp_path / "store.duckdb")  # the module's server holds the original
    st = Store(tmp_path / "store.duckdb", read_only=True)
    try:
        app = _with_checkup_route(create_app(store=st), st)
        with _test_client()(app) as c:
            ok = c.get(f"/api/v1/runs/{dash['ids']['mohurd']}/checkup")
            assert ok.status_code == 200 and ok.json()["year"] == 2024
            assert (
                c.get(f"/api/v1/runs/{dash['ids']['run']}/checkup").status_code == 404
            )  # not a check-up
            r = c.get(f"/api/v1/runs/{dash['ids']['mohurd']}/checkup?unit=110000")
            assert r.status_code == 404 and "420500" in r.text  # names the units it has
            r = c.get(f"/api/v1/runs/{dash['ids']['mohurd']}/checkup?year=2023")
            assert r.status_code == 404 and "2024" in r.text
            assert (
                c.get(f"/api/v1/runs/{dash['ids']['mohurd']}/checkup?year=2024").status_code == 200
            )
            assert (
                c.get(f"/api/v1/runs/{dash['ids']['mohurd']}/checkup?year=2025").status_code == 404
            )
    finally:
        st.close()
