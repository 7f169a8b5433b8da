"""A report as a document model, rendered to HTML (→ PDF) and to Word from the same content.

Builders (e.g. :mod:`citycheckup.report.annual`) produce a :class:`Document` of numbered
sections holding paragraphs, bullet lists, tables and figures; :func:`to_html`,
:func:`to_pdf` and :func:`to_docx` render it, so the Word file a team edits holds the
same headings, tables and figures as the PDF it hands on.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

from citycheckup._io import atomic_file
from citycheckup.report.messages import t

__all__ = [
    "Bullets",
    "Document",
    "Figure",
    "Para",
    "Section",
    "Table",
    "to_docx",
    "to_html",
    "to_pdf",
]

_ZH_NUM = "一二三四五六七八九十"  # numerals of Chinese heading numbers (一、 and （一）)


def _sub_label(lang: str, label: str, j: int) -> str:
    """Number of the ``j``-th subsection under a section numbered ``label``: （一） or 3.1."""
    if lang == "zh":
        return t("doc.sub_number", "zh", n=_ZH_NUM[j], parent=label)
    return t("doc.sub_number", "en", n=j + 1, parent=label.rstrip("."))


@dataclass
class Para:
    """A paragraph; ``style`` ``note`` prints small and grey, ``lead`` bold."""

    text: str
    style: Literal["body", "note", "lead"] = "body"


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Table:
    """A table of already formatted cells.

    ``numeric`` marks right-aligned columns; ``classes`` gives a CSS class per cell
    (e.g. ``g-poor`` for a 不足 grade), used for colour in HTML and shading in Word.
    """

    columns: list[str]
    rows: list[list[str]]
    caption: str | None = None
    numeric: list[bool] | None = None
    classes: list[list[str]] | None = None


@dataclass
class Figure:
    """An image: SVG text or PNG bytes, with a caption."""

    caption: str
    svg: str | None = None
    png: bytes | None = None
    width_cm: float = 16.0


Block = Para | Bullets | Table | Figure


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)
    subsections: list[Section] = field(default_factory=list)

    def add(self, *blocks: Block) -> Section:
        self.blocks.extend(blocks)
        return self


@dataclass
class Document:
    """A report: cover (title, subtitle, meta lines), numbered sections, annexes."""

    title: str
    lang: Literal["zh", "en"]
    subtitle: str = ""
    meta: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    annexes: list[Section] = field(default_factory=list)
    footer: str = ""
    running: str = ""

    def numbered(self, k: int) -> str:
        """Heading number of the ``k``-th section (0-based): 一、 or 1."""
        if self.lang == "zh":
            return t("doc.section_number", "zh", n=_ZH_NUM[k] if k < 10 else f"十{_ZH_NUM[k - 10]}")
        return t("doc.section_number", "en", n=k + 1)

    def headings(self) -> list[str]:
        """Every heading in reading order (for checks that HTML, PDF and Word agree)."""
        out = [self.title]

        def walk(sec: Section, label: str) -> None:
            out.append(f"{label} {sec.title}".strip())
            for j, sub in enumerate(sec.subsections):
                walk(sub, _sub_label(self.lang, label, j))

        for k, s in enumerate(self.sections):
            walk(s, self.numbered(k))
        for k, a in enumerate(self.annexes):
            walk(a, t("doc.annex", self.lang, n=k + 1))
        return out


# -- HTML ---------------------------------------------------------------------------------------------
def _css(doc: Document) -> str:
    text = (resources.files("citycheckup.report") / "templates" / "_report.css.j2").read_text(
        encoding="utf-8"
    )
    page = t("r.page", doc.lang)  # the raw pattern: {page} is filled in by CSS
    pre, _, post = page.partition("{page}")
    return (
        text.replace("{{ page_pre }}", pre)
        .replace("{{ page_post }}", post)
        .replace("{{ running }}", doc.running.replace('"', "'"))
    )


def _block_html(b: Block) -> str:
    e = html.escape
    if isinstance(b, Para):
        cls = {"note": ' class="note"', "lead": ' class="lead"'}.get(b.style, "")
        return f"<p{cls}>{e(b.text)}</p>"
    if isinstance(b, Bullets):
        return '<ul class="findings">' + "".join(f"<li>{e(x)}</li>" for x in b.items) + "</ul>"
    if isinstance(b, Figure):
        if b.svg:
            data = base64.b64encode(b.svg.encode("utf-8")).decode("ascii")
            img = f'<img class="chart" alt="{e(b.caption)}" src="data:image/svg+xml;base64,{data}">'
        elif b.png:
            img = f'<img class="chart" alt="{e(b.caption)}" src="data:image/png;base64,{base64.b64encode(b.png).decode()}">'
        else:
            return ""
        return f'<div class="fig">{img}</div><div class="caption">{e(b.caption)}</div>'
    num = b.numeric or [False] * len(b.columns)
    head = "".join(
        ("<th class='n'>" if n else "<th>") + f"{e(c)}</th>"
        for c, n in zip(b.columns, num, strict=True)
    )
    body = []
    for i, row in enumerate(b.rows):
        cells = []
        for j, v in enumerate(row):
            cls = [("n" if num[j] else "")]
            if b.classes is not None and b.classes[i][j]:
                cls.append(b.classes[i][j])
            c = " ".join(x for x in cls if x)
            cells.append((f"<td class='{c}'>" if c else "<td>") + f"{e(v)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{e(b.caption)}</caption>" if b.caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _english(doc: Document) -> Document:
    """English documents cite Chinese document numbers in pinyin (国办发〔2015〕75号 → Guobanfa [2015] No. 75)."""
    if doc.lang != "en":
        return doc
    import copy

    from citycheckup.report.labels import romanise_doc_numbers as rom

    d = copy.deepcopy(doc)

    def fix(blocks: list[Block]) -> None:
        for b in blocks:
            if isinstance(b, Para):
                b.text = rom(b.text)
            elif isinstance(b, Bullets):
                b.items = [rom(x) for x in b.items]
            elif isinstance(b, Table):
                b.columns = [rom(x) for x in b.columns]
                b.rows = [[rom(x) for x in r] for r in b.rows]
                b.caption = rom(b.caption) if b.caption else b.caption
            elif isinstance(b, Figure):
                b.caption = rom(b.caption)

    def walk(s: Section) -> None:
        s.title = rom(s.title)
        fix(s.blocks)
        for sub in s.subsections:
            walk(sub)

    for s in (*d.sections, *d.annexes):
        walk(s)
    d.title, d.subtitle = rom(d.title), rom(d.subtitle)
    d.meta = [rom(m) for m in d.meta]
    return d


def to_html(doc: Document) -> str:
    """The document as one self-contained HTML page (inline CSS and images)."""
    doc = _english(doc)
    e = html.escape
    parts = [
        f'<!DOCTYPE html><html lang="{"zh-CN" if doc.lang == "zh" else "en"}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(doc.title)}</title><style>{_css(doc)}"
        "caption{caption-side:top;text-align:left;font-weight:bold;font-size:8.5pt;padding:2pt 0}"
        "td.g-very_good,td.g-good,td.g-fair,td.g-poor,td.a-excellent,td.a-good,td.a-medium,td.a-poor"
        "{white-space:nowrap}p.lead{font-weight:bold}</style></head><body>",
        f'<section class="cover"><h1>{e(doc.title)}</h1>'
        + (f'<div class="sub">{e(doc.subtitle)}</div>' if doc.subtitle else "")
        + "".join(f'<div class="meta">{e(m)}</div>' for m in doc.meta)
        + "</section>",
    ]

    def sec(s: Section, label: str, depth: int) -> None:
        h = min(2 + depth, 4)
        parts.append(f"<section><h{h}>{e((label + ' ' + s.title).strip())}</h{h}>")
        parts.extend(_block_html(b) for b in s.blocks)
        for j, sub in enumerate(s.subsections):
            sec(sub, _sub_label(doc.lang, label, j), depth + 1)
        parts.append("</section>")

    for k, s in enumerate(doc.sections):
        sec(s, doc.numbered(k), 0)
    for k, a in enumerate(doc.annexes):
        parts.append('<div class="break"></div>')
        sec(a, t("doc.annex", doc.lang, n=k + 1), 0)
    if doc.footer:
        parts.append(f"<footer>{e(doc.footer)}</footer>")
    parts.append("</body></html>")
    return "\n".join(parts)


def to_pdf(doc: Document, path: str | Path) -> Path:
    """The document as PDF (WeasyPrint, bundled CJK font), written atomically."""
    from citycheckup.report.city_report import write_pdf

    return write_pdf(to_html(doc), path)


# -- Word -----------------------------------------------------------------------------------------------
_SHADE = {
    "g-very_good": "C6EFCE",
    "g-good": "E2F0D9",
    "g-fair": "FFF2CC",
    "g-poor": "F8CBAD",
    "a-excellent": "C6EFCE",
    "a-good": "E2F0D9",
    "a-medium": "FFF2CC",
    "a-poor": "F8CBAD",
    "tl": "F8CBAD",
}


def _set_fonts(run_or_style: object, east_asia: str) -> None:
    from docx.oxml.ns import qn

    el = run_or_style.element  # type: ignore[attr-defined]
    rpr = el.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:ascii"), east_asia)
    fonts.set(qn("w:hAnsi"), east_asia)


def _shade(cell: object, fill: str) -> None:
    from docx.oxml.ns import qn

    tcpr = cell._tc.get_or_add_tcPr()  # type: ignore[attr-defined]
    shd = tcpr.makeelement(
        qn("w:shd"), {qn("w:val"): "clear", qn("w:color"): "auto", qn("w:fill"): fill}
    )
    tcpr.append(shd)


def _svg_png(svg: str, width_px: int = 1400) -> bytes | None:
    """An SVG chart as PNG for Word (WeasyPrint renders it with the bundled font)."""
    try:
        from weasyprint import HTML
    except ImportError:  # pragma: no cover
        return None
    # WeasyPrint has no PNG output: draw the SVG on a one-page PDF, then rasterise with pypdfium2 if present
    try:
        import pypdfium2 as pdfium
    except ImportError:
        return None
    from citycheckup._fonts import weasyprint_fonts

    fonts, css = weasyprint_fonts("@page{size:auto;margin:0}body{margin:0}")
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    pdf = HTML(string=f'<img style="width:16cm" src="data:image/svg+xml;base64,{data}">').write_pdf(
        stylesheets=[css], font_config=fonts
    )
    page = pdfium.PdfDocument(pdf)[0]
    scale = width_px / page.get_width()
    img = page.render(scale=scale).to_pil()
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _figure_png(svg: str) -> bytes | None:
    """The PNG kept when the chart was drawn (:func:`.charts.rasters`), else the SVG drawn."""
    from citycheckup.report.charts import raster_of

    kept = raster_of(svg)
    return kept if kept is not None else _svg_png(svg)


def to_docx(doc: Document, path: str | Path) -> Path:
    """The document as an editable Word file (python-docx), written atomically.

    Chinese text is set in the East Asian font slot (Noto Sans CJK SC, with the
    platform's fallback where it is not installed); headings use Word's heading styles
    so the navigation pane and a table of contents work.
    """
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt, RGBColor

    from citycheckup._fonts import FAMILY

    doc = _english(doc)
    d = docx.Document()
    sec0 = d.sections[0]
    sec0.page_height, sec0.page_width = Cm(29.7), Cm(21.0)
    for m in ("left_margin", "right_margin"):
        setattr(sec0, m, Cm(2.0))
    for name in (
        "Normal",
        "Title",
        "Subtitle",
        "Heading 1",
        "Heading 2",
        "Heading 3",
        "Caption",
        "List Bullet",
    ):
        try:
            st = d.styles[name]
        except KeyError:  # pragma: no cover
            continue
        st.font.name = FAMILY
        _set_fonts(st, FAMILY)
    d.styles["Normal"].font.size = Pt(10.5)
    d.add_heading(doc.title, level=0)
    if doc.subtitle:
        d.add_paragraph(doc.subtitle, style="Subtitle")
    for m in doc.meta:
        p = d.add_paragraph(m)
        p.runs[0].font.size = Pt(9)
        p.runs[0].font.color.rgb = RGBColor(0x66, 0x66, 0x66)

    def block(b: Block) -> None:
        if isinstance(b, Para):
            p = d.add_paragraph(b.text)
            if b.style == "note":
                for r in p.runs:
                    r.font.size = Pt(8.5)
                    r.font.color.rgb = RGBColor(0x66, 0x66, 0x66)
            elif b.style == "lead":
                for r in p.runs:
                    r.bold = True
        elif isinstance(b, Bullets):
            for x in b.items:
                d.add_paragraph(x, style="List Bullet")
        elif isinstance(b, Figure):
            png = b.png if b.png is not None else (_figure_png(b.svg) if b.svg else None)
            if png is None:
                d.add_paragraph(f"[{b.caption}]")
            else:
                d.add_picture(io.BytesIO(png), width=Cm(b.width_cm))
                d.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            cap = d.add_paragraph(b.caption, style="Caption")
            cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
        else:
            if b.caption:
                d.add_paragraph(b.caption, style="Caption")
            t = d.add_table(rows=1, cols=len(b.columns))
            t.style = "Table Grid"
            num = b.numeric or [False] * len(b.columns)
            for j, c in enumerate(b.columns):
                cell = t.rows[0].cells[j]
                cell.text = c
                for r in cell.paragraphs[0].runs:
                    r.bold = True
                    r.font.size = Pt(8.5)
                _shade(cell, "EEF2F7")
            for i, row in enumerate(b.rows):
                cells = t.add_row().cells
                for j, v in enumerate(row):
                    cells[j].text = v
                    par = cells[j].paragraphs[0]
                    for r in par.runs:
                        r.font.size = Pt(8.5)
                    if num[j]:
                        par.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                    cls = b.classes[i][j] if b.classes is not None else ""
                    if cls in _SHADE:
                        _shade(cells[j], _SHADE[cls])
            d.add_paragraph()

    def sec(s: Section, label: str, level: int) -> None:
        d.add_heading((label + " " + s.title).strip(), level=min(level, 3))
        for b in s.blocks:
            block(b)
        for j, sub in enumerate(s.subsections):
            sec(sub, _sub_label(doc.lang, label, j), level + 1)

    for k, s in enumerate(doc.sections):
        sec(s, doc.numbered(k), 1)
    for k, a in enumerate(doc.annexes):
        d.add_page_break()
        sec(a, t("doc.annex", doc.lang, n=k + 1), 1)
    if doc.footer:
        p = d.add_paragraph(doc.footer)
        for r in p.runs:
            r.font.size = Pt(8)
    p = Path(path)
    with atomic_file(p, "wb") as fh:
        d.save(fh)
    return p


def table_classes(rows: Sequence[Sequence[str]], col: int, cls: Sequence[str]) -> list[list[str]]:
    """Per-cell classes with ``cls[i]`` on column ``col`` of row ``i`` (helper for builders)."""
    return [[(cls[i] if j == col else "") for j in range(len(r))] for i, r in enumerate(rows)]
