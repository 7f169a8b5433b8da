"""The data-collection workbook that departments fill in, and reading it back.

:func:`write_template` writes one sheet per dimension (code, name, unit, value to fill
in, last year's value when known, allowed range, level, definition, source, note) with
input validation on the value cells; :func:`read_template` reads a filled-in workbook
into a :class:`citycheckup.data.Dataset` and reports every invalid cell at once, each
with its sheet and cell address (``Sheet 'livable' cell D7``).

Layout (fixed, so that the reader can rely on it): sheet ``README`` holds the meta data
in ``B3:B7`` (framework code, framework version, unit code, unit name, year); every
dimension sheet has its header in row 4 and one indicator per row from row 5, value in
column D, allowed minimum and maximum in the hidden columns K and L.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from citycheckup._io import atomic_file
from citycheckup.data.readers import NAME, UNIT, YEAR, Dataset, file_sha256
from citycheckup.errors import DataError, Problem
from citycheckup.framework.models import Framework, Indicator
from citycheckup.report.messages import t

__all__ = ["README_SHEET", "is_template", "read_template", "template_bounds", "write_template"]

log = logging.getLogger(__name__)

README_SHEET = "README"
HEADER_ROW = 4
FIRST_ROW = 5
_COLS = ("code", "name", "unit", "value", "last", "range", "level", "definition", "source", "note")
_COUNT_UNITS = {"栋", "个", "套", "条", "处", "起", "座", "户", "人"}
_BIG = 1e15


def _is_change(ind: Indicator) -> bool:
    """Whether the indicator is a change (growth rate or difference), which may be negative."""
    text = "".join((ind.formula or "").split())
    return any(f"{fn}(" in text for fn in ("growth", "diff", "cagr"))


def template_bounds(ind: Indicator) -> tuple[float | None, float | None]:
    """Allowed (min, max) of an indicator's value in the template.

    The indicator's own ``min``/``max`` when set. Without ``max``, a reported share
    (unit ``%``, no formula) is at most 100. Without ``min``, a count (units 栋/个/套/条 …,
    located problem counts) is ≥ 0; every other indicator without ``min`` may be
    negative, and so may a change (a ``growth()``/``diff()``/``cagr()`` formula): the
    population growth of a shrinking city, a fall in rents, the non-hukou share of a
    city with net out-migration.
    """
    lo, hi = ind.min, ind.max
    if _is_change(ind):
        return lo, hi
    if hi is None and ind.unit.strip() == "%" and not ind.formula:
        hi = 100.0
    if lo is None and (
        ind.unit.strip() in _COUNT_UNITS or (ind.level != "city" and ind.target == 0)
    ):
        lo = 0.0
    return lo, hi


def _range_text(lo: float | None, hi: float | None) -> str:
    if lo is None and hi is None:
        return ""
    if hi is None:
        return f"≥ {lo:g}"
    if lo is None:
        return f"≤ {hi:g}"
    return f"{lo:g} – {hi:g}"


def write_template(
    fw: Framework,
    unit_code: str,
    year: int,
    out: str | Path,
    *,
    unit_name: str = "",
    last_values: Mapping[str, float] | None = None,
    lang: str = "zh",
) -> Path:
    """Write the data-collection workbook of ``unit_code`` and ``year`` to ``out`` (XLSX).

    Parameters
    ----------
    fw
        The framework: one sheet per top-level dimension, one row per indicator.
    unit_code, unit_name, year
        Who and when the workbook is for (stored in the README sheet).
    last_values
        Indicator code → last year's value, shown next to the input cell.
    lang
        Language of the labels (``zh`` or ``en``); codes stay ASCII.

    Returns
    -------
    pathlib.Path
        ``out``.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    last = dict(last_values or {})
    wb = Workbook()
    ws0 = wb.active
    ws0.title = README_SHEET
    bold = Font(bold=True)
    grey = PatternFill("solid", fgColor="EEF2F7")
    yellow = PatternFill("solid", fgColor="FFF8DC")
    ws0["A1"] = t("tpl.title", lang)
    ws0["A1"].font = Font(bold=True, size=14)
    meta = [
        ("framework", fw.code),
        ("framework_version", fw.version),
        ("unit_code", str(unit_code)),
        ("unit_name", unit_name),
        ("year", int(year)),
    ]
    for i, (k, v) in enumerate(meta, start=3):
        ws0.cell(row=i, column=1, value=k).font = bold
        ws0.cell(row=i, column=2, value=v)
    ws0["A9"] = t("tpl.instructions", lang)
    ws0["A9"].alignment = Alignment(wrap_text=True, vertical="top")
    ws0.merge_cells("A9:F12")
    ws0.column_dimensions["A"].width = 20
    ws0.column_dimensions["B"].width = 40
    heads = [t(f"tpl.{c}", lang) for c in _COLS]
    for dim in fw.dimensions:
        ws = wb.create_sheet(dim.code[:31])
        ws["A1"] = f"{dim.name_zh if lang == 'zh' else dim.name_en} ({dim.code})"
        ws["A1"].font = Font(bold=True, size=13)
        ws["A2"] = f"{unit_name} {unit_code} · {year}"
        for j, h in enumerate(heads, start=1):
            c = ws.cell(row=HEADER_ROW, column=j, value=h)
            c.font = bold
            c.fill = grey
        ws.cell(row=HEADER_ROW, column=11, value="min")
        ws.cell(row=HEADER_ROW, column=12, value="max")
        for r, ind in enumerate(dim.iter_indicators(), start=FIRST_ROW):
            lo, hi = template_bounds(ind)
            vals = [
                ind.code,
                ind.name_zh if lang == "zh" else ind.name_en,
                ind.unit,
                None,
                last.get(ind.code),
                _range_text(lo, hi),
                t(f"level.{ind.level}", lang),
                (ind.definition_zh if lang == "zh" else ind.definition_en) or "",
                ind.source or "",
                None,
            ]
            for j, v in enumerate(vals, start=1):
                if isinstance(v, float) and math.isnan(v):
                    v = None
                cell = ws.cell(row=r, column=j, value=v)
                if j in (4, 10):
                    cell.protection = Protection(locked=False)
                    if j == 4:
                        cell.fill = yellow
                else:
                    cell.fill = grey if j != 5 else PatternFill()
            ws.cell(row=r, column=11, value=lo)
            ws.cell(row=r, column=12, value=hi)
            dv = DataValidation(
                type="decimal",
                operator="between",
                formula1=str(lo if lo is not None else -_BIG),
                formula2=str(hi if hi is not None else _BIG),
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=ind.code,
                error=f"{t('tpl.invalid', lang)}: {_range_text(lo, hi) or 'number'}",
            )
            ws.add_data_validation(dv)
            dv.add(f"D{r}")
        for col, w in zip("ABCDEFGHIJ", (30, 34, 10, 12, 12, 12, 10, 50, 16, 20), strict=True):
            ws.column_dimensions[col].width = w
        ws.column_dimensions["K"].hidden = True
        ws.column_dimensions["L"].hidden = True
        ws.freeze_panes = f"D{FIRST_ROW}"
        ws.protection.sheet = True  # only the value and note cells are unlocked (no password)
    target = Path(out)
    with atomic_file(target, "wb") as fh:
        wb.save(fh)
    return target


def is_template(path: str | Path) -> bool:
    """Whether ``path`` is a data-collection workbook written by :func:`write_template`.

    For readers that accept any XLSX: route such a file to :func:`read_template`.
    """
    p = Path(path)
    if p.suffix.lower() not in (".xlsx", ".xlsm") or not p.is_file():
        return False
    from openpyxl import load_workbook

    try:
        wb = load_workbook(p, read_only=True)
    except Exception:  # not a readable workbook: let the caller's reader report it
        return False
    try:
        if README_SHEET not in wb.sheetnames:
            return False
        return bool(
            wb[README_SHEET]["A3"].value == "framework"
            and wb[README_SHEET]["A5"].value == "unit_code"
        )
    finally:
        wb.close()


def _number(v: object) -> float | None | str:
    """A cell value as a float, ``None`` when empty, or the offending text."""
    if v is None:
        return None
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int | float):
        return float(v) if math.isfinite(float(v)) else str(v)
    s = str(v).strip().replace(",", "").replace("，", "")
    if s in ("", "-", "—", "NA", "N/A"):
        return None
    try:
        x = float(s)
    except ValueError:
        return str(v)
    return x if math.isfinite(x) else str(v)


def read_template(path: str | Path, *, framework: Framework | None = None) -> Dataset:
    """Read a filled-in data-collection workbook into a one-row :class:`Dataset`.

    Parameters
    ----------
    path
        The workbook written by :func:`write_template` and filled in.
    framework
        When given, indicator codes must belong to it (a renamed code is reported).

    Returns
    -------
    Dataset
        Columns ``unit_code``, ``unit_name``, ``year`` and one column per indicator code
        with a value; ``units`` gives each indicator's unit of measure. When the
        workbook holds last year's values (column E), they form a second row for the
        previous year, so the city's changes are reported.

    Raises
    ------
    DataError
        Listing every invalid cell — text where a number belongs, a value outside the
        allowed range, an unknown indicator code, missing meta data — each as
        ``Sheet '<name>' cell <address>``.
    """
    from openpyxl import load_workbook

    p = Path(path)
    if not p.is_file():
        raise DataError(f"template {p} does not exist")
    try:
        wb = load_workbook(p, data_only=True, read_only=True)
    except Exception as exc:  # zip / XML errors of a damaged file
        raise DataError(
            f"{p} could not be read as an XLSX workbook ({type(exc).__name__}: {exc})"
        ) from exc
    problems: list[Problem] = []
    try:
        if README_SHEET not in wb.sheetnames:
            raise DataError(
                f"{p}: sheet {README_SHEET!r} is missing; is this a citycheckup template? "
                "Write one with `citycheckup template`"
            )
        meta: dict[str, object] = {}
        for row in wb[README_SHEET].iter_rows(min_row=3, max_row=7, max_col=2, values_only=True):
            if row[0]:
                meta[str(row[0])] = row[1]
        for i, k in enumerate(
            ("framework", "framework_version", "unit_code", "unit_name", "year"), start=3
        ):
            if k in ("unit_code", "year") and (meta.get(k) in (None, "")):
                problems.append(
                    Problem(f"{k} is empty; fill it in", f"Sheet {README_SHEET!r} cell B{i}")
                )
        year: int | None = None
        if meta.get("year") not in (None, ""):
            y = _number(meta["year"])
            if isinstance(y, float) and y.is_integer() and 1900 <= y <= 2100:
                year = int(y)
            else:
                problems.append(
                    Problem(
                        f"year {meta['year']!r} is not a year between 1900 and 2100",
                        f"Sheet {README_SHEET!r} cell B7",
                    )
                )
        if framework is not None and meta.get("framework") not in (None, framework.code):
            problems.append(
                Problem(
                    f"the workbook is for framework {meta.get('framework')!r}, not "
                    f"{framework.code!r}",
                    f"Sheet {README_SHEET!r} cell B3",
                )
            )
        known = set(framework.indicator_codes) if framework is not None else None
        values: dict[str, float] = {}
        last: dict[str, float] = {}
        units: dict[str, str] = {}
        for name in wb.sheetnames:
            if name == README_SHEET:
                continue
            ws = wb[name]
            for r, row in enumerate(
                ws.iter_rows(min_row=FIRST_ROW, max_col=12, values_only=True), start=FIRST_ROW
            ):
                row = tuple(row) + (None,) * (12 - len(row))
                code = row[0]
                if code in (None, ""):
                    if row[3] not in (None, ""):
                        problems.append(
                            Problem(
                                "a value without an indicator code in column A",
                                f"Sheet {name!r} cell D{r}",
                            )
                        )
                    continue
                code = str(code).strip()
                where = f"Sheet {name!r} cell D{r}"
                if known is not None and code not in known:
                    problems.append(
                        Problem(
                            f"unknown indicator code {code!r}; do not edit column A",
                            f"Sheet {name!r} cell A{r}",
                        )
                    )
                    continue
                v = _number(row[3])
                if v is None:
                    continue
                if isinstance(v, str):
                    problems.append(
                        Problem(
                            f"{code}: {v!r} is not a number; enter digits only (no units or %)",
                            where,
                        )
                    )
                    continue
                lo, hi = _number(row[10]), _number(row[11])
                if isinstance(lo, float) and v < lo:
                    problems.append(
                        Problem(f"{code}: {v:g} is below the allowed minimum {lo:g}", where)
                    )
                    continue
                if isinstance(hi, float) and v > hi:
                    problems.append(
                        Problem(f"{code}: {v:g} is above the allowed maximum {hi:g}", where)
                    )
                    continue
                if code in values:
                    problems.append(
                        Problem(f"{code} appears twice; keep one row", f"Sheet {name!r} cell A{r}")
                    )
                    continue
                values[code] = v
                units[code] = "" if row[2] is None else str(row[2])
                prev = _number(
                    row[4]
                )  # last year's value (prefilled or typed in): the change baseline
                if isinstance(prev, float):
                    last[code] = prev
    finally:
        wb.close()
    if problems:
        raise DataError(
            f"{p}: {len(problems)} invalid cell(s); correct them and read the workbook again",
            problems=problems,
        )
    code_, name_ = str(meta["unit_code"]).strip(), str(meta.get("unit_name") or "").strip()
    if not name_:  # the gazetteer's name, so a report never says "nan"
        from citycheckup.data.identity import default_gazetteer

        g = default_gazetteer()
        name_ = g.name_of(code_) if code_ in g else code_
    rows = [{UNIT: code_, NAME: name_, YEAR: year, **values}]
    if last and year is not None:  # last year's values, so the city's change is reported
        rows.insert(0, {UNIT: code_, NAME: name_, YEAR: year - 1, **last})
    data = pd.DataFrame(rows)
    for c in {*values, *last}:
        data[c] = data[c].astype("float64")
    log.info("read %d indicator values of %s %s from %s", len(values), meta["unit_code"], year, p)
    return Dataset(data=data, source=str(p), units=units, sha256=file_sha256(p))
