"""Reading the located problems of a field survey, with every error listed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from citycheckup.errors import DataError, Problem
from citycheckup.framework.models import Framework, Indicator
from citycheckup.inventory._cells import (
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
from citycheckup.inventory._read import indicator_label, problem_indicators, sub_item_label
from citycheckup.inventory._schema import (
    LOCATED_IN_REGISTER,
    PROBLEM_COLUMNS,
    SEVERITIES,
    SEVERITY_LABELS,
    id_column,
)

__all__ = ["read_problems", "validate_problems"]


def _indicator_lookup(inds: list[Indicator]) -> dict[str, Indicator]:
    look: dict[str, Indicator] = {}
    for i in inds:
        for key in (
            i.code,
            i.mohurd_id,
            i.name_zh,
            i.name_en,
            indicator_label(i, "zh"),
            indicator_label(i, "en"),
        ):
            if key:
                look.setdefault(key.strip().lower(), i)
    return look


def _severity(text: str) -> str | None:
    for code in SEVERITIES:
        if text.strip().lower() in {code, SEVERITY_LABELS[code]["zh"], SEVERITY_LABELS[code]["en"]}:
            return code
    return None


def validate_problems(
    raw: RawTable,
    fw: Framework,
    *,
    registers: Mapping[str, pd.DataFrame] | None = None,
    level: str | None = None,
    unit_code: str | None = None,
    year: int | None = None,
    crs: str = "wgs84",
    today: dt.date | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Typed located problems of a field survey from raw cells, and every problem found.

    Checks: the indicator is a located-problem indicator of ``fw`` (of ``level`` when
    given) — by code, MOHURD id or drop-down label; the sub-item belongs to it and is
    required when the indicator has sub-items; the register ID exists in the register
    the indicator is located in (when ``registers`` holds it); a road name is given for
    road problems; the date is not after ``today`` and within a year of the check-up
    year; coordinates are both given or both missing (missing ones are taken from the
    register); no problem is recorded twice.

    Returns
    -------
    tuple
        Columns ``unit_code, year, level, indicator, mohurd_id, located_in, register,
        register_id, road, sub_item, severity, quantity, date_found, lon, lat, photo,
        description, surveyor`` and the problems.
    """
    today = today or dt.date.today()
    problems: list[Problem] = []
    cols = _map_columns(raw, PROBLEM_COLUMNS, problems)
    col = _Collector()
    _missing_columns(raw, PROBLEM_COLUMNS, cols, col, set())
    df = _parse_columns(raw, PROBLEM_COLUMNS, cols, col, enums={"severity": _severity})
    _meta(df, raw, cols, col, unit_code, year)
    _coordinates(df, raw, cols, crs, col, required=False)
    inds = problem_indicators(fw)
    look = _indicator_lookup(inds)
    n = len(df)
    info: dict[str, list[Any]] = {
        k: [None] * n for k in ("level", "indicator", "mohurd_id", "located_in", "register")
    }
    subs: list[str | None] = [None] * n
    texts, sub_texts = _col(df, "indicator"), _col(df, "sub_item")
    for i in range(n):
        text = texts[i]
        if text is None:
            continue
        ind = look.get(str(text).strip().lower()) or look.get(str(text).split()[0].strip().lower())
        h = cols["indicator"]
        if ind is None:
            other = next((x for x in fw.indicators if x.code == text or x.mohurd_id == text), None)
            why = (
                f"indicator {text!r} is at level {other.level} and is not a located problem"
                if other is not None
                else f"indicator {text!r} is not a located-problem indicator of framework {fw.code}"
            )
            col.add(
                (h, "unknown indicators"),
                Problem(f"{why}; pick one from the drop-down list", raw.where(i, h)),
            )
            continue
        if level is not None and ind.level != level:
            col.add(
                (h, "indicators of another level"),
                Problem(
                    f"indicator {ind.mohurd_id or ind.code} is a {ind.level} indicator, not {level}; record it in "
                    f"the {ind.level} survey",
                    raw.where(i, h),
                ),
            )
            continue
        info["level"][i], info["indicator"][i], info["mohurd_id"][i] = (
            ind.level,
            ind.code,
            ind.mohurd_id,
        )
        info["located_in"][i] = ind.located_in
        info["register"][i] = LOCATED_IN_REGISTER[str(ind.located_in)]
        s = sub_texts[i]
        hs = cols.get("sub_item", "sub_item")
        if s is None:
            if ind.sub_items:
                col.add(
                    (hs, "missing sub-items"),
                    Problem(
                        f"indicator {ind.mohurd_id or ind.code} needs a sub-item: one of "
                        f"{', '.join(x.code for x in ind.sub_items)}",
                        raw.where(i, hs),
                    ),
                )
            continue
        key = str(s).strip().lower()
        hit = next(
            (
                x.code
                for x in ind.sub_items
                if key
                in {
                    x.code.lower(),
                    x.name_zh.lower(),
                    x.name_en.lower(),
                    sub_item_label(x.code, x.name_zh).lower(),
                    sub_item_label(x.code, x.name_en).lower(),
                }
                or key.split()[0] == x.code.lower()
            ),
            None,
        )
        if hit is None:
            allowed = (
                ", ".join(f"{x.code} {x.name_zh}" for x in ind.sub_items) or "none (leave it empty)"
            )
            col.add(
                (hs, "sub-items of another indicator"),
                Problem(
                    f"sub-item {s!r} does not belong to indicator {ind.mohurd_id or ind.code}; allowed: {allowed}",
                    raw.where(i, hs),
                ),
            )
        subs[i] = hit
    for k, v in info.items():
        df[k] = pd.Series(v, index=df.index, dtype=object)
    df["sub_item"] = pd.Series(subs, index=df.index, dtype=object)
    for name in (
        "road",
        "quantity",
        "photo",
        "description",
        "surveyor",
        "register_id",
        "severity",
        "date_found",
    ):
        if name not in df.columns:
            df[name] = pd.Series([None] * n, index=df.index, dtype=object)
    regs = registers or {}
    hr = cols.get("register_id", "register_id")
    known_ids = {k: set(v[id_column(k)].astype(str)) for k, v in regs.items()}
    rids, roads, located = _col(df, "register_id"), _col(df, "road"), info["located_in"]
    for i in range(n):
        reg, rid = info["register"][i], rids[i]
        if reg is None or rid is None:
            continue
        if reg in known_ids and rid not in known_ids[reg]:
            col.add(
                (hr, f"IDs not in the {reg} register"),
                Problem(
                    f"{rid!r} is not in the {reg} register of this city and year; register it first or correct "
                    "the ID",
                    raw.where(i, hr),
                ),
            )
        if located[i] == "road" and roads[i] is None:
            col.add(
                (cols.get("road", "road"), "missing road names"),
                Problem(
                    "this indicator is located on a road: give the road name",
                    raw.where(i, cols.get("road", "road")),
                ),
            )
    hd = cols.get("date_found", "date_found")
    dates, yrs = _col(df, "date_found"), _col(df, "year")
    for i in range(n):
        d, y = dates[i], yrs[i]
        if d is None:
            continue
        if d.date() > today:
            col.add(
                (hd, "dates in the future"),
                Problem(f"date {d.date()} is after today ({today})", raw.where(i, hd)),
            )
        elif y is not None and abs(d.year - int(y)) > 1:
            col.add(
                (hd, "dates far from the check-up year"),
                Problem(
                    f"date {d.date()} is more than a year away from the check-up year {y}",
                    raw.where(i, hd),
                ),
            )
    seen: dict[tuple[Any, ...], int] = {}
    units = _col(df, "unit_code")
    for i in range(n):
        pkey = (
            units[i],
            info["indicator"][i],
            rids[i],
            subs[i],
            roads[i] if located[i] == "road" else None,
        )
        if pkey[1] is None or pkey[2] is None:
            continue
        if pkey in seen:
            col.add(
                (hr, "problems recorded twice"),
                Problem(
                    f"the same problem ({pkey[1]}, {pkey[2]}, sub-item {pkey[3] or '—'}) is already recorded in row "
                    f"{raw.rows[seen[pkey]]}; merge the rows",
                    raw.where(i, hr),
                ),
            )
        else:
            seen[pkey] = i
    _fill_coordinates(df, regs)
    df["year"] = pd.to_numeric(df["year"], errors="coerce").astype("Int64")
    df["quantity"] = pd.to_numeric(df["quantity"], errors="coerce").astype("float64")
    out_cols = [
        "unit_code",
        "year",
        "level",
        "indicator",
        "mohurd_id",
        "located_in",
        "register",
        "register_id",
        "road",
        "sub_item",
        "severity",
        "quantity",
        "date_found",
        "lon",
        "lat",
        "photo",
        "description",
        "surveyor",
    ]
    return df[out_cols], problems + col.problems(raw.where())


def _fill_coordinates(df: pd.DataFrame, regs: Mapping[str, pd.DataFrame]) -> None:
    """Missing problem coordinates ← the coordinates of the register record."""
    for reg, table in regs.items():
        pos = table.drop_duplicates(id_column(reg)).set_index(id_column(reg))[["lon", "lat"]]
        m = (df["register"] == reg) & df["lon"].isna()
        if m.any():
            hit = pos.reindex(df.loc[m, "register_id"].astype(str))
            df.loc[m, "lon"] = hit["lon"].to_numpy()
            df.loc[m, "lat"] = hit["lat"].to_numpy()


def read_problems(
    path: str | Path,
    fw: Framework,
    *,
    registers: Mapping[str, pd.DataFrame] | None = None,
    level: str | None = None,
    sheet: str | None = None,
    layer: str | None = None,
    unit_code: str | None = None,
    year: int | None = None,
    crs: str = "wgs84",
) -> pd.DataFrame:
    """Read located problems of a field survey from XLSX, CSV or GeoPackage (see :func:`validate_problems`).

    Raises
    ------
    DataError
        Listing every problem, each with its sheet, row and column.
    """
    raw = raw_table(path, PROBLEM_COLUMNS, sheet=sheet, layer=layer)
    df, problems = validate_problems(
        raw, fw, registers=registers, level=level, unit_code=unit_code, year=year, crs=crs
    )
    if problems:
        raise DataError(
            f"{raw.where()}: {len(problems)} problem(s) in the located problems", problems=problems
        )
    return df
