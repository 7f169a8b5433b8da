"""``citycheckup survey …`` end to end: questionnaire, design, tokens, import, weight, results."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
from typer.testing import CliRunner

from citycheckup.cli import app
from citycheckup.survey import SurveyDB
from tests.survey.synthetic import AREAS, Draw, Population

runner = CliRunner()


def _flat(text: str) -> str:
    """The output without the line breaks of the terminal's wrapping."""
    return " ".join(text.split())


def _areas(tmp: Path) -> Path:
    p = tmp / "areas.csv"
    AREAS.rename(
        columns={"area": "编号", "name_zh": "名称", "name_en": "英文名称", "population": "常住人口"}
    ).to_csv(p, index=False)
    return p


def test_questionnaire_out_and_check(tmp_path: Path) -> None:
    out = tmp_path / "q.yaml"
    r = runner.invoke(
        app, ["survey", "questionnaire", "--out", str(out), "--framework", "people-city-2025"]
    )
    assert r.exit_code == 0, r.output
    assert "44 questions" in r.output and out.is_file()
    out.write_text(
        out.read_text(encoding="utf-8").replace("label_en: Gas safety", "label_en: 燃气"),
        encoding="utf-8",
    )
    r = runner.invoke(app, ["survey", "questionnaire", "--check", str(out)])
    assert (
        r.exit_code == 2
        and "contains Chinese characters" in _flat(r.output)
        and f"{out}:" in _flat(r.output)
    )


def test_design_writes_xlsx(tmp_path: Path) -> None:
    r = runner.invoke(
        app,
        [
            "survey",
            "design",
            str(_areas(tmp_path)),
            "--margin",
            "0.04",
            "--minimum",
            "50",
            "--response-rate",
            "0.5",
            "--out",
            str(tmp_path / "d.xlsx"),
            "--lang",
            "en",
        ],
    )
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(tmp_path / "d.xlsx")
    assert wb.sheetnames == ["Quotas", "Parameters"]
    r = runner.invoke(
        app, ["survey", "design", str(_areas(tmp_path)), "--n", "10", "--minimum", "5"]
    )
    assert r.exit_code == 2 and "raise n to at least 30" in _flat(r.output)


def test_tokens_import_weight_results(tmp_path: Path, population: Population, draw: Draw) -> None:
    db = tmp_path / "s.sqlite"
    r = runner.invoke(
        app,
        [
            "survey",
            "tokens",
            "--db",
            str(db),
            "--survey",
            "y2025",
            "--n",
            "3",
            "--areas",
            str(_areas(tmp_path)),
            "--base-url",
            "https://s.example.org/",
            "--out",
            str(tmp_path / "t.csv"),
        ],
    )
    assert r.exit_code == 0, r.output
    toks = pd.read_csv(tmp_path / "t.csv", encoding="utf-8-sig")
    assert (
        len(toks) == 3
        and toks["link"].iloc[0] == f"https://s.example.org/survey/y2025?t={toks['token'].iloc[0]}"
    )
    with SurveyDB(db) as sdb:
        assert sdb.token_counts("y2025") == {"issued": 3, "used": 0}
    # a response file with Chinese headers, as a fieldwork company would deliver it
    data = draw.responses.data.drop(columns=["row"]).rename(
        columns={
            "respondent": "受访者编号",
            "age_group": "年龄段",
            "sex": "性别",
            "area": "街道（社区）",
            "submitted": "提交日期",
        }
    )
    resp = tmp_path / "responses.csv"  # XLSX import is tested in test_responses.py, on a small file
    data.to_csv(resp, index=False, encoding="utf-8-sig")
    r = runner.invoke(app, ["survey", "import", str(resp), "--out", str(tmp_path / "clean.csv")])
    assert r.exit_code == 0, r.output
    assert f"{draw.responses.n} respondent(s)" in _flat(r.output)
    margins = tmp_path / "margins.csv"
    rows = [(v, c, n) for v, s in population.margins().items() for c, n in s.items()]
    pd.DataFrame(rows, columns=["变量", "类别", "人口"]).to_csv(margins, index=False)
    r = runner.invoke(
        app,
        [
            "survey",
            "weight",
            str(resp),
            "--margins",
            str(margins),
            "--out",
            str(tmp_path / "w.csv"),
        ],
    )
    assert r.exit_code == 0, r.output
    w = pd.read_csv(tmp_path / "w.csv", encoding="utf-8-sig")
    assert abs(w["weight"].sum() - len(population.frame)) < 1e-6 * len(population.frame)
    out = tmp_path / "res"
    r = runner.invoke(
        app,
        [
            "survey",
            "results",
            str(resp),
            "--margins",
            str(margins),
            "--invited",
            str(draw.invited),
            "--hotline-rate",
            "86.5",
            "--hotline-period",
            "2025-06",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    assert {p.name for p in out.iterdir()} == {"results_zh.xlsx", "results_en.xlsx", "problems.csv"}
    problems = pd.read_csv(out / "problems.csv", encoding="utf-8-sig")
    assert len(problems) > 0 and (problems["index"] < 60).all()
    assert "12345 rate 86.5 %" in _flat(r.output)


def test_import_errors_exit_2_with_row_and_column(tmp_path: Path, draw: Draw) -> None:
    data = draw.responses.data.drop(columns=["row"]).head(5).copy()
    data.loc[2, "H1"] = "7"
    p = tmp_path / "bad.csv"
    data.to_csv(p, index=False)
    r = runner.invoke(app, ["survey", "import", str(p)])
    assert r.exit_code == 2
    assert "row 4, column 'H1': '7' is not an answer" in _flat(r.output)
