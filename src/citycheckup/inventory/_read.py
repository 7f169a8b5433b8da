"""Reading registers (楼栋, 小区, 社区, 街区) from XLSX, CSV and GeoPackage, with every error listed.

Also the framework-driven helpers: which indicators are located problems, and which
register columns their denominators need.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from citycheckup.errors import DataError, Problem
from citycheckup.framework.models import Framework, Indicator
from citycheckup.inventory._cells import (
    MAX_LISTED,
    RawTable,
    _col,
    _Collector,
    _coordinates,
    _map_columns,
    _meta,
    _missing_columns,
    _parse_columns,
    raw_table,
)
from citycheckup.inventory._schema import (
    DENOMINATOR_SOURCES,
    LOCATED_IN_REGISTER,
    LOWER_LEVELS,
    REGISTER_COLUMNS,
    REGISTER_KINDS,
    Column,
    header_key,
    id_column,
)

__all__ = [
    "MAX_LISTED",
    "RawTable",
    "check_references",
    "indicator_label",
    "problem_indicators",
    "raw_table",
    "read_register",
    "register_extras",
    "sub_item_label",
    "validate_register",
]


def validate_register(
    raw: RawTable,
    kind: str,
    *,
    unit_code: str | None = None,
    year: int | None = None,
    crs: str = "wgs84",
    extra: tuple[Column, ...] = (),
) -> tuple[pd.DataFrame, list[Problem]]:
    """Typed register ``kind`` from raw cells, and every problem found.

    Returns
    -------
    tuple
        The register (``unit_code, year`` and the columns of
        :data:`~citycheckup.inventory.REGISTER_COLUMNS` ``[kind]``, coordinates in
        WGS-84), then the ``extra`` columns (:func:`register_extras`), and the list of
        problems (empty when valid).
    """
    if kind not in REGISTER_KINDS:
        raise DataError(f"unknown register {kind!r}; use one of {', '.join(REGISTER_KINDS)}")
    columns = REGISTER_COLUMNS[kind] + tuple(extra)
    problems: list[Problem] = []
    cols = _map_columns(raw, columns, problems)
    col = _Collector()
    _missing_columns(raw, columns, cols, col, {"lon", "lat"})
    df = _parse_columns(raw, columns, cols, col)
    _meta(df, raw, cols, col, unit_code, year)
    _coordinates(df, raw, cols, crs, col, required=True)
    idc = id_column(kind)
    if idc in df.columns:
        seen: dict[str, int] = {}
        for i, v in enumerate(_col(df, idc)):
            if v is None:
                continue
            if v in seen:
                col.add(
                    (cols[idc], "repeated IDs"),
                    Problem(
                        f"{idc} {v!r} is repeated (first in row {raw.rows[seen[v]]}); IDs must be unique",
                        raw.where(i, cols[idc]),
                    ),
                )
            else:
                seen[v] = i
    for c in columns:
        if c.name not in df.columns:
            df[c.name] = None
    df = df[["unit_code", "year", *(c.name for c in columns)]]
    df["year"] = pd.to_numeric(df["year"], errors="coerce").astype("Int64")
    return df, problems + col.problems(raw.where())


def check_references(
    registers: Mapping[str, pd.DataFrame], sources: Mapping[str, RawTable] | None = None
) -> list[Problem]:
    """Links between registers that point nowhere (a building's compound_id not in the compounds …).

    Only registers present in ``registers`` are checked against each other.
    """
    col = _Collector()
    for kind, df in registers.items():
        for parent in ("compound", "community", "block"):
            ref = id_column(parent)
            if parent == kind or ref not in df.columns or parent not in registers:
                continue
            known = set(registers[parent][ref].dropna().astype(str))
            raw = (sources or {}).get(kind)
            for i, v in enumerate(_col(df, ref)):
                if v is None or str(v) in known:
                    continue
                where = (
                    raw.where(i, _header_for(raw, ref))
                    if raw is not None
                    else f"{kind} register row {i + 1}"
                )
                col.add(
                    (f"{kind}.{ref}", f"unknown {parent} IDs"),
                    Problem(
                        f"{ref} {v!r} is not in the {parent} register; add it there or correct the ID",
                        where,
                    ),
                )
    return col.problems("registers")


def _header_for(raw: RawTable, name: str) -> str | None:
    spec = next((c for cs in REGISTER_COLUMNS.values() for c in cs if c.name == name), None)
    if spec is None:
        return None
    keys = {header_key(x) for x in (spec.name, spec.zh, spec.en, *spec.aliases)}
    return next((h for h in raw.df.columns if header_key(h) in keys), None)


def read_register(
    path: str | Path,
    kind: str,
    *,
    sheet: str | None = None,
    layer: str | None = None,
    unit_code: str | None = None,
    year: int | None = None,
    crs: str = "wgs84",
    fw: Framework | None = None,
) -> pd.DataFrame:
    """Read register ``kind`` (building, compound, community, block) from XLSX, CSV or GeoPackage.

    Parameters
    ----------
    path
        The file. In a GeoPackage the point geometry (or a representative point of a
        polygon) gives the coordinates, in the layer's own CRS.
    unit_code, year
        For the whole file, when it has no such columns.
    crs
        Coordinate system of ``lon``/``lat`` (see :func:`~citycheckup.inventory.normalise_crs`).
    fw
        The framework, for the columns its denominators need (:func:`register_extras`).

    Raises
    ------
    DataError
        Listing every problem, each with its sheet, row and column.
    """
    extra = register_extras(fw, kind)
    raw = raw_table(path, REGISTER_COLUMNS[kind] + extra, sheet=sheet, layer=layer)
    df, problems = validate_register(
        raw, kind, unit_code=unit_code, year=year, crs=crs, extra=extra
    )
    if problems:
        raise DataError(
            f"{raw.where()}: {len(problems)} problem(s) in the {kind} register", problems=problems
        )
    return df


def problem_indicators(fw: Framework, level: str | None = None) -> list[Indicator]:
    """Indicators of ``fw`` that are located problems.

    A lower-level indicator (housing, community, block) with ``located_in``, kind
    ``lower`` and no formula: a count (or quantity) of problems recorded where they are.
    Coverage shares of the block level (``kind: higher`` with a formula) are computed,
    not surveyed, and are not located problems.
    """
    return [
        i
        for i in fw.indicators
        if i.level in LOWER_LEVELS
        and i.located_in in LOCATED_IN_REGISTER
        and i.kind == "lower"
        and not i.formula
        and (level is None or i.level == level)
    ]


def register_extras(fw: Framework | None, kind: str) -> tuple[Column, ...]:
    """Numeric register columns the framework needs for denominators (e.g. ``parking_spaces_required``).

    A located-problem indicator whose denominator is not one of
    :data:`~citycheckup.inventory.DENOMINATOR_SOURCES` is reported over the sum of a
    column of that name on the register it is located in; this returns those columns
    of register ``kind`` (named, labelled and with the unit of the framework's variable).
    """
    if fw is None:
        return ()
    builtin = {c.name for c in REGISTER_COLUMNS[kind]}
    out: dict[str, Column] = {}
    for ind in problem_indicators(fw):
        den = ind.denominator
        if not den or den in DENOMINATOR_SOURCES or den in builtin or den in out:
            continue
        if LOCATED_IN_REGISTER[str(ind.located_in)] != kind:
            continue
        var = fw.variable(den)
        out[den] = Column(
            den,
            "float",
            var.name_zh if var else den,
            var.name_en if var else den,
            unit_zh=var.unit if var else "",
            unit_en=var.unit if var else "",
            min=0,
            max=1e12,
            width=14,
        )
    return tuple(out.values())


def indicator_label(ind: Indicator, lang: str = "zh") -> str:
    """Drop-down label of an indicator: its MOHURD id (or code) and name."""
    return f"{ind.mohurd_id or ind.code} {ind.name_zh if lang == 'zh' else ind.name_en}"


def sub_item_label(code: str, name: str) -> str:
    return f"{code} {name}"
