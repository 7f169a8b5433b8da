"""Reading the survey's input tables (CSV/XLSX with Chinese or English headers)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from citycheckup.data.headers import header_key
from citycheckup.errors import Problem

__all__ = ["cell_text", "is_blank", "match_headers", "read_raw", "row_label"]


def read_raw(path: str | Path, *, error: type[Exception]) -> pd.DataFrame:
    """All cells of the first sheet of a CSV (UTF-8 or GB18030) or XLSX file, as text."""
    p = Path(path)
    if not p.is_file():
        raise error(f"file {p} does not exist")
    suffix = p.suffix.lower()
    try:
        if suffix in {".csv", ".txt"}:
            try:
                df = pd.read_csv(p, encoding="utf-8-sig", dtype=str, keep_default_na=False)
            except UnicodeDecodeError:
                df = pd.read_csv(p, encoding="gb18030", dtype=str, keep_default_na=False)
        elif suffix in {".xlsx", ".xlsm"}:
            df = pd.read_excel(p, sheet_name=0, dtype=object)
        else:
            raise error(f"{p}: unsupported file type {suffix!r}; use .csv or .xlsx")
    except error:
        raise
    except Exception as exc:  # the parsers' own errors
        raise error(
            f"{p} could not be read as {suffix} ({type(exc).__name__}: {exc}); "
            "check that the file is complete and in that format"
        ) from exc
    df.columns = [str(c).replace("\r", " ").replace("\n", " ").strip() for c in df.columns]
    return df


def is_blank(v: Any) -> bool:
    return (
        v is None
        or v is pd.NA
        or (isinstance(v, float) and math.isnan(v))
        or (isinstance(v, str) and not v.strip())
    )


def cell_text(v: Any) -> str:
    """A cell as text: ``5.0`` read from Excel becomes ``"5"``."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def row_label(i: int) -> int:
    """The spreadsheet row of data row ``i`` (0-based): the header is row 1."""
    return i + 2


def match_headers(
    columns: Sequence[str], spec: Mapping[str, Sequence[str]], source: str
) -> tuple[dict[str, str], list[str], list[Problem]]:
    """Match file headers to canonical names.

    Parameters
    ----------
    columns
        Headers as in the file.
    spec
        Canonical name → accepted spellings (the canonical name itself is always accepted).
        A header also matches when it *starts with* a canonical question id followed by a
        space or punctuation (``"H1 房屋结构安全"``).

    Returns
    -------
    found, unmatched, problems
        ``found`` maps canonical name → header; ``unmatched`` lists headers that match
        nothing; ``problems`` names headers that match the same name twice.
    """
    keys: dict[str, str] = {}
    for name, names in spec.items():
        for n in (name, *names):
            keys.setdefault(header_key(n), name)
    found: dict[str, str] = {}
    unmatched: list[str] = []
    problems: list[Problem] = []
    for col in columns:
        canon: str | None = keys.get(header_key(col))
        if canon is None:
            head = (
                col.replace("：", " ")
                .replace(":", " ")
                .replace(".", " ")
                .replace("、", " ")
                .split(" ", 1)[0]
            )
            canon = keys.get(header_key(head)) if head and head != col else None
        if canon is None:
            unmatched.append(col)
            continue
        if canon in found:
            problems.append(
                Problem(
                    f"columns {found[canon]!r} and {col!r} both mean {canon!r}; keep one",
                    f"{source}, column {col!r}",
                )
            )
            continue
        found[canon] = col
    return found, unmatched, problems
