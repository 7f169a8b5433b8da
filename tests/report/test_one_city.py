"""One city alone, as a municipal team has it (issue 10): template → fill in → run → report.

The values typed into the workbook are SYNTHETIC (plausible for 宜昌 but made up for the
test), except where a comment names the Yichang 2025 report.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from citycheckup.cli import app

POPPLER = shutil.which("pdftotext")
needs_poppler = pytest.mark.skipif(
    not POPPLER and not os.environ.get("CI"), reason="poppler-utils not installed"
)

#: code → (this year, last year)
VALUES = {
    "park_area_per_capita": (7.5, 7.2),  # below GB 55014's 8.0 → 不足
    "road_network_density": (8.68, 8.5),  # Yichang 2025 (S1): 8.68
    "sewage_collection_rate": (81.06, 79.0),  # Yichang 2025 (S1): 81.06 %
    "builtup_population_density": (0.67, 0.66),  # Yichang 2025 (S1): 0.67
    "tertiary_share": (48.0, 47.0),
    "gdp_per_capita": (95000.0, 90000.0),
    "hotline_response_rate": (97.0, 96.0),
}


@pytest.fixture(scope="module")
def one_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from openpyxl import load_workbook

    d = tmp_path_factory.mktemp("one_city")
    r = CliRunner().invoke(
        app, ["template", "--unit", "420500", "--year", "2024", "--out", str(d / "t.xlsx")]
    )
    assert r.exit_code == 0, r.output
    wb = load_workbook(d / "t.xlsx")
    filled = 0
    for ws in wb.worksheets[1:]:
        for row in ws.iter_rows():
            if row[0].value in VALUES:
                row[3].value, row[4].value = VALUES[row[0].value]
                filled += 1
    assert filled == len(VALUES)
    wb.save(d / "t.xlsx")
    r = CliRunner().invoke(app, ["run", "--data", str(d / "t.xlsx"), "--out", str(d / "run")])
    assert r.exit_code == 0, r.output
    return d


def test_run_of_one_city_is_complete(one_city: Path) -> None:
    import pandas as pd

    s = pd.read_csv(one_city / "run" / "scores.csv", dtype={"unit_code": str})
    assert s["unit_code"].unique().tolist() == ["420500"] and sorted(s["year"]) == [2023, 2024]
    assert s["unit_name"].eq("宜昌市").all()  # the gazetteer's name: never "nan"
    last = s[s["year"] == 2024].iloc[0]
    assert pd.notna(last["index"]) and pd.isna(last["rank_index"])  # a score, but no rank of one
    g = pd.read_csv(one_city / "run" / "grades.csv", dtype={"unit_code": str})
    g = g[g["year"] == 2024].set_index("indicator")["grade"]
    assert g["park_area_per_capita"] == "poor" and g["road_network_density"] == "good"
    c = pd.read_csv(one_city / "run" / "changes.csv", dtype={"unit_code": str})
    assert c["base_year"].iloc[0] == 2023 and c["index_change"].iloc[0] > 0
    html = (one_city / "run" / "report.html").read_text(encoding="utf-8")
    assert "nan" not in re.sub(r"<[^>]+>", " ", html).split() and "宜昌市" in html
    assert "排名前三的城市为。" not in html


@needs_poppler
@pytest.mark.parametrize(
    ("lang", "name", "grade", "absent"),
    [
        ("zh", "宜昌市城市体检报告", "不足", "排名不变"),
        ("en", "City health check-up report: Yichang", "poor", "宜昌"),
    ],
)
def test_pdf_report_of_one_city(
    one_city: Path, lang: str, name: str, grade: str, absent: str
) -> None:
    out = one_city / f"rep_{lang}"
    r = CliRunner().invoke(
        app,
        [
            "report",
            "--run",
            str(one_city / "run"),
            "--unit",
            "420500",
            "--format",
            "pdf",
            "--lang",
            lang,
            "--out",
            str(out),
            "--jobs",
            "1",
        ],
    )
    assert r.exit_code == 0, r.output
    text = subprocess.run(
        ["pdftotext", str(out / f"city_420500_{lang}.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flat = " ".join(text.split())
    assert name in flat and grade in flat
    assert absent not in flat
    assert "nan" not in flat.split()
    assert "--" not in flat  # no command-line flag in a reader's report
    assert "http" not in flat  # thresholds cite standards, never web pages
