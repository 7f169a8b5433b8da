"""Reading unit × year × variable tables from CSV, XLSX and Parquet, long or wide.

Files are read as people have them: with a framework, headers may be the framework's
codes, Chinese or English names or aliases, with a unit in brackets
(``地区生产总值(亿元)``, ``常住人口（万人）``); a row of units right under the header is
recognised and dropped; values are converted to the framework's units, and every
recognition and conversion is recorded in :attr:`Dataset.conversions`.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from citycheckup.data.headers import HeaderIndex, split_header, unit_in_brackets
from citycheckup.data.identity import ADCODE_RE, Gazetteer, default_gazetteer
from citycheckup.data.units import UnitConversionError, conversion_factor, is_unit_text, same_unit
from citycheckup.errors import DataError, Problem
from citycheckup.framework.models import Framework

__all__ = [
    "Dataset",
    "file_sha256",
    "read_dataset",
    "read_table",
    "tidy_dataset",
    "unit_code_problem",
]

UNIT, NAME, YEAR = "unit_code", "unit_name", "year"
_CODE_COLS = (
    "unit_code",
    "ucode",
    "code",
    "adcode",
    "城市代码",
    "city_code",
    "行政区划代码",
    "district",
)
_NAME_COLS = ("unit_name", "uname", "name", "city", "城市", "城市名称", "地区")
_YEAR_COLS = ("year", "time", "年份", "年度")
_VAR_COLS = ("variable", "indicator", "指标", "变量", "icode")
_VALUE_COLS = ("value", "值", "数值")
_UOM_COLS = ("unit_of_measure", "uom", "计量单位", "单位")
_EMPTY = frozenset({"", "NA", "N/A", "NaN", "nan", "-", "—", "..", "…", "null", "None", "<NA>"})
MAX_LISTED = 25
TOTAL_ROW = "ALL"
MAX_CODE_LENGTH = 64


@dataclass
class Dataset:
    """A tidy panel: one row per unit and year, one column per variable.

    Attributes
    ----------
    data
        Columns ``unit_code``, ``unit_name``, ``year``, any group columns, then variables.
    source
        Where it came from (file path or a description).
    units
        Unit of measure per variable column, when the file states it (after conversion:
        the framework's unit).
    groups
        Non-numeric descriptive columns (province, groups for peers …).
    sha256
        Hash of the source file, for the run manifest.
    conversions
        One record per column recognised under another header or converted to the
        framework's unit: ``column`` (as written in the file), ``code``, ``from_unit``
        (as stated, ``None`` when the file states none), ``to_unit`` and ``factor``
        (values were multiplied by it).
    """

    data: pd.DataFrame
    source: str
    units: dict[str, str] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)
    sha256: str | None = None
    conversions: list[dict[str, Any]] = field(default_factory=list)
    denominators: dict[str, str] = field(default_factory=dict)
    """Indicator code → the variable its counts were taken over, where the data differ from the
    framework's ``denominator`` (e.g. a city that counts a compound-level problem by community)."""

    @property
    def variables(self) -> list[str]:
        return [c for c in self.data.columns if c not in (UNIT, NAME, YEAR, *self.groups)]

    @property
    def years(self) -> list[int]:
        return sorted(int(y) for y in self.data[YEAR].unique())


#: Columns that describe a unit rather than measure it, even when they hold numbers (the
#: province's administrative code, a size class): kept as groups, never scored or flagged.
_DESCRIPTORS = frozenset({"province", "province_code", "province_name", "size_class"})


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _clean_col(c: object) -> str:
    return re.sub(r"\s+", " ", str(c).replace("\r", "").replace("\n", "")).strip()


def read_table(path: str | Path, *, sheet: str | int | None = None) -> pd.DataFrame:
    """Read a CSV (UTF-8 or GB18030), XLSX or Parquet file into a DataFrame of raw cells."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"data file {p} does not exist")
    suffix = p.suffix.lower()
    try:
        if suffix in {".csv", ".txt", ".gz"}:
            try:
                df = pd.read_csv(p, encoding="utf-8-sig", dtype=str, keep_default_na=False)
            except UnicodeDecodeError:
                df = pd.read_csv(p, encoding="gb18030", dtype=str, keep_default_na=False)
        elif suffix in {".xlsx", ".xlsm", ".xls"}:
            df = pd.read_excel(p, sheet_name=sheet if sheet is not None else 0, dtype=object)
        elif suffix in {".parquet", ".pq"}:
            df = pd.read_parquet(p)
        else:
            raise DataError(f"{p}: unsupported file type {suffix!r}; use .csv, .xlsx or .parquet")
    except DataError:
        raise
    except Exception as exc:  # parser errors of the three libraries
        raise DataError(
            f"{p} could not be read as {suffix} ({type(exc).__name__}: {exc}); "
            "check the file is complete and in that format"
        ) from exc
    df.columns = [_clean_col(c) for c in df.columns]
    return df


def unit_code_problem(code: str) -> str | None:
    """Why ``code`` is not a safe unit code, or ``None`` when it is.

    Unit codes name output files and folders, so only letters (any script, CJK
    included), ASCII digits, ``_``, ``-`` and ``.`` are allowed; not ``..``, not a leading
    ``.``, at most 64 characters. No path separator, colon, space or control character.

    >>> unit_code_problem("130600") is None and unit_code_problem("中心城区") is None
    True
    >>> unit_code_problem("x/../PWNED")
    "contains '/' (a path separator)"
    """
    if len(code) > MAX_CODE_LENGTH:
        return f"has {len(code)} characters (at most {MAX_CODE_LENGTH})"
    bad = list(
        dict.fromkeys(
            ch
            for ch in code
            if not (
                (ch.isascii() and (ch.isalnum() or ch in "_-."))
                or (not ch.isascii() and ch.isalpha())
            )
        )
    )
    if bad:
        return "contains " + ", ".join(_describe_char(ch) for ch in bad[:5])
    if ".." in code:
        return "contains '..'"
    if code.startswith("."):
        return "starts with '.'"
    return None


def _describe_char(ch: str) -> str:
    if ch in "/\\":
        return f"{ch!r} (a path separator)"
    if not ch.isprintable():
        return f"the control character U+{ord(ch):04X}"
    if ch.isspace():
        return "a space"
    return repr(ch)


def _find(cols: list[str], candidates: tuple[str, ...]) -> str | None:
    lower = {c.lower(): c for c in cols}
    for cand in candidates:
        if cand in lower:
            return lower[cand]
    return None


def _is_empty(v: object) -> bool:
    if v is None or v is pd.NA:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return str(v).strip() in _EMPTY


def _is_number(v: object) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, int | float | np.number):
        return True
    try:
        float(str(v).strip().replace(",", "").replace("，", ""))
    except ValueError:
        return False
    return True


def _to_number(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numeric values and a mask of cells that were not empty but not numbers either."""
    if pd.api.types.is_numeric_dtype(s):
        return s.astype("float64"), pd.Series(False, index=s.index)
    text = (
        s.astype("string")
        .str.strip()
        .str.replace(",", "", regex=False)
        .str.replace("，", "", regex=False)
    )
    empty = text.isna() | text.isin(list(_EMPTY))
    num = pd.to_numeric(text.where(~empty), errors="coerce")
    bad = ~empty & num.isna()
    return num.astype("float64"), bad


def _cut(
    found: list[Problem], total: int, what: str, where: str, limit: int = MAX_LISTED
) -> list[Problem]:
    """The first ``limit`` problems, then one that says how many more there are."""
    out = found[:limit]
    if total > limit:
        out.append(Problem(f"… and {total - limit} more {what}", where))
    return out


def _units_row(df: pd.DataFrame, id_cols: set[str], year_col: str | None) -> dict[str, str] | None:
    """The units written in the first row under the header, when that row is a units row.

    It is one when its year cell is not a number, none of its other cells is a number,
    and most of its non-empty value cells are units of measure (万元, 万人, %, 个 …).
    """
    if df.empty:
        return None
    first = df.iloc[0]
    if year_col is not None and not _is_empty(first[year_col]) and _is_number(first[year_col]):
        return None
    cells = {
        c: str(first[c]).strip() for c in df.columns if c not in id_cols and not _is_empty(first[c])
    }
    if not cells or any(_is_number(v) for v in cells.values()):
        return None
    n_units = sum(is_unit_text(v) for v in cells.values())
    return cells if 2 * n_units > len(cells) else None


@dataclass
class _Column:
    """How one header (or one long-format variable name) is read."""

    name: str
    """Column name in the Dataset: the framework code when recognised, else the name without unit."""
    unit: str | None
    """Unit stated in the header (or ``None``)."""
    code: str | None = None
    note: str | None = None


def _read_header(
    header: str, hidx: HeaderIndex | None, problems: list[Problem], where: str
) -> _Column:
    name, inner, bracket = split_header(header)
    unit = unit_in_brackets(inner)
    if hidx is None:
        if inner is not None and (unit is not None or bracket == "["):
            return _Column(name, unit or inner)
        return _Column(header, None)
    codes = hidx.resolve(name) if unit is not None else []
    if not codes:
        codes = hidx.resolve(header)
        if codes:
            unit = None  # the bracket belongs to the name, e.g. 地区生产总值增长率（名义）
        elif inner is not None:
            codes = hidx.resolve(name)
    if len(codes) > 1:
        problems.append(
            Problem(
                f"header {header!r} could mean {' or '.join(hidx.label(c) for c in codes)}; "
                "rename the column to one of these codes",
                where,
            )
        )
        return _Column(header, unit)
    if not codes:
        return _Column(name if unit is not None else header, unit)
    col = _Column(codes[0], unit, code=codes[0])
    if inner is not None and unit is None and not hidx.resolve(header):
        if bracket == "[":
            problems.append(
                Problem(
                    f"header {header!r}: {inner!r} is not a known unit; write the unit of "
                    f"{hidx.label(codes[0])} as e.g. {_framework_unit(hidx.framework, codes[0])}",
                    where,
                )
            )
        else:
            col.note = f"bracket text {inner!r} is not a unit; values are taken to be in the framework's unit"
    return col


def _framework_unit(fw: Framework, code: str) -> str:
    var = fw.variable(code)
    if var is not None:
        return var.unit
    return fw.indicator(code).unit


def _convert(
    values: pd.Series,
    code: str,
    note: str | None,
    unit: str | None,
    header: str,
    fw: Framework,
    problems: list[Problem],
    where: str,
) -> tuple[pd.Series, dict[str, Any] | None]:
    """Values converted to the framework's unit of ``code``, and the record of it."""
    target = _framework_unit(fw, code)
    record: dict[str, Any] = {
        "column": header,
        "code": code,
        "from_unit": unit,
        "to_unit": target,
        "factor": 1.0,
    }
    if note:
        record["note"] = note
    if unit is None:
        return values, (record if header != code else None)
    try:
        factor = conversion_factor(unit, target, what=code)
    except UnitConversionError as exc:
        problems.append(Problem(exc.headline, where))
        return values, None
    if factor != 1:
        values = values * float(factor.numerator) / float(factor.denominator)
    record["factor"] = float(factor)
    return values, record


def tidy_dataset(
    raw: pd.DataFrame,
    *,
    source: str = "<DataFrame>",
    year: int | None = None,
    gazetteer: Gazetteer | None = None,
    match_names: bool | None = None,
    framework: Framework | None = None,
) -> Dataset:
    """Turn a raw long or wide table into a :class:`Dataset`, reporting every problem at once.

    Parameters
    ----------
    raw
        Long (columns unit, year, variable, value[, unit of measure]) or wide (one column
        per variable) table; column names are matched case-insensitively in English or Chinese.
        A row of units right under the header (万元, 万人, % …) is read as the columns'
        units and dropped.
    source
        Name used in messages.
    year
        Year to use when the table has no year column.
    gazetteer
        For matching Chinese city names to codes; the default gazetteer if ``None``.
    match_names
        Match names to codes. By default: when there is no code column.
    framework
        When given, headers (or long-format variable names) are matched to its codes by
        code, ``name_zh``, ``name_en`` and ``aliases``, a unit in brackets is read off,
        and values are converted to the framework's units (an incompatible unit is an
        error naming the column and both units).

    Raises
    ------
    DataError
        Listing every problem: cells that are not numbers, empty or unsafe unit codes,
        years that are not whole numbers, duplicate unit-years, unknown city names,
        units that cannot be converted, headers that mean two codes.
    """
    df = raw.reset_index(drop=True)
    df.columns = [_clean_col(c) for c in df.columns]
    cols = list(df.columns)
    problems: list[Problem] = []
    code_col, name_col, year_col = (
        _find(cols, _CODE_COLS),
        _find(cols, _NAME_COLS),
        _find(cols, _YEAR_COLS),
    )
    if code_col is None and name_col is None:
        raise DataError(
            f"{source}: no unit column; add one named unit_code (6-digit administrative code) or "
            f"unit_name (city name); found columns {', '.join(cols[:12])}"
        )
    if year_col is None and year is None:
        raise DataError(f"{source}: no year column; add a column named year or pass --year YYYY")
    var_col, val_col = _find(cols, _VAR_COLS), _find(cols, _VALUE_COLS)
    is_long = var_col is not None and val_col is not None
    uom_col = _find(cols, _UOM_COLS) if is_long else None
    id_cols = {c for c in (code_col, name_col, year_col, var_col, uom_col) if c is not None}
    row_units = _units_row(df, id_cols, year_col)
    if row_units is not None:
        df = df.iloc[1:]  # keep the index: messages give file rows (header = row 1)
    rownum = df.index.to_numpy() + 2
    hidx = HeaderIndex.of(framework) if framework is not None else None
    units: dict[str, str] = {}
    conversions: list[dict[str, Any]] = []
    out = pd.DataFrame(index=df.index)
    # -- units (cities, districts …)
    if code_col is not None:
        codes = df[code_col].astype("string").str.strip().str.replace(r"\.0$", "", regex=True)
        empty = (codes.isna() | (codes == "")).to_numpy()
        idx = np.flatnonzero(empty)
        problems += _cut(
            [
                Problem(f"empty unit code in column {code_col!r}", f"{source} row {rownum[i]}")
                for i in idx[:MAX_LISTED]
            ],
            len(idx),
            "empty unit codes",
            source,
        )
        out[UNIT] = codes
    if name_col is not None:
        out[NAME] = df[name_col].astype("string").str.strip()
    if code_col is None:
        names = out[NAME]
        blank = (names.isna() | (names == "")).to_numpy()
        idx = np.flatnonzero(blank)
        problems += _cut(
            [
                Problem(
                    f"empty unit name in column {name_col!r}; fill in the city's name or "
                    "delete the row",
                    f"{source} row {rownum[i]}",
                )
                for i in idx[:MAX_LISTED]
            ],
            len(idx),
            "empty unit names",
            source,
        )
        looks_chinese = (
            names.str.contains(r"[\u4e00-\u9fff]", regex=True).fillna(False).mean() > 0.5
        )
        if match_names is None:
            match_names = bool(looks_chinese)
        if match_names:
            g = gazetteer or default_gazetteer()
            matched = pd.Series(pd.NA, index=names.index, dtype="string")
            keep = ~blank
            try:
                matched[keep] = g.match_many(names[keep].tolist(), where=source)
            except DataError as exc:
                problems.extend(_renumber(exc.problems, source, rownum[keep]))
                matched[keep] = names[keep]
            out[UNIT] = matched
        else:
            out[UNIT] = names
    elif match_names:
        g = gazetteer or default_gazetteer()
        out[UNIT] = [
            g.canonical_code(c) if isinstance(c, str) and ADCODE_RE.match(c) else c
            for c in out[UNIT]
        ]
    if NAME not in out.columns:
        g = gazetteer or default_gazetteer()
        out[NAME] = [g.name_of(c) if isinstance(c, str) and c in g else c for c in out[UNIT]]
    unsafe = [
        (i, str(c), why)
        for i, c in enumerate(out[UNIT])
        if isinstance(c, str) and c and (why := unit_code_problem(c)) is not None
    ]
    problems += _cut(
        [
            Problem(
                f"unit code {c!r} is not allowed: it {why}; a unit code may hold letters, digits, "
                "CJK characters, '_', '-' and '.' (not '..', not a leading '.'), at most "
                f"{MAX_CODE_LENGTH} characters",
                f"{source} row {rownum[i]}, column {code_col or name_col!r}",
            )
            for i, c, why in unsafe[:MAX_LISTED]
        ],
        len(unsafe),
        "unsafe unit codes",
        source,
    )
    # -- years
    if year_col is not None:
        yrs, bad = _to_number(df[year_col])
        nonint = ~bad & yrs.notna() & (yrs != yrs.round())
        idx = np.flatnonzero((bad | nonint | yrs.isna()).to_numpy())
        problems += _cut(
            [
                Problem(
                    "year is empty"
                    if _is_empty(df[year_col].iloc[i])
                    else f"year {df[year_col].iloc[i]!r} is not a whole number",
                    f"{source} row {rownum[i]}, column {year_col!r}",
                )
                for i in idx[:MAX_LISTED]
            ],
            len(idx),
            "bad years",
            source,
        )
        out[YEAR] = yrs.round().astype("Int64")
    else:
        out[YEAR] = pd.array([int(year)] * len(df), dtype="Int64")  # type: ignore[arg-type]
    used = {c for c in (code_col, name_col, year_col) if c is not None}
    groups: list[str] = []
    if is_long:
        assert var_col is not None and val_col is not None
        data = _long(
            df,
            out,
            source,
            var_col,
            val_col,
            uom_col,
            row_units,
            hidx,
            framework,
            rownum,
            problems,
            units,
            conversions,
        )
    else:
        data = out.copy()
        numeric_cols: dict[str, pd.Series] = {}
        claimed: dict[str, str] = {}
        for c in cols:
            if c in used:
                continue
            if str(c).strip().lower() in _DESCRIPTORS:  # codes of groups, not measurements
                groups.append(c)
                data[c] = df[c]
                continue
            col = _read_header(c, hidx, problems, f"{source} column {c!r}")
            vals, bad = _to_number(df[c])
            nonempty = vals.notna() | bad
            if col.code is None and nonempty.any() and bad[nonempty].mean() > 0.5:
                groups.append(c)  # text column: a descriptor such as province or a *_group
                data[c] = df[c]
                continue
            idx = np.flatnonzero(bad.to_numpy())
            problems += _cut(
                [
                    Problem(
                        f"value {df[c].iloc[i]!r} is not a number",
                        f"{source} row {rownum[i]}, column {c!r}",
                    )
                    for i in idx[:MAX_LISTED]
                ],
                len(idx),
                f"non-numeric cells in column {c!r}",
                source,
            )
            unit = col.unit
            from_row = row_units.get(c) if row_units else None
            if from_row is not None:
                if unit is not None and not same_unit(unit, from_row):
                    problems.append(
                        Problem(
                            f"the header says {unit!r} but the units row says {from_row!r}; make "
                            "them agree",
                            f"{source} column {c!r}",
                        )
                    )
                unit = unit or from_row
            if col.name in claimed:
                problems.append(
                    Problem(
                        f"columns {claimed[col.name]!r} and {c!r} both give {col.name}; keep one",
                        source,
                    )
                )
                continue
            claimed[col.name] = c
            if col.code is not None and framework is not None:
                vals, record = _convert(
                    vals, col.code, col.note, unit, c, framework, problems, f"{source} column {c!r}"
                )
                if record is not None:
                    conversions.append(record)
                if unit is not None:
                    units[col.name] = _framework_unit(framework, col.code)
            elif unit is not None:
                units[col.name] = unit
            numeric_cols[col.name] = vals
        data = pd.concat([data, pd.DataFrame(numeric_cols, index=data.index)], axis=1)
        # rows without a unit code or year are reported above, not as duplicates of each other
        named = (
            data[UNIT].notna().to_numpy()
            & (data[UNIT].astype("string") != "").fillna(False).to_numpy()
        )
        dup = data.duplicated([UNIT, YEAR], keep=False) & named & data[YEAR].notna().to_numpy()
        if dup.any():
            found = [
                Problem(
                    f"unit {u_}, year {y_} appears {len(grp)} times (rows "
                    f"{', '.join(str(i + 2) for i in grp.index[:5])}); keep one row per unit and year",
                    source,
                )
                for (u_, y_), grp in data[dup].groupby([UNIT, YEAR])
            ]
            problems += _cut(found, len(found), "duplicate unit-years", source)
    if problems:
        raise DataError(f"{source}: {len(problems)} problem(s) in the data", problems=problems)
    # a whole-area total (the spatial module's "ALL" row) is not a unit to compare
    data = data[data[UNIT].astype(str) != TOTAL_ROW]
    data = data.sort_values([YEAR, UNIT], kind="stable").reset_index(drop=True)
    data[YEAR] = data[YEAR].astype("int64")
    return Dataset(data=data, source=source, units=units, groups=groups, conversions=conversions)


def _renumber(problems: list[Problem], source: str, rows: np.ndarray) -> list[Problem]:
    """Name-matching problems with file row numbers (the matcher counts from row 2 of what it got)."""
    out = []
    for p in problems:
        m = re.fullmatch(re.escape(source) + r" row (\d+)", p.where)
        if m and 0 <= int(m.group(1)) - 2 < len(rows):
            p = Problem(p.message, f"{source} row {rows[int(m.group(1)) - 2]}")
        out.append(p)
    return out


def _long(
    df: pd.DataFrame,
    out: pd.DataFrame,
    source: str,
    var_col: str,
    val_col: str,
    uom_col: str | None,
    row_units: dict[str, str] | None,
    hidx: HeaderIndex | None,
    fw: Framework | None,
    rownum: np.ndarray,
    problems: list[Problem],
    units: dict[str, str],
    conversions: list[dict[str, Any]],
) -> pd.DataFrame:
    """The long format (unit, year, variable, value[, unit of measure]) pivoted to one column per variable."""
    vals, bad = _to_number(df[val_col])
    idx = np.flatnonzero(bad.to_numpy())
    problems += _cut(
        [
            Problem(
                f"value {df[val_col].iloc[i]!r} is not a number",
                f"{source} row {rownum[i]}, column {val_col!r}",
            )
            for i in idx[:MAX_LISTED]
        ],
        len(idx),
        "non-numeric values",
        source,
    )
    raw_names = df[var_col].astype("string").str.strip()
    idx = np.flatnonzero((raw_names.isna() | (raw_names == "")).to_numpy())
    problems += _cut(
        [
            Problem(f"empty variable name in column {var_col!r}", f"{source} row {rownum[i]}")
            for i in idx[:MAX_LISTED]
        ],
        len(idx),
        "empty variable names",
        source,
    )
    read: dict[str, _Column] = {}
    for v in raw_names.dropna().unique():
        read[str(v)] = _read_header(
            str(v), hidx, problems, f"{source} column {var_col!r}, variable {v!r}"
        )
    names = raw_names.map(lambda v: read[str(v)].name if isinstance(v, str) and v in read else v)
    stated = pd.Series([None] * len(df), index=df.index, dtype=object)
    for i, v in enumerate(raw_names):
        if isinstance(v, str) and v in read:
            stated.iloc[i] = read[v].unit
    default_unit = row_units.get(val_col) if row_units else None
    if uom_col is not None:
        u = df[uom_col].map(lambda x: None if _is_empty(x) else str(x).strip())
        for j in np.flatnonzero((u.notna() & stated.notna()).to_numpy()):
            if not same_unit(u.iloc[j], stated.iloc[j]):
                problems.append(
                    Problem(
                        f"variable {raw_names.iloc[j]!r} states {stated.iloc[j]!r} but column "
                        f"{uom_col!r} says {u.iloc[j]!r}; make them agree",
                        f"{source} row {rownum[j]}",
                    )
                )
        stated = stated.where(stated.notna(), u)
    if default_unit is not None:
        stated = stated.where(stated.notna(), default_unit)
    vals = vals.copy()
    for (name, raw_name), grp in df.groupby([names, raw_names], sort=False, dropna=True):
        col = read[str(raw_name)]
        distinct = sorted({str(x) for x in stated[grp.index].dropna()})
        if col.code is not None and fw is not None:
            given = stated[grp.index]
            units_in: list[str | None] = [*distinct, *([None] if given.isna().any() else [])]
            for unit in units_in:  # rows without a unit are taken to be in the framework's unit
                rows = grp.index[(given.isna() if unit is None else given == unit).to_numpy()]
                converted, record = _convert(
                    vals[rows],
                    col.code,
                    col.note,
                    unit,
                    str(raw_name),
                    fw,
                    problems,
                    f"{source} column {var_col!r}, variable {raw_name!r}",
                )
                vals[rows] = converted
                if record is not None:
                    record["rows"] = len(rows)
                    conversions.append(record)
            if distinct:
                units[str(name)] = _framework_unit(fw, col.code)
        elif len(distinct) > 1:
            problems.append(
                Problem(
                    f"variable {name!r} is given in several units ({', '.join(distinct)}); convert to one",
                    f"{source} column {uom_col or var_col!r}",
                )
            )
        elif distinct:
            units[str(name)] = distinct[0]
    long = out.assign(variable=names, value=vals)
    named = (
        long[UNIT].notna().to_numpy() & (long[UNIT].astype("string") != "").fillna(False).to_numpy()
    )
    dup = (
        long.duplicated([UNIT, YEAR, "variable"], keep=False)
        & named
        & long[YEAR].notna().to_numpy()
    )
    if dup.any():
        found = [
            Problem(
                f"unit {u_}, year {y_}, variable {v_!r} appears {len(grp)} times (rows "
                f"{', '.join(str(i + 2) for i in grp.index[:5])}); keep one",
                source,
            )
            for (u_, y_, v_), grp in long[dup].groupby([UNIT, YEAR, "variable"])
        ]
        problems += _cut(found, len(found), "duplicate unit-year-variables", source)
    if problems:
        raise DataError(f"{source}: {len(problems)} problem(s) in the data", problems=problems)
    wide = long.pivot_table(
        index=[UNIT, YEAR], columns="variable", values="value", aggfunc="first", dropna=False
    )
    unit_names = long.drop_duplicates([UNIT, YEAR]).set_index([UNIT, YEAR])[NAME]
    wide.columns = [str(c) for c in wide.columns]
    data = wide.reset_index()
    data.insert(
        1, NAME, unit_names.reindex(pd.MultiIndex.from_frame(data[[UNIT, YEAR]])).to_numpy()
    )
    return data


def read_dataset(
    path: str | Path,
    *,
    framework: Framework | None = None,
    year: int | None = None,
    sheet: str | int | None = None,
    gazetteer: Gazetteer | None = None,
    match_names: bool | None = None,
) -> Dataset:
    """Read a data file (CSV/XLSX/Parquet, long or wide) into a tidy :class:`Dataset`.

    Every problem (bad cells, duplicate unit-year rows, unknown city names, unsafe unit
    codes, units that cannot be converted) is reported together, each with its row and
    column. With ``framework``, headers are recognised and values converted to its units
    (see :func:`tidy_dataset`).
    """
    raw = read_table(path, sheet=sheet)
    ds = tidy_dataset(
        raw,
        source=str(path),
        year=year,
        gazetteer=gazetteer,
        match_names=match_names,
        framework=framework,
    )
    ds.sha256 = file_sha256(path)
    return ds
