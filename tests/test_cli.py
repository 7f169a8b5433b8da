"""End-to-end CLI runs through typer's runner and as a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from citycheckup.cli import app
from citycheckup.data import load_city_macro

runner = CliRunner()


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Raw variables of 40 real cities, 2021–2024, written as a user would give them (names, not codes)."""
    d = load_city_macro().data
    d = d[(d["year"] >= 2021) & d["unit_code"].isin(sorted(d["unit_code"].unique())[:40])]
    d = d.drop(columns=["unit_code", "province_code", "broadband_users"]).rename(
        columns={"unit_name": "城市"}
    )
    d = d[d["城市"] != "三沙市"]
    path = tmp_path_factory.mktemp("data") / "cities.csv"
    d.to_csv(path, index=False)
    return path


def test_run_writes_all_outputs(small_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    res = runner.invoke(app, ["run", "--data", str(small_csv), "--out", str(out), "--lang", "en"])
    assert res.exit_code == 0, res.output
    for name in ("scores.csv", "indicators.csv", "results.xlsx", "report.html", "manifest.json"):
        assert (out / name).is_file(), name
    s = pd.read_csv(out / "scores.csv", dtype={"unit_code": str})
    assert s.columns[:11].tolist() == [
        "unit_code",
        "unit_name",
        "year",
        "index",
        "system",
        "innovation",
        "livable",
        "green",
        "resilient",
        "civilized",
        "smart",
    ]
    assert "rank_index" in s.columns and "rank_smart" in s.columns
    assert sorted(s["year"].unique()) == [2021, 2022, 2023, 2024]
    assert s["unit_code"].str.fullmatch(r"\d{6}").all()
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert m["framework"]["code"] == "people_city_2025" and len(m["data"][0]["sha256"]) == 64
    assert m["parameters"]["normalisation"] == "minmax"
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script src=" not in html and "https://" not in html.split("<footer>")[0]
    assert "Ranking by overall index" in html


def test_failed_run_keeps_earlier_output(small_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert runner.invoke(app, ["run", "--data", str(small_csv), "--out", str(out)]).exit_code == 0
    before = (out / "scores.csv").read_bytes()
    bad = tmp_path / "bad.csv"
    df = pd.read_csv(small_csv, dtype=str)
    df.loc[3, "pop_resident"] = "lots"
    df.loc[5, "城市"] = "乌有市"
    df.to_csv(bad, index=False)
    res = runner.invoke(app, ["run", "--data", str(bad), "--out", str(out)])
    assert res.exit_code == 2
    assert "'乌有市' is not a known prefecture-level unit" in res.output
    assert "value 'lots' is not a number" in res.output
    assert (out / "scores.csv").read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_validate_and_frameworks(small_csv: Path) -> None:
    res = runner.invoke(
        app, ["validate", "--framework", "people-city-2025", "--data", str(small_csv)]
    )
    assert res.exit_code == 0, res.output
    assert (
        "85 indicators in 7 dimensions — valid" in res.output
        or "indicators in 7 dimensions — valid" in res.output
    )
    res = runner.invoke(app, ["frameworks", "list"])
    assert res.exit_code == 0 and "people-city-2025" in res.output
    res = runner.invoke(
        app, ["frameworks", "show", "people-city-2025", "--lang", "en"], env={"COLUMNS": "250"}
    )
    assert res.exit_code == 0 and "road_network_density" in res.output


def test_bad_framework_exit_code(tmp_path: Path) -> None:
    bad = tmp_path / "fw.yaml"
    bad.write_text("code: x\nname_zh: x\nname_en: x\ndimensions: []\n", encoding="utf-8")
    res = runner.invoke(app, ["validate", "--framework", str(bad)])
    assert res.exit_code == 2


def test_console_script_help() -> None:
    exe = Path(sys.executable).with_name("citycheckup")
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=True)
    for cmd in ("demo", "run", "validate", "frameworks"):
        assert cmd in out.stdout


def test_run_saves_into_the_store(small_csv: Path, tmp_path: Path) -> None:
    from citycheckup.store import Store

    store = tmp_path / "s.duckdb"
    res = runner.invoke(
        app,
        [
            "run",
            "--data",
            str(small_csv),
            "--out",
            str(tmp_path / "r"),
            "--store",
            str(store),
            "--label",
            "test run",
        ],
    )
    assert res.exit_code == 0, res.output
    with Store(store, read_only=True) as st:
        runs = st.list_runs()
    assert len(runs) == 1


def test_run_reads_a_filled_template_merged_with_other_data(
    small_csv: Path, tmp_path: Path
) -> None:
    """A department's workbook (citycheckup template) merges with the other cities' variables."""
    import openpyxl

    tpl = tmp_path / "baoding.xlsx"
    res = runner.invoke(
        app,
        [
            "template",
            "--framework",
            "people-city-2025",
            "--unit",
            "130600",
            "--year",
            "2024",
            "--out",
            str(tpl),
        ],
    )
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(tpl)
    for row in wb["innovation"].iter_rows(min_row=5):
        if row[0].value == "gdp_per_capita":
            row[3].value = 12345.0
    wb.save(tpl)
    df = pd.read_csv(small_csv)
    df = df[df["城市"] != "保定市"]  # Baoding comes from its workbook only
    data = tmp_path / "others.csv"
    df.to_csv(data, index=False)
    out = tmp_path / "run"
    res = runner.invoke(app, ["run", "--data", str(data), "--data", str(tpl), "--out", str(out)])
    assert res.exit_code == 0, res.output
    ind = pd.read_csv(out / "indicators.csv", dtype={"unit_code": str})
    row = ind[(ind["unit_code"] == "130600") & (ind["year"] == 2024)]
    assert row["gdp_per_capita"].tolist() == [12345.0]
    others = ind[ind["unit_code"] != "130600"]
    assert (
        others["gdp_per_capita"].notna().all()
    )  # derived from the variables, not blanked by the merge
