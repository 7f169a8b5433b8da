"""``citycheckup demo`` end to end, as ``make demo`` runs it (a subprocess, ≈ 1.5 min on 2 cores).

One run serves every test of this module: the published city's check-up (its figures reach the
outputs, its source is named in the report), the OSM district (credited), the 300-city panel
(relabelled, proxies named, trend-true), the results store (the check-up listed first) and the
log (short: progress, then paths).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from citycheckup.data.published import (
    YICHANG_2025_SOURCE,
    yichang_2025_published,
    yichang_2025_table,
)
from citycheckup.demo._panel import PANEL_TITLE, relabel_report
from citycheckup.errors import OutputError
from citycheckup.framework.models import TIERS

pytestmark = pytest.mark.slow

CREDIT = "© OpenStreetMap contributors, ODbL"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("demo") / "out"
    exe = Path(sys.executable).with_name("citycheckup")
    res = subprocess.run(
        [str(exe), "demo", "--out", str(out)], capture_output=True, text=True, timeout=600
    )
    assert res.returncode == 0, res.stdout + res.stderr
    return out, res.stdout + res.stderr


# --------------------------------------------------------------------------------------------
# the log


def test_the_log_is_short_progress_then_paths(demo: tuple[Path, str]) -> None:
    out, log = demo
    lines = [x for x in log.splitlines() if x.strip()]
    assert len(lines) <= 20, log
    assert not [x for x in lines if re.match(r"\s*(WARNING|\[warning\]|.*Warning:)", x)], log
    assert [x for x in lines if x.startswith("[")][:3] == [
        x for x in lines if re.match(r"\[\d/3\]", x)
    ]
    assert f"citycheckup serve --store {out / 'store.duckdb'}" in log
    printed = re.findall(r"(?:^|\s)(/\S+?\.(?:pdf|html|png|csv|xlsx|md|duckdb))\b", log, re.M)
    assert len(printed) >= 8
    for p in printed:
        assert Path(p.rstrip(",")).is_file(), p


# --------------------------------------------------------------------------------------------
# the published city


def test_every_published_figure_reaches_the_check_up(demo: tuple[Path, str]) -> None:
    run = demo[0] / "yichang_checkup"
    t = yichang_2025_table()
    values = pd.read_csv(run / "values.csv", dtype={"unit_code": str}).set_index("unit_code")
    ind = t[(t["kind"] == "indicator") & t["value"].notna()]
    assert len(ind) >= 50
    for r in ind.to_dict("records"):
        assert values.at["420500", r["code"]] == pytest.approx(r["value"]), r["code"]
    inv = pd.read_csv(run / "inventories.csv")
    dens = t[t["kind"] == "denominator"].set_index("code")["value"]
    got = inv.drop_duplicates("denominator").set_index("denominator")["denominator_value"]
    for code in ("residential_buildings", "communities"):
        assert got[code] == dens[code], code
    pub = ind.drop_duplicates("code").set_index("code")["value"]
    for r in inv.to_dict("records"):  # lower levels: counts over their registers, no score
        if r["unit"] == "%":  # a published coverage: the rate is the published value
            assert np.isnan(r["count"]) and r["rate"] == pub[r["indicator"]], r["indicator"]
        elif np.isnan(r["denominator_value"]):  # register not published: no rate invented
            assert np.isnan(r["rate"]), r["indicator"]
        else:
            assert r["rate"] == pytest.approx(100 * r["count"] / r["denominator_value"])


def test_the_report_names_its_source_and_the_follow_up(demo: tuple[Path, str]) -> None:
    reports = demo[0] / "yichang_checkup" / "reports"
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(
        ["pdftotext", "-layout", str(reports / "checkup_420500_zh.pdf"), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    flat = re.sub(r"\s+", "", text)
    assert "《2025年宜昌市城市综合体检报告》" in flat
    assert "tinsei0321/emotion_map" in flat
    assert "61" in flat and "问题整治" in flat
    en = (reports / "checkup_420500_en.html").read_text(encoding="utf-8")
    assert "2025 Yichang comprehensive city check-up report" in re.sub(r"\s+", " ", en)
    fu = yichang_2025_published().follow_up
    assert fu.loc[fu["level"] == "all", "rate"].iloc[0] == 61.0
    assert YICHANG_2025_SOURCE["zh"].startswith(
        "宜昌市住房和城市更新局《2025年宜昌市城市综合体检报告》"
    )


def test_the_city_level_is_graded_only_where_a_threshold_applies(demo: tuple[Path, str]) -> None:
    run = demo[0] / "yichang_checkup"
    grades = pd.read_csv(run / "grades.csv", dtype={"unit_code": str})
    ungraded = pd.read_csv(run / "ungraded.csv", dtype={"unit_code": str})
    assert len(grades) >= 10
    assert set(grades["tier"]) <= set(TIERS)
    local = grades[grades["tier"] == "local_standard"]
    assert len(local) and local["reference"].str.contains("宜昌").all()  # 宜昌's own standards only
    own = grades[grades["tier"] == "project"]  # this project's proposals say so
    assert own["reference"].str.startswith("本项目建议").all()
    assert set(ungraded["reason"]) >= {"no_threshold"}
    assert not set(grades["indicator"]) & set(ungraded["indicator"])
    for name in ("aspect_grades.csv", "task_grades.csv"):
        assert len(pd.read_csv(run / name)) >= 3


# --------------------------------------------------------------------------------------------
# the district


def test_the_district_has_located_problems_and_credits_osm(demo: tuple[Path, str]) -> None:
    d = demo[0] / "district"
    p = pd.read_csv(d / "problems.csv")
    assert len(p) > 10 and p[["lon", "lat"]].notna().all().all()
    assert (
        p["lon"].between(116.34403, 116.35974).all() and p["lat"].between(39.99767, 40.00888).all()
    )
    manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["attribution"] == CREDIT
    assert "problems.csv" in manifest["district_outputs"]
    for x, credit in (("zh", "© OpenStreetMap 贡献者，ODbL"), ("en", CREDIT)):
        assert credit in (d / f"summary_{x}.md").read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------
# the panel


def test_the_panel_is_labelled_a_comparison_with_its_proxies(demo: tuple[Path, str]) -> None:
    run = demo[0] / "panel"
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["title_zh"] == PANEL_TITLE["zh"] and manifest["size_basis"] == "census"
    for name, x in (("report.html", "zh"), ("report_en.html", "en")):
        text = (run / name).read_text(encoding="utf-8")
        assert f"<h1>{PANEL_TITLE[x]} — " in text and f"<title>{PANEL_TITLE[x]} · " in text
        assert ("城市体检报告" if x == "zh" else "City health check-up report") not in text
        note = text[
            text.index('id="comparison-note"') : text.index(
                "</section>", text.index('id="comparison-note"')
            )
        ]
        for code in manifest["proxies"]:
            assert f"<code>{code}</code>" in note
        assert (
            note.count("——代理指标" if x == "zh" else " — a proxy for")
            == len(manifest["proxies"])
            >= 5
        )


def test_the_panels_scores_follow_the_values_across_years(demo: tuple[Path, str]) -> None:
    """Trend-true: one goalpost per indicator for all years, so a higher value never scores lower."""
    from citycheckup.framework import load_framework

    run = demo[0] / "panel"
    key = ["unit_code", "year"]
    raw = pd.read_csv(run / "indicators.csv", dtype={"unit_code": str}).set_index(key)
    norm = pd.read_csv(run / "normalised.csv", dtype={"unit_code": str}).set_index(key)
    fw = {i.code: i for i in load_framework("people-city-2025").indicators}
    checked = 0
    for code in norm.columns:
        both = pd.DataFrame({"v": raw[code], "s": norm[code]}).dropna()
        if both["v"].nunique() < 10:
            continue
        both = both.sort_values(["v", "s"])
        step = np.diff(both["s"].to_numpy()) * fw[code].direction
        assert (step >= -1e-9).all(), code
        assert both.index.get_level_values("year").nunique() >= 10, code
        checked += 1
    assert checked >= 5


def test_relabelling_refuses_a_report_without_the_check_up_title(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(
        "<html><title>Other · x</title><h1>Other — x</h1><main></main></html>", encoding="utf-8"
    )
    with pytest.raises(OutputError, match="expected '<title>City health check-up report · ' once"):
        relabel_report(page, "en", "<section>note</section>")
    ok = "<title>City health check-up report · x</title><h1>City health check-up report — x</h1><main></main>"
    page.write_text(ok, encoding="utf-8")
    relabel_report(page, "en", "<section>note</section>")
    assert page.read_text(encoding="utf-8").count(PANEL_TITLE["en"]) == 2


# --------------------------------------------------------------------------------------------
# the store


def test_the_store_lists_the_check_up_first(demo: tuple[Path, str]) -> None:
    from citycheckup.store import Store

    with Store(demo[0] / "store.duckdb", read_only=True) as st:
        runs = st.list_runs()
    assert [r["kind"] for r in runs] == ["mohurd", "spatial", "run"]
    assert "宜昌" in runs[0]["label"]
    with Store(demo[0] / "store.duckdb", read_only=True) as st:
        tables = set(st.run(runs[1]["run_id"])["tables"])
    assert {"problems", "suggestions", "projects", "blocks", "indicators"} <= tables
    assert "© OpenStreetMap" in runs[1]["label"]
    assert PANEL_TITLE["zh"] in runs[2]["label"]


def test_a_failed_district_worker_stops_the_demo_with_its_message() -> None:
    from concurrent.futures import Future

    from citycheckup.demo._run import _district_result
    from citycheckup.errors import DataError

    fut: Future[object] = Future()
    fut.set_result(("SpatialError", "no walkable network in the extract"))
    with pytest.raises(
        DataError, match="district check-up failed: SpatialError: no walkable network"
    ):
        _district_result(fut)  # type: ignore[arg-type]
