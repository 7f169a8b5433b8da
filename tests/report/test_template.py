"""Data-collection workbook: write → fill programmatically → read back; bad cells reported with their address."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook

from citycheckup.errors import DataError
from citycheckup.framework import load_framework
from citycheckup.report.template import FIRST_ROW, is_template, read_template, write_template

FW = load_framework("people-city-2025")
#: Yichang 2025 values (see tests/report/data/README.md)
YICHANG = {
    "park_square_coverage_500m": 90.1,
    "road_network_density": 8.68,
    "sewage_collection_rate": 81.06,
    "cultural_facility_area_per_capita": 0.31,
    # Yichang 2025 (S1): 42 of 8,302 residential buildings; 273 of 1,075 compounds, as shares
    "share_buildings_structural_hazard": 0.51,
    "share_compounds_without_property_management": 25.4,
}


def _rows(path: Path) -> dict[str, tuple[str, int]]:
    """Indicator code → (sheet, row) in a written template."""
    wb = load_workbook(path)
    out = {}
    for ws in wb.worksheets[1:]:
        for r in range(FIRST_ROW, ws.max_row + 1):
            code = ws.cell(row=r, column=1).value
            if code:
                out[str(code)] = (ws.title, r)
    return out


def _fill(path: Path, values: dict[str, object]) -> None:
    rows = _rows(path)
    wb = load_workbook(path)
    for code, v in values.items():
        sheet, r = rows[code]
        wb[sheet].cell(row=r, column=4, value=v)
    wb.save(path)


def test_template_layout(tmp_path: Path) -> None:
    out = write_template(
        FW,
        "420500",
        2025,
        tmp_path / "t.xlsx",
        unit_name="宜昌市",
        last_values={"road_network_density": 8.5},
    )
    wb = load_workbook(out)
    assert wb.sheetnames == ["README", *FW.dimension_codes]
    assert [c.value for c in wb["README"]["B"][2:7]] == [
        "people_city_2025",
        FW.version,
        "420500",
        "宜昌市",
        2025,
    ]
    rows = _rows(out)
    assert len(rows) == len(FW.indicators)
    sheet, r = rows["road_network_density"]
    ws = wb[sheet]
    assert ws.cell(row=4, column=4).value == "填报值"
    assert ws.cell(row=r, column=5).value == 8.5  # last year's value
    assert ws.cell(row=r, column=3).value == "km/km²"
    # every value cell has a decimal validation with the allowed range
    dvs = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    sheet_p, rp = rows["park_square_coverage_500m"]
    dvp = {str(dv.sqref): dv for dv in wb[sheet_p].data_validations.dataValidation}[f"D{rp}"]
    assert dvp.type == "decimal" and (dvp.formula1, dvp.formula2) == ("0.0", "100.0")
    assert f"D{r}" in dvs
    assert ws.protection.sheet and not ws.cell(row=r, column=4).protection.locked


def test_template_round_trip(tmp_path: Path) -> None:
    out = write_template(FW, "420500", 2025, tmp_path / "t.xlsx", unit_name="宜昌市")
    _fill(out, {**YICHANG, "sewage_collection_rate": "81.06"})  # a number typed as text is accepted
    assert is_template(out)
    ds = read_template(out, framework=FW)
    row = ds.data.iloc[0]
    assert (row["unit_code"], row["unit_name"], row["year"]) == ("420500", "宜昌市", 2025)
    got = {c: float(row[c]) for c in ds.variables}
    assert got == YICHANG
    assert ds.units["road_network_density"] == "km/km²"
    assert ds.sha256 and len(ds.sha256) == 64


def test_template_bad_cells_reported_with_sheet_and_cell(tmp_path: Path) -> None:
    out = write_template(FW, "420500", 2025, tmp_path / "t.xlsx")
    rows = _rows(out)
    bad = {
        "park_square_coverage_500m": 150.0,  # % above 100
        "share_buildings_structural_hazard": -3,  # a share below 0
        "road_network_density": "8.68 km",  # text with a unit
        "sewage_collection_rate": 81.06,
    }  # fine
    _fill(out, bad)
    wb = load_workbook(out)
    wb["README"]["B7"] = "next year"
    wb.save(out)
    with pytest.raises(DataError) as ei:
        read_template(out)
    msg = str(ei.value)
    assert "4 invalid cell(s)" in msg

    def where(code: str) -> str:
        s, r = rows[code]
        return f"Sheet '{s}' cell D{r}"

    assert (
        f"{where('park_square_coverage_500m')}: park_square_coverage_500m: 150 is above the allowed maximum 100"
        in msg
    )
    assert (
        f"{where('share_buildings_structural_hazard')}: share_buildings_structural_hazard: -3 is below the allowed minimum 0"
        in msg
    )
    assert (
        f"{where('road_network_density')}: road_network_density: '8.68 km' is not a number" in msg
    )
    assert "Sheet 'README' cell B7: year 'next year'" in msg
    assert "sewage_collection_rate" not in msg


def test_template_rejects_a_foreign_workbook(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.save(tmp_path / "x.xlsx")
    assert not is_template(tmp_path / "x.xlsx")
    with pytest.raises(DataError, match="sheet 'README' is missing"):
        read_template(tmp_path / "x.xlsx")


def test_template_values_are_floats(tmp_path: Path) -> None:
    out = write_template(FW, "420500", 2025, tmp_path / "t.xlsx")
    _fill(out, {"share_buildings_gas_hazard": 6})
    ds = read_template(out)
    assert ds.data["share_buildings_gas_hazard"].dtype == np.float64
