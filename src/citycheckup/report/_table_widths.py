"""Column widths of a report page's tables, computed from their text, for a fixed table layout.

WeasyPrint's automatic table layout measures every cell twice, its narrowest and its widest
line, by setting the text with Pango; for Chinese text the narrowest line is one character,
found by breaking the text after every character. In a city report that is about a tenth of
the time of its PDF. :func:`fixed_table_layout` gives each table the widths the automatic
layout would choose (CSS 2.1, section 17.5.2.2, as browsers apply it), from an estimate of
each cell's width in ems instead of a typeset one:

- a cell's text is as wide as the advances of its characters in the bundled font
  (:func:`citycheckup._fonts.advance_em`: 1 em for a CJK character, 0.28 em for an ``i``);
- a cell's widest line is its whole text, its narrowest the longest piece that cannot be
  broken (between spaces, and after any CJK character); a number, unit or grade cell (set
  ``white-space: nowrap`` by the stylesheets) cannot be broken at all;
- the columns get their narrowest widths and share what is left of the page in proportion
  to how much wider their widest lines are; when every widest line fits, the columns are in
  proportion to them.

A table whose narrowest widths do not fit on the page, or with cells spanning columns, keeps
the automatic layout. Only the PDF uses this: the HTML and Word versions are unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from citycheckup._fonts import advance_em

__all__ = ["column_widths", "fixed_table_layout"]

#: Text width of a report table, in ems of its 8 pt type: A4 less 2 × 14 mm margins.
TABLE_EM = 182.0 / (8 * 25.4 / 72)
#: Left and right padding of a cell (2 × 4 pt) in ems, plus room for bold type and kerning.
CELL_PAD_EM = 1.3

_TABLE = re.compile(r"(<table\b[^>]*>)(.*?</table>)", re.S | re.I)
#: Classes of cells set without a line break: numbers and units (``report/_report.css.j2``),
#: and grades (``document.to_html``).
_NOWRAP = {"n", "nw", "g-very_good", "g-good", "g-fair", "g-poor"}
_NOWRAP |= {"a-excellent", "a-good", "a-medium", "a-poor"}
_CAPTION = re.compile(r"\s*<caption\b.*?</caption>", re.S | re.I)


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _em(text: str) -> float:
    return sum(advance_em(ch) for ch in text)


def _narrowest(text: str) -> float:
    """Width of the longest piece of ``text`` that cannot be broken (spaces, after CJK)."""
    best = 0.0
    for word in text.split():
        run = 0.0  # the current unbroken run of narrow characters
        for ch in word:
            if _wide(ch):
                best = max(best, run + 1.0)  # a line may end after a CJK character
                run = 0.0
            else:
                run += advance_em(ch)
        best = max(best, run)
    return best


def column_widths(
    rows: list[list[tuple[str, bool]]], width: float = TABLE_EM
) -> list[float] | None:
    """Column widths in ems of ``width`` for rows of ``(text, nowrap)`` cells, or None.

    None when the narrowest widths do not fit in ``width`` (the automatic layout then decides
    what overflows) or when there are no columns.
    """
    ncol = max((len(r) for r in rows), default=0)
    if ncol == 0:
        return None
    lo = [CELL_PAD_EM] * ncol
    hi = [CELL_PAD_EM] * ncol
    for r in rows:
        for j, (text, nowrap) in enumerate(r):
            text = " ".join(text.split())
            full = _em(text) + CELL_PAD_EM
            hi[j] = max(hi[j], full)
            lo[j] = max(lo[j], full if nowrap else _narrowest(text) + CELL_PAD_EM)
    lo_sum, hi_sum = sum(lo), sum(hi)
    if lo_sum > width:
        return None
    if hi_sum <= width:
        return [width * h / hi_sum for h in hi]
    spare = width - lo_sum
    return [a + spare * (b - a) / (hi_sum - lo_sum) for a, b in zip(lo, hi, strict=True)]


def _rows(table: Any) -> list[list[tuple[str, bool]]] | None:
    rows = []
    for tr in table.iter("tr"):
        cells = []
        for c in tr:
            if c.tag not in ("td", "th"):
                continue
            if int(c.get("colspan") or 1) != 1 or int(c.get("rowspan") or 1) != 1:
                return None
            cls = set((c.get("class") or "").split())
            cells.append((c.text_content(), bool(cls & _NOWRAP)))
        rows.append(cells)
    return rows


def fixed_table_layout(page: str) -> str:
    """``page`` with each table set to ``table-layout: fixed`` and given its column widths.

    Tables that do not fit (see :func:`column_widths`) are left as they are; so is every
    byte outside the opening ``<table>`` tags.
    """
    import lxml.etree
    import lxml.html

    def one(m: re.Match[str]) -> str:
        head, rest = m.group(1), m.group(2)
        if re.search(r"\bstyle\s*=", head, re.I):
            return m.group(0)  # a table with a style of its own is not touched
        try:
            rows = _rows(lxml.html.fragment_fromstring(m.group(0)))
        except (ValueError, TypeError, lxml.etree.LxmlError):
            return m.group(0)  # not one table that can be read: WeasyPrint lays it out
        widths = None if rows is None else column_widths(rows)
        if widths is None:
            return m.group(0)
        total = sum(widths)
        cols = "".join(f'<col style="width:{100 * w / total:.2f}%">' for w in widths)
        cap = _CAPTION.match(rest)  # a caption stays the table's first child
        at = cap.end() if cap else 0
        return (
            f'{head[:-1]} style="table-layout:fixed">{rest[:at]}'
            f"<colgroup>{cols}</colgroup>{rest[at:]}"
        )

    return _TABLE.sub(one, page)
