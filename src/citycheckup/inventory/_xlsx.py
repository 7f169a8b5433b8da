"""Small helpers shared by the workbooks: row heights for wrapped text."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from typing import Any

__all__ = ["fit_row_heights", "row_height", "text_width"]


def text_width(text: str) -> float:
    """Width of ``text`` in Excel character units (CJK and full-width characters count two)."""
    return sum(2.25 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.9 for ch in text)


def row_height(
    values: Sequence[object],
    widths: Sequence[float],
    *,
    line: float | None = None,
    minimum: float = 15.0,
) -> float:
    """Height (points) a row needs to show every value, wrapped in columns of ``widths``.

    ``line`` is the height of one line: by default 16 pt when the row holds CJK text (the
    CJK fonts are taller), else 13 pt.
    """
    lines = 1
    cjk = False
    for v, w in zip(values, widths, strict=False):
        if v is None or v == "":
            continue
        text = str(v)
        cjk = cjk or any(unicodedata.east_asian_width(ch) in ("W", "F") for ch in text)
        room = max(float(w) - 0.5, 1.0)
        n = sum(max(1, math.ceil(text_width(part) / room)) for part in text.split("\n"))
        lines = max(lines, n)
    step = line if line is not None else (16.0 if cjk else 13.0)
    return max(minimum, step * lines + 2)


def fit_row_heights(ws: Any, first: int, last: int, ncol: int) -> None:
    """Set the heights of rows ``first..last`` (columns 1..``ncol``) so wrapped text shows in full.

    Spreadsheet programs do not grow rows of a file written by openpyxl, so a wrapped
    cell would show (and print) only its first line.
    """
    from openpyxl.utils import get_column_letter

    widths = [
        float(ws.column_dimensions[get_column_letter(j)].width or 8.43) for j in range(1, ncol + 1)
    ]
    merged = {c for rng in ws.merged_cells.ranges for c in rng.cells}
    for r, row in enumerate(
        ws.iter_rows(min_row=first, max_row=last, max_col=ncol, values_only=True), start=first
    ):
        vals = [None if (r, j) in merged else v for j, v in enumerate(row, start=1)]
        ws.row_dimensions[r].height = row_height(vals, widths)
