"""Reading unit × year × variable tables from CSV, XLSX and Parquet, long or wide."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from citycheckup.data.identity import ADCODE_RE, Gazetteer, default_gazetteer
from citycheckup.errors import DataError, Problem

__all__ = ["Dataset", "file_sha256", "read_dataset", "read_table", "tidy_dataset"]

UNIT, NAME, YEAR = "unit_code", "unit_name", "year"
_CODE_COLS = ("unit_code", "ucode", "code", "adcode", "城市代码", "city_code", "行政区划代码", "district")
_NAME_COLS = ("unit_name", "uname", "name", "city", "城市", "城市名称", "地区")
_YEAR_COLS = ("year", "time", "年份", "年度")
_VAR_COLS = ("variable", "indicator", "指标", "变量", "icode")
_VALUE_COLS = ("value", "值", "数值")
_UOM_COLS = ("unit_of_measure", "uom", "计量单位", "单位")
_HEADER_UNIT = re.compile(r"^(?P<name>.+?)\s*\[(?P<unit>[^\]]+)\]\s*$")
MAX_LISTED = 25
TOTAL_ROW = "ALL"


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
        Unit of measure per variable column, when the file states it.
    groups
        Non-numeric descriptive columns (province, groups for peers …).
    sha256
        Hash of the source file, for the run manifest.
    """

    data: pd.DataFrame
    source: str
    units: dict[str, str] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)
    sha256: str | None = None

    @property
    def variables(self) -> list[str]:
        return [c for c in self.data.columns if c not in (UNIT, NAME, YEAR, *self.groups)]

    @property
    def years(self) -> list[int]:
        return sorted(int(y) for y in self.data[YEAR].unique())


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
        raise DataError(f"{p} could not be read as {suffix} ({type(exc).__name__}: {exc}); "
                        "check the file is complete and in that format") from exc
    df.columns = [_clean_col(c) for c in df.columns]
    return df


def _find(cols: list[str], candidates: tuple[str, ...]) -> str | None:
    lower = {c.lower(): c for c in cols}
    for cand in candidates:
        if cand in lower:
            return lower[cand]
    return None


def _to_number(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numeric values and a mask of cells that were not empty but not numbers either."""
    if pd.api.types.is_numeric_dtype(s):
        return s.astype("float64"), pd.Series(False, index=s.index)
    text = s.astype("string").str.strip().str.replace(",", "", regex=False).str.replace("，", "", regex=False)
    empty = text.isna() | text.isin(["", "NA", "N/A", "NaN", "nan", "-", "—", "..", "…", "null", "None"])
    num = pd.to_numeric(text.where(~empty), errors="coerce")
    bad = ~empty & num.isna()
    return num.astype("float64"), bad


def tidy_dataset(
    raw: pd.DataFrame,
    *,
    source: str = "<DataFrame>",
    year: int | None = None,
    gazetteer: Gazetteer | None = None,
    match_names: bool | None = None,
) -> Dataset:
    """Turn a raw long or wide table into a :class:`Dataset`, reporting every problem at once.

    Parameters
    ----------
    raw
        Long (columns unit, year, variable, value[, unit of measure]) or wide (one column
        per variable) table; column names are matched case-insensitively in English or Chinese.
    source
        Name used in messages.
    year
        Year to use when the table has no year column.
    gazetteer
        For matching Chinese city names to codes; the default gazetteer if ``None``.
    match_names
        Match names to codes. By default: when there is no code column.
    """
    df = raw.copy()
    df.columns = [_clean_col(c) for c in df.columns]
    cols = list(df.columns)
    problems: list[Problem] = []
    code_col, name_col, year_col = _find(cols, _CODE_COLS), _find(cols, _NAME_COLS), _find(cols, _YEAR_COLS)
    if code_col is None and name_col is None:
        raise DataError(
            f"{source}: no unit column; add one named unit_code (6-digit administrative code) or "
            f"unit_name (city name); found columns {', '.join(cols[:12])}"
        )
    if year_col is None and year is None:
        raise DataError(f"{source}: no year column; add a column named year or pass --year YYYY")
    units: dict[str, str] = {}
    var_col, val_col = _find(cols, _VAR_COLS), _find(cols, _VALUE_COLS)
    out = pd.DataFrame(index=df.index)
    # -- units
    if code_col is not None:
        codes = df[code_col].astype("string").str.strip().str.replace(r"\.0$", "", regex=True)
        empty = codes.isna() | (codes == "")
        for i in np.flatnonzero(empty.to_numpy())[:MAX_LISTED]:
            problems.append(Problem(f"empty unit code in column {code_col!r}", f"{source} row {i + 2}"))
        out[UNIT] = codes
    if name_col is not None:
        out[NAME] = df[name_col].astype("string").str.strip()
    if code_col is None:
        names = out[NAME]
        looks_chinese = names.str.contains(r"[\u4e00-\u9fff]", regex=True).fillna(False).mean() > 0.5
        if match_names is None:
            match_names = bool(looks_chinese)
        if match_names:
            g = gazetteer or default_gazetteer()
            try:
                out[UNIT] = g.match_many(names.tolist(), where=source)
            except DataError as exc:
                problems.extend(exc.problems)
                out[UNIT] = names
        else:
            out[UNIT] = names
    elif match_names:
        g = gazetteer or default_gazetteer()
        out[UNIT] = [g.canonical_code(c) if isinstance(c, str) and ADCODE_RE.match(c) else c for c in out[UNIT]]
    if NAME not in out.columns:
        g = gazetteer or default_gazetteer()
        out[NAME] = [g.name_of(c) if isinstance(c, str) and c in g else c for c in out[UNIT]]
    # -- years
    if year_col is not None:
        yrs, bad = _to_number(df[year_col])
        nonint = ~bad & yrs.notna() & (yrs != yrs.round())
        for i in np.flatnonzero((bad | nonint | yrs.isna()).to_numpy())[:MAX_LISTED]:
            problems.append(Problem(f"year {df[year_col].iloc[i]!r} is not a whole number",
                                    f"{source} row {i + 2}, column {year_col!r}"))
        out[YEAR] = yrs.round().astype("Int64")
    else:
        out[YEAR] = pd.array([int(year)] * len(df), dtype="Int64")  # type: ignore[arg-type]
    used = {c for c in (code_col, name_col, year_col) if c is not None}
    groups: list[str] = []
    if var_col is not None and val_col is not None:
        # -- long format
        uom_col = _find(cols, _UOM_COLS)
        vals, bad = _to_number(df[val_col])
        for i in np.flatnonzero(bad.to_numpy())[:MAX_LISTED]:
            problems.append(Problem(f"value {df[val_col].iloc[i]!r} is not a number",
                                    f"{source} row {i + 2}, column {val_col!r}"))
        if bad.sum() > MAX_LISTED:
            problems.append(Problem(f"… and {int(bad.sum()) - MAX_LISTED} more non-numeric values", source))
        long = out.assign(variable=df[var_col].astype("string").str.strip(), value=vals)
        if uom_col is not None:
            u = df[uom_col].astype("string").str.strip()
            for var, grp in u.groupby(long["variable"]):
                distinct = sorted(set(grp.dropna()) - {""})
                if len(distinct) > 1:
                    problems.append(Problem(
                        f"variable {var!r} is given in several units ({', '.join(distinct)}); convert to one",
                        f"{source} column {uom_col!r}"))
                elif distinct:
                    units[str(var)] = distinct[0]
        dup = long.duplicated([UNIT, YEAR, "variable"], keep=False)
        if dup.any():
            for (u_, y_, v_), grp in long[dup].groupby([UNIT, YEAR, "variable"]):
                rows = ", ".join(str(i + 2) for i in grp.index[:5])
                problems.append(Problem(f"unit {u_}, year {y_}, variable {v_!r} appears {len(grp)} times (rows {rows}); keep one",
                                        source))
                if len(problems) > 200:
                    break
        if problems:
            raise DataError(f"{source}: {len(problems)} problem(s) in the data", problems=problems)
        wide = long.pivot_table(index=[UNIT, YEAR], columns="variable", values="value", aggfunc="first", dropna=False)
        names = long.drop_duplicates([UNIT, YEAR]).set_index([UNIT, YEAR])[NAME]
        wide.columns = [str(c) for c in wide.columns]
        data = wide.reset_index()
        data.insert(1, NAME, names.reindex(pd.MultiIndex.from_frame(data[[UNIT, YEAR]])).to_numpy())
    else:
        # -- wide format
        data = out.copy()
        numeric_cols: dict[str, pd.Series] = {}
        for c in cols:
            if c in used:
                continue
            m = _HEADER_UNIT.match(c)
            vname, vunit = (m.group("name").strip(), m.group("unit").strip()) if m else (c, None)
            vals, bad = _to_number(df[c])
            nonempty = df[c].notna() & (df[c].astype("string").str.strip() != "")
            if nonempty.any() and bad[nonempty].mean() > 0.5:
                groups.append(c)  # text column: a descriptor such as province or a *_group
                data[c] = df[c]
                continue
            for i in np.flatnonzero(bad.to_numpy())[:MAX_LISTED]:
                problems.append(Problem(f"value {df[c].iloc[i]!r} is not a number",
                                        f"{source} row {i + 2}, column {c!r}"))
            if bad.sum() > MAX_LISTED:
                problems.append(Problem(f"… and {int(bad.sum()) - MAX_LISTED} more non-numeric cells in column {c!r}",
                                        source))
            numeric_cols[vname] = vals
            if vunit:
                units[vname] = vunit
        data = pd.concat([data, pd.DataFrame(numeric_cols, index=data.index)], axis=1)
        dup = data.duplicated([UNIT, YEAR], keep=False)
        if dup.any():
            for (u_, y_), grp in data[dup].groupby([UNIT, YEAR]):
                rows = ", ".join(str(i + 2) for i in grp.index[:5])
                problems.append(Problem(f"unit {u_}, year {y_} appears {len(grp)} times (rows {rows}); "
                                        "keep one row per unit and year", source))
                if len(problems) > 200:
                    break
    if problems:
        raise DataError(f"{source}: {len(problems)} problem(s) in the data", problems=problems)
    # a whole-area total (the spatial module's "ALL" row) is not a unit to compare
    data = data[data[UNIT].astype(str) != TOTAL_ROW]
    data = data.sort_values([YEAR, UNIT], kind="stable").reset_index(drop=True)
    data[YEAR] = data[YEAR].astype("int64")
    return Dataset(data=data, source=source, units=units, groups=groups)


def read_dataset(
    path: str | Path,
    *,
    year: int | None = None,
    sheet: str | int | None = None,
    gazetteer: Gazetteer | None = None,
    match_names: bool | None = None,
) -> Dataset:
    """Read a data file (CSV/XLSX/Parquet, long or wide) into a tidy :class:`Dataset`.

    Every problem (bad cells, duplicate unit-year rows, unknown city names) is reported
    together, each with its row and column.
    """
    raw = read_table(path, sheet=sheet)
    ds = tidy_dataset(raw, source=str(path), year=year, gazetteer=gazetteer, match_names=match_names)
    ds.sha256 = file_sha256(path)
    return ds
