"""Word versions of the per-city and overview reports (issue 15, item 2: every report also as .docx).

The Word file is read off the report's HTML, so the checks compare the two: the same headings in
the same order, the same table cells, one picture per image of the page, and the same text; the
English file holds no Chinese character. Runs on the 30-city run of ``conftest.small_run``.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import lxml.html
import pytest
from typer.testing import CliRunner

from citycheckup.cli import app
from citycheckup.report.city_report import render_reports

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
STAMP = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d\S*)?")
HEADING = {"Title": "h1", "Heading 1": "h2", "Heading 2": "h3", "Heading 3": "h4"}


def _squash(s: str) -> str:
    return " ".join(s.split())


@pytest.fixture(scope="module")
def written(small_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docx")
    render_reports(
        small_run,
        out,
        units=["130600"],
        overview=True,
        langs=("zh", "en"),
        formats=("html", "docx"),
        jobs=1,
    )
    return out


def _html(path: Path) -> lxml.html.HtmlElement:
    root = lxml.html.document_fromstring(path.read_text(encoding="utf-8"))
    for bad in root.xpath("//script|//style|//head"):
        bad.getparent().remove(bad)
    return root


def _chars(text: str) -> Counter[str]:
    return Counter("".join(STAMP.sub("", text).split()))


def _docx_text(doc) -> list[str]:  # type: ignore[no-untyped-def]
    out = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        out += [c.text for row in t.rows for c in row.cells]
    return out


CASES = [(k, lang) for k in ("city_130600", "overview") for lang in ("zh", "en")]


@pytest.mark.parametrize(("stem", "lang"), CASES)
def test_docx_has_the_headings_tables_and_figures_of_the_html(
    written: Path, stem: str, lang: str
) -> None:
    import docx

    doc = docx.Document(str(written / f"{stem}_{lang}.docx"))
    root = _html(written / f"{stem}_{lang}.html")
    heads = [
        (HEADING[p.style.name], _squash(p.text))
        for p in doc.paragraphs
        if p.style is not None and p.style.name in HEADING
    ]
    html_heads = [(h.tag, _squash(h.text_content())) for h in root.xpath("//h1|//h2|//h3|//h4")]
    assert heads == html_heads
    assert len(heads) >= (8 if stem.startswith("city") else 4)
    # every table, row by row, cell by cell
    tables = root.xpath("//table")
    assert len(doc.tables) == len(tables) > 0
    for t, h in zip(doc.tables, tables, strict=True):
        cells = [
            [_squash(c.text_content()) for c in tr if c.tag in ("td", "th")] for tr in h.iter("tr")
        ]
        got = [
            [_squash(c.text) for c in row.cells][: len(want)]
            for row, want in zip(t.rows, cells, strict=True)
        ]
        assert got == cells
    # one picture per image (charts drawn as PNG), none dropped
    imgs = root.xpath("//img")
    assert len(doc.inline_shapes) == len(imgs) > 0
    assert not any(p.text.startswith("[") and p.text.endswith("]") for p in doc.paragraphs)
    # the same characters as the page (order aside), nothing lost and nothing added; the time
    # stamps may differ by a minute (each format renders the page when its turn comes)
    page = _chars(root.find("body").text_content())
    words = _chars("\n".join(_docx_text(doc)))
    assert page == words, (page - words, words - page)


@pytest.mark.parametrize("stem", ["city_130600", "overview"])
def test_english_docx_has_no_chinese_and_chinese_docx_is_chinese(written: Path, stem: str) -> None:
    import docx

    en = "\n".join(_docx_text(docx.Document(str(written / f"{stem}_en.docx"))))
    assert not CJK.findall(en), sorted(set(CJK.findall(en)))[:20]
    zh = "\n".join(_docx_text(docx.Document(str(written / f"{stem}_zh.docx"))))
    assert "保定" in zh and "Baoding" not in zh
    assert "Baoding" in en


def test_docx_sets_the_chinese_font_and_shades_grades(written: Path) -> None:
    import docx
    from docx.oxml.ns import qn

    from citycheckup._fonts import FAMILY

    doc = docx.Document(str(written / "city_130600_zh.docx"))
    rfonts = doc.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert rfonts.get(qn("w:eastAsia")) == FAMILY
    xml = doc.element.xml
    assert 'w:fill="EEF2F7"' in xml  # header rows shaded as in the annual report's Word file


def test_cli_writes_docx_for_a_city_report(small_run: Path, tmp_path: Path) -> None:
    r = CliRunner().invoke(
        app,
        ["report", "--run", str(small_run), "--unit", "330100", "--format", "docx",
         "--lang", "en", "--out", str(tmp_path), "--jobs", "1"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert (tmp_path / "city_330100_en.docx").stat().st_size > 10_000
    assert not (tmp_path / "city_330100_en.html").exists()  # only what was asked for
