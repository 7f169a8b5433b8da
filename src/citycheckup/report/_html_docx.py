"""City reports, part 4: the Word version of a city or overview report, from its HTML.

The per-city and overview reports are written once, as HTML (Jinja templates, :mod:`._city_html`);
the Word file is read off that page so that its headings, tables and figures are the ones of the
HTML and PDF — nothing is laid out twice. The mapping follows :func:`.document.to_docx`: ``h1`` is
the title, ``h2``–``h4`` are Word headings 1–3 (navigation pane, table of contents), tables keep
their header row, right-aligned number columns and grade shading, charts (SVG) become PNG
pictures, and Chinese text is set in the East Asian font slot.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

from citycheckup._io import atomic_file
from citycheckup.report.charts import raster_of
from citycheckup.report.document import _SHADE, _set_fonts, _svg_png

__all__ = ["html_to_docx"]

_HEADINGS = {"h1": 0, "h2": 1, "h3": 2, "h4": 3}
_BLOCKS = {"div", "p", "table", "ul", "ol", "figure", "section", "footer", "img", "header"}
_BLOCKS |= set(_HEADINGS)
_SKIP = {"script", "style", "head", "title", "nav", "meta", "link"}
_GREY = {"note", "meta", "caption-note"}
_TEXT_WIDTH_CM = 17.0  # A4 less 2 cm margins


def _classes(el: Any) -> set[str]:
    return set((el.get("class") or "").split())


def _text(el: Any) -> str:
    """The visible text of an inline element, whitespace collapsed as a browser does."""
    return " ".join(el.text_content().split())


def _image(src: str) -> tuple[bytes | None, bool]:
    """PNG bytes of an ``<img>`` source (a data URI of PNG, or of SVG drawn as PNG).

    The flag says whether the picture is already cut to the chart: the PNG that
    :func:`.charts.rasters` kept when the chart was drawn is; an SVG drawn on a page is not.
    """
    if not src.startswith("data:"):
        return None, False  # reports are self-contained: there is no other kind of image
    head, _, data = src.partition(",")
    raw = base64.b64decode(data) if head.endswith(";base64") else data.encode("utf-8")
    if head.startswith("data:image/png"):
        return raw, False
    if head.startswith("data:image/svg+xml"):
        svg = raw.decode("utf-8")
        kept = raster_of(svg)
        return (kept, True) if kept is not None else (_svg_png(svg), False)
    return None, False


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels, from the PNG header (IHDR)."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _trimmed(png: bytes) -> tuple[bytes, tuple[int, int]]:
    """The picture without the white margin around the chart (an SVG is drawn on a whole page)."""
    from PIL import Image, ImageChops

    with Image.open(io.BytesIO(png)) as im:
        rgb = im.convert("RGB")
        box = ImageChops.difference(rgb, Image.new("RGB", rgb.size, "white")).getbbox()
        if box is None or box == (0, 0, *rgb.size):
            return png, rgb.size
        pad = 8
        box = (
            max(box[0] - pad, 0),
            max(box[1] - pad, 0),
            min(box[2] + pad, rgb.width),
            min(box[3] + pad, rgb.height),
        )
        buf = io.BytesIO()
        rgb.crop(box).save(buf, format="PNG")
        return buf.getvalue(), (box[2] - box[0], box[3] - box[1])


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _rows_xml(rows: list[Any], twips: list[int], half_points: int) -> list[Any]:
    """The ``w:tr`` elements of an HTML table's rows, written as WordprocessingML in one parse.

    Each cell holds one paragraph with one run: its text (whitespace collapsed), bold in a
    header cell, ``half_points`` in size, right-aligned in a number column (class ``n``),
    shaded as a header cell or after its grade class. What python-docx writes for
    ``cell.text`` and run font settings, made in one parse instead of ~10 element look-ups
    per cell (three quarters of the time of a report's Word file went there).
    """
    from xml.sax.saxutils import escape

    from docx.oxml.parser import parse_xml

    out = [f'<w:tbl xmlns:w="{_W}">']
    for tr in rows:
        out.append("<w:tr>")
        cells = [c for c in tr if c.tag in ("td", "th")]
        for j in range(len(twips)):
            shd = None
            if j < len(cells):
                c = cells[j]
                cls = _classes(c)
                head = c.tag == "th"
                shd = next((_SHADE[k] for k in cls if k in _SHADE), "EEF2F7" if head else None)
                jc = '<w:pPr><w:jc w:val="right"/></w:pPr>' if "n" in cls else ""
                text = _text(c)
                t = f"<w:t>{escape(text)}</w:t>" if text else ""  # collapsed: no edge spaces
                b = "<w:b/>" if head else ""
                para = (
                    f'<w:p>{jc}<w:r><w:rPr>{b}<w:sz w:val="{half_points}"/></w:rPr>{t}</w:r></w:p>'
                )
            else:  # a short row: the empty cells python-docx adds to fill the grid
                para = "<w:p/>"
            fill = (
                f'<w:shd w:val="clear" w:color="auto" w:fill="{shd}"/>' if shd is not None else ""
            )
            out.append(
                f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{twips[j]}"/>{fill}</w:tcPr>{para}</w:tc>'
            )
        out.append("</w:tr>")
    out.append("</w:tbl>")
    return list(parse_xml("".join(out)))


def html_to_docx(page: str, path: str | Path) -> Path:
    """Write the report ``page`` (HTML of :mod:`._city_html`) as an editable Word file.

    Parameters
    ----------
    page
        The complete HTML of a city or overview report.
    path
        Where the ``.docx`` goes (written atomically).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    import docx
    import lxml.html
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt, RGBColor

    from citycheckup._fonts import FAMILY

    root = lxml.html.document_fromstring(page)
    d = docx.Document()
    sec0 = d.sections[0]
    sec0.page_height, sec0.page_width = Cm(29.7), Cm(21.0)
    for m in ("left_margin", "right_margin"):
        setattr(sec0, m, Cm(2.0))
    for name in ("Normal", "Title", "Subtitle", "Heading 1", "Heading 2", "Heading 3", "Caption"):
        st = d.styles[name]
        st.font.name = FAMILY  # type: ignore[union-attr]
        _set_fonts(st, FAMILY)
    d.styles["List Bullet"].font.name = FAMILY  # type: ignore[union-attr]
    _set_fonts(d.styles["List Bullet"], FAMILY)
    d.styles["Normal"].font.size = Pt(10.5)  # type: ignore[union-attr]
    grey = RGBColor(0x66, 0x66, 0x66)
    # style ids looked up once: python-docx looks a style name up in styles.xml (an XPath
    # search) for every paragraph otherwise, a fifth of the time of a report's Word file
    style_id = {
        n: d.styles[n].style_id
        for n in ("Title", "Subtitle", "Heading 1", "Heading 2", "Heading 3", "Caption",
                  "List Bullet", "Table Grid")
    }  # fmt: skip

    def add(text: str = "", style: str | None = None) -> Any:
        p = d.add_paragraph(text)
        if style is not None:
            p._p.style = style_id[style]  # what Paragraph.style does after its look-up
        return p

    def paragraph(el: Any, style: str | None = None) -> None:
        """One paragraph of inline content; ``<b>`` stays bold, a note is small and grey."""
        cls = _classes(el)
        if "caption" in cls:
            style = "Caption"
        elif "sub" in cls and style is None:
            style = "Subtitle"
        p = add(style=style)
        if "caption" in cls:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        parts: list[tuple[str, bool]] = []
        if el.text:
            parts.append((el.text, False))
        for child in el:
            if child.tag in _SKIP or not isinstance(child.tag, str):
                pass
            else:
                parts.append((child.text_content(), child.tag in ("b", "strong")))
            if child.tail:
                parts.append((child.tail, False))
        text = " ".join("".join(x for x, _ in parts).split())
        if not text:
            d.element.body.remove(p._p)
            return
        # runs keep bold spans; whitespace is collapsed inside each run as in the browser, and a
        # bold figure is kept apart from the label after it (the page sets them on two lines)
        last_bold = False
        for x, bold in parts:
            x = " ".join(x.split()) if x.strip() else (" " if x else "")
            if not x:
                continue
            if last_bold and not bold and not x.startswith(" "):
                x = " " + x
            last_bold = bold
            r = p.add_run(x)
            r.bold = bold or None
            if cls & _GREY:
                r.font.size = Pt(8.5)
                r.font.color.rgb = grey
        if "kpi" in {c for a in el.iterancestors() for c in _classes(a)}:
            p.paragraph_format.space_after = Pt(2)

    def table(el: Any) -> None:
        rows = list(el.iter("tr"))
        if not rows:
            return
        width = max(len([c for c in tr if c.tag in ("td", "th")]) for tr in rows)
        t = d.add_table(rows=0, cols=width)
        t._tbl.tblStyle_val = style_id["Table Grid"]  # what Table.style does
        t.autofit = False
        # column widths after the longest text of each column (Word would make them all equal)
        longest = [4] * width
        for tr in rows:
            for j, c in enumerate(x for x in tr if x.tag in ("td", "th")):
                text = _text(c)
                word = max((len(w) for w in text.split()), default=0)  # never broken
                longest[j] = max(longest[j], min(len(text), 28), word + 2)
        widths = [Cm(_TEXT_WIDTH_CM * n / sum(longest)) for n in longest]
        for col, w in zip(t.columns, widths, strict=True):
            col.width = w  # the table grid (LibreOffice reads it); cells below for Word
        t._tbl.extend(_rows_xml(rows, [w.twips for w in widths], 17 if width <= 6 else 15))
        d.add_paragraph()

    def picture(el: Any) -> None:
        png, tight = _image(el.get("src") or "")
        if png is None:
            d.add_paragraph(f"[{el.get('alt') or ''}]")
            return
        png, (w, h) = (png, _png_size(png)) if tight else _trimmed(png)
        # 15 cm wide at most, and no taller than 10 cm (a radar chart is square)
        d.add_picture(io.BytesIO(png), width=Cm(min(15.0, 10.0 * w / max(h, 1))))
        d.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER

    def walk(el: Any) -> None:
        tag = el.tag
        if not isinstance(tag, str) or tag in _SKIP:
            return
        if tag in _HEADINGS:
            lvl = _HEADINGS[tag]
            add(_text(el), "Title" if lvl == 0 else f"Heading {lvl}")
        elif tag == "table":
            table(el)
        elif tag == "img":
            picture(el)
        elif tag in ("ul", "ol"):
            for li in el.iter("li"):
                paragraph(li, "List Bullet")
        elif tag == "p" or (tag in _BLOCKS | {"li"} and not any(c.tag in _BLOCKS for c in el)):
            paragraph(el)
        else:  # a container: its blocks in order (stray text between blocks is kept)
            if el.text and el.text.strip():
                d.add_paragraph(" ".join(el.text.split()))
            for child in el:
                walk(child)
                if child.tail and child.tail.strip():
                    d.add_paragraph(" ".join(child.tail.split()))

    body = root.find("body")
    walk(body if body is not None else root)
    p = Path(path)
    with atomic_file(p, "wb") as fh:
        d.save(fh)
    return p
