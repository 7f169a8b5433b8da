"""`citycheckup report` and `citycheckup template` end to end (typer runner), and the demo hook."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from typer.testing import CliRunner

from citycheckup.cli import app

runner = CliRunner()
DATA = Path(__file__).parent / "data"


def test_report_command_city_html(small_run: Path, tmp_path: Path) -> None:
    res = runner.invoke(
        app,
        [
            "report",
            "--run",
            str(small_run),
            "--unit",
            "330100",
            "--lang",
            "en",
            "--format",
            "html",
            "--out",
            str(tmp_path),
            "--problems",
            str(DATA / "yichang_2025_problems.csv"),
        ],
    )
    assert res.exit_code == 0, res.output
    html = (tmp_path / "city_330100_en.html").read_text(encoding="utf-8")
    assert "Urban-renewal project list" in html and "R001" in html


def test_report_command_errors(small_run: Path, tmp_path: Path) -> None:
    res = runner.invoke(
        app, ["report", "--run", str(small_run), "--unit", "999999", "--out", str(tmp_path)]
    )
    assert res.exit_code == 2 and "999999" in res.output
    res = runner.invoke(app, ["report", "--run", str(tmp_path), "--out", str(tmp_path)])
    assert res.exit_code == 2 and "manifest.json is missing" in res.output
    res = runner.invoke(app, ["report", "--run", str(small_run), "--lang", "fr"])
    assert res.exit_code != 0
    bad = tmp_path / "bad.csv"
    bad.write_text("indicator,location,count\nno_such,楼栋,1\n", encoding="utf-8")
    res = runner.invoke(
        app,
        [
            "report",
            "--run",
            str(small_run),
            "--unit",
            "330100",
            "--problems",
            str(bad),
            "--out",
            str(tmp_path),
        ],
    )
    assert res.exit_code == 2 and "unknown indicator code 'no_such'" in res.output


def test_template_command_with_previous_values(small_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "hz.xlsx"
    res = runner.invoke(
        app,
        [
            "template",
            "--unit",
            "330100",
            "--year",
            "2025",
            "--out",
            str(out),
            "--name",
            "杭州市",
            "--previous",
            str(small_run),
        ],
    )
    assert res.exit_code == 0, res.output
    wb = load_workbook(out)
    ws = wb["innovation"]
    last = {
        ws.cell(row=r, column=1).value: ws.cell(row=r, column=5).value
        for r in range(5, ws.max_row + 1)
    }
    assert (
        last["gdp_per_capita"] is not None and last["gdp_per_capita"] > 100_000
    )  # Hangzhou 2024 (元/人)
    res = runner.invoke(
        app, ["template", "--unit", "1", "--year", "2025", "--out", str(tmp_path / "x.csv")]
    )
    assert res.exit_code != 0
