"""Columns of the registers and located problems, statuses, severities and their labels.

Every table of the inventory has a fixed set of canonical (ASCII) columns. Files may
use the canonical name, the Chinese or English label (with or without a unit in
brackets and a ``*`` marking a required column) or one of the aliases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "COMMON_COLUMNS",
    "DENOMINATOR_SOURCES",
    "LEVEL_REGISTERS",
    "LOCATED_IN_REGISTER",
    "LOWER_LEVELS",
    "OPEN_STATUSES",
    "PROBLEM_COLUMNS",
    "REGISTER_COLUMNS",
    "REGISTER_KINDS",
    "REGISTER_LABELS",
    "SEVERITIES",
    "SEVERITY_LABELS",
    "STATUSES",
    "STATUS_LABELS",
    "TRANSITIONS",
    "Column",
    "RegisterKind",
    "Status",
    "header_key",
    "id_column",
]

RegisterKind = Literal["building", "compound", "community", "block"]
#: The four registers, from the smallest unit up.
REGISTER_KINDS: tuple[str, ...] = ("building", "compound", "community", "block")
REGISTER_LABELS: dict[str, dict[str, str]] = {
    "building": {"zh": "楼栋", "en": "buildings"},
    "compound": {"zh": "小区", "en": "compounds"},
    "community": {"zh": "社区", "en": "communities"},
    "block": {"zh": "街区", "en": "blocks"},
}
#: The lower (inventory) levels of the MOHURD check-up.
LOWER_LEVELS: tuple[str, ...] = ("housing", "community", "block")
#: Registers whose records the field survey of a level visits.
LEVEL_REGISTERS: dict[str, tuple[str, ...]] = {
    "housing": ("building",),
    "community": ("compound", "community"),
    "block": ("block",),
}
#: ``Indicator.located_in`` → the register holding the located record. A dwelling
#: problem is recorded on its building (``quantity`` = dwellings affected); a road
#: problem on the block the road runs through, with the road's name in ``road``.
LOCATED_IN_REGISTER: dict[str, str] = {
    "building": "building",
    "dwelling": "building",
    "compound": "compound",
    "community": "community",
    "block": "block",
    "road": "block",
}

#: Denominator variables counted from the registers' own columns: name → (register,
#: column summed; ``None`` = number of records). Any other denominator is summed from
#: a column of the same name on the register its indicator is located in (e.g.
#: ``parking_spaces_required`` on the compounds); such columns are added to the
#: registers and survey workbooks from the framework (:func:`register_extras`).
DENOMINATOR_SOURCES: dict[str, tuple[str, str | None]] = {
    "residential_buildings": ("building", None),
    "buildings": ("building", None),
    "dwellings": ("building", "dwellings"),
    "households": ("compound", "households"),
    "compounds": ("compound", None),
    "communities": ("community", None),
    "blocks": ("block", None),
    "roads": ("block", "roads"),
    "roads_surveyed": ("block", "roads"),
}

Status = Literal["found", "in_progress", "closed", "to_project"]
#: Problem statuses: 发现 → 整治中 → 已销号, or 转入更新项目.
STATUSES: tuple[str, ...] = ("found", "in_progress", "closed", "to_project")
STATUS_LABELS: dict[str, dict[str, str]] = {
    "found": {"zh": "发现", "en": "found"},
    "in_progress": {"zh": "整治中", "en": "being fixed"},
    "closed": {"zh": "已销号", "en": "closed"},
    "to_project": {"zh": "转入更新项目", "en": "moved to a renewal project"},
}
#: Statuses in which a problem still exists.
OPEN_STATUSES: frozenset[str] = frozenset({"found", "in_progress", "to_project"})
#: Allowed status changes. A closed problem stays closed: if it comes back, the
#: survey records a new problem (with a new ID). A project's problems are closed
#: when the project has fixed them.
TRANSITIONS: dict[str, frozenset[str]] = {
    "found": frozenset({"in_progress", "closed", "to_project"}),
    "in_progress": frozenset({"closed", "to_project"}),
    "to_project": frozenset({"closed"}),
    "closed": frozenset(),
}

SEVERITIES: tuple[str, ...] = ("minor", "moderate", "severe")
SEVERITY_LABELS: dict[str, dict[str, str]] = {
    "minor": {"zh": "轻微", "en": "minor"},
    "moderate": {"zh": "一般", "en": "moderate"},
    "severe": {"zh": "严重", "en": "severe"},
}

ColumnKind = Literal["id", "text", "int", "float", "date", "enum", "lon", "lat"]


@dataclass(frozen=True)
class Column:
    """One column of a register or of the located-problem table."""

    name: str
    kind: ColumnKind
    zh: str
    en: str
    required: bool = False
    unit_zh: str = ""
    unit_en: str = ""
    min: float | None = None
    max: float | None = None
    aliases: tuple[str, ...] = ()
    width: int = 14

    def label(self, lang: str) -> str:
        """Header text: the name, its unit in brackets, ``*`` when required."""
        name = self.zh if lang == "zh" else self.en
        unit = self.unit_zh if lang == "zh" else self.unit_en
        if unit:
            name = f"{name}（{unit}）" if lang == "zh" else f"{name} ({unit})"
        return f"{name}*" if self.required else name


def id_column(kind: str) -> str:
    """The ID column of register ``kind`` (``building_id`` …)."""
    return f"{kind}_id"


_LON = Column("lon", "lon", "经度", "longitude", True, "度", "°", aliases=("x", "lng", "longitude"))
_LAT = Column("lat", "lat", "纬度", "latitude", True, "度", "°", aliases=("y", "latitude"))
#: Columns every table may carry; in a workbook they sit in the README sheet instead.
COMMON_COLUMNS: tuple[Column, ...] = (
    Column(
        "unit_code",
        "id",
        "城市代码",
        "city code",
        True,
        aliases=("adcode", "城市编码", "行政区划代码"),
    ),
    Column(
        "year",
        "int",
        "体检年度",
        "check-up year",
        True,
        min=1990,
        max=2100,
        aliases=("年度", "年份"),
    ),
)

REGISTER_COLUMNS: dict[str, tuple[Column, ...]] = {
    "building": (
        Column(
            "building_id",
            "id",
            "楼栋编号",
            "building ID",
            True,
            aliases=("id", "楼栋id", "编号"),
            width=16,
        ),
        Column(
            "address",
            "text",
            "楼栋地址",
            "address",
            True,
            aliases=("name", "名称", "地址", "楼栋名称"),
            width=28,
        ),
        Column("compound_id", "id", "所属小区编号", "compound ID", aliases=("小区编号",), width=14),
        Column(
            "community_id", "id", "所属社区编号", "community ID", aliases=("社区编号",), width=14
        ),
        Column("block_id", "id", "所属街区编号", "block ID", True, aliases=("街区编号",), width=14),
        Column("district", "text", "区县", "district", aliases=("区", "所在区县"), width=10),
        Column(
            "year_built",
            "int",
            "建成年份",
            "year built",
            unit_zh="年",
            unit_en="year",
            min=1800,
            max=2100,
            aliases=("建成年代", "建设年份"),
        ),
        Column(
            "floors",
            "int",
            "地上层数",
            "floors",
            unit_zh="层",
            unit_en="floors",
            min=1,
            max=200,
            aliases=("层数",),
        ),
        Column(
            "dwellings",
            "int",
            "住宅套数",
            "dwellings",
            True,
            "套",
            "dwellings",
            min=0,
            max=100000,
            aliases=("套数", "户数"),
        ),
        Column("structure", "text", "结构类型", "structure", aliases=("结构",)),
        _LON,
        _LAT,
    ),
    "compound": (
        Column(
            "compound_id", "id", "小区编号", "compound ID", True, aliases=("id", "编号"), width=14
        ),
        Column("name", "text", "小区名称", "name", True, aliases=("名称",), width=22),
        Column(
            "community_id",
            "id",
            "所属社区编号",
            "community ID",
            True,
            aliases=("社区编号",),
            width=14,
        ),
        Column("block_id", "id", "所属街区编号", "block ID", True, aliases=("街区编号",), width=14),
        Column("district", "text", "区县", "district", aliases=("区",), width=10),
        Column(
            "year_built",
            "int",
            "建成年份",
            "year built",
            unit_zh="年",
            unit_en="year",
            min=1800,
            max=2100,
        ),
        Column(
            "households",
            "int",
            "户数",
            "households",
            unit_zh="户",
            unit_en="households",
            min=0,
            max=1000000,
        ),
        _LON,
        _LAT,
    ),
    "community": (
        Column(
            "community_id", "id", "社区编号", "community ID", True, aliases=("id", "编号"), width=14
        ),
        Column("name", "text", "社区名称", "name", True, aliases=("名称",), width=20),
        Column("block_id", "id", "所属街区编号", "block ID", True, aliases=("街区编号",), width=14),
        Column("district", "text", "区县", "district", aliases=("区",), width=10),
        Column(
            "population",
            "int",
            "常住人口",
            "residents",
            unit_zh="人",
            unit_en="persons",
            min=0,
            max=10_000_000,
        ),
        _LON,
        _LAT,
    ),
    "block": (
        Column("block_id", "id", "街区编号", "block ID", True, aliases=("id", "编号"), width=14),
        Column("name", "text", "街区名称", "name", True, aliases=("名称", "街道"), width=20),
        Column("district", "text", "区县", "district", aliases=("区",), width=10),
        Column(
            "area_km2",
            "float",
            "面积",
            "area",
            unit_zh="平方千米",
            unit_en="km²",
            min=0,
            max=100000,
            aliases=("面积（km2）",),
        ),
        Column(
            "roads",
            "int",
            "道路条数",
            "roads",
            unit_zh="条",
            unit_en="roads",
            min=0,
            max=100000,
            aliases=("道路数",),
        ),
        Column(
            "population",
            "int",
            "常住人口",
            "residents",
            unit_zh="人",
            unit_en="persons",
            min=0,
            max=100_000_000,
        ),
        _LON,
        _LAT,
    ),
}

#: Columns of a located problem as recorded in the field survey.
PROBLEM_COLUMNS: tuple[Column, ...] = (
    Column(
        "register_id",
        "id",
        "登记编号",
        "register ID",
        True,
        aliases=(
            "楼栋编号",
            "小区编号",
            "社区编号",
            "街区编号",
            "building_id",
            "compound_id",
            "community_id",
            "block_id",
            "位置编号",
        ),
        width=16,
    ),
    Column(
        "indicator",
        "id",
        "指标",
        "indicator",
        True,
        aliases=("指标代码", "indicator_code", "指标编号"),
        width=40,
    ),
    Column("sub_item", "id", "问题子项", "sub-item", aliases=("子项", "sub_item_code"), width=34),
    Column("road", "text", "道路名称", "road", aliases=("道路",), width=14),
    Column("severity", "enum", "严重程度", "severity", True, aliases=("程度",), width=10),
    Column(
        "quantity",
        "float",
        "数量",
        "quantity",
        min=0,
        max=1e9,
        aliases=("问题数量", "count"),
        width=9,
    ),
    Column(
        "date_found",
        "date",
        "发现日期",
        "date found",
        True,
        aliases=("日期", "检查日期", "date"),
        width=13,
    ),
    Column("lon", "lon", "经度", "longitude", aliases=("x", "lng"), width=11),
    Column("lat", "lat", "纬度", "latitude", aliases=("y",), width=11),
    Column("photo", "text", "照片编号", "photo reference", aliases=("照片", "photo_ref"), width=14),
    Column("description", "text", "问题描述", "description", aliases=("描述", "备注"), width=30),
    Column("surveyor", "text", "调查人", "surveyor", aliases=("检查人",), width=10),
)

_BRACKETS = re.compile(r"[（(][^（()）]*[)）]\s*$")


def header_key(text: object) -> str:
    """A header reduced for matching: no unit in brackets, no ``*``, no spaces, lower case."""
    s = str(text).replace("\n", " ").strip().rstrip("*").strip()
    s = _BRACKETS.sub("", s).strip().rstrip("*").strip()
    return re.sub(r"\s+", " ", s).lower()
