"""Exports: the XLSX annexes in MOHURD's layout and a GeoPackage in CGCS2000 or WGS-84.

Annex layout follows the 附件 of a city check-up report (宜昌 2025: 附件2 上年度整治成效,
附件3 问题清单, 附件4 整治建议清单 with 整治类型 and 责任单位, 附件5 城市更新项目库): a
title row, a subtitle with city, year and reference date, one header row, then one row
per item grouped by dimension (维度) with a running number (序号). Layers and fields of
the GeoPackage are documented in ``docs/inventory.md``.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from citycheckup._io import atomic_file
from citycheckup.errors import OutputError
from citycheckup.framework.models import Framework
from citycheckup.inventory._catalogue import REMEDIATION_TYPES
from citycheckup.inventory._chain import problem_list, project_library, suggestions
from citycheckup.inventory._crs import wgs84_to
from citycheckup.inventory._followup import FollowUp, follow_up
from citycheckup.inventory._model import Inventory
from citycheckup.inventory._schema import REGISTER_COLUMNS, SEVERITY_LABELS, STATUS_LABELS
from citycheckup.inventory._xlsx import row_height

__all__ = ["ANNEX_SHEETS", "GPKG_LAYERS", "annex_tables", "write_annexes", "write_geopackage"]

Lang = Literal["zh", "en", "bilingual"]
LEVEL_LABELS = {
    "housing": ("住房", "housing"),
    "community": ("小区（社区）", "compound / community"),
    "block": ("街区", "block"),
    "all": ("合计", "total"),
}
#: Annex sheets: key → (Chinese title, English title).
ANNEX_SHEETS: dict[str, tuple[str, str]] = {
    "problems": ("问题清单", "Problem list"),
    "suggestions": ("整治建议清单", "Remediation suggestions"),
    "projects": ("城市更新项目库", "Urban renewal projects"),
    "follow_up": ("上年度问题整治成效", "Follow-up of earlier problems"),
    "completion": ("问题整治完成率", "Completion rate"),
}
# (field, zh header, en header, width)
_PROBLEM_COLS = [
    ("problem_id", "问题编号", "Problem ID", 24),
    ("indicator_name", "问题指标", "Indicator", 30),
    ("sub_item_name", "问题子项", "Sub-item", 20),
    ("district", "区县", "District", 10),
    ("block_name", "街区", "Block", 12),
    ("community_name", "社区", "Community", 12),
    ("compound_name", "小区", "Compound", 14),
    ("place", "具体位置", "Location", 24),
    ("register_id", "登记编号", "Register ID", 14),
    ("quantity", "数量", "Quantity", 8),
    ("unit", "单位", "Unit", 6),
    ("severity_label", "严重程度", "Severity", 8),
    ("date_found", "发现日期", "Date found", 11),
    ("status_label", "整治状态", "Status", 10),
    ("remediation_label", "整治类型", "Type", 10),
    ("deadline", "整治期限", "Deadline", 11),
    ("department", "责任单位", "Responsible", 24),
    ("project_id", "更新项目编号", "Project", 18),
    ("photo", "照片编号", "Photo", 12),
    ("lon", "经度", "Longitude", 11),
    ("lat", "纬度", "Latitude", 10),
]
_SUGGESTION_COLS = [
    ("suggestion_id", "建议编号", "ID", 8),
    ("indicator_name", "问题指标", "Indicator", 30),
    ("result_text", "体检结果", "Result", 12),
    ("measure", "整治建议", "Suggested measure", 30),
    ("areas", "整治区域", "Areas", 30),
    ("remediation_label", "整治类型", "Type", 10),
    ("deadline", "整治期限", "Deadline", 11),
    ("department", "责任单位", "Responsible", 26),
    ("n_problems", "问题数", "Problems", 8),
]
_PROJECT_COLS = [
    ("project_id", "项目编号", "Project ID", 18),
    ("name", "措施/项目名称", "Project", 28),
    ("content", "建设内容", "Content", 30),
    ("scale", "规模", "Scale", 14),
    ("investment_10k_yuan", "估算投资（万元）", "Investment (10k yuan)", 12),
    ("funding_source", "资金来源", "Funding", 14),
    ("implementing_body", "实施主体", "Implementing body", 16),
    ("department", "责任部门", "Responsible", 18),
    ("year", "实施年度", "Year", 8),
    ("renewal_unit", "更新单元/片区", "Renewal unit", 16),
    ("n_problems", "关联问题数", "Problems", 8),
    ("problem_ids", "关联问题编号", "Problem IDs", 40),
]
_FOLLOW_COLS = [
    ("problem_id", "问题编号", "Problem ID", 24),
    ("indicator_name", "问题指标", "Indicator", 30),
    ("sub_item_name", "问题子项", "Sub-item", 18),
    ("place", "具体位置", "Location", 22),
    ("date_found", "发现日期", "Date found", 11),
    ("remediation_label", "整治类型", "Type", 10),
    ("deadline", "整治期限", "Deadline", 11),
    ("department", "责任单位", "Responsible", 22),
    ("status_start_label", "年初状态", "Status at start", 10),
    ("status_end_label", "当前状态", "Status now", 12),
    ("closed_date", "销号日期", "Closed on", 11),
    ("evidence", "销号依据", "Evidence", 22),
    ("project_id", "更新项目编号", "Project", 18),
    ("on_time_label", "是否按期", "On time", 8),
    ("overdue_label", "是否逾期", "Overdue", 8),
    ("seen_label", "本年复查仍存在", "Seen again", 10),
]
_COMPLETION_COLS = [
    ("level_label", "维度", "Level", 14),
    ("open_at_start", "年初未销号问题数", "Open at start", 12),
    ("closed", "本年已销号", "Closed", 10),
    ("closed_on_time", "其中按期销号", "On time", 10),
    ("in_progress", "整治中", "Being fixed", 10),
    ("to_project", "转入更新项目", "In projects", 10),
    ("still_found", "尚未整治", "Not started", 10),
    ("rate_text", "问题整治完成率", "Completion rate", 12),
]


def _lab(d: dict[str, str], lang: Lang) -> str:
    if lang == "zh":
        return d["zh"]
    if lang == "en":
        return d["en"]
    return f"{d['zh']} / {d['en']}"


def _pair(zh: object, en: object, lang: Lang) -> str:
    z = "" if zh is None or (isinstance(zh, float) and np.isnan(zh)) else str(zh)
    e = "" if en is None or (isinstance(en, float) and np.isnan(en)) else str(en)
    if lang == "zh":
        return z
    if lang == "en":
        return e or z
    return f"{z} / {e}" if e and e != z else z


def _date(v: object) -> str:
    if v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
        return ""
    try:
        return pd.Timestamp(v).date().isoformat()  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return ""


def _yes(v: object, lang: Lang) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return ""
    return _lab({"zh": "是", "en": "yes"} if bool(v) else {"zh": "否", "en": "no"}, lang)


def annex_tables(
    inv: Inventory,
    fw: Framework | None,
    *,
    unit_code: str,
    year: int,
    lang: Lang = "zh",
    fu: FollowUp | None = None,
) -> dict[str, pd.DataFrame]:
    """The annex tables, with display columns (labels in ``lang``), keyed as :data:`ANNEX_SHEETS`."""
    pl = problem_list(inv, fw, unit_code=unit_code, year=year)
    sg = suggestions(pl)
    pj = project_library(inv, unit_code=unit_code)
    fu = fu or follow_up(inv, year, unit_code=unit_code)
    names = {i.code: (i.name_zh, i.name_en) for i in fw.indicators} if fw is not None else {}
    units = {i.code: (i.unit, i.unit_en or i.unit) for i in fw.indicators} if fw is not None else {}

    def unit_of(code: str, fallback: object) -> str:
        z, e = units.get(code, (fallback, fallback))
        return _pair(z, e, lang)

    subs = (
        {(i.code, s.code): (s.name_zh, s.name_en) for i in fw.indicators for s in i.sub_items}
        if fw
        else {}
    )

    def ind_name(code: str, mid: object) -> str:
        z, e = names.get(code, (code, code))
        return f"{mid + ' ' if isinstance(mid, str) and mid else ''}{_pair(z, e, lang)}"

    def common(df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        df["indicator_name"] = [
            ind_name(c, m) for c, m in zip(df["indicator"], df["mohurd_id"], strict=True)
        ]
        df["remediation_label"] = [
            _lab(REMEDIATION_TYPES[r], lang) if r in REMEDIATION_TYPES else ""
            for r in df["remediation"]
        ]
        df["department"] = [
            _pair(z, e, lang) for z, e in zip(df["department_zh"], df["department_en"], strict=True)
        ]
        df["deadline"] = df["deadline"].map(_date)
        return df

    pl2 = common(pl)
    pl2["unit"] = [unit_of(c, u) for c, u in zip(pl2["indicator"], pl2["unit"], strict=True)]
    pl2["sub_item_name"] = [
        _pair(z, e, lang) for z, e in zip(pl2["sub_item_zh"], pl2["sub_item_en"], strict=True)
    ]
    pl2["severity_label"] = [
        _lab(SEVERITY_LABELS[s], lang) if s in SEVERITY_LABELS else "" for s in pl2["severity"]
    ]
    pl2["status_label"] = [
        _lab(STATUS_LABELS[s], lang) if s in STATUS_LABELS else "" for s in pl2["status"]
    ]
    pl2["date_found"] = pl2["date_found"].map(_date)
    pl2["lon"] = pd.to_numeric(pl2["lon"], errors="coerce").round(6)
    pl2["lat"] = pd.to_numeric(pl2["lat"], errors="coerce").round(6)
    sg2 = common(sg)
    sg2["result_text"] = [
        f"{r:g} {unit_of(c, u)}".strip()
        for r, c, u in zip(sg2["result"], sg2["indicator"], sg2["unit"], strict=True)
    ]
    sg2["measure"] = [
        _pair(z, e, lang) for z, e in zip(sg2["measure_zh"], sg2["measure_en"], strict=True)
    ]
    if "areas_en" in sg2.columns:  # suggestions written before the English list existed have none
        sg2["areas"] = [
            _pair(z, e, lang) for z, e in zip(sg2["areas"], sg2["areas_en"], strict=True)
        ]
    pj2 = pj.copy()
    pj2["name"] = [_pair(z, e, lang) for z, e in zip(pj2["name_zh"], pj2["name_en"], strict=True)]
    pj2["level"] = [str(x).split("、")[0] if x else "" for x in pj2["levels"]]
    ft = fu.table.copy()
    ft["place"] = locate_places(inv, ft, unit_code, year)
    ft = common(ft)
    ft["sub_item_name"] = [
        _pair(subs.get((c, s), (s, s))[0], subs.get((c, s), (s, s))[1], lang)
        for c, s in zip(ft["indicator"], ft["sub_item"], strict=True)
    ]
    ft["date_found"] = ft["date_found"].map(_date)
    ft["closed_date"] = ft["closed_date"].map(_date)
    for c in ("status_start", "status_end"):
        ft[f"{c}_label"] = [
            _lab(STATUS_LABELS[s], lang) if s in STATUS_LABELS else "" for s in ft[c]
        ]
    ft["on_time_label"] = [_yes(v, lang) for v in ft["on_time"]]
    ft["overdue_label"] = [_yes(v, lang) for v in ft["overdue"]]
    ft["seen_label"] = [_yes(v, lang) for v in ft["seen_in_survey"]]
    cs = fu.summary[fu.summary["unit_code"] == str(unit_code)].copy()
    cs["level_label"] = [_pair(*LEVEL_LABELS[x], lang) for x in cs["level"]]
    cs["rate_text"] = [f"{r:.1f}%" if pd.notna(r) else "—" for r in cs["rate"]]
    return {"problems": pl2, "suggestions": sg2, "projects": pj2, "follow_up": ft, "completion": cs}


def locate_places(inv: Inventory, df: pd.DataFrame, unit_code: str, year: int) -> list[str]:
    """Address or name of each problem's register record (road name appended for road problems)."""
    from citycheckup.inventory._chain import locate

    if df.empty:
        return []
    loc = locate(inv, df, str(unit_code), int(year))
    return [
        f"{p if isinstance(p, str) else ''}{' ' + r if isinstance(r, str) and r else ''}".strip()
        for p, r in zip(loc["place"], loc["road"], strict=True)
    ]


def write_annexes(
    inv: Inventory,
    fw: Framework | None,
    out: str | Path,
    *,
    unit_code: str,
    year: int,
    unit_name: str = "",
    lang: Lang = "zh",
    reference_date: dt.date | None = None,
) -> Path:
    """Write the annexes (问题清单, 整治建议清单, 城市更新项目库, 上年度问题整治成效, 问题整治完成率) as XLSX.

    Parameters
    ----------
    lang
        ``zh`` (Chinese headers and labels, as the annexes are published), ``en``, or
        ``bilingual`` (Chinese header over English, labels ``中文 / English``).

    Returns
    -------
    pathlib.Path
        ``out`` (written atomically).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
    from openpyxl.utils import get_column_letter

    fu_all = follow_up(inv, year, unit_code=unit_code)
    tables = annex_tables(inv, fw, unit_code=unit_code, year=year, lang=lang, fu=fu_all)
    ref = reference_date or dt.date(int(year), 12, 31)
    wb = Workbook()
    wb.remove(wb.active)
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill("solid", fgColor="DDE4EE")
    cell_style = NamedStyle(
        name="annex_cell", border=border, alignment=Alignment(wrap_text=True, vertical="top")
    )
    wb.add_named_style(cell_style)
    specs: dict[str, list[tuple[str, str, str, int]]] = {
        "problems": _PROBLEM_COLS,
        "suggestions": _SUGGESTION_COLS,
        "projects": _PROJECT_COLS,
        "follow_up": _FOLLOW_COLS,
        "completion": _COMPLETION_COLS,
    }
    annex_no = {
        "follow_up": "附件2",
        "problems": "附件3",
        "suggestions": "附件4",
        "projects": "附件5",
        "completion": "附件2",
    }
    for key in ("problems", "suggestions", "projects", "follow_up", "completion"):
        zh, en = ANNEX_SHEETS[key]
        ws = wb.create_sheet(zh if lang != "en" else en[:31])
        df = tables[key]
        cols = specs[key]
        grouped = key != "completion"
        heads = ([("维度", "Level", 12), ("序号", "No.", 6)] if grouped else []) + [
            (z, e, w) for _, z, e, w in cols
        ]
        ncol = len(heads)
        title = {
            "zh": f"{annex_no[key]} {zh}",
            "en": en,
            "bilingual": f"{annex_no[key]} {zh} {en}",
        }[lang]
        ws.cell(row=1, column=1, value=title).font = Font(bold=True, size=14)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
        sub = {
            "zh": f"{unit_name}（{unit_code}）{year}年度城市体检　数据时点：{ref.isoformat()}",
            "en": f"{unit_name} ({unit_code}) city check-up {year} · reference date {ref.isoformat()}",
        }
        ws.cell(row=2, column=1, value=sub["en"] if lang == "en" else sub["zh"]).font = Font(
            size=10
        )
        ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=ncol)
        for j, (z, e, w) in enumerate(heads, start=1):
            text = {"zh": z, "en": e, "bilingual": f"{z}\n{e}"}[lang]
            c = ws.cell(row=3, column=j, value=text)
            c.font = Font(bold=True)
            c.fill = head_fill
            c.border = border
            c.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
            ws.column_dimensions[get_column_letter(j)].width = w
        r = 4
        widths = [w for *_, w in heads]
        n_in_level: dict[str, int] = {}
        for rec in df.to_dict("records"):
            vals: list[Any] = []
            if grouped:
                lv = str(rec.get("level") or "")
                n_in_level[lv] = n_in_level.get(lv, 0) + 1
                vals += [
                    _pair(*LEVEL_LABELS[lv], lang) if lv in LEVEL_LABELS else lv,
                    n_in_level[lv],
                ]
            for f, *_ in cols:
                v = rec.get(f)
                if isinstance(v, float) and np.isnan(v):
                    v = None
                elif isinstance(v, pd.Timestamp):
                    v = v.date().isoformat()
                elif isinstance(v, np.integer | np.floating):
                    v = v.item()
                vals.append(v)
            for j, v in enumerate(vals, start=1):
                ws.cell(row=r, column=j, value=v).style = "annex_cell"
            ws.row_dimensions[r].height = row_height(vals, widths)
            r += 1
        if key == "completion":
            rules = {
                "open": (
                    "转入更新项目但尚未销号的问题计入分母、不计入已整治",
                    "problems moved into a renewal project and not yet closed count as open",
                ),
                "exclude": (
                    "转入更新项目但尚未销号的问题不计入分母",
                    "problems moved into a renewal project and not yet closed are left out",
                ),
                "done": (
                    "转入更新项目的问题计为已整治",
                    "problems moved into a renewal project count as fixed",
                ),
            }[fu_all.transferred]
            s0, e0 = fu_all.start.date(), fu_all.end.date()
            text = (
                f"Completion rate = problems closed from {s0} to {e0} ÷ problems open on {s0} × 100 %; "
                f"{rules[1]}. On time: a time-limited problem closed on or before its deadline."
                if lang == "en"
                else f"问题整治完成率 = 本年度（{s0}至{e0}）销号的问题数 ÷ 年初（{s0}）仍未销号的问题数 × 100%；"
                f"{rules[0]}。按期销号：限时解决的问题在整治期限当日或之前销号。"
            )
            ws.cell(row=r + 1, column=1, value=text).alignment = Alignment(
                wrap_text=True, vertical="top"
            )
            ws.merge_cells(start_row=r + 1, start_column=1, end_row=r + 3, end_column=ncol)
        ws.freeze_panes = "A4"
        if r > 4:
            ws.auto_filter.ref = f"A3:{get_column_letter(ncol)}{r - 1}"
        ws.row_dimensions[3].height = row_height(
            [
                h[0 if lang == "zh" else 1] if lang != "bilingual" else f"{h[0]}\n{h[1]}"
                for h in heads
            ],
            widths,
            minimum=20,
        )
        ws.print_title_rows = "3:3"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = (
            ws.PAPERSIZE_A3 if key in ("problems", "follow_up") else ws.PAPERSIZE_A4
        )
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    target = Path(out)
    with atomic_file(target, "wb") as fh:
        wb.save(fh)
    return target


#: GeoPackage layers and their fields (documented in docs/inventory.md).
GPKG_LAYERS: dict[str, list[str]] = {
    "blocks": [
        "unit_code",
        "year",
        *(c.name for c in REGISTER_COLUMNS["block"] if c.name not in ("lon", "lat")),
    ],
    "communities": [
        "unit_code",
        "year",
        *(c.name for c in REGISTER_COLUMNS["community"] if c.name not in ("lon", "lat")),
    ],
    "compounds": [
        "unit_code",
        "year",
        *(c.name for c in REGISTER_COLUMNS["compound"] if c.name not in ("lon", "lat")),
    ],
    "buildings": [
        "unit_code",
        "year",
        *(c.name for c in REGISTER_COLUMNS["building"] if c.name not in ("lon", "lat")),
    ],
    "problems": [
        "problem_id",
        "unit_code",
        "level",
        "indicator",
        "mohurd_id",
        "name_zh",
        "name_en",
        "sub_item",
        "register",
        "register_id",
        "road",
        "district",
        "block_id",
        "community_id",
        "compound_id",
        "severity",
        "quantity",
        "unit",
        "date_found",
        "first_year",
        "year_seen",
        "status",
        "status_date",
        "project_id",
        "remediation",
        "deadline",
        "department_zh",
        "photo",
        "description",
    ],
    "follow_up": [
        "problem_id",
        "unit_code",
        "level",
        "indicator",
        "mohurd_id",
        "sub_item",
        "register_id",
        "date_found",
        "remediation",
        "deadline",
        "status_start",
        "status_end",
        "closed_date",
        "evidence",
        "project_id",
        "closed_in_period",
        "on_time",
        "overdue",
        "seen_in_survey",
    ],
    "projects": [
        "project_id",
        "unit_code",
        "name_zh",
        "name_en",
        "content",
        "scale",
        "investment_10k_yuan",
        "funding_source",
        "implementing_body",
        "department",
        "year",
        "renewal_unit",
        "n_problems",
        "n_closed",
        "problem_ids",
    ],
}
_REG_LAYER = {
    "blocks": "block",
    "communities": "community",
    "compounds": "compound",
    "buildings": "building",
}


def _gpkg_frame(df: pd.DataFrame, fields: list[str]) -> pd.DataFrame:
    out = pd.DataFrame(index=df.index)
    for f in fields:
        s = df[f] if f in df.columns else pd.Series(None, index=df.index, dtype=object)
        if f in ("date_found", "deadline", "status_date", "closed_date"):
            s = s.map(_date).replace("", None)
        elif f in ("closed_in_period", "on_time", "overdue", "seen_in_survey"):
            s = pd.array(
                [None if v is None or v is pd.NA else int(bool(v)) for v in s], dtype="Int64"
            )
        elif f in (
            "year",
            "first_year",
            "year_seen",
            "floors",
            "dwellings",
            "year_built",
            "households",
            "population",
            "roads",
            "n_problems",
            "n_closed",
        ):
            s = pd.to_numeric(s, errors="coerce").astype("Int64")
        elif f in ("quantity", "investment_10k_yuan", "area_km2") or pd.api.types.is_float_dtype(s):
            s = pd.to_numeric(s, errors="coerce").astype("float64")
        else:
            s = s.astype(object).where(s.notna(), None).map(lambda v: v if v is None else str(v))
        out[f] = s
    return out


def write_geopackage(
    inv: Inventory,
    fw: Framework | None,
    out: str | Path,
    *,
    unit_code: str,
    year: int,
    epsg: int = 4490,
    fu: FollowUp | None = None,
) -> Path:
    """Write the registers, problems, follow-up and projects of a city and year as a GeoPackage.

    Parameters
    ----------
    epsg
        4490 (CGCS2000, as Chinese planning data) or 4326 (WGS-84).

    Returns
    -------
    pathlib.Path
        ``out``; layers :data:`GPKG_LAYERS` (points; projects are multipoints of the
        problems they hold; register layers also carry the numeric columns a framework
        added for its denominators), written atomically.
    """
    if epsg not in (4490, 4326):
        raise OutputError(f"epsg must be 4490 (CGCS2000) or 4326 (WGS-84), got {epsg}")
    import geopandas as gpd
    from shapely.geometry import MultiPoint, Point

    def points(lon: pd.Series, lat: pd.Series) -> list[Any]:
        x, y = wgs84_to(
            pd.to_numeric(lon, errors="coerce"), pd.to_numeric(lat, errors="coerce"), epsg
        )
        return [
            Point(a, b) if np.isfinite(a) and np.isfinite(b) else None
            for a, b in zip(x, y, strict=True)
        ]

    pl = problem_list(inv, fw, unit_code=unit_code, year=year)
    fu = fu or follow_up(inv, year, unit_code=unit_code)
    pj = project_library(inv, unit_code=unit_code)
    frames: dict[str, gpd.GeoDataFrame] = {}
    for layer, kind in _REG_LAYER.items():
        reg = inv.register(kind, unit_code=unit_code, year=year)
        extra = sorted(
            c for c in reg.columns if c not in GPKG_LAYERS[layer] and c not in ("lon", "lat")
        )
        frames[layer] = gpd.GeoDataFrame(
            _gpkg_frame(reg, GPKG_LAYERS[layer] + extra),
            geometry=points(reg["lon"], reg["lat"]),
            crs=f"EPSG:{epsg}",
        )
    frames["problems"] = gpd.GeoDataFrame(
        _gpkg_frame(pl, GPKG_LAYERS["problems"]),
        geometry=points(pl["lon"], pl["lat"]),
        crs=f"EPSG:{epsg}",
    )
    last = inv.observations.assign(_y=pd.to_numeric(inv.observations["year"])).sort_values("_y")
    pos = last.groupby("problem_id")[["lon", "lat"]].last()
    ft = fu.table
    frames["follow_up"] = gpd.GeoDataFrame(
        _gpkg_frame(ft, GPKG_LAYERS["follow_up"]),
        geometry=points(ft["problem_id"].map(pos["lon"]), ft["problem_id"].map(pos["lat"])),
        crs=f"EPSG:{epsg}",
    )
    geoms = []
    for ids in pj["problem_ids"]:
        pts = [
            p
            for p in points(
                pos["lon"].reindex([i for i in str(ids).split(", ") if i]),
                pos["lat"].reindex([i for i in str(ids).split(", ") if i]),
            )
            if p is not None
        ]
        geoms.append(MultiPoint(pts) if pts else None)
    frames["projects"] = gpd.GeoDataFrame(
        _gpkg_frame(pj, GPKG_LAYERS["projects"]), geometry=geoms, crs=f"EPSG:{epsg}"
    )
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{target.name}.") as tmp:
        path = Path(tmp) / target.name
        for layer, gdf in frames.items():
            geom_type = "MultiPoint" if layer == "projects" else "Point"
            gdf.to_file(path, layer=layer, driver="GPKG", engine="pyogrio", geometry_type=geom_type)
        with atomic_file(target, "wb") as fh, open(path, "rb") as src:
            _copy(src.read, fh.write)  # type: ignore[attr-defined]
    return target


def _copy(read: Callable[[int], bytes], write: Callable[[bytes], object]) -> None:
    while chunk := read(1 << 20):
        write(chunk)
