"""CLI: template --level, registers import|validate|list, problems import|list|start|close|link-project|….

Tiny SYNTHETIC city (tests/inventory/helpers.py) with the synthetic test framework.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from citycheckup.cli import app
from citycheckup.store import Store
from citycheckup.store._inventory import InventoryStore
from tests.inventory.conftest import SYNTHETIC_FW
from tests.inventory.helpers import UNIT, tiny_registers

runner = CliRunner()
FW = str(SYNTHETIC_FW)


def _run(*args: str) -> str:
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res.output


def _flat(text: str) -> str:
    """Console output without the line breaks the terminal width added."""
    return " ".join(text.split())


def _sheets(path: Path) -> list[str]:
    wb = load_workbook(path, read_only=True)
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


@pytest.fixture
def registers_csv(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for kind, df in tiny_registers(2024).items():
        p = tmp_path / f"{kind}.csv"
        df.to_csv(p, index=False)
        out[kind] = p
    return out


def test_template_level_writes_the_field_survey_and_the_city_template_is_unchanged(
    tmp_path: Path,
) -> None:
    _run(
        "template",
        "--level",
        "housing",
        "--framework",
        FW,
        "--unit",
        UNIT,
        "--year",
        "2025",
        "--out",
        str(tmp_path / "h.xlsx"),
        "--name",
        "合成市",
    )
    names = _sheets(tmp_path / "h.xlsx")
    assert names[:2] == ["README", "楼栋登记"] and "住房问题" in names
    _run(
        "template",
        "--level",
        "block",
        "--framework",
        FW,
        "--unit",
        UNIT,
        "--year",
        "2025",
        "--out",
        str(tmp_path / "b.xlsx"),
        "--lang",
        "en",
    )
    assert "block problems" in _sheets(tmp_path / "b.xlsx")
    _run("template", "--unit", UNIT, "--year", "2025", "--out", str(tmp_path / "city.xlsx"))
    assert "livable" in _sheets(tmp_path / "city.xlsx")  # people-city-2025
    res = runner.invoke(
        app,
        [
            "template",
            "--level",
            "city",
            "--unit",
            UNIT,
            "--year",
            "2025",
            "--out",
            str(tmp_path / "x.xlsx"),
        ],
    )
    assert res.exit_code != 0 and "--level must be housing, community or block" in res.output


def test_template_level_prefills_last_years_registers_from_the_store(
    tmp_path: Path, registers_csv: dict[str, Path]
) -> None:
    db = tmp_path / "s.duckdb"
    for kind in ("block", "community", "compound"):
        _run(
            "registers",
            "import",
            str(registers_csv[kind]),
            "--kind",
            kind,
            "--framework",
            FW,
            "--store",
            str(db),
        )
    _run(
        "template",
        "--level",
        "community",
        "--framework",
        FW,
        "--unit",
        UNIT,
        "--year",
        "2025",
        "--out",
        str(tmp_path / "c.xlsx"),
        "--store",
        str(db),
    )
    wb = load_workbook(tmp_path / "c.xlsx", read_only=True)
    try:
        ws = wb["小区登记"]
        assert [r[0] for r in ws.iter_rows(min_row=4, max_row=5, values_only=True)] == ["Q1", "Q2"]
    finally:
        wb.close()


def test_registers_validate_lists_every_error_and_stores_nothing(tmp_path: Path) -> None:
    bad = tiny_registers(2024)["building"].drop(columns=["unit_code", "year"])
    bad.loc[1, "dwellings"] = "几十"
    bad.loc[2, "building_id"] = "Q1-1"
    bad.to_csv(tmp_path / "b.csv", index=False)
    res = runner.invoke(
        app,
        [
            "registers",
            "validate",
            str(tmp_path / "b.csv"),
            "--kind",
            "building",
            "--unit",
            UNIT,
            "--year",
            "2024",
            "--framework",
            FW,
            "--store",
            str(tmp_path / "none.duckdb"),
        ],
    )
    assert res.exit_code == 2
    assert "b.csv row 3, column 'dwellings': '几十' is not a number" in _flat(res.output)
    assert (
        "b.csv row 4, column 'building_id': building_id 'Q1-1' is repeated (first in row 2)"
        in _flat(res.output)
    )
    assert not (tmp_path / "none.duckdb").exists()


def test_register_and_survey_import_then_the_lifecycle(
    tmp_path: Path, registers_csv: dict[str, Path]
) -> None:
    db = tmp_path / "s.duckdb"
    for kind, path in registers_csv.items():
        out = _run("registers", "validate", str(path), "--kind", kind, "--framework", FW)
        assert "valid" in out
        _run(
            "registers", "import", str(path), "--kind", kind, "--framework", FW, "--store", str(db)
        )
    assert "building" in _run("registers", "list", "--unit", UNIT, "--store", str(db))
    pd.DataFrame(
        [
            {
                "unit_code": UNIT,
                "year": 2024,
                "indicator": "H-01",
                "register_id": "Q1-1",
                "sub_item": "concrete_cracks",
                "severity": "严重",
                "date_found": "2024-05-10",
            },
            {
                "unit_code": UNIT,
                "year": 2024,
                "indicator": "H-03",
                "register_id": "Q2-1",
                "sub_item": "corridor_clutter",
                "severity": "一般",
                "date_found": "2024-05-11",
            },
            {
                "unit_code": UNIT,
                "year": 2024,
                "indicator": "B-06",
                "register_id": "B1",
                "sub_item": "lamps_broken",
                "road": "东风路",
                "severity": "一般",
                "date_found": "2024-05-12",
            },
        ]
    ).to_csv(tmp_path / "p.csv", index=False)
    out = _run(
        "problems",
        "import",
        str(tmp_path / "p.csv"),
        "--unit",
        UNIT,
        "--year",
        "2024",
        "--level",
        "housing",
        "--level",
        "block",
        "--framework",
        FW,
        "--store",
        str(db),
    )
    assert "3 new problem(s)" in _flat(out)
    data = json.loads(
        _run(
            "problems",
            "list",
            "--unit",
            UNIT,
            "--year",
            "2024",
            "--format",
            "json",
            "--framework",
            FW,
            "--store",
            str(db),
        )
    )
    ids = {d["mohurd_id"]: d["problem_id"] for d in data}
    assert ids["H-01"] == f"{UNIT}-H01-2024-0001" and data[0]["status"] == "found"
    _run("problems", "start", ids["H-03"], "--date", "2025-01-05", "--store", str(db))
    res = runner.invoke(
        app,
        [
            "problems",
            "close",
            ids["H-01"],
            "--date",
            "2025-02-01",
            "--evidence",
            " ",
            "--store",
            str(db),
        ],
    )
    assert res.exit_code == 2 and "closing (销号) needs evidence" in _flat(res.output)
    _run(
        "problems",
        "close",
        ids["H-01"],
        "--date",
        "2025-02-01",
        "--evidence",
        "验收单 7",
        "--store",
        str(db),
    )
    out = _run(
        "problems",
        "link-project",
        f"{UNIT}-R2025-001",
        ids["H-03"],
        ids["B-06"],
        "--unit",
        UNIT,
        "--year",
        "2025",
        "--name",
        "试验街区整治",
        "--investment",
        "85",
        "--funding",
        "区财政",
        "--body",
        "区城投",
        "--renewal-unit",
        "试验片区",
        "--date",
        "2025-03-01",
        "--store",
        str(db),
    )
    assert "2 problem(s) moved into project" in _flat(out)
    hist = _run("problems", "history", ids["H-01"], "--store", str(db))
    assert "found" in hist and "closed" in hist and "验收单 7" in hist
    fu = _run("problems", "follow-up", "--unit", UNIT, "--year", "2025", "--store", str(db))
    assert "33.3" in fu  # 1 of 3 closed
    csv = _run(
        "problems",
        "list",
        "--unit",
        UNIT,
        "--year",
        "2025",
        "--scope",
        "open",
        "--format",
        "csv",
        "--framework",
        FW,
        "--store",
        str(db),
    )
    assert csv.count(f"{UNIT}-") >= 2 and ids["H-01"] not in csv
    out = _run(
        "problems",
        "export",
        "--unit",
        UNIT,
        "--year",
        "2025",
        "--out",
        str(tmp_path / "exp"),
        "--framework",
        FW,
        "--store",
        str(db),
        "--lang",
        "bilingual",
    )
    names = sorted(p.name for p in (tmp_path / "exp").iterdir())
    assert names == [
        f"inventory_{UNIT}_2025_bilingual.xlsx",
        f"inventory_{UNIT}_2025_cgcs2000.gpkg",
        f"inventory_{UNIT}_2025_wgs84.gpkg",
    ]
    with Store(db, read_only=True) as st:
        lib = InventoryStore(st).load(UNIT).projects
        assert (
            lib["investment_10k_yuan"].iloc[0] == 85 and lib["renewal_unit"].iloc[0] == "试验片区"
        )


def test_import_of_a_field_survey_workbook_records_registers_and_problems(tmp_path: Path) -> None:
    from citycheckup.framework import load_framework
    from citycheckup.inventory import write_field_survey

    fw = load_framework(SYNTHETIC_FW)
    db = tmp_path / "s.duckdb"
    regs = tiny_registers(2025)
    with Store(db) as st:
        InventoryStore(st).import_registers(
            {k: regs[k] for k in ("block", "compound", "community")}
        )
    path = write_field_survey(
        fw,
        "housing",
        tmp_path / "h.xlsx",
        unit_code=UNIT,
        year=2025,
        registers={"building": regs["building"]},
    )
    wb = load_workbook(path)
    ws = wb["住房问题"]
    ws["A4"], ws["B4"], ws["C4"], ws["D4"], ws["G4"] = (
        "Q1-2",
        "H-01 存在结构安全隐患的住宅数量",
        "混凝土构件裂缝",
        "一般",
        dt.datetime(2025, 6, 1),
    )
    wb.save(path)
    out = _run("registers", "import", str(path), "--framework", FW, "--store", str(db))
    assert "4 building record(s)" in _flat(out) and "1 new problem(s)" in _flat(out)
    res = runner.invoke(
        app, ["registers", "import", str(path), "--framework", FW, "--store", str(db)]
    )
    assert res.exit_code == 2 and "--replace" in _flat(res.output)
    _run("registers", "import", str(path), "--framework", FW, "--store", str(db), "--replace")
    empty = write_field_survey(
        fw,
        "block",
        tmp_path / "b.xlsx",
        unit_code=UNIT,
        year=2025,
        registers={"block": regs["block"]},
    )
    assert "block survey with no problem" in _flat(
        _run("registers", "import", str(empty), "--framework", FW, "--store", str(db))
    )
    with Store(db, read_only=True) as st:
        inv = InventoryStore(st).load(UNIT)
        assert len(inv.problems) == 1 and sorted(inv.surveys["level"]) == ["block", "housing"]
