"""Field-survey workbooks per level (住房 / 小区社区 / 街区), and reading them back.

A workbook holds a README sheet (what it is for: framework, level, city, year,
coordinate system, instructions), one register sheet per register the level visits
(楼栋登记; 小区登记 and 社区登记; 街区登记), a problem sheet with drop-down lists
(indicator, then only that indicator's MOHURD sub-items, severity), validated numbers,
dates and coordinates, the indicator guide (指标说明) and a hidden ``lists`` sheet that
feeds the drop-downs. :func:`read_field_survey` reads it back and reports every invalid
cell at once with its sheet, row and column.

Layout (fixed, so that the reader can rely on it): README meta in ``A3:B10`` (keys in
column A); every other sheet has a title in row 1, a hint in row 2, the header in row
3 and data from row 4.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from citycheckup._io import atomic_file
from citycheckup.errors import DataError, Problem
from citycheckup.framework.models import Framework
from citycheckup.inventory._cells import raw_table
from citycheckup.inventory._crs import crs_label, normalise_crs
from citycheckup.inventory._read import (
    check_references,
    indicator_label,
    problem_indicators,
    register_extras,
    validate_register,
)
from citycheckup.inventory._schema import (
    LEVEL_REGISTERS,
    LOWER_LEVELS,
    PROBLEM_COLUMNS,
    REGISTER_COLUMNS,
    SEVERITIES,
    SEVERITY_LABELS,
    Column,
    id_column,
)
from citycheckup.inventory._survey import validate_problems
from citycheckup.inventory._xlsx import fit_row_heights

__all__ = ["FieldSurvey", "read_field_survey", "sheet_names", "write_field_survey"]

HEADER_ROW = 3
FIRST_ROW = 4
_README = "README"
_META = ("framework", "framework_version", "level", "unit_code", "unit_name", "year", "crs", "lang")
_LEVEL_NAMES = {
    "housing": ("住房", "housing"),
    "community": ("小区（社区）", "compounds and communities"),
    "block": ("街区", "blocks"),
}
_REGISTER_SHEETS = {
    "building": ("楼栋登记", "buildings"),
    "compound": ("小区登记", "compounds"),
    "community": ("社区登记", "communities"),
    "block": ("街区登记", "blocks"),
}
_PROBLEM_SHEETS = {
    "housing": ("住房问题", "housing problems"),
    "community": ("小区社区问题", "community problems"),
    "block": ("街区问题", "block problems"),
}
_GUIDE = ("指标说明", "indicators")
_LISTS = "lists"
_LOCATED = {
    "building": ("楼栋", "building"),
    "dwelling": ("住宅（套，记在所在楼栋）", "dwelling (on its building)"),
    "compound": ("小区", "compound"),
    "community": ("社区", "community"),
    "block": ("街区", "block"),
    "road": ("道路（记在所在街区，填道路名称）", "road (on its block, with the road name)"),
}
_TEXT: dict[str, Any] = {
    "title": ("{level}维度城市体检现场调查表", "City check-up field survey: {level}"),
    "meta_label": {
        "framework": ("指标体系", "framework"),
        "framework_version": ("版本", "version"),
        "level": ("维度", "level"),
        "unit_code": ("城市代码", "city code"),
        "unit_name": ("城市名称", "city name"),
        "year": ("体检年度", "check-up year"),
        "crs": ("坐标系", "coordinate system"),
        "lang": ("语言", "language"),
    },
    "instructions": (
        "填写说明：\n"
        "1. 先在登记表中登记每一栋楼/每一个小区、社区、街区：编号在各年度保持不变（沿用上年编号），带 * 的列必填，"
        "坐标填写经度、纬度（坐标系见上，可为 WGS-84、GCJ-02 或 CGCS2000）。\n"
        "2. 在问题表中每行记录一处问题：先选“指标”，再从下拉列表选该指标的“问题子项”；“登记编号”填问题所在楼栋、"
        "小区、社区或街区的编号；道路问题另填道路名称。\n"
        "3. “数量”只在问题按套、个、千米等计量时填写（如非成套住宅套数、停车泊位缺口数），否则留空，按登记对象计 1 处。\n"
        "4. 发现日期格式 YYYY-MM-DD；照片编号填写照片文件名；严重程度从下拉列表选择。\n"
        "5. 同一问题下一年度再次发现时，沿用同一登记编号、指标和子项，系统会保留原问题编号。",
        "How to fill in:\n"
        "1. First register every building / compound / community / block: IDs stay the same from year to year "
        "(reuse last year's), columns marked * are required, coordinates are longitude and latitude in the "
        "coordinate system above (WGS-84, GCJ-02 or CGCS2000).\n"
        "2. In the problem sheet, one row per problem: pick the indicator, then one of its sub-items from the "
        "drop-down; 'register ID' is the ID of the building, compound, community or block where the problem is; "
        "road problems also need the road name.\n"
        "3. Fill 'quantity' only when the problem is counted in dwellings, places, km … (non-self-contained "
        "dwellings, parking shortfall); otherwise leave it empty and the record counts once.\n"
        "4. Dates as YYYY-MM-DD; photo reference = the photo's file name; severity from the drop-down.\n"
        "5. When a problem is found again next year, use the same register ID, indicator and sub-item: it keeps "
        "its problem ID.",
    ),
    "reg_hint": (
        "带 * 的列必填；编号唯一且各年度不变；坐标系：{crs}",
        "Columns marked * are required; IDs are unique "
        "and stay the same across years; coordinates: {crs}",
    ),
    "prob_hint": (
        "每行一处问题；先选指标再选问题子项；数量单位随指标自动显示；坐标可留空（取登记对象坐标）",
        "One problem per row; pick the indicator, then its sub-item; the quantity's unit follows the "
        "indicator; coordinates may be empty (the register record's are used)",
    ),
    "unit_col": ("数量单位", "quantity unit"),
    "guide_heads": (
        ("指标编号", "指标名称", "单位", "登记对象", "分母", "定义", "问题子项"),
        ("ID", "indicator", "unit", "located in", "denominator", "definition", "sub-items"),
    ),
}


def _t(key: str, lang: str) -> Any:
    v = _TEXT[key]
    return v[0] if lang == "zh" else v[1]


def sheet_names(level: str, lang: str = "zh") -> dict[str, str]:
    """Sheet names of the workbook of ``level``: ``README``, each register kind, ``problems``, ``guide``."""
    k = 0 if lang == "zh" else 1
    out = {"readme": _README}
    for kind in LEVEL_REGISTERS[level]:
        out[kind] = _REGISTER_SHEETS[kind][k]
    out["problems"] = _PROBLEM_SHEETS[level][k]
    out["guide"] = _GUIDE[k]
    return out


@dataclass
class FieldSurvey:
    """A field-survey workbook read back."""

    level: str
    unit_code: str
    year: int
    crs: str
    framework: str
    registers: dict[str, pd.DataFrame] = field(default_factory=dict)
    problems: pd.DataFrame = field(default_factory=pd.DataFrame)


def _validation_for(c: Column, crs: str) -> tuple[str, str | None, str | None] | None:
    """(type, formula1, formula2) of a column's data validation."""
    if c.kind == "int":
        return (
            "whole",
            str(int(c.min if c.min is not None else -1e9)),
            str(int(c.max if c.max is not None else 1e9)),
        )
    if c.kind == "float":
        return (
            "decimal",
            str(c.min if c.min is not None else -1e15),
            str(c.max if c.max is not None else 1e15),
        )
    if c.kind == "date":
        return "date", "DATE(1990,1,1)", "DATE(2100,12,31)"
    if c.kind in ("lon", "lat") and crs in ("wgs84", "gcj02", "bd09", "EPSG:4490"):
        return ("decimal", "73", "136") if c.kind == "lon" else ("decimal", "3", "54")
    if c.kind == "id":
        return "textLength", "1", "64"
    return None


def write_field_survey(
    fw: Framework,
    level: str,
    out: str | Path,
    *,
    unit_code: str,
    year: int,
    unit_name: str = "",
    lang: str = "zh",
    crs: str = "wgs84",
    registers: Mapping[str, pd.DataFrame] | None = None,
    rows: int = 2000,
) -> Path:
    """Write the field-survey workbook of ``level`` for ``unit_code`` and ``year`` (XLSX).

    Parameters
    ----------
    fw
        The framework: its located-problem indicators of ``level`` (with their MOHURD
        sub-items, units and denominators) make the drop-down lists and the guide.
    level
        ``housing``, ``community`` or ``block``.
    lang
        Labels in ``zh`` (default) or ``en``; codes stay ASCII.
    crs
        Coordinate system the team records in (stated in the README; read back with it).
    registers
        Register tables to prefill (e.g. last year's, so that IDs are kept); their
        coordinates are WGS-84, so the workbook's crs is then WGS-84.
    rows
        Rows of each sheet that carry drop-downs and validation (beyond prefilled ones).

    Returns
    -------
    pathlib.Path
        ``out`` (written atomically).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation

    if level not in LOWER_LEVELS:
        raise DataError(f"level must be one of {', '.join(LOWER_LEVELS)}, got {level!r}")
    if lang not in ("zh", "en"):
        raise DataError(f"lang must be zh or en, got {lang!r}")
    inds = problem_indicators(fw, level)
    if not inds:
        raise DataError(
            f"framework {fw.code} has no located-problem indicators at level {level} (lower-level "
            "indicators with 'located_in'); use a framework such as mohurd-2025"
        )
    crs = "wgs84" if registers else normalise_crs(crs)
    k = 0 if lang == "zh" else 1
    names = sheet_names(level, lang)
    bold = Font(bold=True)
    thin = Side(style="thin", color="A0A0A0")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill("solid", fgColor="DDE4EE")
    req_fill = PatternFill("solid", fgColor="FCE4D6")
    in_fill = PatternFill("solid", fgColor="FFF8DC")
    wb = Workbook()
    ws0 = wb.active
    ws0.title = _README
    lvl = _LEVEL_NAMES[level][k]
    ws0["A1"] = _t("title", lang).format(level=lvl)
    ws0["A1"].font = Font(bold=True, size=14)
    meta = {
        "framework": fw.code,
        "framework_version": fw.version,
        "level": level,
        "unit_code": str(unit_code),
        "unit_name": unit_name,
        "year": int(year),
        "crs": crs,
        "lang": lang,
    }
    for r, key in enumerate(_META, start=3):
        ws0.cell(row=r, column=1, value=key).font = bold
        ws0.cell(row=r, column=2, value=meta[key]).alignment = Alignment(horizontal="left")
        label = _TEXT["meta_label"][key][k]  # type: ignore[index]
        if key == "crs":
            label += f"：{crs_label(crs)}" if lang == "zh" else f": {crs_label(crs)}"
        ws0.cell(row=r, column=3, value=label)
    ws0["A12"] = _t("instructions", lang)
    ws0["A12"].alignment = Alignment(wrap_text=True, vertical="top")
    ws0.merge_cells("A12:H24")
    for col, w in zip("ABCDEFGH", (20, 26, 34, 12, 12, 12, 12, 12), strict=True):
        ws0.column_dimensions[col].width = w
    ws0.page_setup.orientation = "landscape"
    ws0.page_setup.paperSize = ws0.PAPERSIZE_A4
    ws0.sheet_properties.pageSetUpPr.fitToPage = True
    ws0.page_setup.fitToWidth = 1
    ws0.page_setup.fitToHeight = 0

    def sheet(title: str, heads: list[tuple[str, int, bool]], hint: str) -> Any:
        ws = wb.create_sheet(title)
        ws.cell(
            row=1, column=1, value=f"{lvl} · {title} · {unit_name} {unit_code} · {year}"
        ).font = Font(bold=True, size=13)
        ws.cell(row=2, column=1, value=hint).font = Font(italic=True, size=9, color="555555")
        for j, (h, w, req) in enumerate(heads, start=1):
            c = ws.cell(row=HEADER_ROW, column=j, value=h)
            c.font = bold
            c.fill = req_fill if req else head_fill
            c.border = border
            c.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
            ws.column_dimensions[get_column_letter(j)].width = w
        ws.row_dimensions[HEADER_ROW].height = 30
        ws.freeze_panes = f"A{FIRST_ROW}"
        ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        return ws

    wb.add_named_style(NamedStyle(name="survey_cell", border=border))

    def style_rows(ws: Any, first: int, last: int, ncol: int) -> None:
        for r in range(first, last + 1):
            for j in range(1, ncol + 1):
                c = ws.cell(row=r, column=j)
                if c.has_style and c.style != "Normal":
                    c.border = border  # keeps its fill or number format
                else:
                    c.style = "survey_cell"

    blank = 25  # styled empty rows below the data (printed); validation reaches further
    reg_sheets: dict[str, tuple[str, int]] = {}
    for kind in LEVEL_REGISTERS[level]:
        cols = REGISTER_COLUMNS[kind] + register_extras(fw, kind)
        title = names[kind]
        ws = sheet(
            title,
            [(c.label(lang), c.width, c.required) for c in cols],
            _t("reg_hint", lang).format(crs=crs_label(crs)),
        )
        pre = registers.get(kind) if registers else None
        n = 0 if pre is None else len(pre)
        if pre is not None:
            for i, rec in enumerate(pre.to_dict("records")):
                for j, c in enumerate(cols, start=1):
                    v = rec.get(c.name)
                    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA:
                        continue
                    ws.cell(
                        row=FIRST_ROW + i, column=j, value=v.item() if hasattr(v, "item") else v
                    )
        last = FIRST_ROW + n + rows - 1
        for j, c in enumerate(cols, start=1):
            letter = get_column_letter(j)
            spec = _validation_for(c, crs)
            rng = f"{letter}{FIRST_ROW}:{letter}{last}"
            if c.name == id_column(kind):
                dv = DataValidation(
                    type="custom",
                    formula1=f"COUNTIF(${letter}${FIRST_ROW}:${letter}${last},"
                    f"{letter}{FIRST_ROW})=1",
                    allow_blank=True,
                    showErrorMessage=True,
                    errorTitle=c.label(lang),
                    error="编号重复" if lang == "zh" else "repeated ID",
                )
            elif spec is not None:
                dv = DataValidation(
                    type=spec[0],
                    operator="between",
                    formula1=spec[1],
                    formula2=spec[2],
                    allow_blank=True,
                    showErrorMessage=True,
                    errorTitle=c.label(lang),
                    error=(
                        f"{c.label(lang)}：{spec[1]} – {spec[2]}"
                        if lang == "zh"
                        else f"{c.label(lang)}: {spec[1]} – {spec[2]}"
                    ),
                )
            else:
                continue
            ws.add_data_validation(dv)
            dv.add(rng)
            if c.kind == "date":
                for r in range(FIRST_ROW, FIRST_ROW + n + blank):
                    ws.cell(row=r, column=j).number_format = "yyyy-mm-dd"
        style_rows(ws, FIRST_ROW, FIRST_ROW + n + blank - 1, len(cols))
        ws.print_area = f"A1:{get_column_letter(len(cols))}{FIRST_ROW + n + blank - 1}"
        reg_sheets[kind] = (title, last)

    # -- lists (hidden): indicator labels, units, sub-item ranges, severities, register IDs -------
    wl = wb.create_sheet(_LISTS)
    wl["A1"], wl["B1"], wl["C1"] = "indicator", "unit", "sub_item_range"
    si_col = 5
    for r, ind in enumerate(inds, start=2):
        wl.cell(row=r, column=1, value=indicator_label(ind, lang))
        wl.cell(row=r, column=2, value=ind.unit_en if lang == "en" and ind.unit_en else ind.unit)
        rng_name = f"SI_{ind.code}"
        wl.cell(row=r, column=3, value=rng_name)
        letter = get_column_letter(si_col)
        wl.cell(row=1, column=si_col, value=ind.code)
        labels = [s.name_zh if lang == "zh" else s.name_en for s in ind.sub_items] or [""]
        for i, lab in enumerate(labels, start=2):
            wl.cell(row=i, column=si_col, value=lab)
        ref = f"{quote_sheetname(_LISTS)}!${letter}$2:${letter}${1 + len(labels)}"
        wb.defined_names[rng_name] = DefinedName(rng_name, attr_text=ref)
        si_col += 1
    n_ind = len(inds)
    sev_col = get_column_letter(si_col)
    wl.cell(row=1, column=si_col, value="severity")
    for i, s in enumerate(SEVERITIES, start=2):
        wl.cell(row=i, column=si_col, value=SEVERITY_LABELS[s][lang])
    id_col = si_col + 1
    wl.cell(row=1, column=id_col, value="register_ids")
    r = 2
    for _kind, (title, last) in reg_sheets.items():
        for src_row in range(FIRST_ROW, last + 1):
            wl.cell(
                row=r,
                column=id_col,
                value=f'=IF({quote_sheetname(title)}!$A{src_row}="","",'
                f"{quote_sheetname(title)}!$A{src_row})",
            )
            r += 1
    id_letter = get_column_letter(id_col)
    id_range = f"{quote_sheetname(_LISTS)}!${id_letter}$2:${id_letter}${r - 1}"
    wl.sheet_state = "hidden"

    # -- problems ------------------------------------------------------------------------------
    pcols = [
        c
        for c in PROBLEM_COLUMNS
        if not (c.name == "road" and not any(i.located_in == "road" for i in inds))
    ]
    heads = [(c.label(lang), c.width, c.required) for c in pcols]
    unit_at = [c.name for c in pcols].index("quantity") + 2
    heads.insert(unit_at - 1, (_t("unit_col", lang), 8, False))
    ws = sheet(names["problems"], heads, _t("prob_hint", lang))
    helper = len(heads) + 1
    hl = get_column_letter(helper)
    ws.cell(row=HEADER_ROW, column=helper, value="_range")
    ws.column_dimensions[hl].hidden = True
    last = FIRST_ROW + rows - 1
    col_of = {c.name: i for i, c in enumerate(pcols, start=1)}
    col_of = {k2: (v + 1 if v >= unit_at else v) for k2, v in col_of.items()}
    ind_letter = get_column_letter(col_of["indicator"])
    lists_ind = f"{quote_sheetname(_LISTS)}!$A$2:$C${1 + n_ind}"
    for rr in range(FIRST_ROW, last + 1):
        ws.cell(
            row=rr,
            column=unit_at,
            value=f'=IF(${ind_letter}{rr}="","",IFERROR(VLOOKUP(${ind_letter}{rr},'
            f'{lists_ind},2,FALSE),""))',
        )
        ws.cell(
            row=rr,
            column=helper,
            value=f'=IF(${ind_letter}{rr}="","",IFERROR(VLOOKUP(${ind_letter}{rr},'
            f'{lists_ind},3,FALSE),""))',
        )
    vals = {
        "indicator": DataValidation(
            type="list",
            formula1=f"{quote_sheetname(_LISTS)}!$A$2:$A${1 + n_ind}",
            allow_blank=True,
            showErrorMessage=True,
        ),
        "sub_item": DataValidation(
            type="list",
            formula1=f"INDIRECT(${hl}{FIRST_ROW})",
            allow_blank=True,
            showErrorMessage=True,
        ),
        "severity": DataValidation(
            type="list",
            formula1=f"{quote_sheetname(_LISTS)}!${sev_col}$2:${sev_col}$4",
            allow_blank=True,
            showErrorMessage=True,
        ),
        "register_id": DataValidation(
            type="list", formula1=id_range, allow_blank=True, showErrorMessage=True
        ),
    }
    for c in pcols:
        letter = get_column_letter(col_of[c.name])
        dv = vals.get(c.name)
        if dv is None:
            spec = _validation_for(c, crs)
            if spec is None or c.kind == "id":
                continue
            dv = DataValidation(
                type=spec[0],
                operator="between",
                formula1=spec[1],
                formula2=spec[2],
                allow_blank=True,
                showErrorMessage=True,
            )
        dv.errorTitle = c.label(lang)
        dv.error = (
            "请从下拉列表选择或按范围填写"
            if lang == "zh"
            else "pick from the list or stay in range"
        )
        ws.add_data_validation(dv)
        dv.add(f"{letter}{FIRST_ROW}:{letter}{last}")
        for rr in range(FIRST_ROW, FIRST_ROW + blank):
            cell = ws.cell(row=rr, column=col_of[c.name])
            if c.kind == "date":
                cell.number_format = "yyyy-mm-dd"
            if c.name in ("indicator", "sub_item", "severity", "register_id"):
                cell.fill = in_fill
    style_rows(ws, FIRST_ROW, FIRST_ROW + blank - 1, len(heads))
    ws.print_area = f"A1:{get_column_letter(len(heads))}{FIRST_ROW + blank - 1}"

    # -- guide --------------------------------------------------------------------------------
    gh = _t("guide_heads", lang)
    wg = sheet(
        names["guide"],
        [(h, w, False) for h, w in zip(gh, (9, 32, 9, 16, 16, 44, 44), strict=True)],
        "",
    )
    for rr, ind in enumerate(inds, start=FIRST_ROW):
        den = fw.variable(ind.denominator) if ind.denominator else None
        den_text = (
            (den.name_zh if lang == "zh" else den.name_en) if den else (ind.denominator or "—")
        )
        subs = "\n".join(s.name_zh if lang == "zh" else s.name_en for s in ind.sub_items)
        row = [
            ind.mohurd_id or ind.code,
            ind.name_zh if lang == "zh" else ind.name_en,
            ind.unit_en if lang == "en" and ind.unit_en else ind.unit,
            _LOCATED[str(ind.located_in)][k],
            den_text,
            (ind.definition_zh if lang == "zh" else ind.definition_en) or "",
            subs or "—",
        ]
        for j, v in enumerate(row, start=1):
            c = wg.cell(row=rr, column=j, value=v)
            c.alignment = Alignment(wrap_text=True, vertical="top")
            c.border = border
    fit_row_heights(wg, FIRST_ROW, FIRST_ROW + len(inds) - 1, len(gh))
    fit_row_heights(ws0, 3, 10, 3)
    target = Path(out)
    with atomic_file(target, "wb") as fh:
        wb.save(fh)
    return target


def _read_meta(path: Path) -> dict[str, Any]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise DataError(
            f"{path.name} could not be opened as a workbook ({type(exc).__name__}: {exc})"
        ) from exc
    try:
        if _README not in wb.sheetnames:
            raise DataError(
                f"{path.name} is not a field-survey workbook (no sheet {_README!r}); write one with "
                "'citycheckup template --level housing|community|block'"
            )
        ws = wb[_README]
        meta = {}
        for row in ws.iter_rows(min_row=1, max_row=15, max_col=2, values_only=True):
            if row and isinstance(row[0], str) and row[0] in _META:
                meta[row[0]] = row[1]
        meta["_sheets"] = list(wb.sheetnames)
    finally:
        wb.close()
    return meta


def read_field_survey(
    path: str | Path,
    fw: Framework,
    *,
    context: Mapping[str, pd.DataFrame] | None = None,
    today: dt.date | None = None,
) -> FieldSurvey:
    """Read a field-survey workbook back: its registers and located problems, all checked.

    Parameters
    ----------
    path
        A workbook written by :func:`write_field_survey` and filled in.
    fw
        The framework it was written for (its code must match the README's).
    context
        Registers of the same city and year from elsewhere (e.g. the store), for links
        this workbook does not hold (a building's compound, a problem on a register of
        another sheet).

    Raises
    ------
    DataError
        Listing every problem of every sheet, each with its sheet, row and column.
    """
    p = Path(path)
    meta = _read_meta(p)
    problems: list[Problem] = []
    where = f"{p.name} sheet '{_README}'"
    for key in ("framework", "level", "unit_code", "year"):
        if meta.get(key) in (None, ""):
            problems.append(Problem(f"{key} is empty; fill it in (column B)", where))
    if problems:
        raise DataError(f"{p.name}: the README sheet is incomplete", problems=problems)
    if str(meta["framework"]) != fw.code:
        raise DataError(
            f"{p.name} was written for framework {meta['framework']!r}, not {fw.code!r}; read it with "
            f"--framework {meta['framework']}"
        )
    level = str(meta["level"])
    if level not in LOWER_LEVELS:
        raise DataError(f"{where}: level {level!r} is not one of {', '.join(LOWER_LEVELS)}")
    unit = str(meta["unit_code"]).strip()
    try:
        year = int(meta["year"])
    except (TypeError, ValueError) as exc:
        raise DataError(f"{where}: year {meta['year']!r} is not a year") from exc
    crs = normalise_crs(str(meta.get("crs") or "wgs84"))
    lang = str(meta.get("lang") or "zh")
    names = sheet_names(level, lang if lang in ("zh", "en") else "zh")
    sheets: list[str] = meta["_sheets"]
    regs: dict[str, pd.DataFrame] = {}
    raws = {}
    for kind in LEVEL_REGISTERS[level]:
        name = (
            names[kind]
            if names[kind] in sheets
            else sheet_names(level, "en" if lang == "zh" else "zh")[kind]
        )
        if name not in sheets:
            problems.append(Problem(f"sheet {names[kind]!r} is missing", p.name))
            continue
        extra = register_extras(fw, kind)
        raw = raw_table(p, REGISTER_COLUMNS[kind] + extra, sheet=name)
        df, found = validate_register(raw, kind, unit_code=unit, year=year, crs=crs, extra=extra)
        problems += found
        regs[kind] = df
        raws[kind] = raw
    all_regs = {**(context or {}), **regs}
    problems += check_references(all_regs, raws)
    pname = (
        names["problems"]
        if names["problems"] in sheets
        else sheet_names(level, "en" if lang == "zh" else "zh")["problems"]
    )
    if pname not in sheets:
        problems.append(Problem(f"sheet {names['problems']!r} is missing", p.name))
        raise DataError(f"{p.name}: {len(problems)} problem(s)", problems=problems)
    raw = raw_table(p, PROBLEM_COLUMNS, sheet=pname)
    found_p, found = validate_problems(
        raw, fw, registers=all_regs, level=level, unit_code=unit, year=year, crs=crs, today=today
    )
    problems += found
    if problems:
        raise DataError(
            f"{p.name}: {len(problems)} problem(s); nothing was imported", problems=problems
        )
    return FieldSurvey(
        level=level,
        unit_code=unit,
        year=year,
        crs=crs,
        framework=fw.code,
        registers=regs,
        problems=found_p,
    )
