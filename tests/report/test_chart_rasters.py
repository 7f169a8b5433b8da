"""Charts for Word drawn once, from the matplotlib figure (issue 15: 300 reports as PDF + DOCX).

Word cannot show SVG. Inside :func:`citycheckup.report.charts.rasters` every chart also keeps a
PNG drawn from the same figure; the Word writers use it instead of drawing the SVG again through
WeasyPrint and pdfium. A city report in several formats renders its page once. The charts here
are synthetic (made-up scores).
"""

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from citycheckup.report import charts
from citycheckup.report import city_report as cr
from citycheckup.report._city_html import svg_img
from citycheckup.report._html_docx import _image, html_to_docx

YEARS = [2022, 2023, 2024]
SERIES = {"城市": [61.0, 63.5, 66.0], "同类城市": [60.0, 60.5, 61.0]}


def _trend() -> str:
    return charts.trend_svg(YEARS, SERIES, highlight="城市")


def _media(docx: Path) -> list[bytes]:
    with zipfile.ZipFile(docx) as z:
        return [z.read(n) for n in sorted(z.namelist()) if n.startswith("word/media/")]


def test_no_png_is_kept_outside_the_block() -> None:
    svg = _trend()
    assert svg.startswith("<svg")
    assert charts.raster_of(svg) is None


def test_the_png_is_the_figure_at_the_raster_resolution_and_is_dropped_afterwards() -> None:
    with charts.rasters():
        svg = _trend()
        png = charts.raster_of(svg)
        assert png is not None and png.startswith(b"\x89PNG\r\n\x1a\n")
        with Image.open(io.BytesIO(png)) as im:
            w, h = im.size
            corner = im.convert("RGB").getpixel((0, 0))
        # the figure is 6.4 in × 2.6 in; at 200 dpi that is 1,280 × 520 px before the tight cut
        # (which drops the empty margin and adds 0.1 in of padding, 20 px, on each side) and the
        # legend below the axes (which makes it taller than the figure box)
        assert 0.6 * 1280 < w <= 1280 + 40
        assert h > 0.6 * 520
        assert corner == (255, 255, 255)  # white, not transparent black, behind the chart
        assert charts.raster_of(svg.replace("<svg", "<svg ", 1)) is None  # another text
    assert charts.raster_of(svg) is None


def test_a_nested_block_keeps_the_outer_blocks_pngs() -> None:
    with charts.rasters():
        a = _trend()
        with charts.rasters():
            b = _trend()
        assert charts.raster_of(a) is not None
        assert charts.raster_of(b) is not None  # the outer block still holds it
    assert charts.raster_of(a) is None and charts.raster_of(b) is None


def test_word_uses_the_kept_png_and_falls_back_to_drawing_the_svg(tmp_path: Path) -> None:
    with charts.rasters():
        svg = _trend()
        kept = charts.raster_of(svg)
        page = f"<html><body><h1>T</h1>{svg_img(svg, 'trend')}</body></html>"
        png, tight = _image(f"data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode()}")
        assert png == kept and tight
        html_to_docx(page, tmp_path / "kept.docx")
    assert _media(tmp_path / "kept.docx") == [kept]
    # outside the block the SVG is drawn (WeasyPrint → pdfium) and cut to the chart
    png, tight = _image(f"data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode()}")
    assert png is not None and png != kept and not tight
    html_to_docx(page, tmp_path / "drawn.docx")
    (drawn,) = _media(tmp_path / "drawn.docx")
    assert drawn.startswith(b"\x89PNG") and drawn != kept


def test_a_city_page_is_rendered_once_for_all_its_formats(
    small_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, bool]] = []
    real = cr.render_city_html

    def counting(ctx, code, lang="zh"):  # type: ignore[no-untyped-def]
        calls.append((code, charts._RASTERS is not None))
        return real(ctx, code, lang=lang)

    monkeypatch.setattr(cr, "render_city_html", counting)
    files = cr.render_reports(
        small_run, tmp_path, units=["130600"], overview=False, formats=("html", "docx"), jobs=1
    )
    assert calls == [("130600", True)]  # once, with the charts' PNGs kept for Word
    names = sorted(p.name for p in files)
    assert "city_130600_zh.html" in names and "city_130600_zh.docx" in names
    assert charts._RASTERS is None  # dropped after the report
    # the Word file holds the PNGs drawn from the figures (one per chart of the page)
    html = (tmp_path / "city_130600_zh.html").read_text(encoding="utf-8")
    assert html.count('class="chart"') == len(_media(tmp_path / "city_130600_zh.docx")) >= 1

    calls.clear()
    cr.render_reports(
        small_run, tmp_path / "pdf", units=["130600"], overview=False, formats=("html",), jobs=1
    )
    assert calls == [("130600", False)]  # no Word file: no PNG drawn


def _svg_size_pt(svg: str) -> tuple[float, float]:
    import re

    m = re.search(r'width="([0-9.]+)pt" height="([0-9.]+)pt"', svg)
    assert m is not None
    return float(m.group(1)), float(m.group(2))


@pytest.mark.parametrize("chart", ["trend", "radar"])
def test_the_svg_and_the_png_show_the_same_tight_box(chart: str) -> None:
    # one box, computed once, for both: the PNG is the SVG's size at 200 dpi (72 pt per inch)
    with charts.rasters():
        if chart == "trend":
            svg = _trend()
        else:
            svg = charts.radar_svg(["创新", "宜居", "韧性"], [("城市", [60.0, 70.0, None])])
        png = charts.raster_of(svg)
        assert png is not None
    w_pt, h_pt = _svg_size_pt(svg)
    with Image.open(io.BytesIO(png)) as im:
        w_px, h_px = im.size
    assert w_px == pytest.approx(w_pt / 72 * charts.RASTER_DPI, abs=1.5)
    assert h_px == pytest.approx(h_pt / 72 * charts.RASTER_DPI, abs=1.5)


def test_the_radar_is_drawn_without_clip_paths_and_clamps_its_values() -> None:
    import re

    labels = ["创新", "宜居", "韧性", "智慧"]

    def radar(vals: list[float | None]) -> str:
        svg = charts.radar_svg(labels, [("城市", vals), ("同类城市", [50.0, 50.0, 50.0, 50.0])])
        return re.sub(r"\bc\d+-", "", svg)  # the per-chart id prefix

    svg = radar([100.0, 0.0, 60.0, None])
    # nothing reaches outside the circle, so nothing is clipped (each clip path costs the PDF
    # renderer about as much as the chart's lines)
    assert "clip-path" not in svg and "<clipPath" not in svg
    # values beyond the scale are drawn at its edge, which is what makes clipping unneeded
    assert radar([150.0, -20.0, 60.0, None]) == svg
    assert radar([100.0, 0.0, 60.0, float("nan")]) == svg
    assert radar([99.0, 0.0, 60.0, None]) != svg
