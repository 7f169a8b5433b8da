"""Raw cells of a sheet, CSV file or GeoPackage layer, and the checks every table shares.

A file is first read into a :class:`RawTable` (raw cells plus where each came from:
sheet, row and column letter for XLSX; row and column for CSV; layer, feature and field
for GeoPackage). The parsers here turn cells into typed values and collect every bad
cell as a :class:`~citycheckup.errors.Problem` naming its place
(``survey.xlsx sheet '楼栋登记' row 7, column F (建成年份)``).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from citycheckup.data.readers import unit_code_problem
from citycheckup.errors import DataError, Problem
from citycheckup.inventory._crs import CHINA_BOUNDS, normalise_crs, to_wgs84
from citycheckup.inventory._schema import (
    COMMON_COLUMNS,
    Column,
    header_key,
)

__all__ = ["MAX_LISTED", "RawTable", "raw_table"]

MAX_LISTED = 25
_EMPTY = frozenset({"", "na", "n/a", "nan", "-", "—", "none", "null", "<na>"})
_MAX_ID = 64


@dataclass
class RawTable:
    """Raw cells of one sheet, CSV file or GeoPackage layer, and where each cell came from."""

    df: pd.DataFrame
    """Raw cells (object dtype); columns are the headers as written."""
    source: str
    rows: list[int]
    """File row number (XLSX/CSV, header = its own row) or feature id (GeoPackage) of each row."""
    sheet: str | None = None
    layer: str | None = None
    letters: dict[str, str] = field(default_factory=dict)
    """Header → column letter (XLSX)."""
    header_row: int = 1
    crs: str | None = None
    """The file's own coordinate system (GeoPackage), which overrides the caller's."""

    def where(self, i: int | None = None, header: str | None = None) -> str:
        """Place of row position ``i`` (``None``: the header) and column ``header``."""
        if self.layer is not None:
            place = f"{self.source} layer '{self.layer}'"
            if i is not None:
                place += f" feature {self.rows[i]}"
            return place + (f", field '{header}'" if header else "")
        place = self.source + (f" sheet '{self.sheet}'" if self.sheet is not None else "")
        place += f" row {self.rows[i] if i is not None else self.header_row}"
        if header is not None:
            letter = self.letters.get(header)
            place += f", column {letter} ({header})" if letter else f", column '{header}'"
        return place


def _empty(v: object) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return str(v).strip().lower() in _EMPTY


def _header_row(cells: list[list[Any]], known: set[str]) -> int:
    """Index of the first row (of the first 15) holding at least two known headers."""
    for r, row in enumerate(cells[:15]):
        if sum(1 for v in row if v is not None and header_key(v) in known) >= 2:
            return r
    return 0


def _known_headers(columns: tuple[Column, ...]) -> set[str]:
    keys: set[str] = set()
    for c in (*COMMON_COLUMNS, *columns):
        keys |= {
            header_key(x) for x in (c.name, c.zh, c.en, c.label("zh"), c.label("en"), *c.aliases)
        }
    return keys


def raw_table(
    path: str | Path,
    columns: tuple[Column, ...],
    *,
    sheet: str | None = None,
    layer: str | None = None,
) -> RawTable:
    """Read the cells of ``path`` (``.xlsx``, ``.csv`` or ``.gpkg``) for a table with ``columns``.

    In a workbook the header row is found among the first 15 rows (the first one
    naming two known columns); rows below it that are entirely empty are skipped.
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(f"file {p} does not exist")
    suffix = p.suffix.lower()
    known = _known_headers(columns)
    if suffix in {".xlsx", ".xlsm"}:
        from openpyxl import load_workbook
        from openpyxl.utils import get_column_letter

        try:
            wb = load_workbook(p, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise DataError(
                f"{p.name} could not be opened as a workbook ({type(exc).__name__}: {exc})"
            ) from exc
        try:
            if sheet is not None and sheet not in wb.sheetnames:
                raise DataError(
                    f"{p.name} has no sheet {sheet!r}; its sheets are {', '.join(wb.sheetnames)}"
                )
            ws = wb[sheet] if sheet is not None else wb.worksheets[0]
            cells = [list(r) for r in ws.iter_rows(values_only=True)]
            title = ws.title
        finally:
            wb.close()
        h = _header_row(cells, known)
        header = cells[h] if cells else []
        heads, letters, idx = [], {}, []
        for j, v in enumerate(header):
            if v is None or str(v).strip() == "":
                continue
            name = str(v).strip()
            heads.append(name)
            letters[name] = get_column_letter(j + 1)
            idx.append(j)
        body, rows = [], []
        # helper columns (formulas of the survey workbook) do not make a row non-empty
        mapped = [k for k, j in enumerate(idx) if header_key(heads[k]) in known] or list(
            range(len(idx))
        )
        for r in range(h + 1, len(cells)):
            vals = [cells[r][j] if j < len(cells[r]) else None for j in idx]
            if all(_empty(vals[k]) for k in mapped):
                continue
            body.append(vals)
            rows.append(r + 1)
        return RawTable(
            pd.DataFrame(body, columns=heads, dtype=object),
            p.name,
            rows,
            sheet=title,
            letters=letters,
            header_row=h + 1,
        )
    if suffix in {".csv", ".txt"}:
        try:
            df = pd.read_csv(p, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        except UnicodeDecodeError:
            df = pd.read_csv(p, encoding="gb18030", dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise DataError(f"{p.name} could not be read as CSV ({exc})") from exc
        df.columns = [str(c).strip() for c in df.columns]
        keep = (
            ~df.apply(lambda r: all(_empty(v) for v in r), axis=1)
            if len(df)
            else pd.Series([], dtype=bool)
        )
        rows = [i + 2 for i in range(len(df)) if bool(keep.iloc[i])]
        return RawTable(df[keep].reset_index(drop=True).astype(object), p.name, rows)
    if suffix == ".gpkg":
        import geopandas as gpd  # optional: only to read a GeoPackage

        try:
            gdf = gpd.read_file(p, layer=layer)
        except Exception as exc:  # pyogrio raises several kinds
            raise DataError(
                f"{p.name} could not be read as a GeoPackage ({type(exc).__name__}: {exc})"
            ) from exc
        df = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).astype(object)
        geom = gdf.geometry
        crs = None
        if len(gdf) and geom.notna().any():
            pts = geom.where(geom.geom_type == "Point", geom.representative_point())
            df["lon"] = pts.x.to_numpy()
            df["lat"] = pts.y.to_numpy()
            if gdf.crs is not None:
                epsg = gdf.crs.to_epsg()
                crs = f"EPSG:{epsg}" if epsg else gdf.crs.to_wkt()
        rows = [int(i) + 1 for i in range(len(df))]  # GeoPackage feature ids start at 1
        return RawTable(
            df.reset_index(drop=True), p.name, rows, layer=layer or "(first layer)", crs=crs
        )
    raise DataError(f"{p.name}: unsupported file type {suffix!r}; use .xlsx, .csv or .gpkg")


# -- cell parsing ---------------------------------------------------------------------------
def _map_columns(
    raw: RawTable, columns: tuple[Column, ...], problems: list[Problem]
) -> dict[str, str]:
    """Canonical column name → header in the file; duplicate claims are problems."""
    found: dict[str, str] = {}
    for h in raw.df.columns:
        key = header_key(h)
        for c in (*COMMON_COLUMNS, *columns):
            names = {
                header_key(x)
                for x in (c.name, c.zh, c.en, c.label("zh"), c.label("en"), *c.aliases)
            }
            if key in names:
                if c.name in found:
                    problems.append(
                        Problem(
                            f"columns {found[c.name]!r} and {h!r} both give {c.name}; keep one",
                            raw.where(None, h),
                        )
                    )
                else:
                    found[c.name] = str(h)
                break
    return found


def _parse_date(v: object) -> pd.Timestamp | None:
    if isinstance(v, dt.datetime | dt.date | pd.Timestamp):
        return pd.Timestamp(v).normalize()
    if isinstance(v, int | float) and not isinstance(v, bool) and 20000 < float(v) < 80000:
        return pd.Timestamp("1899-12-30") + pd.Timedelta(days=int(v))  # an Excel serial date
    s = str(v).strip()
    m = re.fullmatch(
        r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]00:00(?::00)?)?", s
    ) or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", s)
    if not m:
        return None
    try:
        return pd.Timestamp(dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))))
    except ValueError:
        return None


def _parse_number(v: object) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float | np.number):
        return float(v)
    try:
        return float(str(v).strip().replace(",", "").replace("，", ""))
    except ValueError:
        return None


def _text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


class _Collector:
    """Problems per (column, kind of problem), capped at :data:`MAX_LISTED` each."""

    def __init__(self) -> None:
        self.groups: dict[tuple[str, str], list[Problem]] = {}
        self.counts: dict[tuple[str, str], int] = {}

    def add(self, key: tuple[str, str], problem: Problem) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1
        lst = self.groups.setdefault(key, [])
        if len(lst) < MAX_LISTED:
            lst.append(problem)

    def problems(self, source: str) -> list[Problem]:
        out: list[Problem] = []
        for key, lst in self.groups.items():
            out += lst
            if self.counts[key] > len(lst):
                out.append(
                    Problem(
                        f"… and {self.counts[key] - len(lst)} more: {key[1]} in column {key[0]}",
                        source,
                    )
                )
        return out


def _parse_columns(
    raw: RawTable,
    columns: tuple[Column, ...],
    cols: dict[str, str],
    col: _Collector,
    *,
    enums: Mapping[str, Callable[[str], str | None]] | None = None,
) -> pd.DataFrame:
    """Typed values of every mapped column; bad cells become problems and missing values."""
    n = len(raw.df)
    out: dict[str, list[Any]] = {}
    for c in (*COMMON_COLUMNS, *columns):
        if c.name not in cols:
            continue
        h = cols[c.name]
        vals: list[Any] = []
        for i, v in enumerate(raw.df[h].tolist()):
            if _empty(v):
                if c.required and c.name not in ("unit_code", "year"):
                    col.add(
                        (h, "empty required cells"),
                        Problem(f"{c.en} ({c.zh}) is required; fill it in", raw.where(i, h)),
                    )
                vals.append(None)
                continue
            if c.kind in ("id", "text"):
                s = _text(v)
                if c.kind == "id":
                    why = (
                        unit_code_problem(s)
                        if c.name == "unit_code"
                        else (
                            f"has {len(s)} characters (at most {_MAX_ID})"
                            if len(s) > _MAX_ID
                            else "contains a control character"
                            if any(not ch.isprintable() for ch in s)
                            else None
                        )
                    )
                    if why:
                        col.add(
                            (h, "invalid IDs"),
                            Problem(f"{c.en} {s!r} is not allowed: it {why}", raw.where(i, h)),
                        )
                        vals.append(None)
                        continue
                vals.append(s)
            elif c.kind == "enum":
                conv = (enums or {}).get(c.name)
                s = _text(v)
                got = conv(s) if conv else s
                if got is None:
                    col.add(
                        (h, "values not in the list"),
                        Problem(
                            f"{c.en} {s!r} is not one of the allowed values "
                            "(use the drop-down list)",
                            raw.where(i, h),
                        ),
                    )
                vals.append(got)
            elif c.kind == "date":
                d = _parse_date(v)
                if d is None:
                    col.add(
                        (h, "invalid dates"),
                        Problem(f"{v!r} is not a date; write YYYY-MM-DD", raw.where(i, h)),
                    )
                vals.append(d)
            else:
                x = _parse_number(v)
                if x is None or not math.isfinite(x):
                    col.add(
                        (h, "non-numeric cells"), Problem(f"{v!r} is not a number", raw.where(i, h))
                    )
                    vals.append(None)
                    continue
                if c.kind == "int" and not float(x).is_integer():
                    col.add(
                        (h, "non-integer cells"),
                        Problem(f"{v!r} must be a whole number", raw.where(i, h)),
                    )
                    vals.append(None)
                    continue
                lo = c.min if c.min is not None else -math.inf
                hi = c.max if c.max is not None else math.inf
                if c.kind in ("int", "float") and not lo <= x <= hi:
                    unit = f" {c.unit_en}" if c.unit_en and c.unit_en not in c.en else ""
                    col.add(
                        (h, "values out of range"),
                        Problem(
                            f"{c.en} {x:g}{unit} is outside the allowed range {lo:g} – {hi:g}",
                            raw.where(i, h),
                        ),
                    )
                    vals.append(None)
                    continue
                vals.append(int(x) if c.kind in ("int",) else x)
        out[c.name] = vals
    return pd.DataFrame(
        {k: pd.Series(v, index=range(n), dtype=object) for k, v in out.items()}, index=range(n)
    )


def _nn(v: object) -> Any:
    """``v``, or ``None`` for any missing value (None, NaN, NA, NaT)."""
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
        return None
    return v


def _col(df: pd.DataFrame, name: str) -> list[Any]:
    """Column ``name`` as a list with ``None`` for missing values (all ``None`` when absent)."""
    if name not in df.columns:
        return [None] * len(df)
    return [_nn(v) for v in df[name].tolist()]


def _meta(
    df: pd.DataFrame,
    raw: RawTable,
    cols: dict[str, str],
    col: _Collector,
    unit_code: str | None,
    year: int | None,
) -> None:
    """Fill ``unit_code`` and ``year`` from the arguments; a cell that disagrees is a problem."""
    for name, given in (("unit_code", unit_code), ("year", year)):
        if name in df.columns:
            for i, v in enumerate(_col(df, name)):
                if v is None:
                    if given is None:
                        col.add(
                            (cols[name], f"empty {name}"),
                            Problem(
                                f"{name} is empty; fill it in or give it for the whole file",
                                raw.where(i, cols[name]),
                            ),
                        )
                elif given is not None and str(v) != str(given):
                    col.add(
                        (cols[name], f"other {name}"),
                        Problem(
                            f"{name} {v!r} differs from {given!r} given for the whole file",
                            raw.where(i, cols[name]),
                        ),
                    )
            if given is not None:
                df[name] = pd.Series(
                    [given if v is None else v for v in _col(df, name)],
                    index=df.index,
                    dtype=object,
                )
        elif given is None:
            col.add(
                ("", f"no {name}"),
                Problem(
                    f"no {name} column and none given; add the column or give it for the whole file "
                    f"(--{'unit' if name == 'unit_code' else 'year'})",
                    raw.where(),
                ),
            )
            df[name] = pd.Series([None] * len(df), index=df.index, dtype=object)
        else:
            df[name] = given


def _coordinates(
    df: pd.DataFrame,
    raw: RawTable,
    cols: dict[str, str],
    crs: str,
    col: _Collector,
    *,
    required: bool,
) -> None:
    """Convert lon/lat from ``crs`` (or the file's own CRS) to WGS-84 in place and check them."""
    if "lon" not in df.columns or "lat" not in df.columns:
        if required:
            for name in ("lon", "lat"):
                if name not in df.columns:
                    col.add(
                        ("", "missing coordinate columns"),
                        Problem(
                            f"no {name} column: give longitude and latitude (or x/y in the CRS)",
                            raw.where(),
                        ),
                    )
        df["lon"] = np.nan
        df["lat"] = np.nan
        return
    src = raw.crs or normalise_crs(crs)
    x = pd.to_numeric(df["lon"], errors="coerce").to_numpy(dtype="float64", copy=True)
    y = pd.to_numeric(df["lat"], errors="coerce").to_numpy(dtype="float64", copy=True)
    for i in np.flatnonzero(np.isnan(x) != np.isnan(y)):
        h = cols["lat"] if np.isnan(y[i]) else cols["lon"]
        col.add(
            (h, "half coordinates"),
            Problem("give both longitude and latitude, or neither", raw.where(int(i), h)),
        )
    if src in ("wgs84", "gcj02", "bd09", "EPSG:4490"):
        with np.errstate(invalid="ignore"):
            bad = ~np.isnan(x) & ~np.isnan(y) & ~((np.abs(x) <= 180) & (np.abs(y) <= 90))
        lo0, la0, lo1, la1 = CHINA_BOUNDS
        for i in np.flatnonzero(bad):
            swapped = lo0 <= y[i] <= lo1 and la0 <= x[i] <= la1
            why = (
                "longitude and latitude swapped?"
                if swapped
                else "not degrees; for projected coordinates give the EPSG code as crs"
            )
            col.add(
                (cols["lon"], "coordinates out of range"),
                Problem(f"({x[i]:g}, {y[i]:g}) are {why}", raw.where(int(i), cols["lon"])),
            )
        x[bad] = np.nan
        y[bad] = np.nan
    lon, lat = to_wgs84(x, y, src)
    lo0, la0, lo1, la1 = CHINA_BOUNDS
    with np.errstate(invalid="ignore"):
        outside = (
            ~np.isnan(lon)
            & ~np.isnan(lat)
            & ~((lon >= lo0) & (lon <= lo1) & (lat >= la0) & (lat <= la1))
        )
    for i in np.flatnonzero(outside):
        hint = (
            " (longitude and latitude swapped?)"
            if lo0 <= lat[i] <= lo1 and la0 <= lon[i] <= la1
            else ""
        )
        col.add(
            (cols["lon"], "coordinates outside China"),
            Problem(
                f"({lon[i]:.6f}, {lat[i]:.6f}) in WGS-84 lies outside China{hint}; check the values and "
                f"the coordinate system ({src})",
                raw.where(int(i), cols["lon"]),
            ),
        )
    lon[outside] = np.nan
    lat[outside] = np.nan
    df["lon"] = lon
    df["lat"] = lat


def _missing_columns(
    raw: RawTable,
    columns: tuple[Column, ...],
    cols: dict[str, str],
    col: _Collector,
    skip: set[str],
) -> None:
    for c in columns:
        if c.required and c.name not in cols and c.name not in skip:
            col.add(
                ("", "missing columns"),
                Problem(
                    f"required column {c.label('zh')} / {c.label('en')} ({c.name}) is missing",
                    raw.where(),
                ),
            )
