"""Tables of the Word version of a report page, written as WordprocessingML in one parse.

``report._html_docx`` writes a table's rows as XML text instead of through python-docx's cell
objects (three quarters of a Word file's time went there). These tests read the file back with
python-docx and check, cell by cell, what python-docx itself would have written: the text,
bold header cells, the type size (8.5 pt up to six columns, 7.5 pt from seven), right-aligned
number cells, one shading per cell (header grey, or the grade's colour), the column widths and
the empty cells that fill a short row. Hand-made pages; no run directory needed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

docx = pytest.importorskip("docx")

from docx.oxml.ns import qn  # noqa: E402

from citycheckup.report._html_docx import html_to_docx  # noqa: E402
from citycheckup.report.document import _SHADE  # noqa: E402


def _table(tmp_path: Path, rows: str) -> object:
    page = f"<html><body><table>{rows}</table></body></html>"
    doc = docx.Document(str(html_to_docx(page, tmp_path / "t.docx")))
    assert len(doc.tables) == 1
    return doc.tables[0]


def _cell_xml(cell: object) -> tuple[object, object, object]:
    tc = cell._tc  # type: ignore[attr-defined]
    run = tc.find(qn("w:p")).find(qn("w:r"))
    rpr = None if run is None else run.find(qn("w:rPr"))
    return tc, run, rpr


def _size(cell: object) -> int:
    _, _, rpr = _cell_xml(cell)
    return int(rpr.find(qn("w:sz")).get(qn("w:val")))  # type: ignore[union-attr]


def _shades(cell: object) -> list[str]:
    tc, _, _ = _cell_xml(cell)
    return [s.get(qn("w:fill")) for s in tc.iter(qn("w:shd"))]  # type: ignore[attr-defined]


def test_text_bold_header_alignment_and_escaping(tmp_path: Path) -> None:
    t = _table(
        tmp_path,
        '<tr><th>指标</th><th class="n">数值</th></tr>'
        '<tr><td>  A &lt;&amp;&gt; "b"\n c </td><td class="n">1,234.5</td></tr>',
    )
    rows = t.rows  # type: ignore[attr-defined]
    assert [c.text for c in rows[0].cells] == ["指标", "数值"]
    # whitespace collapsed as a browser shows it; markup characters kept as text
    assert [c.text for c in rows[1].cells] == ['A <&> "b" c', "1,234.5"]
    for c in rows[0].cells:
        assert all(r.bold for r in c.paragraphs[0].runs)
    for c in rows[1].cells:
        assert not any(r.bold for r in c.paragraphs[0].runs)
    assert rows[0].cells[0].paragraphs[0].alignment is None
    assert rows[0].cells[1].paragraphs[0].alignment == 2  # RIGHT (class "n")
    assert rows[1].cells[0].paragraphs[0].alignment is None
    assert rows[1].cells[1].paragraphs[0].alignment == 2


@pytest.mark.parametrize(("ncol", "half_points"), [(5, 17), (6, 17), (7, 15), (8, 15)])
def test_type_size_steps_down_from_seven_columns(
    tmp_path: Path, ncol: int, half_points: int
) -> None:
    t = _table(tmp_path, "<tr>" + "".join(f"<td>c{j}</td>" for j in range(ncol)) + "</tr>")
    cells = t.rows[0].cells  # type: ignore[attr-defined]
    assert len(cells) == ncol
    assert {_size(c) for c in cells} == {half_points}


def test_one_shading_per_cell_header_grey_or_the_grade_colour(tmp_path: Path) -> None:
    t = _table(
        tmp_path,
        "<tr><th>h</th><th class='g-poor'>hg</th><th class='n'>n</th></tr>"
        "<tr><td class='g-good'>良</td><td class='a-excellent'>优</td><td>plain</td></tr>"
        "<tr><td class='tl'>x</td><td class='nd'>y</td><td class='unknown'>z</td></tr>",
    )
    got = [[_shades(c) for c in row.cells] for row in t.rows]  # type: ignore[attr-defined]
    assert got == [
        [["EEF2F7"], [_SHADE["g-poor"]], ["EEF2F7"]],
        [[_SHADE["g-good"]], [_SHADE["a-excellent"]], []],
        [[_SHADE["tl"]], [], []],
    ]


def test_short_rows_are_filled_with_empty_cells_and_widths_follow_the_grid(tmp_path: Path) -> None:
    t = _table(
        tmp_path,
        "<tr><th>a</th><th>b</th><th>c</th></tr><tr><td>only one</td></tr><tr><td></td><td>e</td></tr>",
    )
    rows = t.rows  # type: ignore[attr-defined]
    assert [len(r.cells) for r in rows] == [3, 3, 3]
    assert [c.text for c in rows[1].cells] == ["only one", "", ""]
    assert [c.text for c in rows[2].cells] == ["", "e", ""]
    # a filler cell has an empty paragraph and no run; an empty <td> has its run, without text
    tc, run, _ = _cell_xml(rows[1].cells[2])
    assert run is None and tc.find(qn("w:p")) is not None  # type: ignore[attr-defined]
    assert _shades(rows[1].cells[2]) == [] and _shades(rows[1].cells[0]) == []
    _, run, _ = _cell_xml(rows[2].cells[0])
    assert run is not None and run.find(qn("w:t")) is None  # type: ignore[attr-defined]
    grid = [int(g.get(qn("w:w"))) for g in t._tbl.tblGrid.gridCol_lst]  # type: ignore[attr-defined]
    for r in rows:
        widths = [int(c._tc.tcPr.find(qn("w:tcW")).get(qn("w:w"))) for c in r.cells]
        assert widths == grid
        assert {c._tc.tcPr.find(qn("w:tcW")).get(qn("w:type")) for c in r.cells} == {"dxa"}
    # the longest text gets the widest column; the grid spans the 17 cm text width
    assert grid[0] == max(grid)
    assert abs(sum(grid) - 17.0 / 2.54 * 1440) <= 3


def test_a_page_without_rows_writes_no_table(tmp_path: Path) -> None:
    page = "<html><body><p>x</p><table></table></body></html>"
    doc = docx.Document(str(html_to_docx(page, tmp_path / "e.docx")))
    assert len(doc.tables) == 0
    assert [p.text for p in doc.paragraphs] == ["x"]


def test_no_character_data_outside_the_text_elements(tmp_path: Path) -> None:
    # Word refuses a table with text between its elements; only w:t holds text
    t = _table(
        tmp_path,
        "<tr><th>h</th><th class='n'>n</th></tr><tr><td class='g-good'>a</td><td></td></tr>"
        "<tr><td>x</td></tr>",
    )
    from lxml import etree

    # read again as plain XML (python-docx's element classes give .text a meaning of their own)
    tbl = etree.fromstring(etree.tostring(t._tbl))  # type: ignore[attr-defined]
    for el in tbl.iter():
        if el.tag != qn("w:t"):
            assert not (el.text or "").strip(), (el.tag, el.text)
        assert not (el.tail or "").strip(), (el.tag, el.tail)
    texts = [el.text for el in tbl.iter(qn("w:t"))]
    assert texts == ["h", "n", "a", "x"]
