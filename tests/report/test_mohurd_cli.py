"""`citycheckup run` with mohurd-2025 and a results store holding registers and field surveys,
then `citycheckup report` in MOHURD's outline (issues 11, 12, 15). The city is SYNTHETIC
(tests/inventory/synthetic_city.py for the registers and surveys, tests/checkup/synthetic_mohurd.py
for the city-level values)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from citycheckup.cli import app
from citycheckup.framework import load_framework

from ..checkup.synthetic_mohurd import synthetic_city
from ..inventory.synthetic_city import UNIT, make_city


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from citycheckup.inventory import REGISTER_KINDS, read_problems, read_register
    from citycheckup.store import Store
    from citycheckup.store._inventory import InventoryStore

    from ..inventory.synthetic_city import write_city

    d = tmp_path_factory.mktemp("mohurd_cli")
    fw = load_framework("mohurd-2025")
    city = make_city(fw)
    write_city(city, d / "csv")
    db = d / "store.duckdb"
    with Store(db) as st:
        inv = InventoryStore(st)
        inv.import_registers(
            {k: read_register(d / "csv" / f"{k}s_2024.csv", k, fw=fw) for k in REGISTER_KINDS},
            source="synthetic registers 2024",
        )
        regs = {k: inv.load(UNIT).register(k, year=2024) for k in REGISTER_KINDS}
        survey = read_problems(d / "csv" / "survey_2024.csv", fw, registers=regs)
        inv.record_survey(
            survey, levels=["housing", "community", "block"], source="synthetic survey 2024"
        )
    # city-level values only (the lower levels come from the store)
    vals = synthetic_city(fw, years=(2024,), code=UNIT, name="合成市")
    city_cols = [i.code for i in fw.indicators if i.level == "city" and i.code in vals.columns]
    vals[["unit_code", "unit_name", "year", *city_cols]].to_csv(d / "city.csv", index=False)
    r = CliRunner().invoke(
        app,
        [
            "run",
            "--framework",
            "mohurd-2025",
            "--data",
            str(d / "city.csv"),
            "--store",
            str(db),
            "--out",
            str(d / "run"),
        ],
    )
    assert r.exit_code == 0, r.output
    return d, db


def test_lower_levels_come_from_the_registers(run_dir: tuple[Path, Path]) -> None:
    d, _ = run_dir
    inv = pd.read_csv(d / "run" / "inventories.csv", dtype={"unit_code": str})
    hz = inv[inv["indicator"] == "buildings_structural_hazard"].iloc[0]
    regs = make_city(load_framework("mohurd-2025")).registers[2024]
    assert hz["denominator_value"] == len(
        regs["building"]
    )  # all residential buildings of the register
    assert 0 < hz["count"] <= hz["denominator_value"]
    problems = pd.read_csv(d / "run" / "problems.csv", dtype={"unit_code": str})
    assert len(problems) > 50 and problems["problem_id"].str.startswith(f"{UNIT}-").all()
    assert (d / "run" / f"annex_{UNIT}_zh.xlsx").is_file()
    grades = pd.read_csv(d / "run" / "grades.csv")
    assert not set(grades["indicator"]) & set(inv["indicator"])  # lower levels are never graded


def test_report_in_mohurd_outline_pdf_docx_and_themes(run_dir: tuple[Path, Path]) -> None:
    import docx

    d, _ = run_dir
    out = d / "reports"
    r = CliRunner().invoke(
        app,
        [
            "report",
            "--run",
            str(d / "run"),
            "--format",
            "docx",
            "--format",
            "html",
            "--lang",
            "zh",
            "--lang",
            "en",
            "--theme",
            "parking",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    doc = docx.Document(str(out / f"checkup_{UNIT}_zh.docx"))
    heads = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert any("住房、小区（社区）、街区体检结果" in h for h in heads)
    html = (out / f"checkup_{UNIT}_en.html").read_text(encoding="utf-8")
    assert "Located problems (" in html  # the located-problem tables per level
    # the map of the located problems: an SVG image (base64) with its caption and its title
    import base64
    import re

    m = re.search(
        r'<img class="chart" alt="Located problems of housing, compounds and communities, and blocks'
        r'[^"]*" src="data:image/svg\+xml;base64,([^"]+)"',
        html,
    )
    assert m is not None
    assert "Where the located problems are" in base64.b64decode(m.group(1)).decode("utf-8")
    assert (out / f"theme_parking_{UNIT}_zh.docx").is_file()
