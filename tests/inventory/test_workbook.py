"""Field-survey workbooks per level: structure, drop-downs from the framework, round trip, errors, LibreOffice.

Registers are the tiny SYNTHETIC city of tests/inventory/helpers.py.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from citycheckup.errors import DataError
from citycheckup.framework.models import Framework
from citycheckup.inventory import (
    LEVEL_REGISTERS,
    problem_indicators,
    read_field_survey,
    register_extras,
    write_field_survey,
)
from citycheckup.inventory._read import indicator_label
from citycheckup.inventory._workbook import FIRST_ROW, HEADER_ROW, sheet_names
from tests.inventory.helpers import UNIT, tiny_registers

TODAY = dt.date(2030, 1, 1)


def _headers(ws: object) -> dict[str, int]:
    return {str(c.value): c.column for c in ws[HEADER_ROW] if c.value is not None}  # type: ignore[index]


@pytest.mark.parametrize("level", ["housing", "community", "block"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_workbook_lists_the_framework_sub_items_and_validates_cells(
    tmp_path: Path, fw: Framework, level: str, lang: str
) -> None:
    out = write_field_survey(
        fw,
        level,
        tmp_path / f"{level}.xlsx",
        unit_code=UNIT,
        year=2025,
        unit_name="合成市",
        lang=lang,
    )
    wb = load_workbook(out)
    names = sheet_names(level, lang)
    assert wb.sheetnames == [
        "README",
        *(names[k] for k in LEVEL_REGISTERS[level]),
        "lists",
        names["problems"],
        names["guide"],
    ]
    assert wb["lists"].sheet_state == "hidden"
    meta = {
        wb["README"].cell(row=r, column=1).value: wb["README"].cell(row=r, column=2).value
        for r in range(3, 11)
    }
    assert meta["framework"] == fw.code and meta["level"] == level and meta["year"] == 2025
    inds = problem_indicators(fw, level)
    wl = wb["lists"]
    assert [wl.cell(row=r, column=1).value for r in range(2, 2 + len(inds))] == [
        indicator_label(i, lang) for i in inds
    ]
    for ind in inds:  # each indicator's drop-down range holds exactly its sub-items
        ref = wb.defined_names[f"SI_{ind.code}"].attr_text
        col = ref.split("!")[1].split(":")[0].replace("$", "").rstrip("0123456789")
        got = [wl[f"{col}{r}"].value for r in range(2, 2 + max(1, len(ind.sub_items)))]
        want = [s.name_zh if lang == "zh" else s.name_en for s in ind.sub_items] or [None]
        assert got == want, ind.code
    ws = wb[names["problems"]]
    kinds = {dv.formula1: dv.type for dv in ws.data_validations.dataValidation}
    assert any(f.startswith("INDIRECT(") for f in kinds)  # sub-items follow the chosen indicator
    assert "'lists'!$A$2:$A$" + str(1 + len(inds)) in kinds
    assert any(t == "date" for t in kinds.values()) and any(t == "decimal" for t in kinds.values())
    for kind in LEVEL_REGISTERS[level]:
        heads = _headers(wb[names[kind]])
        for extra in register_extras(fw, kind):  # framework denominators become register columns
            assert extra.label(lang) in heads
    text = " ".join(
        str(c.value)
        for row in wb[names["problems"]].iter_rows(max_row=HEADER_ROW)
        for c in row
        if c.value
    )
    if lang == "en":
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in text.replace("合成市", ""))
    else:
        assert "发现日期" in text and "问题子项" in text


def _fill(
    path: Path, fw: Framework, level: str, rows: list[dict[str, object]], lang: str = "zh"
) -> None:
    wb = load_workbook(path)
    ws = wb[sheet_names(level, lang)["problems"]]
    from citycheckup.inventory._schema import PROBLEM_COLUMNS, header_key

    col = {
        spec.name: c.column
        for c in ws[HEADER_ROW]
        for spec in PROBLEM_COLUMNS
        if c.value and header_key(c.value) == header_key(spec.label(lang))
    }
    for k, r in enumerate(rows):
        for name, v in r.items():
            ws.cell(row=FIRST_ROW + k, column=col[name], value=v)
    wb.save(path)


def test_round_trip_of_a_filled_workbook(tmp_path: Path, synthetic_fw: Framework) -> None:
    regs = tiny_registers(2025)
    out = write_field_survey(
        synthetic_fw,
        "housing",
        tmp_path / "h.xlsx",
        unit_code=UNIT,
        year=2025,
        registers={"building": regs["building"]},
    )
    h01 = synthetic_fw.indicator("structural_hazard_buildings")
    _fill(
        out,
        synthetic_fw,
        "housing",
        [
            {
                "register_id": "Q1-1",
                "indicator": indicator_label(h01, "zh"),
                "sub_item": "混凝土构件裂缝",
                "severity": "严重",
                "date_found": dt.datetime(2025, 6, 3),
                "photo": "IMG_1.jpg",
            },
            {
                "register_id": "Q2-2",
                "indicator": "H-05 非成套住宅数量",
                "severity": "一般",
                "quantity": 4,
                "date_found": dt.datetime(2025, 6, 4),
            },
        ],
    )
    fs = read_field_survey(
        out, synthetic_fw, context={k: v for k, v in regs.items() if k != "building"}, today=TODAY
    )
    assert (fs.level, fs.unit_code, fs.year, fs.crs) == ("housing", UNIT, 2025, "wgs84")
    b = fs.registers["building"]
    assert list(b["building_id"]) == list(regs["building"]["building_id"])
    assert list(b["dwellings"]) == [20, 30, 40, 50] and abs(b["lon"].iloc[0] - 114.3021) < 1e-9
    p = fs.problems
    assert list(p["indicator"]) == ["structural_hazard_buildings", "non_self_contained_dwellings"]
    assert list(p["sub_item"]) == ["concrete_cracks", None] and list(p["severity"]) == [
        "severe",
        "moderate",
    ]
    assert p["quantity"].iloc[1] == 4 and p["photo"].iloc[0] == "IMG_1.jpg"


def test_english_workbook_round_trip(tmp_path: Path, synthetic_fw: Framework) -> None:
    regs = tiny_registers(2025)
    out = write_field_survey(
        synthetic_fw,
        "block",
        tmp_path / "b.xlsx",
        unit_code=UNIT,
        year=2025,
        lang="en",
        registers={"block": regs["block"]},
    )
    _fill(
        out,
        synthetic_fw,
        "block",
        [
            {
                "register_id": "B1",
                "indicator": "B-06 Roads with street-lighting problems",
                "sub_item": "Street lamps broken",
                "road": "Dongfeng Rd",
                "severity": "severe",
                "date_found": "2025-06-03",
            }
        ],
        lang="en",
    )
    fs = read_field_survey(out, synthetic_fw, today=TODAY)
    assert (
        fs.problems.loc[0, "sub_item"] == "lamps_broken"
        and fs.problems.loc[0, "road"] == "Dongfeng Rd"
    )


def test_import_with_errors_names_sheet_row_and_column(
    tmp_path: Path, synthetic_fw: Framework
) -> None:
    regs = tiny_registers(2025)
    out = write_field_survey(
        synthetic_fw,
        "housing",
        tmp_path / "h.xlsx",
        unit_code=UNIT,
        year=2025,
        registers={"building": regs["building"]},
    )
    wb = load_workbook(out)
    ws = wb["楼栋登记"]
    ws["I5"] = "很多"  # 住宅套数 of the second building
    ws["A7"] = "Q1-1"  # a repeated building ID
    ws["E4"] = "B9"  # a block that is not registered
    wb.save(out)
    _fill(
        out,
        synthetic_fw,
        "housing",
        [
            {
                "register_id": "Q1-1",
                "indicator": "H-01 存在结构安全隐患的住宅数量",
                "sub_item": "路灯损坏",
                "severity": "严重",
                "date_found": "2025-06-03",
            },
            {
                "register_id": "X-9",
                "indicator": "B-10 需要更新改造的老旧街区数量",
                "severity": "很重",
                "date_found": "2025-13-01",
            },
        ],
    )
    with pytest.raises(DataError) as ei:
        read_field_survey(
            out,
            synthetic_fw,
            context={"block": regs["block"], "compound": regs["compound"]},
            today=TODAY,
        )
    msg = str(ei.value)
    assert "nothing was imported" in msg
    assert (
        "h.xlsx sheet '楼栋登记' row 5, column I (住宅套数（套）*): '很多' is not a number" in msg
    )
    assert (
        "h.xlsx sheet '楼栋登记' row 7, column A (楼栋编号*): building_id 'Q1-1' is repeated (first in row 4)"
        in msg
    )
    assert (
        "h.xlsx sheet '楼栋登记' row 4, column E (所属街区编号*): block_id 'B9' is not in the block register"
        in msg
    )
    assert (
        "h.xlsx sheet '住房问题' row 4, column C (问题子项): sub-item '路灯损坏' does not belong to indicator H-01"
        in msg
    )
    assert (
        "h.xlsx sheet '住房问题' row 5, column B (指标*): indicator B-10 is a block indicator, not housing"
        in msg
    )
    assert (
        "h.xlsx sheet '住房问题' row 5, column D (严重程度*): severity '很重' is not one of the allowed values"
        in msg
    )
    assert "h.xlsx sheet '住房问题' row 5, column G (发现日期*): '2025-13-01' is not a date" in msg


def test_workbook_of_another_framework_or_level_is_refused(
    tmp_path: Path, synthetic_fw: Framework
) -> None:
    out = write_field_survey(synthetic_fw, "block", tmp_path / "b.xlsx", unit_code=UNIT, year=2025)
    other = synthetic_fw.model_copy(update={"code": "other"})
    with pytest.raises(DataError, match="was written for framework 'synthetic_mohurd'"):
        read_field_survey(out, other)
    with pytest.raises(DataError, match="level must be one of"):
        write_field_survey(synthetic_fw, "city", tmp_path / "c.xlsx", unit_code=UNIT, year=2025)
    from citycheckup.framework import load_framework

    with pytest.raises(DataError, match="no located-problem indicators at level housing"):
        write_field_survey(
            load_framework("people-city-2025"),
            "housing",
            tmp_path / "p.xlsx",
            unit_code=UNIT,
            year=2025,
        )
    wb = load_workbook(out)
    wb["README"]["B6"] = None  # unit_code
    wb.save(out)
    with pytest.raises(DataError, match="unit_code is empty"):
        read_field_survey(out, synthetic_fw)


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice (soffice) and poppler (pdftotext) are needed",
)
@pytest.mark.parametrize("level", ["housing", "community", "block"])
def test_workbook_opens_in_libreoffice(tmp_path: Path, fw: Framework, level: str) -> None:
    out = write_field_survey(
        fw,
        level,
        tmp_path / f"{level}.xlsx",
        unit_code=UNIT,
        year=2025,
        unit_name="合成市",
        registers={k: v for k, v in tiny_registers(2025).items() if k in LEVEL_REGISTERS[level]},
    )
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(out),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    pdf = tmp_path / f"{level}.pdf"
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    title = {
        "housing": "住房维度城市体检现场调查表",
        "community": "小区（社区）维度城市体检现场调查表",
        "block": "街区维度城市体检现场调查表",
    }[level]
    assert title in text and "发现日期" in text and "指标说明" in text
    assert problem_indicators(fw, level)[0].name_zh[:6] in text
