"""Column widths for the PDF's fixed table layout (``report._table_widths``).

The widths are computed by the rules of CSS 2.1's automatic layout from an estimate of each
cell's width. The hand-derived cases replace the font's advances by 1 em for a CJK character
and 0.5 em for any other, so every expected number can be worked out on paper: a cell's
widest line is its text plus the 1.3 em of padding, its narrowest the longest piece between
spaces and CJK characters (a line may end after a CJK character), a ``nowrap`` cell is never
broken.
"""

from __future__ import annotations

import re

import pytest

from citycheckup.report import _table_widths as tw


@pytest.fixture
def half_em(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tw, "advance_em", lambda ch: 1.0 if tw._wide(ch) else 0.5)


PAD = tw.CELL_PAD_EM


def test_padding_and_page_width() -> None:
    assert PAD == 1.3
    # A4 (210 mm) less two 14 mm margins, in ems of 8 pt type (8 pt = 8 × 25.4 / 72 mm)
    assert pytest.approx(182 / (8 * 25.4 / 72)) == tw.TABLE_EM
    assert 64.4 < tw.TABLE_EM < 64.6


@pytest.mark.usefixtures("half_em")
@pytest.mark.parametrize(
    ("text", "em"),
    [
        ("", 0.0),
        ("ab", 1.0),
        ("ab cdef", 2.0),  # the longer word
        ("中文", 1.0),  # one character per line at the narrowest
        ("ab中cd", 2.0),  # "ab中" (a line ends after the CJK character), then "cd"
        ("中abcd", 2.0),  # "中", then "abcd"
        ("  spaced   out  ", 3.0),  # "spaced"
    ],
)
def test_narrowest_piece(text: str, em: float) -> None:
    assert tw._narrowest(text) == pytest.approx(em)


def test_wide_characters() -> None:
    assert tw._wide("中") and tw._wide("（") and tw._wide("Ａ")
    assert not tw._wide("a") and not tw._wide("1") and not tw._wide("%") and not tw._wide("·")


def test_advances_come_from_the_bundled_font() -> None:
    # read independently with fontTools from the same font file: hmtx advance / unitsPerEm
    from fontTools.ttLib import TTCollection

    from citycheckup._fonts import FAMILY, advance_em, font_path

    coll = TTCollection(str(font_path()), lazy=True)
    try:
        font = next(f for f in coll.fonts if f["name"].getDebugName(1) == FAMILY)
        cmap, hmtx, upm = font.getBestCmap(), font["hmtx"].metrics, font["head"].unitsPerEm
        for ch in "aiW0 %中（→":
            assert advance_em(ch) == pytest.approx(hmtx[cmap[ord(ch)]][0] / upm)
    finally:
        coll.close()
    assert advance_em("i") < advance_em("a") < advance_em("W") < advance_em("中") == 1.0


@pytest.mark.usefixtures("half_em")
def test_every_widest_line_fits_columns_in_proportion() -> None:
    rows = [[("ab", False), ("中文", False)]]
    # widest lines 1 + 1.3 and 2 + 1.3 = 5.6 em in all; 10 em are shared in that proportion
    got = tw.column_widths(rows, width=10.0)
    assert got == pytest.approx([10 * 2.3 / 5.6, 10 * 3.3 / 5.6])
    # exactly the widest lines: each column gets its widest line
    assert tw.column_widths(rows, width=5.6) == pytest.approx([2.3, 3.3])


@pytest.mark.usefixtures("half_em")
def test_narrowest_widths_then_the_rest_by_how_much_wider_a_column_can_be() -> None:
    rows = [[("ab", False), ("中文", False)]]
    # narrowest 2.3 + 2.3 = 4.6 em; widest 2.3 + 3.3; only the second column can use more
    assert tw.column_widths(rows, width=5.0) == pytest.approx([2.3, 2.7])
    assert tw.column_widths(rows, width=5.5) == pytest.approx([2.3, 3.2])
    # at the narrowest widths exactly, and just below them: left to the automatic layout
    assert tw.column_widths(rows, width=4.6) == pytest.approx([2.3, 2.3])
    assert tw.column_widths(rows, width=4.6 - 1e-9) is None


@pytest.mark.usefixtures("half_em")
def test_a_nowrap_cell_is_never_broken() -> None:
    wrap = tw.column_widths([[("ab cd", False), ("x" * 10, False)]], width=9.0)
    nowrap = tw.column_widths([[("ab cd", True), ("x" * 10, False)]], width=9.0)
    # narrowest: "ab" (1 em) when it may wrap, "ab cd" (2.5 em) when it may not; the second
    # column (no space) cannot be narrower than its 5 em
    assert wrap == pytest.approx([2.3 + (9.0 - 8.6) * 1.5 / 1.5, 6.3])
    # set without a break the first column needs 3.8 em: 3.8 + 6.3 = 10.1 em do not fit in 9
    assert nowrap is None
    assert tw.column_widths([[("ab cd", True), ("x" * 10, False)]], width=10.1) == pytest.approx(
        [3.8, 6.3]
    )


@pytest.mark.usefixtures("half_em")
def test_the_widest_cell_of_each_column_counts_and_ragged_rows() -> None:
    rows = [[("a", False)], [("abcd", False), ("中", False)], [("ab", True)]]
    # column 0: widest 2 + 1.3, narrowest 2 + 1.3 (abcd); column 1: 1 + 1.3 both
    assert tw.column_widths(rows, width=5.6) == pytest.approx([3.3, 2.3])


def test_no_columns() -> None:
    assert tw.column_widths([]) is None
    assert tw.column_widths([[]]) is None


# ------------------------------------------------------------------------------ pages
PAGE = (
    "<html><head><style>table{width:100%}</style></head><body><p>before</p>"
    '<table class="keep"><thead><tr><th>指标</th><th class="n">数值</th></tr></thead>'
    '<tbody><tr><td>人均地区生产总值</td><td class="n">173,165</td></tr></tbody></table>'
    "<p>between</p>"
    '<table><tr><td colspan="2">spans</td></tr><tr><td>a</td><td>b</td></tr></table>'
    '<table style="width:50%"><tr><td>own style</td></tr></table>'
    '<table><tr><td rowspan="2">r</td><td>x</td></tr></table>'
    '<table><tr><td colspan="x">bad</td></tr></table>'
    "<table></table><p>after</p></body></html>"
)
_COLS = re.compile(r'<colgroup>((?:<col style="width:[0-9.]+%">)+)</colgroup>')


def test_a_page_gets_widths_on_the_tables_it_can_measure_only() -> None:
    out = tw.fixed_table_layout(PAGE)
    assert out.count('style="table-layout:fixed"') == 1
    assert out.count("<colgroup>") == 1
    assert '<table class="keep" style="table-layout:fixed"><colgroup>' in out
    widths = [float(w) for w in re.findall(r"width:([0-9.]+)%", _COLS.search(out).group(1))]
    assert len(widths) == 2 and sum(widths) == pytest.approx(100, abs=0.02)
    # the name column is the wider one: 8 CJK characters against "173,165" set without a break
    assert widths[0] > widths[1] > 0
    # everything else is byte for byte the page: take the insertion out again
    back = out.replace(' style="table-layout:fixed"', "", 1)
    assert _COLS.sub("", back) == PAGE


def test_a_table_too_wide_to_fit_is_left_to_the_automatic_layout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tw, "advance_em", lambda ch: 1.0)
    cells = "".join(f'<td class="n">{"9" * 20}</td>' for _ in range(3))  # 3 × 21.3 < 64.5
    fits = f"<table><tr>{cells}</tr></table>"
    assert "table-layout:fixed" in tw.fixed_table_layout(fits)
    cells = "".join(f'<td class="n">{"9" * 21}</td>' for _ in range(3))  # 3 × 22.3 > 64.5
    wide = f"<table><tr>{cells}</tr></table>"
    assert tw.fixed_table_layout(wide) == wide


def test_rows_read_header_and_body_cells_with_their_nowrap_class() -> None:
    import lxml.html

    table = lxml.html.fragment_fromstring(
        "<table><thead><tr><!-- a comment --><th>Indicator name</th><th class='n'>Value</th>"
        "</tr></thead><tbody><tr><td class='src nw'>CNY</td><td>1 2</td><td class='x'>z</td>"
        "</tr></tbody></table>"
    )
    assert tw._rows(table) == [
        [("Indicator name", False), ("Value", True)],
        [("CNY", True), ("1 2", False), ("z", False)],
    ]


def test_a_table_with_its_own_style_in_capitals_is_not_touched() -> None:
    page = '<TABLE Style="width:50%"><tr><td>a</td></tr></TABLE>'
    assert tw.fixed_table_layout(page) == page
    plain = "<TABLE><tr><td>a</td></tr></TABLE>"
    assert 'style="table-layout:fixed"' in tw.fixed_table_layout(plain)


def test_a_caption_stays_the_first_child_of_its_table() -> None:
    page = "<table><caption>表 1</caption><tr><td>a</td><td class='g-good'>良</td></tr></table>"
    out = tw.fixed_table_layout(page)
    assert out.startswith('<table style="table-layout:fixed"><caption>表 1</caption><colgroup>')
    assert out.endswith("</colgroup><tr><td>a</td><td class='g-good'>良</td></tr></table>")


def test_grade_cells_are_not_broken(half_em: None) -> None:
    import lxml.html

    t = lxml.html.fragment_fromstring(
        "<table><tr><td class='g-very_good'>很 好</td><td class='a-poor'>差 差</td>"
        "<td class='g-x'>a b</td></tr></table>"
    )
    assert tw._rows(t) == [[("很 好", True), ("差 差", True), ("a b", False)]]


def test_symbols_the_cjk_font_lacks_are_measured_in_the_fallback() -> None:
    from citycheckup._fonts import advance_em, fallback_path

    # the ₂ of CO₂ comes from DejaVu Sans, as WeasyPrint sets it; a private-use character
    # in neither font is estimated (0.6 em: not East Asian wide)
    assert fallback_path() is not None
    assert 0.3 < advance_em("₂") < 0.5
    assert advance_em("\ue000") == 0.6
    page = "<table><tr><td>CO₂ 排放</td><td class='n'>1.5</td></tr></table>"
    assert "table-layout:fixed" in tw.fixed_table_layout(page)
