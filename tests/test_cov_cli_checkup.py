"""``citycheckup run / validate / frameworks / demo`` through typer's runner (issue 18, item 4).

A tiny SYNTHETIC framework (two dimensions, three indicators, fixed goalposts) and two or
three SYNTHETIC data rows keep each run to seconds, and let every score be derived by hand:

* ``x`` (higher is better), goalposts 0 → 0 points, 50 → 100; pass line 30; weight 1
* ``y`` (lower is better), goalposts 20 → 0 points, 5 → 100; weight 3
* ``w`` (a share, %), natural goalposts 0 → 0, 100 → 100
* dimension ``a`` = (1·x + 3·y) / 4, dimension ``b`` = w, index = (a + b) / 2

Data (2024): 宜昌 420500 x=30, y=8, w=50; 襄阳 420600 x=40, y=25, w=90.

* 宜昌: x 30 → 60, y 8 → (20 − 8)/15·100 = 80 → a = (60 + 240)/4 = 75; b = 50; index 62.5
* 襄阳: x 40 → 80, y 25 → 0 (capped) → a = 20; b = 90; index 55
"""

from __future__ import annotations

import json
import logging
import types
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from citycheckup.cli import app

runner = CliRunner()

FW = """\
code: tiny
version: "0.1"
name_zh: 小框架
name_en: Tiny framework
dimensions:
  - code: a
    name_zh: 甲
    name_en: A
    weight: 1
    indicators:
      - code: x
        name_zh: 路网
        name_en: roads
        unit: km
        kind: higher
        level: city
        weight: 1
        goalposts: {worst: 0, best: 50, provenance: {tier: project, reference: test goalposts}}
        grading:
          pass_line: 30
          provenance: {tier: project, reference: test pass line}
      - code: y
        name_zh: 通勤
        name_en: commute
        unit: km
        kind: lower
        level: city
        weight: 3
        goalposts: {worst: 20, best: 5, provenance: {tier: project, reference: test goalposts}}
  - code: b
    name_zh: 乙
    name_en: B
    weight: 1
    indicators:
      - code: w
        name_zh: 绿化
        name_en: green
        unit: "%"
        kind: higher
        level: city
"""

DATA = "unit_code,unit_name,year,x,y,w\n420500,宜昌市,2024,30,8,50\n420600,襄阳市,2024,40,25,90\n"


def _flat(text: str) -> str:
    """Output with rich's line wrapping undone."""
    return " ".join(text.split())


@pytest.fixture
def tiny(tmp_path: Path) -> tuple[Path, Path]:
    fw, data = tmp_path / "fw.yaml", tmp_path / "d.csv"
    fw.write_text(FW, encoding="utf-8")
    data.write_text(DATA, encoding="utf-8")
    return fw, data


def _scores(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "scores.csv", dtype={"unit_code": str}).set_index("unit_code")


def _abi(scores: pd.DataFrame, unit: str) -> list[float]:
    """Dimension a, dimension b and the index of ``unit``."""
    return [float(scores[c].to_dict()[unit]) for c in ("a", "b", "index")]


# -- run ----------------------------------------------------------------------------------------
def test_run_scores_the_tiny_framework_as_derived_by_hand(
    tiny: tuple[Path, Path], tmp_path: Path
) -> None:
    fw, data = tiny
    out = tmp_path / "run"
    r = runner.invoke(
        app, ["run", "-f", str(fw), "-d", str(data), "-o", str(out), "--lang", "en", "-y", "2024"]
    )
    assert r.exit_code == 0, r.output
    s = _scores(out)
    assert _abi(s, "420500") == pytest.approx([75, 50, 62.5])
    assert _abi(s, "420600") == pytest.approx([20, 90, 55])
    assert s["rank_index"].to_dict() == {"420500": 1, "420600": 2}
    g = pd.read_csv(out / "grades.csv", dtype={"unit_code": str})
    grades = g[g["indicator"] == "x"].set_index("unit_code")["grade"].to_dict()
    assert grades == {"420500": "good", "420600": "good"}  # 30 at the pass line, 40 above
    flat = _flat(r.output)
    assert (
        "scored 2 units × 1 year on 3 indicators (2/2 dimensions with data; absolute, "
        "against the framework's goalposts)" in flat
    )
    assert f"report:{(out / 'report.html').resolve()}" in "".join(r.output.split())
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert m["data_arguments"] == [str(data)] and m["command"].startswith("citycheckup")


def test_relative_scoring_says_among_how_many_units(
    tiny: tuple[Path, Path], tmp_path: Path
) -> None:
    """Relative min-max without treatment over the two cities: the better of each indicator
    gets 100, the other 0.  襄阳: x 100, y 0 (25 is worse than 8), w 100 → a = 25, b = 100,
    index 62.5; 宜昌: x 0, y 100, w 0 → a = 75, b = 0, index 37.5."""
    fw, data = tiny
    out = tmp_path / "rel"
    r = runner.invoke(
        app,
        ["run", "-f", str(fw), "-d", str(data), "-o", str(out), "--scoring", "relative",
         "--treatment", "none"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "(2/2 dimensions with data; relative, among the 2 units of the data)" in _flat(r.output)
    s = _scores(out)
    assert _abi(s, "420600") == pytest.approx([25, 100, 62.5])
    assert _abi(s, "420500") == pytest.approx([75, 0, 37.5])


def test_a_dimension_without_data_is_named_and_left_out(
    tiny: tuple[Path, Path], tmp_path: Path
) -> None:
    """Without ``w`` dimension b has no data: the index is a alone (宜昌 75, 襄阳 20)."""
    fw, _ = tiny
    data = tmp_path / "no_w.csv"
    data.write_text(
        "unit_code,unit_name,year,x,y\n420500,宜昌市,2024,30,8\n420600,襄阳市,2024,40,25\n",
        encoding="utf-8",
    )
    out = tmp_path / "run"
    r = runner.invoke(app, ["run", "-f", str(fw), "-d", str(data), "-o", str(out)])
    assert r.exit_code == 0, r.output
    flat = _flat(r.output)
    assert "on 2 indicators (1/2 dimensions with data;" in flat
    assert "dimensions with no data (left out of the index): b" in flat
    assert _scores(out)["index"].to_dict() == pytest.approx({"420500": 75.0, "420600": 20.0})


def test_two_data_files_are_merged(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    """x and y in one file, w in another: the same scores as from one file."""
    fw, _ = tiny
    d1, d2 = tmp_path / "xy.csv", tmp_path / "w.csv"
    d1.write_text(
        "unit_code,unit_name,year,x,y\n420500,宜昌市,2024,30,8\n420600,襄阳市,2024,40,25\n",
        encoding="utf-8",
    )
    d2.write_text(
        "unit_code,unit_name,year,w\n420500,宜昌市,2024,50\n420600,襄阳市,2024,90\n",
        encoding="utf-8",
    )
    out = tmp_path / "run"
    r = runner.invoke(app, ["run", "-f", str(fw), "-d", str(d1), "-d", str(d2), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert _scores(out)["index"].to_dict() == pytest.approx({"420500": 62.5, "420600": 55.0})


def test_every_bad_option_is_reported_at_once_and_nothing_is_written(
    tiny: tuple[Path, Path], tmp_path: Path
) -> None:
    fw, data = tiny
    out = tmp_path / "run"
    r = runner.invoke(
        app,
        ["run", "-f", str(fw), "-d", str(data), "-o", str(out), "--scoring", "fuzzy",
         "--aggregation", "median", "--weights", "random", "--min-availability", "1.5"],
    )  # fmt: skip
    assert r.exit_code == 2
    flat = _flat(r.output)
    assert flat.startswith("error: DataError invalid check-up options:")
    for problem in (
        "scoring must be absolute or relative, got 'fuzzy'",
        "aggregation must be arithmetic or geometric, got 'median'",
        "weights must be framework or equal, got 'random'",
        "min_availability must lie in [0, 1], got 1.5",
    ):
        assert f"- options: {problem}" in flat, problem
    assert not out.exists()
    assert sorted(tmp_path.iterdir()) == sorted([fw, data])  # nothing else written


@pytest.mark.parametrize("command", ["run", "demo"])
def test_an_unknown_language_is_refused(
    command: str, tiny: tuple[Path, Path], tmp_path: Path
) -> None:
    fw, data = tiny
    args = ["-f", str(fw), "-d", str(data)] if command == "run" else []
    r = runner.invoke(app, [command, *args, "--out", str(tmp_path / "o"), "--lang", "fr"])
    assert r.exit_code == 2
    assert "--lang must be zh or en" in r.output
    assert not (tmp_path / "o").exists()


def test_locality_by_name_and_an_unknown_locality(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    fw, data = tiny
    out = tmp_path / "run"
    r = runner.invoke(
        app, ["run", "-f", str(fw), "-d", str(data), "-o", str(out), "--locality", "宜昌"]
    )
    assert r.exit_code == 0, r.output
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert m["parameters"]["localities"] == ["420500"]  # 宜昌 → its 6-digit code
    r = runner.invoke(
        app,
        ["run", "-f", str(fw), "-d", str(data), "-o", str(tmp_path / "x"), "--locality", "乌有市"],
    )
    assert r.exit_code == 2
    flat = _flat(r.output)
    assert "city '乌有市' is not a known prefecture-level unit" in flat
    assert "write its 6-digit administrative code" in flat  # how to fix
    assert not (tmp_path / "x").exists()


def test_many_warning_groups_are_cut_at_twelve(
    tiny: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run prints at most 12 warning groups and says how many more there are: 15
    synthetic groups → 12 shown and '… 3 more warning groups'."""
    from citycheckup.data.checks import CheckReport

    lines = [f"synthetic warning group {i}" for i in range(15)]
    monkeypatch.setattr(CheckReport, "summary_lines", lambda self, severities=(): lines)
    fw, data = tiny
    r = runner.invoke(app, ["run", "-f", str(fw), "-d", str(data), "-o", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    flat = _flat(r.output)
    assert "synthetic warning group 11" in flat and "synthetic warning group 12" not in flat
    assert "… 3 more warning groups: see checks.csv and the report" in flat


# -- validate -----------------------------------------------------------------------------------
def test_validate_a_framework_alone(tiny: tuple[Path, Path]) -> None:
    fw, _ = tiny
    r = runner.invoke(app, ["validate", "-f", str(fw)])
    assert r.exit_code == 0, r.output
    assert _flat(r.output) == "framework tiny v0.1: 3 indicators in 2 dimensions — valid"


def test_validate_data_with_impossible_shares_exits_1_listing_them(
    tiny: tuple[Path, Path], tmp_path: Path
) -> None:
    """Synthetic: 宜昌's share w = 150 % is impossible (> 100 %): 1 error, exit 1."""
    fw, _ = tiny
    data = tmp_path / "bad.csv"
    data.write_text(DATA.replace("2024,30,8,50", "2024,30,8,150"), encoding="utf-8")
    r = runner.invoke(app, ["validate", "-f", str(fw), "-d", str(data), "-y", "2024"])
    assert r.exit_code == 1, r.output
    flat = _flat(r.output)
    assert "150" in flat and "420500" in flat
    assert f"{data.name}" in "".join(r.output.split())
    assert "2 rows, 1 error(s)," in flat


def test_validate_cuts_the_list_at_sixty_findings(tmp_path: Path) -> None:
    """A synthetic framework of 62 indicators (i0 … i61, one dimension) and data holding i0
    only: 61 'no-data' findings (i1 … i61), so 60 are printed and '… and 1 more findings';
    no error, exit 0."""
    inds = "".join(
        f"      - {{code: i{k}, name_zh: 指标{k}, name_en: ind {k}, unit: km, kind: higher, "
        f"level: city, goalposts: {{worst: 0, best: 10, provenance: {{tier: project, "
        f"reference: test goalposts}}}}}}\n"
        for k in range(62)
    )
    fw = tmp_path / "wide.yaml"
    fw.write_text(
        "code: wide\nname_zh: 宽\nname_en: wide\ndimensions:\n  - code: d\n    name_zh: 甲\n"
        "    name_en: D\n    indicators:\n" + inds,
        encoding="utf-8",
    )
    data = tmp_path / "one.csv"
    data.write_text("unit_code,year,i0\n420500,2024,3\n420600,2024,7\n", encoding="utf-8")
    r = runner.invoke(app, ["validate", "-f", str(fw), "-d", str(data)])
    assert r.exit_code == 0, r.output
    lines = r.output.strip().splitlines()
    assert lines[0] == "framework wide v1: 62 indicators in 1 dimensions — valid"
    shown = [ln for ln in lines if ln.startswith("[info] no-data:")]
    assert shown == [f"[info] no-data: i{k} is not in the data (column i{k})" for k in range(1, 61)]
    assert "… and 1 more findings" in lines
    # the summary names the file (rich may wrap its long temporary path: compare unspaced)
    assert "".join(r.output.split()).endswith(f"{data}:2rows,0error(s),0warning(s)")


# -- data readers -------------------------------------------------------------------------------
def test_validate_the_embedded_data_against_the_tiny_framework(tiny: tuple[Path, Path]) -> None:
    """``-d city-macro-data`` reads the embedded panel (7500 rows: 300 cities × 25 years).
    By hand: none of x, y, w is in it → the error 'nothing-to-score' (exit 1) and three
    'no-data' infos; each of its 13 variable columns (gdp … broadband_users; the others are
    unit_code, unit_name, year, province, province_code) is an 'unknown-column' warning."""
    fw, _ = tiny
    r = runner.invoke(app, ["validate", "-f", str(fw), "-d", "city-macro-data"])
    assert r.exit_code == 1, r.output
    flat = _flat(r.output)
    assert (
        "[error] nothing-to-score: no indicator of framework tiny can be scored from this data"
        in flat
    )
    for c in ("x", "y", "w"):
        assert f"[info] no-data: {c} is not in the data (column {c})" in flat
    assert flat.count("[warning] unknown-column:") == 13
    assert (
        "column 'gdp' is not a variable of tiny; it is ignored (rename it to a framework code to use it)"
        in flat
    )
    assert flat.endswith(": 7500 rows, 1 error(s), 13 warning(s)")


def test_an_xlsx_is_read_as_a_table_when_the_template_reader_is_absent(
    tiny: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the report extra (its module cannot be imported) an .xlsx is read as a plain
    table: the synthetic data above in a workbook gives the same scores (62.5 and 55)."""
    import sys

    fw, data = tiny
    xlsx = tmp_path / "d.xlsx"
    pd.read_csv(data, dtype={"unit_code": str}).to_excel(xlsx, index=False)
    monkeypatch.setitem(sys.modules, "citycheckup.report.template", None)  # → ImportError
    r = runner.invoke(app, ["validate", "-f", str(fw), "-d", str(xlsx)])
    assert r.exit_code == 0, r.output
    assert "".join(r.output.split()).endswith("2rows,0error(s),0warning(s)")


# -- demo (run_demo and the store hook replaced by recorders) ---------------------------------------
def _fake_demo(base: Path, outside: Path) -> types.SimpleNamespace:
    """A synthetic demo result: where each output would be."""
    y, d, p = base / "yichang", base / "district", base / "panel"
    return types.SimpleNamespace(
        yichang=types.SimpleNamespace(
            run_dir=y, reports=[y / "report_en.docx", y / "report_en.pdf", y / "report_zh.pdf"]
        ),
        district=types.SimpleNamespace(out=d),
        panel=types.SimpleNamespace(
            run_dir=p, reports=[p / "report.html", outside / "p.pdf"], n_units=300,
            years=(2016, 2024),
        ),
    )  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_demo_prints_where_each_output_is_and_stores_the_check_up_last(
    lang: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import citycheckup.cli.store as cli_store
    import citycheckup.demo as demo_mod

    monkeypatch.chdir(tmp_path)
    out, outside = tmp_path / "demo", Path("/elsewhere")
    res = _fake_demo(out, outside)
    seen: dict[str, object] = {}

    def run_demo(o: Path, **kw: object) -> types.SimpleNamespace:
        seen["out"], seen["kw"] = o, {k: v for k, v in kw.items() if k != "say"}
        seen["matplotlib_level"] = logging.getLogger("matplotlib").level
        kw["say"]("synthetic step [1/3]")  # type: ignore[operator]
        return res

    monkeypatch.setattr(demo_mod, "run_demo", run_demo)
    hooked: list[tuple[Path, list[tuple[Path, str, str]]]] = []
    monkeypatch.setattr(cli_store, "demo_hook", lambda o, runs: hooked.append((o, runs)))
    before = logging.getLogger("matplotlib").level
    r = runner.invoke(app, ["demo", "--out", str(out), "--lang", lang, "--uncertainty", "7"])
    assert r.exit_code == 0, r.output
    assert seen["out"] == out
    assert seen["kw"] == {"lang": lang, "uncertainty": 7, "quiet": True}
    assert seen["matplotlib_level"] == logging.ERROR  # quiet while the demo runs …
    assert logging.getLogger("matplotlib").level == before  # … restored afterwards
    assert "synthetic step [1/3]" in r.output  # printed as is (no rich markup)
    lines = r.output.splitlines()
    i = lines.index("outputs:")
    assert [ln.rstrip() for ln in lines[i : i + 7]] == [
        "outputs:",
        "  check-up report (宜昌 2025)      demo/yichang/report_en.pdf, demo/yichang/report_zh.pdf",
        "    DOCX/HTML, tables, annexes     demo/yichang/",
        "  district problem map (OSM)       demo/district/maps/problems.png",
        "    problem list → projects        demo/district/problems.csv, "
        f"demo/district/projects.csv, demo/district/annexes_{lang}.xlsx",
        f"    summary                        demo/district/summary_{lang}.md",
        "  300 cities compared (not a check-up)  demo/panel/report.html, /elsewhere/p.pdf",
    ]
    assert lines[-1].startswith("demo finished in ")
    if lang == "en":
        labels = [
            "Statistical yearbook indicators compared across cities (300 cities, 2016–2024)",
            "District check-up example: Haidian District, Beijing: China Agricultural "
            "University east campus and surroundings (OpenStreetMap; © OpenStreetMap "
            "contributors, ODbL)",
            "Yichang city check-up 2025 (published figures, MOHURD method)",
        ]
    else:
        labels = [
            "统计年鉴指标横向比较（300 个城市，2016–2024）",
            "街区体检示例：北京市海淀区 中国农业大学东校区及周边（OpenStreetMap，© OpenStreetMap "
            "贡献者，ODbL）",
            "宜昌市 2025 年城市体检（公开发布数据，住房城乡建设部方法）",
        ]
    # the check-up last: the newest stored run is the one the dashboard opens on
    assert hooked == [
        (
            out,
            [
                (out / "panel", "run", labels[0]),
                (out / "district", "spatial", labels[1]),
                (out / "yichang", "mohurd", labels[2]),
            ],
        )
    ]


def test_a_failed_demo_is_a_clean_error_and_restores_the_loggers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import citycheckup.demo as demo_mod
    from citycheckup.errors import OutputError

    def run_demo(o: Path, **kw: object) -> None:
        raise OutputError(f"cannot write {o}: disk full; free some space and run again")

    monkeypatch.setattr(demo_mod, "run_demo", run_demo)
    before = {n: logging.getLogger(n).level for n in ("citycheckup", "shapely", "py.warnings")}
    r = runner.invoke(app, ["demo", "--out", str(tmp_path / "d")])
    assert r.exit_code == 2
    assert "".join(r.output.split()) == "".join(
        f"error: OutputError cannot write {tmp_path / 'd'}: disk full; free some space and run "
        "again".split()
    )
    assert {n: logging.getLogger(n).level for n in before} == before


def test_quiet_libraries_leaves_verbose_logging_alone() -> None:
    from citycheckup.cli.checkup import _quiet_libraries

    root = logging.getLogger()
    saved = root.level
    lib = logging.getLogger("shapely")
    saved_lib = lib.level
    try:
        root.setLevel(logging.DEBUG)  # as with --verbose
        lib.setLevel(logging.INFO)
        with _quiet_libraries():
            assert lib.level == logging.INFO
        root.setLevel(logging.WARNING)  # the default: quiet inside, restored after
        with _quiet_libraries():
            assert lib.level == logging.ERROR
        assert lib.level == logging.INFO
    finally:
        root.setLevel(saved)
        lib.setLevel(saved_lib)
